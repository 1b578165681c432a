"""The availability read again from Partner Center (the sandbox) just before a line goes into a cart:
fresh ids replace rotated ones, the two reservation scopes never mix, and what can no longer be bought is
refused in words staff can act on."""

from __future__ import annotations

import pytest

from catalog import availability
from catalog.availability import AvailabilityRefused, ConfirmedAvailability, QuantityRefused, Refusal
from catalog.models import AZURE_PLAN_SCOPE, LEGACY_SCOPE, Availability, Sku
from partnercenter import NotFound
from partnercenter import catalog as pc_catalog
from partnercenter.enums import TargetView
from portal import partner_center as portal_partner_center
from portal.models import Customer, CustomerSubscription
from tests.integration.conftest import mirror_customer
from tests.integration.test_catalog_inventory import mirror_skus
from tests.sandbox_process import Sandbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

LIST_AVAILABILITIES = "GET /v1/products/{product_id}/skus/{sku_id}/availabilities"
AVAILABILITIES_PATH = r"^/v1/products/[^/]+/skus/[^/]+/availabilities$"
Kind = CustomerSubscription.Kind


def first_vm_sku(customer: Customer, scope: str) -> tuple[str, str]:
    """(product id, SKU id) of the first VM reservation SKU Partner Center lists in the customer's market."""
    transport = portal_partner_center.transport()
    product = next(
        iter(
            pc_catalog.list_products(
                transport,
                country=customer.country,
                target_view=TargetView.AZURE_RESERVATIONS_VM,
                reservation_scope=scope or None,
            )
        )
    )
    sku = next(
        iter(
            pc_catalog.list_skus(
                transport, product.id, country=customer.country, reservation_scope=scope or None
            )
        )
    )
    return product.id, sku.id


def mirrored_line(customer: Customer, scope: str) -> Availability:
    """The one catalog line (availability x term x billing plan) of a VM SKU, mirrored from Partner Center."""
    product_id, sku_id = first_vm_sku(customer, scope)
    sku = mirror_skus(customer, scope, product_id, {sku_id})[sku_id]
    (line,) = sku.availabilities.all()
    return line


def confirm(
    customer: Customer, subscription: CustomerSubscription, line: Availability, **changes
) -> ConfirmedAvailability:
    """What the purchasing code does with the line staff picked."""
    picked = {
        "product_id": line.product_id,
        "sku_id": line.sku_id,
        "term_months": line.term_months,
        "billing_plan": line.billing_plan,
        "segment": line.segment,
    }
    return availability.confirm(
        portal_partner_center.transport(), customer, subscription, **(picked | changes)
    )


def availability_calls(sandbox: Sandbox) -> int:
    return sandbox.stats()["requests"].get(LIST_AVAILABILITIES, 0)


@pytest.fixture
def fabrikam(partner_center) -> Customer:
    return mirror_customer("Fabrikam Inc")


@pytest.fixture
def plan(fabrikam) -> CustomerSubscription:
    return fabrikam.subscriptions.get(kind=Kind.AZURE_PLAN)


@pytest.fixture
def line(fabrikam) -> Availability:
    return mirrored_line(fabrikam, AZURE_PLAN_SCOPE)


def test_nothing_rotated_gives_back_the_mirrors_ids(partner_center, fabrikam, plan, line):
    calls = availability_calls(partner_center)

    confirmed = confirm(fabrikam, plan, line)

    assert availability_calls(partner_center) == calls + 1  # read from Partner Center, not the mirror
    assert confirmed.availability_id == line.availability_id
    assert confirmed.catalog_item_id == f"{line.product_id}:{line.sku_id}:{line.availability_id}"
    assert confirmed.replaced_from is None
    assert confirmed.reservation_scope == "AzurePlan"
    assert (confirmed.term_duration, confirmed.term_months, confirmed.billing_plan) == ("P1Y", 12, "one_time")
    assert (confirmed.currency_code, confirmed.currency_symbol) == ("USD", "$")
    assert (confirmed.minimum_quantity, confirmed.maximum_quantity) == (1, 999999999)


def test_a_rotated_availability_is_replaced_and_the_mirror_follows(partner_center, fabrikam, plan, line):
    stale = line.availability_id
    partner_center.admin("POST", "rotate-availabilities")

    confirmed = confirm(fabrikam, plan, line)

    assert confirmed.availability_id != stale
    assert confirmed.replaced_from == stale
    assert confirmed.catalog_item_id == f"{line.product_id}:{line.sku_id}:{confirmed.availability_id}"
    line.refresh_from_db()
    assert (line.availability_id, line.catalog_item_id) == (
        confirmed.availability_id,
        confirmed.catalog_item_id,
    )
    # Partner Center knows the new id and no longer the old one.
    transport = portal_partner_center.transport()
    found = pc_catalog.get_availability(
        transport,
        line.product_id,
        line.sku_id,
        confirmed.availability_id,
        country="US",
        reservation_scope="AzurePlan",
    )
    assert found.catalog_item_id == confirmed.catalog_item_id
    with pytest.raises(NotFound):
        pc_catalog.get_availability(
            transport, line.product_id, line.sku_id, stale, country="US", reservation_scope="AzurePlan"
        )
    # The next purchase starts from the fresh id: nothing is replaced any more.
    assert confirm(fabrikam, plan, line).replaced_from is None


def test_an_azure_plan_and_a_legacy_subscription_get_their_own_catalog_items(partner_center):
    adventure_works = mirror_customer("Adventure Works Cycles")  # GB: an Azure plan and an MS-AZR-0145P
    plan = adventure_works.subscriptions.get(kind=Kind.AZURE_PLAN)
    legacy = adventure_works.subscriptions.get(kind=Kind.LEGACY)
    plan_line = mirrored_line(adventure_works, AZURE_PLAN_SCOPE)
    legacy_line = mirrored_line(adventure_works, LEGACY_SCOPE)
    assert (plan_line.product_id, plan_line.sku_id) == (legacy_line.product_id, legacy_line.sku_id)
    partner_center.admin("POST", "rotate-availabilities")

    for_plan = confirm(adventure_works, plan, plan_line)
    for_legacy = confirm(adventure_works, legacy, legacy_line)

    assert for_plan.catalog_item_id != for_legacy.catalog_item_id
    assert (for_plan.reservation_scope, for_legacy.reservation_scope) == ("AzurePlan", "")
    # Each mirror received its own scope's id, never the other's.
    plan_line.refresh_from_db()
    legacy_line.refresh_from_db()
    assert plan_line.catalog_item_id == for_plan.catalog_item_id
    assert legacy_line.catalog_item_id == for_legacy.catalog_item_id
    # And Partner Center agrees: the Azure plan's id is not an availability of the legacy catalog.
    with pytest.raises(NotFound):
        pc_catalog.get_availability(
            portal_partner_center.transport(),
            plan_line.product_id,
            plan_line.sku_id,
            for_plan.availability_id,
            country="GB",
        )


def test_a_sku_the_mirror_no_longer_holds_is_confirmed_from_partner_center_alone(
    partner_center, fabrikam, plan, line
):
    # A refresh dropped the SKU from the mirror after staff picked it; Partner Center still sells it.
    Sku.objects.filter(pk=line.sku_row_id).delete()

    confirmed = confirm(fabrikam, plan, line)

    assert confirmed.catalog_item_id == line.catalog_item_id
    assert confirmed.replaced_from is None
    assert (confirmed.minimum_quantity, confirmed.maximum_quantity) == (1, 999999999)
    assert not Availability.objects.exists()  # nothing written back for a SKU the mirror does not hold


def test_a_sku_no_longer_sold_is_refused_with_what_to_do(partner_center, fabrikam, plan, line):
    for product_id, sku_id in ((line.product_id, "ZZZZ"), ("DZH318Z0NONE", line.sku_id)):
        with pytest.raises(AvailabilityRefused) as refused:
            confirm(fabrikam, plan, line, product_id=product_id, sku_id=sku_id)

        assert refused.value.reason is Refusal.NOT_OFFERED
        assert refused.value.user_message == (
            "This SKU is no longer offered in the customer's market for this kind of subscription. "
            "Refresh the catalog and pick another."
        )


def test_a_term_no_longer_offered_is_refused(partner_center, fabrikam, plan, line):
    with pytest.raises(AvailabilityRefused) as refused:
        confirm(fabrikam, plan, line, term_months=36)  # this SKU is a one-year reservation
    assert refused.value.reason is Refusal.TERM_GONE
    assert refused.value.user_message == (
        "Partner Center no longer offers this SKU for the term and billing plan picked (3 years, Upfront). "
        "Refresh the catalog and pick one of the terms it offers now."
    )

    with pytest.raises(AvailabilityRefused) as refused:
        confirm(fabrikam, plan, line, billing_plan="monthly")
    assert refused.value.reason is Refusal.TERM_GONE
    assert "(1 year, Monthly)" in refused.value.user_message


def test_a_blocked_market_is_refused_before_partner_center_is_asked(partner_center):
    coho = mirror_customer("Coho Winery")  # Brazil
    coho_plan = coho.subscriptions.get(kind=Kind.AZURE_PLAN)
    us_line = mirrored_line(mirror_customer("Fabrikam Inc"), AZURE_PLAN_SCOPE)
    calls = availability_calls(partner_center)

    with pytest.raises(AvailabilityRefused) as refused:
        confirm(coho, coho_plan, us_line)

    assert refused.value.reason is Refusal.MARKET_BLOCKED
    assert (
        refused.value.user_message == "Azure reservations cannot be bought in Brazil, the customer's market."
    )
    assert availability_calls(partner_center) == calls


def test_a_throttled_partner_center_says_when_to_try_again(partner_center, fabrikam, plan, line):
    partner_center.faults(
        {"method": "GET", "path": AVAILABILITIES_PATH, "kind": "throttle", "count": 1, "retry_after": 90}
    )

    with pytest.raises(AvailabilityRefused) as refused:
        confirm(fabrikam, plan, line)

    assert refused.value.reason is Refusal.TRY_AGAIN
    assert refused.value.retry_after == 90
    assert refused.value.user_message.startswith(
        "Partner Center is busy and could not confirm the price and availability. Try again in 90 seconds."
    )
    assert confirm(fabrikam, plan, line).availability_id == line.availability_id  # and then it works


def test_quantities_outside_the_skus_limits_are_refused(partner_center, fabrikam, plan, line):
    confirmed = confirm(fabrikam, plan, line)

    assert availability.validate_quantity(confirmed, "3") == 3
    assert availability.validate_quantity(confirmed, 999999999) == 999999999
    refusals = {
        0: "The quantity must be at least 1.",
        -2: "The quantity must be at least 1.",
        "1.5": "The quantity must be a whole number, such as 1 or 2.",
        "two": "The quantity must be a whole number, such as 1 or 2.",
        1000000000: "At most 999999999 of this SKU can be bought at once.",
    }
    for quantity, message in refusals.items():
        with pytest.raises(QuantityRefused) as refused:
            availability.validate_quantity(confirmed, quantity)
        assert refused.value.user_message == message

    # A SKU's own limits, as the mirror holds them.
    sku = Sku.objects.get(pk=line.sku_row_id)
    sku.minimum_quantity, sku.maximum_quantity = 2, 5
    with pytest.raises(QuantityRefused, match="at least 2"):
        availability.validate_quantity(sku, 1)
    with pytest.raises(QuantityRefused, match="At most 5"):
        availability.validate_quantity(sku, 6)
