"""Where Azure reservations can be bought. The list of unavailable markets is data
(portal/data/unavailable_markets.csv), replaceable by configuration (PORTAL_UNAVAILABLE_MARKETS)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django_countries import countries

DATA_FILE = Path(__file__).resolve().parent / "data" / "unavailable_markets.csv"


@cache
def _published() -> frozenset[str]:
    with DATA_FILE.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return frozenset(row["iso"].strip().upper() for row in rows)


def unavailable_markets() -> frozenset[str]:
    """ISO codes of the markets where reservations cannot be bought: the configured list if any."""
    configured = settings.UNAVAILABLE_MARKETS
    return frozenset(code.upper() for code in configured) if configured else _published()


def market_name(country: str) -> str:
    """The country's name in the current language, or its code when unknown (Kosovo's XK included)."""
    code = country.upper()
    if code == "XK":
        return _("Kosovo")
    return str(countries.name(code)) or code


class Availability(StrEnum):
    AVAILABLE = "available"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"  # the customer's country has not been read from Partner Center yet


@dataclass(frozen=True)
class Verdict:
    availability: Availability
    country: str
    market: str

    @property
    def can_buy(self) -> bool:
        return self.availability is Availability.AVAILABLE

    @property
    def explanation(self) -> str:
        if self.availability is Availability.BLOCKED:
            return _("Azure reservations cannot be bought in %(market)s, the customer's market.") % {
                "market": self.market
            }
        if self.availability is Availability.UNKNOWN:
            return _("The customer's country is not known yet: refresh the customer from Partner Center.")
        return _("Azure reservations can be bought in %(market)s.") % {"market": self.market}


def verdict(country: str) -> Verdict:
    code = (country or "").strip().upper()
    if not code:
        return Verdict(Availability.UNKNOWN, "", "")
    blocked = code in unavailable_markets()
    return Verdict(Availability.BLOCKED if blocked else Availability.AVAILABLE, code, market_name(code))


class MarketBlocked(Exception):
    """Refused on the server: the customer's market cannot buy reservations (or is not known yet)."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.explanation)
        self.verdict = verdict

    @property
    def user_message(self) -> str:
        return self.verdict.explanation


def ensure_can_buy(customer: Any) -> Verdict:
    """Every step towards a purchase (registration, catalog, cart, checkout) calls this first."""
    result = verdict(customer.country)
    if not result.can_buy:
        raise MarketBlocked(result)
    return result
