"""Markets as data: countries the seeded customers live in, their currencies and nearby Azure regions,
the Azure regions reservations are sold for, and the markets where Azure reservations are unavailable.
"""

from __future__ import annotations

from dataclasses import dataclass

# Markets where Azure reservations cannot be bought. Source: Microsoft's "Purchase Azure reservations"
# page (French edition, seed/purchase-azure-reservations.fr.md, as transcribed in
# reference/unavailable-markets.md; ms.date 11/01/2018, localised 03/31/2020). Kosovo has no ISO code;
# Microsoft uses XK.
UNAVAILABLE_MARKETS = frozenset(
    """
    AX AS AD AI AQ AG AW BJ BT BQ BV BR IO VG BF BI KH CF TD CN CX CC KM CG CD CK DJ DM GQ ER FK GF PF
    TF GA GM GI GL GD GP GU GG GN GW GY HT HM IM SJ JE KI XK LA LS LR MG MW MV ML MH MQ MR YT FM MS MZ
    MM NR NC NE NU NF MP PW PG PN RE RU BL LC MF PM VC WS SM ST SC SL SX SB SO GS SS SH SR SZ TL TG TK
    TO TC TV UM VU VA WF YE
    """.split()  # noqa: SIM905 - a table is easier to compare with the source than a list
)


@dataclass(frozen=True)
class Market:
    code: str
    name: str
    currency: str
    symbol: str
    per_usd: float  # units of the market currency for one US dollar (pricing only)
    regions: tuple[str, ...]  # preferred Azure regions, nearest first
    city: str
    state: str
    postal_code: str
    phone: str
    language: str

    @property
    def reservations_available(self) -> bool:
        return self.code not in UNAVAILABLE_MARKETS

    @property
    def billing_currency(self) -> str:
        """The currency the partner is invoiced in for this market (CSP direct bill)."""
        if self.currency == "EUR":
            return "EUR"
        if self.currency == "GBP":
            return "GBP"
        return "USD"


# code | name | currency | symbol | units of the currency per US dollar | language
_MARKET_TABLE = """
US | United States        | USD | $   | 1    | en-US
CA | Canada               | CAD | $   | 1.36 | en-CA
GB | United Kingdom       | GBP | £   | 0.79 | en-GB
FR | France               | EUR | €   | 0.92 | fr-FR
DE | Germany              | EUR | €   | 0.92 | de-DE
NL | Netherlands          | EUR | €   | 0.92 | nl-NL
ES | Spain                | EUR | €   | 0.92 | es-ES
IT | Italy                | EUR | €   | 0.92 | it-IT
IE | Ireland              | EUR | €   | 0.92 | en-IE
SE | Sweden               | SEK | kr  | 10.4 | sv-SE
CH | Switzerland          | CHF | CHF | 0.88 | de-CH
NO | Norway               | NOK | kr  | 10.6 | nb-NO
PL | Poland               | PLN | zł  | 4    | pl-PL
JP | Japan                | JPY | ¥   | 150  | ja-JP
AU | Australia            | AUD | $   | 1.52 | en-AU
NZ | New Zealand          | NZD | $   | 1.64 | en-NZ
IN | India                | INR | ₹   | 83   | en-IN
SG | Singapore            | SGD | $   | 1.34 | en-SG
KR | Korea                | KRW | ₩   | 1330 | ko-KR
MX | Mexico               | MXN | $   | 17   | es-MX
ZA | South Africa         | ZAR | R   | 18.5 | en-ZA
AE | United Arab Emirates | USD | $   | 1    | en-AE
# Markets where reservations are unavailable (the portal must refuse them):
BR | Brazil               | BRL | R$  | 5    | pt-BR
CN | China                | CNY | ¥   | 7.2  | zh-CN
RU | Russian Federation   | RUB | ₽   | 90   | ru-RU
GI | Gibraltar            | GBP | £   | 0.79 | en-GI
"""

# code | preferred Azure regions, nearest first | city | state ("-": none) | postal code | phone
_PLACE_TABLE = """
US | eastus westus2 centralus eastus2 southcentralus | Seattle          | WA   | 98101     | 2065550100
CA | canadacentral canadaeast eastus                 | Toronto          | ON   | M5H 2N2   | 4165550100
GB | uksouth ukwest northeurope                      | London           | -    | EC1A 1BB  | 2075550100
FR | francecentral westeurope northeurope            | Paris            | -    | 75008     | 0155550100
DE | germanywestcentral westeurope northeurope       | Berlin           | -    | 10115     | 3055550100
NL | westeurope northeurope                          | Amsterdam        | -    | 1012 AB   | 2055550100
ES | spaincentral westeurope                         | Madrid           | -    | 28001     | 9155550100
IT | italynorth westeurope                           | Milano           | -    | 20121     | 0255550100
IE | northeurope westeurope                          | Dublin           | -    | D02 X285  | 0155550100
SE | swedencentral northeurope                       | Stockholm        | -    | 111 22    | 0855550100
CH | switzerlandnorth westeurope                     | Zürich           | -    | 8001      | 4455550100
NO | norwayeast northeurope                          | Oslo             | -    | 0150      | 2255550100
PL | polandcentral westeurope                        | Warszawa         | -    | 00-001    | 2255550100
JP | japaneast japanwest                             | Tokyo            | -    | 100-0001  | 0355550100
AU | australiaeast australiasoutheast                | Sydney           | NSW  | 2000      | 0255550100
NZ | newzealandnorth australiaeast                   | Auckland         | -    | 1010      | 0955550100
IN | centralindia southindia westindia               | Mumbai           | MH   | 400001    | 2255550100
SG | southeastasia eastasia                          | Singapore        | -    | 018956    | 6555550100
KR | koreacentral koreasouth                         | Seoul            | -    | 04524     | 0255550100
MX | mexicocentral southcentralus                    | Ciudad de México | CDMX | 06600     | 5555550100
ZA | southafricanorth westeurope                     | Johannesburg     | GP   | 2001      | 1155550100
AE | uaenorth qatarcentral                           | Dubai            | -    | 00000     | 4555550100
# Markets where reservations are unavailable (the portal must refuse them):
BR | brazilsouth southcentralus                      | São Paulo        | SP   | 01310-100 | 1155550100
CN | eastasia southeastasia                          | Shanghai         | -    | 200000    | 2155550100
RU | northeurope westeurope                          | Moskva           | -    | 101000    | 4955550100
GI | uksouth westeurope                              | Gibraltar        | -    | GX11 1AA  | 2005550100
"""


def _rows(table: str) -> dict[str, list[str]]:
    rows = (line for line in table.strip().splitlines() if not line.startswith("#"))
    cells = ([cell.strip() for cell in row.split("|")] for row in rows)
    return {row[0]: row[1:] for row in cells}


def _parse_markets() -> dict[str, Market]:
    places = _rows(_PLACE_TABLE)
    markets = {}
    for code, (name, currency, symbol, per_usd, language) in _rows(_MARKET_TABLE).items():
        regions, city, state, postal, phone = places[code]
        markets[code] = Market(
            code,
            name,
            currency,
            symbol,
            float(per_usd),
            tuple(regions.split()),
            city,
            "" if state == "-" else state,
            postal,
            phone,
            language,
        )
    return markets


MARKETS: dict[str, Market] = _parse_markets()

CURRENCY_SYMBOLS = {m.currency: m.symbol for m in MARKETS.values()} | {"USD": "$", "EUR": "€", "GBP": "£"}
USD_RATES = {m.currency: m.per_usd for m in MARKETS.values()} | {"USD": 1.0}

# Azure regions reservations are sold for: (armRegionName, the display name Partner Center SKUs use).
REGIONS: tuple[tuple[str, str], ...] = (
    ("eastus", "US East"),
    ("westus2", "US West 2"),
    ("centralus", "US Central"),
    ("eastus2", "US East 2"),
    ("southcentralus", "US South Central"),
    ("westus", "US West"),
    ("westus3", "US West 3"),
    ("northcentralus", "US North Central"),
    ("canadacentral", "CA Central"),
    ("canadaeast", "CA East"),
    ("northeurope", "EU North"),
    ("westeurope", "EU West"),
    ("uksouth", "UK South"),
    ("ukwest", "UK West"),
    ("francecentral", "FR Central"),
    ("germanywestcentral", "DE West Central"),
    ("swedencentral", "SE Central"),
    ("switzerlandnorth", "CH North"),
    ("norwayeast", "NO East"),
    ("polandcentral", "PL Central"),
    ("italynorth", "IT North"),
    ("spaincentral", "ES Central"),
    ("japaneast", "JA East"),
    ("japanwest", "JA West"),
    ("koreacentral", "KR Central"),
    ("koreasouth", "KR South"),
    ("eastasia", "AP East"),
    ("southeastasia", "AP Southeast"),
    ("australiaeast", "AU East"),
    ("australiasoutheast", "AU Southeast"),
    ("centralindia", "IN Central"),
    ("southindia", "IN South"),
    ("westindia", "IN West"),
    ("uaenorth", "AE North"),
    ("qatarcentral", "QA Central"),
    ("southafricanorth", "ZA North"),
    ("brazilsouth", "BR South"),
    ("mexicocentral", "MX Central"),
    ("newzealandnorth", "NZ North"),
    ("israelcentral", "IL Central"),
)
REGION_INDEX = {name: i for i, (name, _) in enumerate(REGIONS)}


def region_order(country: str) -> list[int]:
    """Region indices for a market: its preferred regions first, then every other region."""
    market = MARKETS.get(country)
    preferred = [REGION_INDEX[r] for r in market.regions] if market else []
    return preferred + [i for i in range(len(REGIONS)) if i not in preferred]


def market(country: str) -> Market | None:
    return MARKETS.get(country.upper())


def generic_market(country: str) -> Market:
    """A valid ISO country that no seeded customer uses still gets a catalog (in US dollars)."""
    us = MARKETS["US"]
    return Market(country.upper(), country.upper(), "USD", "$", 1.0, us.regions, "", "", "", "", "en-US")
