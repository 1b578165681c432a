"""The Partner Center client against the sandbox, endpoint by endpoint (reference §6.1 to §6.28).

Each test does what the portal does with an endpoint and checks what a member of staff would notice if it
broke: the ids, counts, statuses and amounts that end up on a page. Data is discovered through the API as
the portal discovers it; only the seeded customers that sandbox/README.md documents are looked up by name.
Business time (registrations, orders, listing delay) follows the sandbox clock, which the tests move
forward instead of sleeping, except for the 2-second registration, which is polled as the portal polls it.

The helpers for signing a partner user in (the real authorization-code flow) and for finding something to
buy are also used by test_partner_center_resilience.py.
"""

from __future__ import annotations

import calendar
import dataclasses
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests

from partnercenter import (
    APP_USER_ONLY,
    AppUserRequired,
    Artifact,
    Availability,
    BadRequest,
    BillingCycle,
    BillingProvider,
    Cart,
    CartCheckoutResult,
    CartErrorCode,
    CartLineItem,
    CartStatus,
    Customer,
    DelegatedAccessRefused,
    DelegatedToken,
    DocumentType,
    EntitlementType,
    InventoryTarget,
    InvoiceLineItemType,
    InvoiceType,
    NotFound,
    OneTimeInvoiceLineItem,
    OrderStatus,
    PartnerCenterError,
    Product,
    ProvisioningStatus,
    RegistrationState,
    SignInResult,
    Sku,
    Subscription,
    SubscriptionStatus,
    TargetView,
    Transport,
    auth,
    carts,
    catalog,
    customers,
    entitlements,
    errors,
    invoices,
    orders,
    subscriptions,
)
from partnercenter.models import DailyUsageLineItem, LicenseBasedLineItem, UsageBasedLineItem
from tests.sandbox_process import Sandbox

pytestmark = [pytest.mark.integration]

PARTNER_DOMAIN = "contoso-partner.onmicrosoft.com"
MFA_USER = f"meganb@{PARTNER_DOMAIN}"  # Sales, signs in with MFA
NO_MFA_USER = f"leeg@{PARTNER_DOMAIN}"  # Support, signs in without MFA
# Entra ID (and the sandbox) accept any port on a loopback redirect URI. Nothing listens here: the sandbox's
# answer is read from its redirect, as a browser would be sent there.
REDIRECT_URI = "http://127.0.0.1:8765/microsoft/callback"

# Seeded customers that sandbox/README.md documents (the first 14 are fixed in sandbox/world.py).
FABRIKAM = "Fabrikam Inc"  # US, Azure plan Registered with 2 Azure subscriptions, Microsoft 365
NORTHWIND = "Northwind Traders"  # US, Azure plan NotRegistered
ADVENTURE_WORKS = "Adventure Works Cycles"  # GB, Azure plan Registering + MS-AZR-0145P Registered
WIDE_WORLD = "Wide World Importers"  # DE, MS-AZR-0145P only
COHO_WINERY = "Coho Winery"  # BR: a market where reservations cannot be bought

AZURE_PLAN_OFFER_NAME = "Azure plan"  # §6.3 sample
LEGACY_AZURE_OFFER_ID = "MS-AZR-0145P"


# --- signing a partner user in: the real authorization-code flow --------------------------------------------


def authorization_code_sign_in(sandbox: Sandbox, email: str) -> SignInResult:
    """Sign `email` in with the client's own helpers, as the portal does, playing the browser's part.

    The sandbox's non-interactive shortcut (login_hint + prompt=none instead of the account picker) answers
    the authorize request with a redirect to REDIRECT_URI carrying the code and state in its query.
    """
    cache = auth.load_token_cache()
    flow = auth.start_sign_in(sandbox.config, REDIRECT_URI, cache)
    parts = urlsplit(flow["auth_uri"])
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    query.update(login_hint=email, prompt="none")
    answer = requests.get(
        urlunsplit(parts._replace(query=urlencode(query))),
        verify=sandbox.ca_bundle,  # per request: REQUESTS_CA_BUNDLE would override a session's verify
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text
    callback = urlsplit(answer.headers["Location"])
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == REDIRECT_URI
    auth_response = {key: values[-1] for key, values in parse_qs(callback.query).items()}
    return auth.finish_sign_in(sandbox.config, flow, auth_response, cache)


@pytest.fixture(scope="module")
def sign_in_as(sandbox: Sandbox) -> Callable[[str], SignInResult]:
    """Signs a demo partner user in (once per module: tokens follow real time and last an hour)."""
    signed_in: dict[str, SignInResult] = {}

    def sign_in(email: str) -> SignInResult:
        if email not in signed_in:
            signed_in[email] = authorization_code_sign_in(sandbox, email)
        return signed_in[email]

    return sign_in


@pytest.fixture(scope="module")
def mfa_user(sign_in_as: Callable[[str], SignInResult]) -> DelegatedToken:
    """Megan Bowen's App+User token: she signed in with MFA, so Partner Center accepts it."""
    result = sign_in_as(MFA_USER)
    assert result.mfa and result.username == MFA_USER
    return result.token


@pytest.fixture(scope="module")
def no_mfa_user(sign_in_as: Callable[[str], SignInResult]) -> DelegatedToken:
    """Lee Gu's App+User token: no MFA, which Partner Center refuses on every App+User call."""
    result = sign_in_as(NO_MFA_USER)
    assert not result.mfa and result.username == NO_MFA_USER
    return result.token


@pytest.fixture
def pc(partner_center: Sandbox) -> Iterator[Transport]:
    """An app-only transport to the sandbox, which partner_center has just reset to its seed."""
    with Transport.from_config(partner_center.config) as transport:
        yield transport


# --- finding things the way the portal finds them -----------------------------------------------------------


def seeded_customer(pc: Transport, name: str) -> Customer:
    """A customer README.md documents, found with the company-name filter, read by id (for its country)."""
    found = [c for c in customers.list_customers(pc, name_starts_with=name) if c.company_name == name]
    assert len(found) == 1, f"expected one customer named {name!r}, found {len(found)}"
    return customers.get_customer(pc, found[0].id)


def is_azure_plan(subscription: Subscription) -> bool:
    return subscription.offer_name == AZURE_PLAN_OFFER_NAME


def is_legacy_azure(subscription: Subscription) -> bool:
    return subscription.offer_id == LEGACY_AZURE_OFFER_ID


def azure_plan_of(pc: Transport, customer_id: str) -> Subscription:
    plans = [s for s in subscriptions.list_subscriptions(pc, customer_id) if is_azure_plan(s)]
    assert len(plans) == 1, f"expected one Azure plan, found {len(plans)}"
    return plans[0]


@dataclass(frozen=True)
class Offer:
    """A reservation a customer's Azure plan can be given: what the portal gathers before building a cart."""

    customer: Customer
    plan: Subscription
    product: Product
    sku: Sku
    availability: Availability

    @property
    def country(self) -> str:
        assert self.customer.country
        return self.customer.country

    def line(
        self,
        quantity: int = 1,
        *,
        line_id: int = 0,
        subscription_id: str | None = None,
        scope: str = "shared",
        billing_cycle: BillingCycle | str = BillingCycle.ONE_TIME,
    ) -> CartLineItem:
        return CartLineItem(
            id=line_id,
            catalog_item_id=self.availability.catalog_item_id,
            friendly_name=f"RI {self.sku.id} test",
            quantity=quantity,
            billing_cycle=billing_cycle,
            term_duration=self.availability.terms[0].duration,
            provisioning_context={
                "subscriptionId": subscription_id or str(self.plan.id),
                "scope": scope,
                "duration": str(self.sku.attribute("duration")),
            },
        )


def find_offer(pc: Transport, customer: Customer, *, restricted: bool = False) -> Offer:
    """A one-year VM reservation (a SKU with the InventoryCheck prerequisite) for the customer's Azure plan,
    which the inventory check says is restricted or not, as asked (§6.6, §6.8, §6.10, §6.11)."""
    assert customer.id and customer.country
    plan = azure_plan_of(pc, customer.id)
    country = customer.country
    products = catalog.list_products(
        pc,
        country=country,
        target_view=TargetView.AZURE_RESERVATIONS_VM,
        reservation_scope=catalog.AZURE_PLAN,
    )
    for product in products:
        assert product.id
        skus = [
            sku
            for sku in catalog.list_skus(
                pc, product.id, country=country, reservation_scope=catalog.AZURE_PLAN
            )
            if sku.requires_inventory_check and sku.attribute("duration") == "1Year"
        ]
        if not skus:
            continue
        checked = catalog.check_inventory(
            pc,
            country=country,
            targets=[InventoryTarget(product.id)],
            customer_id=customer.id,
            azure_subscription_id=plan.id,
        )
        refused = {item.sku_id for item in checked if item.is_restricted}
        sku = next((s for s in skus if (s.id in refused) == restricted), None)
        if sku is None:
            continue
        assert sku.id
        availability = next(
            catalog.list_availabilities(
                pc, product.id, sku.id, country=country, reservation_scope=catalog.AZURE_PLAN
            )
        )
        return Offer(customer, plan, product, sku, availability)
    pytest.fail(
        f"no {'restricted' if restricted else 'unrestricted'} VM reservation for {customer.company_name}"
    )


def buy(pc: Transport, offer: Offer, quantity: int = 1) -> tuple[Cart, CartCheckoutResult]:
    assert offer.customer.id
    cart = carts.create_cart(pc, offer.customer.id, [offer.line(quantity)])
    assert not cart.line_errors and cart.id
    return cart, carts.checkout_cart(pc, offer.customer.id, cart.id)


def setting(sandbox: Sandbox, name: str) -> float:
    return float(sandbox.admin("GET", "settings")[name])


def complete_orders(sandbox: Sandbox) -> None:
    """Move the sandbox clock past the order completion delay (orders are `pending` until then)."""
    sandbox.advance_clock(setting(sandbox, "order_completion_delay") + 1)


def hits(sandbox: Sandbox, route: str) -> int:
    """How many requests the sandbox received for a route template, e.g. 'GET /v1/customers'."""
    return int(sandbox.stats()["requests"].get(route, 0))


def next_leap_day_noon(after: datetime) -> datetime:
    year = after.year
    while not (calendar.isleap(year) and datetime(year, 2, 29, 12, tzinfo=UTC) > after):
        year += 1
    return datetime(year, 2, 29, 12, tzinfo=UTC)


def catch(call: Callable[[], Any]) -> PartnerCenterError:
    with pytest.raises(PartnerCenterError) as caught:
        call()
    return caught.value


# --- §6.1, §6.2 customers -----------------------------------------------------------------------------------


def test_it_pages_through_every_customer_with_unique_ids(pc, partner_center):
    seeded = partner_center.admin("GET", "info")["customers"]
    pages = list(customers.list_customer_pages(pc, size=7))

    ids = [customer.id for page in pages for customer in page.items]
    assert len(ids) == seeded
    assert len(set(ids)) == seeded
    assert all(uuid.UUID(str(customer_id)) for customer_id in ids)
    assert len(pages) == -(-seeded // 7)
    assert [len(page.items) for page in pages[:-1]] == [7] * (len(pages) - 1)
    # Every page but the last says where the listing resumes; the last one says it is the end.
    assert all(page.continuation_token for page in pages[:-1])
    assert pages[-1].continuation_token is None
    # The list carries names and domains; addresses only come with the customer by id.
    assert all(customer.company_name and customer.domain for page in pages for customer in page.items)
    assert hits(partner_center, "GET /v1/customers") == len(pages)


def test_it_resumes_a_customer_listing_from_a_page_continuation_token(pc):
    everyone = [c.id for c in customers.list_customers(pc, size=100)]
    first, second = islice(customers.list_customer_pages(pc, size=7), 2)
    assert second.continuation_token and second.continuation_token != first.continuation_token

    resumed = customers.list_customer_pages(pc, size=7, continuation_token=second.continuation_token)

    assert [c.id for page in resumed for c in page.items] == everyone[14:]


def test_it_filters_customers_by_company_name_and_domain(pc):
    everyone = list(customers.list_customers(pc, size=100))
    fabrikams = [c.id for c in everyone if str(c.company_name).lower().startswith("fabrikam")]
    assert len(fabrikams) >= 2

    by_name = list(customers.list_customer_pages(pc, size=1, name_starts_with="fabrikam"))
    by_domain = list(customers.list_customers(pc, domain_starts_with="northwindtraders"))

    # A filtered listing pages like the full one (one customer a page here) and keeps the filter.
    assert [c.id for page in by_name for c in page.items] == fabrikams
    assert len(by_name) == len(fabrikams)
    assert [c.company_name for c in by_domain] == [
        c.company_name for c in everyone if str(c.domain).startswith("northwindtraders")
    ]
    assert NORTHWIND in [c.company_name for c in by_domain]


def test_it_reads_a_customer_by_id_with_its_country(pc):
    listed = next(
        c for c in customers.list_customers(pc, name_starts_with=FABRIKAM) if c.company_name == FABRIKAM
    )
    assert listed.country is None  # the list call has no addresses

    fabrikam = customers.get_customer(pc, str(listed.id))
    coho = seeded_customer(pc, COHO_WINERY)

    assert (fabrikam.id, fabrikam.company_name, fabrikam.domain) == (listed.id, FABRIKAM, listed.domain)
    assert fabrikam.country == "US"
    assert coho.country == "BR"
    assert fabrikam.meta is not None and fabrikam.meta.status == 200


# --- §6.3, §6.3a subscriptions ------------------------------------------------------------------------------


def test_it_tells_azure_plans_from_legacy_azure_subscriptions(pc):
    def kinds(name: str) -> Counter[str]:
        customer = seeded_customer(pc, name)
        found = subscriptions.list_subscriptions(pc, str(customer.id))
        return Counter(
            "azure plan" if is_azure_plan(s) else "legacy" if is_legacy_azure(s) else str(s.billing_type)
            for s in found
        )

    fabrikam, adventure_works, wide_world = kinds(FABRIKAM), kinds(ADVENTURE_WORKS), kinds(WIDE_WORLD)

    assert (fabrikam["azure plan"], fabrikam["legacy"], fabrikam["license"]) == (1, 0, 1)
    assert (adventure_works["azure plan"], adventure_works["legacy"]) == (1, 1)
    assert (wide_world["azure plan"], wide_world["legacy"]) == (0, 1)


def test_it_lists_the_azure_subscriptions_under_an_azure_plan(pc):
    fabrikam = seeded_customer(pc, FABRIKAM)
    plan = azure_plan_of(pc, str(fabrikam.id))

    found = list(subscriptions.list_azure_entitlements(pc, str(fabrikam.id), str(plan.id)))

    assert len(found) == 2  # README: Fabrikam's plan has 2 Azure subscriptions
    assert {a.subscription_id for a in found} == {plan.id}
    assert len({a.id for a in found}) == 2 and plan.id not in {a.id for a in found}
    assert all(uuid.UUID(str(a.id)) for a in found)
    assert {a.status for a in found} == {SubscriptionStatus.ACTIVE}


# --- §6.4, §6.5 registration --------------------------------------------------------------------------------


def test_it_reads_the_seeded_registration_states(pc):
    fabrikam, northwind = seeded_customer(pc, FABRIKAM), seeded_customer(pc, NORTHWIND)
    wide_world = seeded_customer(pc, WIDE_WORLD)
    legacy = next(s for s in subscriptions.list_subscriptions(pc, str(wide_world.id)) if is_legacy_azure(s))

    def state(customer: Customer, subscription: Subscription) -> RegistrationState | None:
        return subscriptions.get_registration_status(pc, str(customer.id), str(subscription.id)).status

    assert state(fabrikam, azure_plan_of(pc, str(fabrikam.id))) == RegistrationState.REGISTERED
    assert state(northwind, azure_plan_of(pc, str(northwind.id))) == RegistrationState.NOT_REGISTERED
    assert state(wide_world, legacy) == RegistrationState.NOT_REGISTERED


def test_a_registration_goes_from_registering_to_registered(pc):
    northwind = seeded_customer(pc, NORTHWIND)
    customer_id = str(northwind.id)
    plan = azure_plan_of(pc, customer_id)
    plan_id = str(plan.id)

    submitted = subscriptions.register_subscription(pc, customer_id, plan_id)
    started = time.monotonic()

    assert submitted.meta is not None and submitted.meta.status == 202
    assert submitted.status_location == f"/customers/{customer_id}/subscriptions/{plan_id}/registrationstatus"
    assert (
        subscriptions.get_registration_status(pc, customer_id, plan_id).status
        == RegistrationState.REGISTERING
    )
    # The sandbox registers in 2 s (--registration-delay 2): poll it gently, as the portal does.
    seen = []
    while time.monotonic() - started < 10:
        status = subscriptions.get_registration_status(pc, customer_id, plan_id)
        seen.append(status.status)
        if status.is_registered:
            break
        time.sleep(0.25)
    assert seen[-1] == RegistrationState.REGISTERED, seen
    assert RegistrationState.REGISTERING in seen
    assert time.monotonic() - started >= 1.5
    # The Location the service answered with leads to the same status.
    followed = pc.request(subscriptions.GET_REGISTRATION_STATUS, submitted.status_location)
    assert (followed.data["subscriptionId"], followed.data["status"]) == (plan_id, "Registered")
    # Asking again for a registered subscription changes nothing.
    assert subscriptions.register_subscription(pc, customer_id, plan_id).meta.status == 202
    assert subscriptions.get_registration_status(pc, customer_id, plan_id).is_registered


# --- §6.6 to §6.12 catalog ----------------------------------------------------------------------------------


def test_azure_plans_and_legacy_subscriptions_get_different_availabilities_of_the_same_skus(pc):
    country = str(seeded_customer(pc, FABRIKAM).country)
    view = TargetView.AZURE_RESERVATIONS_VM

    legacy_products = list(catalog.list_products(pc, country=country, target_view=view))
    plan_products = list(
        catalog.list_products(pc, country=country, target_view=view, reservation_scope=catalog.AZURE_PLAN)
    )
    assert legacy_products and [p.id for p in plan_products] == [p.id for p in legacy_products]
    assert all("Virtual Machines" in str(p.title) for p in plan_products)
    product_id = str(plan_products[0].id)
    legacy_skus = list(catalog.list_skus(pc, product_id, country=country))
    plan_skus = list(catalog.list_skus(pc, product_id, country=country, reservation_scope=catalog.AZURE_PLAN))
    assert len(plan_skus) > 1 and [s.id for s in plan_skus] == [s.id for s in legacy_skus]
    sku = plan_skus[0]
    assert sku.product_id == product_id and sku.requires_registration and sku.requires_inventory_check
    assert sku.supported_billing_cycles == (BillingCycle.ONE_TIME,)

    legacy = list(catalog.list_availabilities(pc, product_id, str(sku.id), country=country))
    plan = list(
        catalog.list_availabilities(
            pc, product_id, str(sku.id), country=country, reservation_scope=catalog.AZURE_PLAN
        )
    )

    assert len(legacy) == 1 and len(plan) == 1
    assert legacy[0].id != plan[0].id
    for availability in (legacy[0], plan[0]):
        assert availability.catalog_item_id == f"{product_id}:{sku.id}:{availability.id}"
        assert (availability.product_id, availability.sku_id, availability.country) == (
            product_id,
            sku.id,
            country,
        )
        assert availability.default_currency is not None and availability.default_currency.code == "USD"
        assert availability.is_purchasable is True
        assert [t.duration for t in availability.terms] == [
            "P1Y" if sku.attribute("duration") == "1Year" else "P3Y"
        ]


def test_it_reads_a_product_a_sku_and_an_availability_by_id(pc):
    offer = find_offer(pc, seeded_customer(pc, FABRIKAM))
    product_id, sku_id, country = str(offer.product.id), str(offer.sku.id), offer.country

    product = catalog.get_product(pc, product_id, country=country, reservation_scope=catalog.AZURE_PLAN)
    sku = catalog.get_sku(pc, product_id, sku_id, country=country, reservation_scope=catalog.AZURE_PLAN)
    availability = catalog.get_availability(
        pc,
        product_id,
        sku_id,
        str(offer.availability.id),
        country=country,
        reservation_scope=catalog.AZURE_PLAN,
    )

    assert (product.id, product.title) == (offer.product.id, offer.product.title)
    assert (sku.id, sku.title, sku.purchase_prerequisites) == (
        sku_id,
        offer.sku.title,
        offer.sku.purchase_prerequisites,
    )
    assert sku.attribute("armRegionName") == offer.sku.attribute("armRegionName")
    assert availability.catalog_item_id == offer.availability.catalog_item_id
    # An Azure-plan availability is not one of the legacy set: without the scope it is unknown.
    error = catch(
        lambda: catalog.get_availability(pc, product_id, sku_id, str(offer.availability.id), country=country)
    )
    assert isinstance(error, NotFound) and error.code == errors.AVAILABILITY_NOT_FOUND


def test_the_inventory_check_tells_restricted_skus_from_available_ones(pc):
    fabrikam = seeded_customer(pc, FABRIKAM)
    offer = find_offer(pc, fabrikam)  # a product whose SKUs need an inventory check
    country, product_id = offer.country, str(offer.product.id)
    skus = {
        s.id: s
        for s in catalog.list_skus(pc, product_id, country=country, reservation_scope=catalog.AZURE_PLAN)
    }

    checked = catalog.check_inventory(
        pc,
        country=country,
        targets=[InventoryTarget(product_id)],
        customer_id=str(fabrikam.id),
        azure_subscription_id=offer.plan.id,
    )

    assert {item.sku_id for item in checked} == set(skus)  # the whole product: every SKU of the market
    restricted = [item for item in checked if item.is_restricted]
    available = [item for item in checked if not item.is_restricted]
    assert restricted and available
    for item in restricted:
        [restriction] = item.restrictions
        assert restriction.reason_code == "NotAvailableForSubscription"
        assert restriction.properties == {
            "type": "Location",
            "values": skus[item.sku_id].attribute("armRegionName"),
        }
    assert all(item.restrictions == () for item in available)

    # One SKU at a time, in its region (armRegionName must be the SKU's): the same verdicts.
    for item in (restricted[0], available[0]):
        [again] = catalog.check_inventory(
            pc,
            country=country,
            targets=[InventoryTarget(product_id, item.sku_id)],
            customer_id=str(fabrikam.id),
            azure_subscription_id=offer.plan.id,
            arm_region_name=skus[item.sku_id].attribute("armRegionName"),
        )
        assert (again.sku_id, again.is_restricted) == (item.sku_id, item.is_restricted)


def test_a_sku_the_inventory_check_restricts_fails_at_checkout_while_the_rest_is_ordered(pc, partner_center):
    fabrikam = seeded_customer(pc, FABRIKAM)
    available, restricted = find_offer(pc, fabrikam), find_offer(pc, fabrikam, restricted=True)
    lines = [restricted.line(line_id=0), available.line(line_id=1)]

    cart = carts.create_cart(pc, str(fabrikam.id), lines)
    result = carts.checkout_cart(pc, str(fabrikam.id), str(cart.id))

    groups = {line.catalog_item_id: line.order_group for line in cart.line_items}
    assert len(set(groups.values())) == 2  # each reservation line is its own order group
    [order] = result.orders
    assert [line.offer_id for line in order.line_items] == [available.availability.catalog_item_id]
    [refused] = result.order_errors
    assert refused.order_group_id == groups[restricted.availability.catalog_item_id]
    assert refused.code == errors.INVENTORY_NOT_AVAILABLE
    assert partner_center.stats()["checkouts"][cart.id] == {"calls": 1, "orders": 1}


# --- §6.13 to §6.16 carts -----------------------------------------------------------------------------------


def test_it_creates_a_cart_with_one_order_group_per_line_expiring_seven_days_later(pc, partner_center):
    offer = find_offer(pc, seeded_customer(pc, FABRIKAM))

    cart = carts.create_cart(pc, str(offer.customer.id), [offer.line(2)])

    assert cart.meta is not None and cart.meta.status == 201
    assert cart.status == CartStatus.ACTIVE and cart.id and uuid.UUID(cart.id)
    assert cart.creation_timestamp is not None and cart.expiration_timestamp is not None
    assert abs(cart.expiration_timestamp - cart.creation_timestamp - timedelta(days=7)) < timedelta(seconds=1)
    assert abs(cart.creation_timestamp - datetime.now(UTC)) < timedelta(minutes=5)
    [line] = cart.line_items
    assert line.error is None and cart.line_errors == ()
    assert (line.order_group, line.quantity, line.catalog_item_id) == (
        "0",
        2,
        offer.availability.catalog_item_id,
    )
    assert (line.billing_cycle, line.term_duration, line.currency_code) == (
        BillingCycle.ONE_TIME,
        "P1Y",
        "USD",
    )
    assert Decimal(str(line.pricing["extendedPrice"])) == 2 * Decimal(str(line.pricing["listPrice"])) > 0
    assert partner_center.stats()["carts"] == 1


def test_it_updates_a_cart_and_reads_it_back(pc):
    offer = find_offer(pc, seeded_customer(pc, FABRIKAM))
    customer_id = str(offer.customer.id)
    created = carts.create_cart(pc, customer_id, [offer.line(1)])
    changed = dataclasses.replace(
        created, line_items=(dataclasses.replace(created.line_items[0], quantity=3),)
    )

    updated = carts.update_cart(pc, customer_id, changed)
    read = carts.get_cart(pc, customer_id, str(created.id))

    assert updated.meta is not None and 200 <= updated.meta.status < 300  # the documented sample says 201
    for cart in (updated, read):
        assert (cart.id, cart.status, cart.creation_timestamp) == (
            created.id,
            CartStatus.ACTIVE,
            created.creation_timestamp,
        )
        assert [line.quantity for line in cart.line_items] == [3]
        assert Decimal(str(cart.line_items[0].pricing["extendedPrice"])) == 3 * Decimal(
            str(cart.line_items[0].pricing["listPrice"])
        )
    assert read.expiration_timestamp == created.expiration_timestamp  # still 7 days after creation


def test_a_checkout_makes_orders_and_a_second_checkout_returns_the_same_ones(pc, partner_center):
    offer = find_offer(pc, seeded_customer(pc, FABRIKAM))
    customer_id = str(offer.customer.id)
    cart, first = buy(pc, offer, quantity=2)

    again = carts.checkout_cart(pc, customer_id, str(cart.id))

    assert first.meta is not None and first.meta.status == 201
    [order] = first.orders
    assert first.order_errors == ()
    assert (order.status, order.reference_customer_id, order.billing_cycle) == (
        OrderStatus.PENDING,
        customer_id,
        BillingCycle.ONE_TIME,
    )
    assert [(line.offer_id, line.quantity) for line in order.line_items] == [
        (offer.availability.catalog_item_id, 2)
    ]
    assert [o.id for o in again.orders] == [order.id]
    # The sandbox saw two checkouts of the cart and made one order from them.
    stats = partner_center.stats()
    assert stats["checkouts"][cart.id] == {"calls": 2, "orders": 1}
    assert stats["orders"] == 1
    assert carts.get_cart(pc, customer_id, str(cart.id)).status == CartStatus.ORDERED


def test_a_line_for_an_unregistered_subscription_comes_back_as_a_line_error(pc, partner_center):
    northwind = seeded_customer(pc, NORTHWIND)
    offer = find_offer(pc, northwind)  # its Azure plan is NotRegistered

    cart = carts.create_cart(pc, str(northwind.id), [offer.line()])

    assert cart.meta is not None and cart.meta.status == 201  # reported on the line, not refused
    [line] = cart.line_errors
    assert line.error is not None and line.error.error_code == CartErrorCode.SUBSCRIPTION_NOT_REGISTERED
    assert str(offer.plan.id) in str(line.error.error_description)
    # Checking it out anyway is refused with the matching code, and nothing is ordered.
    error = catch(lambda: carts.checkout_cart(pc, str(northwind.id), str(cart.id)))
    assert isinstance(error, BadRequest) and error.code == errors.SUBSCRIPTION_NOT_REGISTERED
    assert partner_center.stats()["orders"] == 0


# --- §6.17 to §6.20 orders ----------------------------------------------------------------------------------


def test_a_new_order_is_readable_at_once_and_listed_only_after_the_listing_delay(pc, partner_center):
    offer = find_offer(pc, seeded_customer(pc, FABRIKAM))
    customer_id = str(offer.customer.id)
    cart, result = buy(pc, offer, quantity=2)
    order_id = str(result.orders[0].id)

    def listed() -> tuple[list[str], list[str], list[str]]:
        return (
            [str(o.id) for o in orders.list_orders(pc, customer_id)],
            [str(o.id) for o in orders.list_orders_by_billing_cycle(pc, customer_id, BillingCycle.ONE_TIME)],
            [str(o.id) for o in orders.list_orders_by_billing_cycle(pc, customer_id, BillingCycle.MONTHLY)],
        )

    pending = orders.get_order(pc, customer_id, order_id, include_price=True)
    every, one_time, _ = listed()

    assert pending.status == OrderStatus.PENDING
    assert [line.subscription_id for line in pending.line_items] == [None]  # only once provisioned
    assert pending.total_price == Decimal(str(cart.line_items[0].pricing["extendedPrice"]))
    assert every and order_id not in every  # the seeded history is there; the new order is not yet
    assert one_time == every

    partner_center.advance_clock(setting(partner_center, "listing_delay") + 1)
    every, one_time, monthly = listed()
    completed = orders.get_order(pc, customer_id, order_id)

    assert order_id in every and order_id in one_time and order_id not in monthly
    assert len(every) == len(set(every))
    assert completed.status == OrderStatus.COMPLETED
    assert all(line.subscription_id for line in completed.line_items)


def test_provisioning_status_goes_from_pending_to_fulfilled(pc, partner_center, mfa_user):
    offer = find_offer(pc, seeded_customer(pc, FABRIKAM))
    customer_id = str(offer.customer.id)
    _, result = buy(pc, offer, quantity=2)
    order_id = str(result.orders[0].id)

    [before] = orders.get_order_provisioning_status(pc, customer_id, order_id, token=mfa_user)
    complete_orders(partner_center)
    [after] = orders.get_order_provisioning_status(pc, customer_id, order_id, token=mfa_user)

    assert (before.line_item_number, before.status) == (0, ProvisioningStatus.PREFULFILLMENT_PENDING)
    assert (after.line_item_number, after.status) == (0, ProvisioningStatus.FULFILLED)
    assert [(q.quantity, q.status) for q in after.quantity_provisioning_information] == [
        (2, ProvisioningStatus.FULFILLED)
    ]


# --- §6.21, §6.22 entitlements ------------------------------------------------------------------------------


def test_entitlements_show_a_completed_order_with_its_expiry_and_reservation_details(
    pc, partner_center, mfa_user
):
    offer = find_offer(pc, seeded_customer(pc, FABRIKAM))
    customer_id = str(offer.customer.id)
    _, result = buy(pc, offer, quantity=2)
    order = result.orders[0]

    def owned(show_expiry: bool | None = True) -> list[Any]:
        listing = entitlements.list_entitlements(
            pc,
            customer_id,
            entitlement_type=EntitlementType.RESERVED_INSTANCE,
            show_expiry=show_expiry,
            token=mfa_user,
        )
        return [e for e in listing if e.reference_order and e.reference_order.id == order.id]

    assert owned() == []  # nothing is owned while the order is pending
    complete_orders(partner_center)
    [entitlement] = owned()
    [without_expiry] = owned(show_expiry=None)

    assert (entitlement.product_id, entitlement.sku_id, entitlement.quantity) == (
        offer.product.id,
        offer.sku.id,
        2,
    )
    assert entitlement.entitlement_type == EntitlementType.RESERVED_INSTANCE
    assert without_expiry.expiry_date is None  # expiryDate only when asked for (showExpiry=true)
    [artifact] = entitlement.entitled_artifacts
    assert artifact.reservation_type == "virtualmachines"
    details = entitlements.get_reservation_details(pc, artifact, token=mfa_user)
    [reservation] = details.reservations
    assert (reservation.quantity, reservation.scope_type, reservation.provisioning_state) == (
        2,
        "Shared",
        "Created",
    )
    # A one-year reservation expires a year after it took effect, on the day the entitlement says.
    assert reservation.effective_date_time is not None and order.creation_date is not None
    assert timedelta(0) <= reservation.effective_date_time - order.creation_date < timedelta(minutes=1)
    effective = reservation.effective_date_time.date()
    assert entitlement.expiry_date is not None and reservation.expiry_date_time is not None
    assert entitlement.expiry_date.date() == reservation.expiry_date_time.date() == a_year_after(effective)


def a_year_after(day: date) -> date:
    # 29 February has no anniversary in the next year: a one-year term then ends on 28 February.
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def test_a_reservation_bought_on_a_leap_day_is_still_listed(partner_center):
    # Real time reaches 29 February too, and a sandbox started in the six months after one seeds history on
    # it. The sandbox answers 500, which the client retries: a transport that does not sleep keeps this short.
    now = partner_center.admin("GET", "clock")["epoch_seconds"]
    leap_day = next_leap_day_noon(datetime.fromtimestamp(now, UTC))
    partner_center.advance_clock(leap_day.timestamp() - now)
    with Transport.from_config(partner_center.config, sleep=lambda _: None) as pc:
        offer = find_offer(pc, seeded_customer(pc, FABRIKAM))
        _, result = buy(pc, offer)
        complete_orders(partner_center)

        owned = [
            s
            for s in subscriptions.list_subscriptions(pc, str(offer.customer.id))
            if s.order_id == result.orders[0].id
        ]

    assert len(owned) == 1 and owned[0].commitment_end_date is not None
    next_year = leap_day.year + 1
    assert owned[0].commitment_end_date.date() in (date(next_year, 2, 28), date(next_year, 3, 1))


# --- §6.23 to §6.28 billing ---------------------------------------------------------------------------------


def test_the_balance_splits_into_recurring_and_one_time_charges(pc, mfa_user):
    balance = invoices.get_balance(pc)

    assert balance.currency_code == "USD"
    assert balance.balance_amount is not None and balance.balance_amount > 0
    kinds = {detail.invoice_type: detail.summary for detail in balance.details}
    assert set(kinds) == {InvoiceType.RECURRING, InvoiceType.ONE_TIME}
    assert sum(s.balance_amount for s in kinds.values() if s) == balance.balance_amount
    # The per-currency summaries (App+User) agree with it for the partner's currency.
    [usd] = [s for s in invoices.list_invoice_summaries(pc, token=mfa_user) if s.currency_code == "USD"]
    assert usd.balance_amount == balance.balance_amount


def test_invoice_summaries_give_one_balance_per_currency(pc, mfa_user):
    summaries = list(invoices.list_invoice_summaries(pc, token=mfa_user))
    listed = list(invoices.list_invoices(pc))

    currencies = [s.currency_code for s in summaries]
    assert len(currencies) == len(set(currencies))
    assert set(currencies) == {i.currency_code for i in listed}
    for summary in summaries:
        assert summary.balance_amount is not None and summary.balance_amount >= 0
        assert {d.invoice_type for d in summary.details} == {InvoiceType.RECURRING, InvoiceType.ONE_TIME}


def test_it_lists_invoices_of_both_kinds_and_pages_them(pc, partner_center):
    big = partner_center.admin("GET", "info")["big_invoice"]

    listed = list(invoices.list_invoices(pc))
    pages = list(invoices.list_invoice_pages(pc, size=5))

    ids = [i.id for i in listed]
    assert len(ids) == len(set(ids)) > 5
    assert [i.id for page in pages for i in page.items] == ids
    assert len(pages) == -(-len(ids) // 5)
    by_id = {i.id: i for i in listed}
    assert by_id[big["id"]].invoice_type == InvoiceType.ONE_TIME
    assert {i.invoice_type for i in listed} == {InvoiceType.ONE_TIME, InvoiceType.RECURRING}
    for invoice in listed:
        assert invoice.document_type == DocumentType.INVOICE
        assert invoice.total_charges is not None and invoice.total_charges > 0
        assert invoice.billing_period_start_date and invoice.billing_period_end_date
        assert invoice.billing_period_start_date < invoice.billing_period_end_date
        providers = {d.billing_provider for d in invoice.invoice_details}
        expected = (
            {BillingProvider.ONE_TIME}
            if invoice.invoice_type == InvoiceType.ONE_TIME
            else {
                BillingProvider.OFFICE,
                BillingProvider.AZURE,
            }
        )
        assert providers == expected


def test_an_invoice_by_id_matches_its_listing(pc, partner_center, mfa_user):
    big_id = partner_center.admin("GET", "info")["big_invoice"]["id"]
    listed = next(i for i in invoices.list_invoices(pc) if i.id == big_id)

    invoice = invoices.get_invoice(pc, big_id, token=mfa_user)

    assert (invoice.id, invoice.invoice_type, invoice.currency_code) == (big_id, InvoiceType.ONE_TIME, "USD")
    assert (invoice.total_charges, invoice.invoice_date, invoice.billing_period_end_date) == (
        listed.total_charges,
        listed.invoice_date,
        listed.billing_period_end_date,
    )
    assert invoice.pdf_download_link == f"/invoices/{big_id}/documents/statement"


def test_it_pages_through_the_big_one_time_invoice_without_duplicates(pc, partner_center):
    big = partner_center.admin("GET", "info")["big_invoice"]
    size = -(-big["line_items"] // 3)  # three pages at least
    assert size <= invoices.MAX_LINE_ITEM_PAGE

    pages = list(invoices.iter_invoice_line_item_pages(pc, big["id"], size=size))

    lines = [line for page in pages for line in page.items]
    assert len(pages) >= 3 and all(len(page.items) <= size for page in pages)
    assert len(lines) == big["line_items"]
    assert all(isinstance(line, OneTimeInvoiceLineItem) for line in lines)
    assert len({line.reference_id for line in lines}) == len(lines)
    assert {line.invoice_number for line in lines} == {big["id"]}
    # Reconciliation: the lines add up to the invoice's total.
    total = next(i.total_charges for i in invoices.list_invoices(pc) if i.id == big["id"])
    assert sum((line.subtotal or Decimal(0) for line in lines), Decimal(0)) == total
    # A listing resumed from a page's continuation token goes on from the next page.
    resumed = invoices.iter_invoice_line_item_pages(
        pc, big["id"], size=size, continuation_token=pages[0].continuation_token
    )
    assert [line.reference_id for page in resumed for line in page.items] == [
        line.reference_id for line in lines[size:]
    ]


def test_it_reads_office_and_azure_line_items_page_by_page(pc):
    recurring = next(
        i
        for i in invoices.list_invoices(pc)
        if i.invoice_type == InvoiceType.RECURRING and i.currency_code == "USD"
    )
    kinds = (
        (BillingProvider.OFFICE, InvoiceLineItemType.BILLING_LINE_ITEMS, LicenseBasedLineItem),
        (BillingProvider.AZURE, InvoiceLineItemType.BILLING_LINE_ITEMS, UsageBasedLineItem),
        (BillingProvider.AZURE, InvoiceLineItemType.USAGE_LINE_ITEMS, DailyUsageLineItem),
    )
    read: dict[type, list[Any]] = {}
    for provider, line_type, cls in kinds:
        whole = list(
            invoices.iter_invoice_line_items(
                pc, str(recurring.id), provider=provider, line_item_type=line_type
            )
        )
        assert len(whole) >= 3, (provider, line_type)
        size = -(-len(whole) // 3)  # offset paging in three pages

        pages = list(
            invoices.iter_invoice_line_item_pages(
                pc, str(recurring.id), provider=provider, line_item_type=line_type, size=size
            )
        )

        assert len(pages) == 3
        assert [line.raw for page in pages for line in page.items] == [line.raw for line in whole]
        assert all(type(line) is cls for line in whole)
        assert {(line.billing_provider, line.invoice_line_item_type) for line in whole} == {
            (provider, line_type)
        }
        read[cls] = whole
    # Reconciliation: the licence lines and the Azure billing lines add up to the invoice's total.
    office = sum((line.subtotal for line in read[LicenseBasedLineItem]), Decimal(0))
    azure = sum((line.post_tax_total for line in read[UsageBasedLineItem]), Decimal(0))
    assert office > 0 and azure > 0
    assert office + azure == recurring.total_charges
    assert {line.invoice_number for line in read[UsageBasedLineItem]} == {recurring.id}
    assert {line.subscription_id for line in read[DailyUsageLineItem]} == {
        line.subscription_id for line in read[UsageBasedLineItem]
    }


def test_a_completed_reservation_is_billed_on_the_current_one_time_invoice(pc, partner_center):
    offer = find_offer(pc, seeded_customer(pc, FABRIKAM))
    customer_id = str(offer.customer.id)
    before = invoices.get_balance(pc).balance_amount
    cart, result = buy(pc, offer, quantity=2)
    order = result.orders[0]
    complete_orders(partner_center)

    [owned] = [s for s in subscriptions.list_subscriptions(pc, customer_id) if s.order_id == order.id]
    current = max(
        (
            i
            for i in invoices.list_invoices(pc)
            if i.invoice_type == InvoiceType.ONE_TIME and i.currency_code == "USD"
        ),
        key=lambda i: i.billing_period_start_date or datetime.min.replace(tzinfo=UTC),
    )
    billed = [
        line for line in invoices.iter_invoice_line_items(pc, str(current.id)) if line.order_id == order.id
    ]
    price = Decimal(str(cart.line_items[0].pricing["extendedPrice"]))

    assert (owned.billing_type, owned.quantity) == ("benefit", 2)  # the reservation, seen as a subscription
    [line] = billed
    assert isinstance(line, OneTimeInvoiceLineItem)
    assert (line.customer_id, line.subscription_id, line.reservation_order_id) == (
        customer_id,
        owned.id,
        owned.product_order_id,
    )
    assert (line.quantity, line.subtotal) == (2, price)
    assert invoices.get_balance(pc).balance_amount == before + price


def test_the_statement_is_a_pdf_of_that_invoice(pc, partner_center, mfa_user):
    big_id = partner_center.admin("GET", "info")["big_invoice"]["id"]

    with invoices.stream_invoice_statement(pc, big_id, token=mfa_user, chunk_size=256) as statement:
        chunks = list(statement)
        content = b"".join(chunks)

    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    assert len(chunks) > 1  # streamed, not read whole
    assert f"Invoice {big_id}".encode() in content
    assert statement.content_type == "application/pdf"
    assert statement.filename == f"Invoice_{big_id}.pdf"
    assert statement.content_length == len(content)


# --- App+User-only calls (§2.1) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AppUserTargets:
    customer_id: str
    order_id: str
    invoice_id: str
    artifact: Artifact


@pytest.fixture
def app_user_calls(pc, partner_center, mfa_user) -> dict[str, Callable[[DelegatedToken | None], object]]:
    """Each App+User-only operation of the client, as a call taking the token to use (None: app-only)."""
    fabrikam = seeded_customer(pc, FABRIKAM)
    customer_id = str(fabrikam.id)
    order_id = str(next(orders.list_orders(pc, customer_id)).id)  # the seeded history, completed long ago
    artifact = next(entitlements.list_entitlements(pc, customer_id, token=mfa_user)).entitled_artifacts[0]
    target = AppUserTargets(
        customer_id, order_id, partner_center.admin("GET", "info")["big_invoice"]["id"], artifact
    )
    return {
        "get_order_provisioning_status": lambda token: orders.get_order_provisioning_status(
            pc, target.customer_id, target.order_id, token=token
        ),
        "list_entitlements": lambda token: list(
            entitlements.list_entitlements(pc, target.customer_id, token=token)
        ),
        "get_reservation_details": lambda token: entitlements.get_reservation_details(
            pc, target.artifact, token=token
        ),
        "list_invoice_summaries": lambda token: list(invoices.list_invoice_summaries(pc, token=token)),
        "get_invoice": lambda token: invoices.get_invoice(pc, target.invoice_id, token=token),
        "get_invoice_statement": lambda token: b"".join(
            invoices.stream_invoice_statement(pc, target.invoice_id, token=token)
        ),
    }


@pytest.mark.parametrize("operation", sorted(APP_USER_ONLY))
def test_an_app_user_only_call_refuses_the_app_only_token(app_user_calls, mfa_user, operation):
    call = app_user_calls[operation]  # a KeyError here: a new App+User-only operation needs a case above

    error = catch(lambda: call(None))

    assert isinstance(error, AppUserRequired)
    assert (error.status, error.code) == (403, "600001")
    assert "sign in" in error.user_message.lower()
    assert call(mfa_user)  # the same call with a signed-in user's token is answered


@pytest.mark.parametrize("operation", sorted(APP_USER_ONLY))
def test_an_app_user_only_call_refuses_a_user_without_mfa(app_user_calls, no_mfa_user, operation):
    error = catch(lambda: app_user_calls[operation](no_mfa_user))

    # A user's token that Partner Center refuses is not the app-only mistake: the user must sign in again.
    assert isinstance(error, DelegatedAccessRefused) and not isinstance(error, AppUserRequired)
    assert "multi-factor authentication" in error.user_message
    assert (error.status, error.code) == (403, "600002")


# --- error mapping (§4) -------------------------------------------------------------------------------------


def test_an_unknown_customer_is_not_found(pc):
    error = catch(lambda: customers.get_customer(pc, str(uuid.uuid4())))

    assert isinstance(error, NotFound)
    assert (error.status, error.code) == (404, errors.INVALID_CUSTOMER_ID)
    assert error.correlation_id and error.correlation_id in error.user_message


def test_a_malformed_customer_id_is_a_bad_request(pc):
    error = catch(lambda: customers.get_customer(pc, "not-a-guid"))

    assert isinstance(error, BadRequest)
    assert (error.status, error.code) == (400, errors.INVALID_INPUT)


def test_a_rotated_availability_is_not_found_by_id_nor_in_a_new_cart(pc, partner_center):
    offer = find_offer(pc, seeded_customer(pc, FABRIKAM))
    product_id, sku_id = str(offer.product.id), str(offer.sku.id)

    partner_center.admin("POST", "rotate-availabilities")
    by_id = catch(
        lambda: catalog.get_availability(
            pc,
            product_id,
            sku_id,
            str(offer.availability.id),
            country=offer.country,
            reservation_scope=catalog.AZURE_PLAN,
        )
    )
    in_cart = catch(lambda: carts.create_cart(pc, str(offer.customer.id), [offer.line()]))

    for error in (by_id, in_cart):
        assert isinstance(error, NotFound)
        assert (error.status, error.code) == (404, errors.AVAILABILITY_NOT_FOUND)
        assert "Reload" in error.user_message
    assert partner_center.stats()["carts"] == 0
    # Read again, as the message says, the new availability buys.
    fresh = next(
        catalog.list_availabilities(
            pc, product_id, sku_id, country=offer.country, reservation_scope=catalog.AZURE_PLAN
        )
    )
    assert fresh.id != offer.availability.id
    cart = carts.create_cart(
        pc, str(offer.customer.id), [dataclasses.replace(offer, availability=fresh).line()]
    )
    assert cart.line_errors == ()


def test_a_customer_in_a_blocked_market_is_refused(pc, partner_center):
    coho = seeded_customer(pc, COHO_WINERY)
    fabrikam_offer = find_offer(pc, seeded_customer(pc, FABRIKAM))
    customer_id, country = str(coho.id), str(coho.country)
    plan = azure_plan_of(pc, customer_id)

    products = list(
        catalog.list_products(
            pc,
            country=country,
            target_view=TargetView.AZURE_RESERVATIONS_VM,
            reservation_scope=catalog.AZURE_PLAN,
        )
    )
    by_id = catch(lambda: catalog.get_product(pc, str(fabrikam_offer.product.id), country=country))
    inventory = catch(
        lambda: catalog.check_inventory(
            pc,
            country=country,
            targets=[InventoryTarget(str(fabrikam_offer.product.id))],
            customer_id=customer_id,
            azure_subscription_id=plan.id,
        )
    )
    cart = catch(
        lambda: carts.create_cart(pc, customer_id, [dataclasses.replace(fabrikam_offer, plan=plan).line()])
    )

    assert products == []
    assert isinstance(by_id, NotFound) and by_id.code == errors.PRODUCT_NOT_FOUND
    for error in (inventory, cart):
        assert isinstance(error, BadRequest)
        assert (error.status, error.code) == (400, errors.OFFER_NOT_AVAILABLE_IN_MARKET)
        assert "country or region" in error.user_message
    assert partner_center.stats()["carts"] == 0


# --- tolerance ----------------------------------------------------------------------------------------------


def test_it_parses_an_answer_carrying_an_enum_value_it_does_not_know(pc):
    # The sandbox echoes a cart line's billingCycle as sent when it refuses the line: a value no client
    # version knows comes back in a real answer, which must still parse and keep the wire value.
    offer = find_offer(pc, seeded_customer(pc, FABRIKAM))

    cart = carts.create_cart(pc, str(offer.customer.id), [offer.line(billing_cycle="fortnightly")])

    [line] = cart.line_items
    assert line.raw["billingCycle"] == "fortnightly"
    assert isinstance(line.billing_cycle, BillingCycle) and not line.billing_cycle.is_known
    assert line.billing_cycle.value == "fortnightly"
    assert line.error is not None and line.error.error_code == CartErrorCode.INVALID_INPUT
    assert (line.catalog_item_id, line.quantity) == (offer.availability.catalog_item_id, 1)
