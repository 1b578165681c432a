"""The inventory check of a SKU page, against the sandbox: what staff see when they ask whether Microsoft
can supply a reservation SKU for the customer's subscription in its region.

The sandbox restricts some VM size/region pairs for everyone (no capacity left); which ones follows from
its seed, so the tests find a restricted and an unrestricted SKU by asking Partner Center itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from html import unescape

import pytest
from django.urls import reverse

from catalog import inventory, rows
from catalog.models import AZURE_PLAN_SCOPE, LEGACY_SCOPE, Availability, Mirror, Sku
from partnercenter import catalog as pc_catalog
from partnercenter.enums import TargetView
from partnercenter.models import InventoryItem, InventoryTarget
from portal import partner_center as portal_partner_center
from portal.models import AzureSubscription, Customer, CustomerSubscription
from tests.integration.conftest import mirror_customer
from tests.sandbox_process import Sandbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

CHECK_INVENTORY = "POST /v1/extensions/product/checkInventory"
CHECK_INVENTORY_PATH = r"(?i)^/v1/extensions/product/checkinventory$"
Kind = CustomerSubscription.Kind


# --- the world: customers, a mirror filled from Partner Center, SKUs found by asking it ------------------


def mirror_skus(customer: Customer, scope: str, product_id: str, sku_ids: set[str]) -> dict[str, Sku]:
    """The given SKUs of one product copied from Partner Center into the published mirror of the customer's
    market and `scope`, converted by catalog.rows as a sync converts them."""
    transport = portal_partner_center.transport()
    wire_scope = scope or None
    mirror, _created = Mirror.objects.get_or_create(country=customer.country, scope=scope)
    mirror.generation = 1
    mirror.save()
    product = rows.product_row(
        mirror,
        1,
        pc_catalog.get_product(transport, product_id, country=customer.country, reservation_scope=wire_scope),
    )
    product.save()
    found = {}
    for sku in pc_catalog.list_skus(
        transport, product_id, country=customer.country, reservation_scope=wire_scope
    ):
        if sku.id not in sku_ids:
            continue
        row = rows.sku_row(product, sku)
        row.save()
        availabilities = pc_catalog.list_availabilities(
            transport, product_id, sku.id, country=customer.country, reservation_scope=wire_scope
        )
        Availability.objects.bulk_create(rows.all_availability_rows(product, row, availabilities))
        found[sku.id] = row
    assert set(found) == sku_ids
    return found


def inventory_of_vm_skus(
    customer: Customer, subscription_id: str, scope: str = AZURE_PLAN_SCOPE
) -> Iterator[InventoryItem]:
    """Every VM reservation SKU of the customer's market, with Partner Center's inventory answer."""
    transport = portal_partner_center.transport()
    products = pc_catalog.list_products(
        transport,
        country=customer.country,
        target_view=TargetView.AZURE_RESERVATIONS_VM,
        reservation_scope=scope or None,
    )
    for product in products:
        yield from pc_catalog.check_inventory(
            transport,
            country=customer.country,
            targets=[InventoryTarget(product.id)],
            customer_id=customer.pk,
            azure_subscription_id=subscription_id,
        )


@pytest.fixture
def fabrikam(partner_center) -> Customer:
    """Fabrikam Inc (US): a registered Azure plan with two Azure subscriptions."""
    return mirror_customer("Fabrikam Inc")


@pytest.fixture
def plan(fabrikam) -> CustomerSubscription:
    return fabrikam.subscriptions.get(kind=Kind.AZURE_PLAN)


@pytest.fixture
def skus(fabrikam, plan) -> dict[str, Sku]:
    """An available and a restricted VM SKU of Fabrikam's market, in its Azure plan mirror."""
    return available_and_restricted_skus(fabrikam, plan)


def available_and_restricted_skus(
    fabrikam: Customer, plan: CustomerSubscription, scope: str = AZURE_PLAN_SCOPE
) -> dict[str, Sku]:
    """An available and a restricted VM SKU of the customer's market, mirrored, as Partner Center says."""
    available = restricted = None
    for item in inventory_of_vm_skus(fabrikam, plan.pk, scope):
        if item.is_restricted and restricted is None:
            restricted = item
        if not item.is_restricted and available is None:
            available = item
        if available and restricted:
            break
    assert available and restricted, "the sandbox restricts some VM SKUs and not others"
    wanted: dict[str, set[str]] = {}
    for item in (available, restricted):
        wanted.setdefault(item.product_id, set()).add(item.sku_id)
    mirrored = {
        (product_id, sku_id): row
        for product_id, sku_ids in wanted.items()
        for sku_id, row in mirror_skus(fabrikam, scope, product_id, sku_ids).items()
    }
    return {
        "available": mirrored[available.product_id, available.sku_id],
        "restricted": mirrored[restricted.product_id, restricted.sku_id],
    }


@pytest.fixture
def sales(client, personas):
    client.force_login(personas["sales"])
    return personas["sales"]


def inventory_url(subscription: CustomerSubscription, product_id: str, sku_id: str) -> str:
    return reverse("catalog-inventory", args=[subscription.customer_id, subscription.pk, product_id, sku_id])


def check(client, subscription: CustomerSubscription, sku: Sku, **data: str):
    """Press "Check availability" on the SKU page, with htmx."""
    return client.post(inventory_url(subscription, sku.product_id, sku.sku_id), data, HTTP_HX_REQUEST="true")


def inventory_calls(sandbox: Sandbox) -> int:
    return sandbox.stats()["requests"].get(CHECK_INVENTORY, 0)


def text_of(response) -> str:
    return unescape(response.content.decode())


def outcome_of(response) -> str:
    html = text_of(response)
    assert 'data-testid="inventory"' in html  # the section itself, which the answer replaces
    marker = 'data-outcome="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


# --- what staff see ------------------------------------------------------------------------------------


def test_an_available_sku_is_shown_available(client, sales, partner_center, plan, skus):
    calls = inventory_calls(partner_center)

    response = check(client, plan, skus["available"])

    assert response.status_code == 200
    assert outcome_of(response) == "available"
    html = text_of(response)
    assert "Available." in html
    assert f"Microsoft can supply this SKU in {skus['available'].region} for Azure plan." in html
    assert inventory_calls(partner_center) == calls + 1


def test_a_restricted_sku_shows_why_in_plain_words(client, sales, partner_center, plan, skus):
    restricted = skus["restricted"]

    response = check(client, plan, restricted)

    assert response.status_code == 200
    assert outcome_of(response) == "restricted"
    html = text_of(response)
    assert "Not available." in html
    assert (
        f"Not available in {restricted.region} for this subscription: Microsoft has no capacity left for "
        "this size there. Try another region or size, or ask Microsoft support for a quota or capacity "
        "increase" in html
    )
    assert "Restricted for location" not in html  # Partner Center's own wording is not what staff read


def test_the_form_offers_the_plans_azure_subscriptions_and_checks_the_one_chosen(
    client, sales, partner_center, plan, skus
):
    production = plan.azure_subscriptions.get(name="Production")

    response = check(client, plan, skus["available"], azure_subscription=production.pk.upper())

    assert outcome_of(response) == "available"
    html = text_of(response)
    assert "for Production." in html
    assert f'<option value="{production.pk}" selected>' in html
    assert html.count("<option") == 3  # the plan itself and its two Azure subscriptions


def test_the_azure_subscription_chosen_is_what_partner_center_is_asked_about(
    client, sales, partner_center, plan, skus
):
    # Deleted in Azure since the customer was last refreshed: the portal still lists it, Partner Center
    # no longer knows it. Its refusal proves the chosen id, not the plan's, was sent.
    gone = AzureSubscription.objects.create(
        id="0badc0de-0000-4000-8000-000000000001", plan=plan, name="Decommissioned", status="active"
    )
    calls = inventory_calls(partner_center)

    response = check(client, plan, skus["available"], azure_subscription=gone.pk)

    assert response.status_code == 200
    assert outcome_of(response) == "failed"
    assert "Partner Center does not recognise this subscription as an Azure subscription of the customer" in (
        text_of(response)
    )
    assert inventory_calls(partner_center) == calls + 1


def test_a_tampered_azure_subscription_is_refused_before_partner_center_is_asked(
    client, sales, partner_center, plan, skus
):
    calls = inventory_calls(partner_center)

    for tampered in ("3f2504e0-4f89-41d3-9a0c-0305e82c3301", "' OR 1=1 --"):
        response = check(client, plan, skus["available"], azure_subscription=tampered)

        assert response.status_code == 400
        assert outcome_of(response) == "failed"
        assert "The Azure subscription chosen is not one of this Azure plan's." in text_of(response)
    assert inventory_calls(partner_center) == calls


def test_a_legacy_subscription_is_checked_in_its_own_catalog_without_a_choice(client, sales, partner_center):
    adventure_works = mirror_customer("Adventure Works Cycles")  # GB, a registered MS-AZR-0145P
    legacy = adventure_works.subscriptions.get(kind=Kind.LEGACY)
    item = next(i for i in inventory_of_vm_skus(adventure_works, legacy.pk) if not i.is_restricted)
    sku = mirror_skus(adventure_works, LEGACY_SCOPE, item.product_id, {item.sku_id})[item.sku_id]

    response = check(client, legacy, sku)

    assert outcome_of(response) == "available"
    html = text_of(response)
    assert "<select" not in html
    assert f"Microsoft can supply this SKU in {sku.region} for {legacy.name}." in html
    # The same SKU is not in the Azure plan's catalog of the market: not found from the plan.
    plan = adventure_works.subscriptions.get(kind=Kind.AZURE_PLAN)
    assert check(client, plan, sku).status_code == 404


def test_a_sku_partner_center_no_longer_lists_says_to_refresh_the_catalog(
    client, sales, partner_center, plan, skus
):
    # The mirror still has a SKU Partner Center stopped selling: the service drops it from its answer.
    gone = Sku.objects.get(pk=skus["available"].pk)
    gone.pk, gone.sku_id = None, "ZZZZ"
    gone.save()

    response = check(client, plan, gone)

    assert response.status_code == 200
    assert outcome_of(response) == "not-listed"
    assert "Partner Center no longer lists this SKU" in text_of(response)
    assert "Refresh the catalog" in text_of(response)


def test_a_blocked_market_is_refused_before_partner_center_is_asked(
    client, sales, partner_center, plan, skus, settings
):
    calls = inventory_calls(partner_center)
    settings.UNAVAILABLE_MARKETS = ["US"]  # a new edition of Microsoft's list of unavailable markets

    response = check(client, plan, skus["available"])

    assert outcome_of(response) == "failed"
    assert "Azure reservations cannot be bought in United States" in text_of(response)
    assert inventory_calls(partner_center) == calls


def test_coho_winerys_market_is_refused_without_a_call(partner_center, skus):
    coho = mirror_customer("Coho Winery")  # Brazil: reservations are not sold there
    coho_plan = coho.subscriptions.get(kind=Kind.AZURE_PLAN)
    calls = inventory_calls(partner_center)

    result = inventory.check(portal_partner_center.transport(), coho, coho_plan, skus["available"])

    assert not result.available
    assert result.message == "Azure reservations cannot be bought in Brazil, the customer's market."
    assert inventory_calls(partner_center) == calls


def test_a_short_throttle_is_ridden_out_unseen(client, sales, partner_center, plan, skus):
    partner_center.faults(
        {"method": "POST", "path": CHECK_INVENTORY_PATH, "kind": "throttle", "count": 2, "retry_after": 1}
    )
    calls = inventory_calls(partner_center)

    response = check(client, plan, skus["available"])

    assert outcome_of(response) == "available"
    assert inventory_calls(partner_center) == calls + 3  # refused twice, then answered


def test_a_long_throttle_tells_staff_when_to_try_again(client, sales, partner_center, plan, skus):
    partner_center.faults(
        {"method": "POST", "path": CHECK_INVENTORY_PATH, "kind": "throttle", "count": 1, "retry_after": 120}
    )

    response = check(client, plan, skus["available"])

    assert response.status_code == 200
    assert outcome_of(response) == "failed"
    assert "Partner Center is limiting requests right now. Try the check again in 120 seconds." in (
        text_of(response)
    )
    # Once the wait is over, the same button works.
    assert outcome_of(check(client, plan, skus["available"])) == "available"


def test_partner_center_down_is_said_in_plain_words(client, sales, partner_center, plan, skus):
    partner_center.faults(
        {
            "method": "POST",
            "path": CHECK_INVENTORY_PATH,
            "kind": "error",
            "status": 400,
            "code": "800003",
            "count": 1,
        }
    )

    response = check(client, plan, skus["available"])

    assert outcome_of(response) == "failed"
    html = text_of(response)
    assert "Partner Center refused the inventory check." in html
    assert "(Reference: " in html  # the correlation id, for Microsoft support


def test_the_sku_page_offers_the_check_and_answers_it_without_javascript(
    client, sales, partner_center, plan, skus
):
    restricted = skus["restricted"]
    sku_url = reverse(
        "catalog-sku", args=[plan.customer_id, plan.pk, restricted.product_id, restricted.sku_id]
    )
    check_url = inventory_url(plan, restricted.product_id, restricted.sku_id)

    page = text_of(client.get(sku_url))
    section = page[page.index('<section id="inventory"') :]
    section = section[: section.index("</section>")]
    assert f'action="{check_url}" hx-post="{check_url}"' in section
    assert section.count("<option") == 3  # the plan itself and its two Azure subscriptions
    assert "Check availability" in section

    response = client.post(check_url)  # a plain form post: no HX-Request header

    assert response.status_code == 302 and response["Location"] == sku_url
    page = text_of(client.get(sku_url))
    assert (
        f"Not available in {restricted.region} for this subscription: Microsoft has no capacity left" in page
    )


# --- addresses and permissions -----------------------------------------------------------------------------


def test_a_sku_not_in_the_subscriptions_catalog_is_not_found(client, sales, partner_center, plan, skus):
    available = skus["available"]
    assert client.post(inventory_url(plan, available.product_id, "ZZZZ")).status_code == 404
    assert client.post(inventory_url(plan, "DZH318Z0NONE", available.sku_id)).status_code == 404


def test_a_subscription_of_another_customer_is_not_found(client, sales, partner_center, skus):
    northwind_plan = mirror_customer("Northwind Traders").subscriptions.get(kind=Kind.AZURE_PLAN)
    available = skus["available"]

    response = check(client, northwind_plan, available)
    assert response.status_code == 200  # Northwind is in the same market: its own plan may check the SKU

    fabrikam_id = Customer.objects.get(company_name="Fabrikam Inc").pk
    url = reverse(
        "catalog-inventory", args=[fabrikam_id, northwind_plan.pk, available.product_id, available.sku_id]
    )
    assert client.post(url).status_code == 404


@pytest.mark.parametrize("product_id", ["..", "A" * 200, "DZH318Z0;DROP", "DZH318Z0-ABCD"])
def test_a_malformed_product_id_is_a_bad_request(client, sales, partner_center, plan, skus, product_id):
    calls = inventory_calls(partner_center)
    url = inventory_url(plan, "PRODUCT", skus["available"].sku_id).replace("/PRODUCT/", f"/{product_id}/")

    response = client.post(url, HTTP_HX_REQUEST="true")

    assert response.status_code == 400
    assert "Partner Center's ids are letters and digits only" in text_of(response)
    assert inventory_calls(partner_center) == calls


def test_the_check_is_a_post_for_anyone_who_may_browse_the_catalog(
    client, personas, partner_center, plan, skus
):
    available = skus["available"]
    url = inventory_url(plan, available.product_id, available.sku_id)

    client.force_login(personas["outsider"])
    assert client.post(url).status_code == 403
    for name in ("sales", "approver", "support", "admin"):
        client.force_login(personas[name])
        assert client.get(url).status_code == 405
        assert client.post(url, HTTP_HX_REQUEST="true").status_code == 200
