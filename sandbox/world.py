"""The seeded partner: its tenant, app and staff, its customers, their subscriptions and Azure
subscriptions, and the reservation orders they placed before the sandbox started.

Everything here is derived from the seed (and, for dates, from the moment the state database was
created, so history stays put across restarts). Nothing is stored; per-customer data is built on first
use and kept in small caches.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from . import ids
from .catalog import AZURE_PLAN, AZURE_PLAN_SCOPE, TERMS, Catalog, SkuKey
from .markets import MARKETS, REGION_INDEX, REGIONS, Market
from .web import ApiError

PARTNER_NAME = "Contoso Partner Ltd"
PARTNER_DOMAIN = "contoso-partner.onmicrosoft.com"
FEATURED_COUNT = 14


@dataclass(frozen=True)
class PartnerUser:
    oid: str
    given_name: str
    surname: str
    email: str
    role: str | None  # the portal role granted through an app-role assignment on the demo app
    mfa: bool

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.surname}"


@dataclass(frozen=True)
class Customer:
    index: int
    id: str
    commerce_id: str
    name: str
    domain: str
    market: Market
    contact_first: str
    contact_last: str
    address_line: str

    @property
    def country(self) -> str:
        return self.market.code

    @property
    def email(self) -> str:
        return f"{self.contact_first.lower()}.{_slug(self.contact_last)}@{self.domain.split('.')[0]}.example"


@dataclass(frozen=True)
class AzureSubscription:
    id: str
    friendly_name: str


@dataclass(frozen=True)
class Subscription:
    id: str
    customer_id: str
    kind: str  # "azure_plan", "legacy" (MS-AZR-0145P) or "office"
    created: float
    status: str  # "active" or "suspended"
    seeded_registration: str  # NotRegistered, Registering or Registered
    azure_subscriptions: tuple[AzureSubscription, ...] = ()
    quantity: int = 1

    @property
    def registrable(self) -> bool:
        return self.kind in ("azure_plan", "legacy")

    @property
    def scope(self) -> str | None:
        """The reservationScope of the catalog this subscription buys from."""
        return AZURE_PLAN_SCOPE if self.kind == "azure_plan" else None


_USERS = (
    ("Adele", "Vance", "adelev", "Admin", True),
    ("Megan", "Bowen", "meganb", "Sales", True),
    ("Alex", "Wilber", "alexw", "Approver", True),
    ("Lee", "Gu", "leeg", "Support", False),
    ("Nestor", "Wilke", "nestorw", "Sales", True),
    ("Patti", "Fernandez", "pattif", None, True),  # signs in, but has no role on the portal app
)

_NAMES = (
    "Fabrikam Inc",
    "Northwind Traders",
    "Adventure Works Cycles",
    "Tailspin Toys",
    "Wide World Importers",
    "Litware Inc",
    "Woodgrove Bank",
    "Alpine Ski House",
    "Coho Winery",
    "Fourth Coffee",
    "Lucerne Publishing",
    "Relecloud",
    "Trey Research",
    "Margie's Travel",
    "Proseware",
    "Blue Yonder Airlines",
    "Humongous Insurance",
    "Wingtip Toys",
    "Southridge Video",
    "Graphic Design Institute",
    "City Power & Light",
    "Consolidated Messenger",
    "A. Datum Corporation",
    "First Up Consultants",
    "Munson's Pickles and Preserves",
    "Nod Publishers",
    "VanArsdel Ltd",
    "Bellows College",
    "Best For You Organics",
    "Olympia Éditions",
    "Boxwood Dental",
    "Lamna Healthcare",
    "Tasmanian Traders",
    "Woodgrove Pharmaceuticals",
    "Fabrikam Fiber",
    "Northwind Health",
)
_FIRST = (
    "Ana",
    "Luis",
    "Mia",
    "Noah",
    "Emma",
    "Liam",
    "Sofia",
    "Yuki",
    "Priya",
    "Lars",
    "Chloé",
    "Jonas",
    "Aisha",
    "Mateo",
    "Hana",
    "Oliver",
    "Elena",
    "Kenji",
    "Zoe",
    "Omar",
)
_LAST = (
    "Ruiz",
    "Schmidt",
    "Dubois",
    "Tanaka",
    "Patel",
    "Johansson",
    "Smith",
    "Rossi",
    "Kowalski",
    "Kim",
    "Nguyen",
    "Müller",
    "Garcia",
    "O'Brien",
    "Silva",
    "Haddad",
    "Novak",
    "Jensen",
    "Costa",
    "Brown",
)
_STREETS = (
    "1 Demo Way",
    "200 Market Street",
    "12 Harbour Road",
    "45 Station Avenue",
    "8 Rue de la Paix",
    "77 Hauptstraße",
    "3 Chome-1 Marunouchi",
    "90 King Street West",
)

# The first customers are written out so demos and tests can rely on them; the rest are generated.
# Subscriptions: kind:registration[:count-or-quantity][:suspended]
_FEATURED = (
    ("US", "plan:Registered:2 office:25"),
    ("US", "plan:NotRegistered:1"),
    ("GB", "plan:Registering:2 legacy:Registered"),
    ("FR", "plan:Registered:3 office:12"),
    ("DE", "legacy:NotRegistered"),
    ("JP", "plan:Registered:1"),
    ("CA", "plan:Registered:2 legacy:NotRegistered"),
    ("AU", "plan:NotRegistered:1 legacy:Registered"),
    ("BR", "plan:Registered:1"),
    ("CN", "plan:Registered:1"),
    ("RU", "legacy:Registered"),
    ("IN", "plan:Registering:1"),
    ("NL", "plan:Registered:1 legacy:Registered:0:suspended"),
    ("GI", "plan:NotRegistered:1"),
)
_COUNTRY_CYCLE = (
    "US",
    "GB",
    "FR",
    "DE",
    "US",
    "CA",
    "AU",
    "JP",
    "NL",
    "IN",
    "ES",
    "IT",
    "SE",
    "CH",
    "US",
    "IE",
    "NO",
    "PL",
    "NZ",
    "SG",
    "KR",
    "MX",
    "ZA",
    "AE",
    "BR",
    "CN",
    "RU",
    "GI",
    "DE",
    "FR",
)
_AZURE_NAMES = ("Microsoft Azure", "Production", "Development", "Test", "Shared services", "Data platform")
_VM_WEIGHTED_FAMILIES = (0, 0, 0, 1, 1, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10, 11)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower().encode("ascii", "ignore").decode())


def market_price(usd: float, currency_market: Market) -> float:
    """A price in the market's currency (no minor units for JPY and KRW)."""
    value = usd * currency_market.per_usd
    return float(round(value)) if currency_market.currency in ("JPY", "KRW") else round(value, 2)


class World:
    def __init__(self, seed: int, customer_count: int, anchor: float, catalog: Catalog) -> None:
        self.seed = seed
        self.anchor = anchor
        self.catalog = catalog
        self.tenant_id = ids.guid(seed, "partner-tenant")
        self.client_id = ids.guid(seed, "portal-app")
        self.service_principal_id = ids.guid(seed, "portal-app-sp")
        self.mpn_id = str(4000000 + ids.number(seed, "mpn") % 999999)
        self.users = [
            PartnerUser(ids.guid(seed, "user", alias), given, surname, f"{alias}@{PARTNER_DOMAIN}", role, mfa)
            for given, surname, alias, role, mfa in _USERS
        ]
        self.customers = [self._make_customer(i) for i in range(max(0, customer_count))]
        self._by_id = {c.id: c for c in self.customers}
        self._lock = threading.Lock()
        self._subscriptions: dict[str, list[Subscription]] = {}
        self._history: dict[str, list[dict[str, Any]]] = {}
        self._all_history: list[dict[str, Any]] | None = None

    # --- users --------------------------------------------------------------------------------------
    def user(self, key: str) -> PartnerUser | None:
        key = key.lower()
        return next((u for u in self.users if key in (u.oid, u.email.lower())), None)

    # --- customers ----------------------------------------------------------------------------------
    def _make_customer(self, i: int) -> Customer:
        if i < len(_FEATURED):
            country, name = _FEATURED[i][0], _NAMES[i]
        else:
            country = _COUNTRY_CYCLE[ids.number(self.seed, "country", i) % len(_COUNTRY_CYCLE)]
            base = _NAMES[i % len(_NAMES)]
            round_ = i // len(_NAMES)
            name = f"{base} {MARKETS[country].name}" + (f" {round_ + 1}" if round_ else "")
        domain = f"{_slug(name)[:24]}{'' if i < len(_FEATURED) else i}.onmicrosoft.com"
        pick = ids.number(self.seed, "contact", i)
        return Customer(
            index=i,
            id=ids.guid(self.seed, "customer", i),
            commerce_id=ids.guid(self.seed, "commerce", i),
            name=name,
            domain=domain,
            market=MARKETS[country],
            contact_first=_FIRST[pick % len(_FIRST)],
            contact_last=_LAST[(pick // 7) % len(_LAST)],
            address_line=_STREETS[pick % len(_STREETS)],
        )

    def customer(self, customer_id: str) -> Customer | None:
        return self._by_id.get(customer_id.lower())

    def customer_or_404(self, customer_id: str) -> Customer:
        if not ids.is_guid(customer_id):
            raise ApiError(400, "800002", f"The customer id '{customer_id}' is not a valid GUID.")
        found = self.customer(customer_id)
        if found is None:
            raise ApiError(404, "900118", f"Customer {customer_id} was not found for this partner.")
        return found

    # --- subscriptions ------------------------------------------------------------------------------
    def _spec(self, customer: Customer) -> list[str]:
        if customer.index < len(_FEATURED):
            return _FEATURED[customer.index][1].split()
        h = ids.number(self.seed, "mix", customer.id)
        states = ("NotRegistered", "NotRegistered", "Registering", "Registered", "Registered")
        spec = []
        if h % 10 < 8:
            spec.append(f"plan:{states[(h >> 8) % 5]}:{1 + (h >> 16) % 3}")
        if h % 10 >= 6:
            spec.append(f"legacy:{states[(h >> 24) % 5]}")
        if (h >> 32) % 3 == 0:
            spec.append(f"office:{5 + (h >> 40) % 60}")
        return spec

    def subscriptions(self, customer: Customer) -> list[Subscription]:
        cached = self._subscriptions.get(customer.id)
        if cached is not None:
            return cached
        made = []
        for n, entry in enumerate(self._spec(customer)):
            kind, *rest = entry.split(":")
            sid = ids.guid(self.seed, "subscription", customer.id, n)
            created = self.anchor - 86400 * (30 + ids.number(self.seed, "since", sid) % 700)
            status = "suspended" if "suspended" in rest else "active"
            if kind == "office":
                made.append(
                    Subscription(
                        sid, customer.id, "office", created, status, "NotRegistered", quantity=int(rest[0])
                    )
                )
                continue
            if kind == "legacy":
                # A legacy CSP Azure subscription is itself the Azure subscription: same GUID.
                azure: tuple[AzureSubscription, ...] = (AzureSubscription(sid, _AZURE_NAMES[0]),)
                kind = "legacy"
            else:
                kind = "azure_plan"
                count = int(rest[1]) if len(rest) > 1 else 1
                azure = tuple(
                    AzureSubscription(ids.guid(self.seed, "azure-subscription", sid, k), _AZURE_NAMES[k])
                    for k in range(count)
                )
            made.append(Subscription(sid, customer.id, kind, created, status, rest[0], azure))
        with self._lock:
            self._subscriptions[customer.id] = made
        return made

    def subscription(self, customer: Customer, subscription_id: str) -> Subscription | None:
        wanted = subscription_id.lower()
        return next((s for s in self.subscriptions(customer) if s.id == wanted), None)

    def find_azure_target(
        self, customer: Customer, any_id: str
    ) -> tuple[Subscription, AzureSubscription | None] | None:
        """Resolve a subscription id given for a reservation: the Partner Center subscription (Azure plan
        or MS-AZR-0145P, as in the documented samples) or one Azure subscription under an Azure plan."""
        wanted = any_id.lower()
        for sub in self.subscriptions(customer):
            if not sub.registrable:
                continue
            if sub.id == wanted:
                return sub, (sub.azure_subscriptions[0] if sub.azure_subscriptions else None)
            for azure in sub.azure_subscriptions:
                if azure.id == wanted:
                    return sub, azure
        return None

    # --- reservation orders placed before the sandbox started -----------------------------------------
    def historic_orders(self, customer: Customer) -> list[dict[str, Any]]:
        cached = self._history.get(customer.id)
        if cached is not None:
            return cached
        orders: list[dict[str, Any]] = []
        eligible = [
            s
            for s in self.subscriptions(customer)
            if s.registrable and s.status == "active" and s.seeded_registration == "Registered"
        ]
        if customer.market.reservations_available and eligible:
            count = 2 if customer.index == 0 else ids.number(self.seed, "orders", customer.id) % 4
            orders = [self._historic_order(customer, eligible, k) for k in range(count)]
        with self._lock:
            self._history[customer.id] = orders
        return orders

    def _historic_order(self, customer: Customer, eligible: list[Subscription], k: int) -> dict[str, Any]:
        h = ids.number(self.seed, "historic", customer.id, k)
        sub = eligible[h % len(eligible)]
        family_index = _VM_WEIGHTED_FAMILIES[(h >> 4) % len(_VM_WEIGHTED_FAMILIES)]
        family = self.catalog.families[family_index]
        preferred = [REGION_INDEX[r] for r in customer.market.regions]
        region = preferred[(h >> 12) % len(preferred)] if family.regional else 0
        key = SkuKey(family_index, (h >> 8) % len(family.sizes), region, (h >> 16) % 2)
        months_back = 1 + (h >> 20) % 6
        created = (
            ids.month_start(self.anchor, -months_back) + 86400 * (1 + (h >> 24) % 24) + (h >> 32) % 80000
        )
        order_id = ids.hex_id(12, self.seed, "historic-order", customer.id, k)
        availability = self.catalog.availability_id(
            customer.country, sub.scope, key, -(months_back * 100 + k)
        )
        return build_order_record(
            self,
            customer,
            order_id,
            None,
            created,
            created + 30,
            created + 900,
            [(key, availability, 1 + (h >> 40) % 4, sub.id, "Shared", None)],
        )

    def all_historic_orders(self) -> list[dict[str, Any]]:
        if self._all_history is None:
            everything = [o for c in self.customers for o in self.historic_orders(c)]
            everything.sort(key=lambda o: o["createdAt"])
            self._all_history = everything
        return self._all_history


def build_order_record(
    world: World,
    customer: Customer,
    order_id: str,
    cart_id: str | None,
    created: float,
    completes: float,
    listed: float,
    lines: list[tuple[SkuKey, str, int, str, str, str | None]],
) -> dict[str, Any]:
    """The stored form of an order (API checkouts and seeded history share it).

    Each line is (sku, availability id, quantity, provisioning subscription id, scope, friendly name).
    Ids of what the order will create (the reservation, its subscription, its entitlement artifact) are
    derived from the order id up front, so they are the same whenever they are shown.
    """
    catalog = world.catalog
    out_lines = []
    for number, (key, availability, quantity, subscription_id, scope, friendly) in enumerate(lines):
        family = catalog.families[key.family]
        size = family.sizes[key.size]
        pid, sid = catalog.product_ids[key.family], catalog.sku_id(key)
        duration, years_word, label, years = TERMS[key.term]
        region = REGIONS[key.region][0] if family.regional else "global"
        title, _ = catalog.sku_title(key)
        out_lines.append(
            {
                "lineItemNumber": number,
                "catalogItemId": f"{pid}:{sid}:{availability}",
                "productId": pid,
                "skuId": sid,
                "availabilityId": availability,
                "sku": [key.family, key.size, key.region, key.term],
                "productTitle": family.title,
                "skuTitle": title,
                "reservationType": family.reservation_type,
                "armSkuName": size.arm_sku_name,
                "armRegionName": region,
                "cores": size.cores,
                "friendlyName": friendly or f"RI {size.display_name} {region} {label}",
                "quantity": quantity,
                "termDuration": duration,
                "termYears": years,
                "provisioningContext": {
                    "subscriptionId": subscription_id,
                    "scope": scope,
                    "duration": years_word,
                },
                "unitPriceUsd": catalog.unit_price_usd(key),
                "unitPrice": market_price(catalog.unit_price_usd(key), customer.market),
                "subscriptionId": ids.guid(world.seed, order_id, number, "subscription"),
                "reservationOrderId": ids.guid(world.seed, order_id, number, "reservation-order"),
                "reservationId": ids.guid(world.seed, order_id, number, "reservation"),
                "artifactGroupId": ids.hex_id(32, world.seed, order_id, "artifact-group"),
                "artifactLineItemId": ids.guid(world.seed, order_id, number, "artifact-line"),
            }
        )
    return {
        "id": order_id,
        "customerId": customer.id,
        "cartId": cart_id,
        "country": customer.country,
        "currencyCode": customer.market.currency,
        "currencySymbol": customer.market.symbol,
        "createdAt": created,
        "completesAt": completes,
        "listedAt": listed,
        "lines": out_lines,
    }


def azure_plan_offer_id() -> str:
    return f"{AZURE_PLAN['product']}:{AZURE_PLAN['sku']}:{AZURE_PLAN['availability']}"
