"""The orders and reservations pages: who may open and refresh them, what they show of the portal's copy,
what a crafted address gets, and what a member of staff without a Microsoft session is told.

Nothing here reaches Partner Center (tests/integration/test_order_tracking.py does, against the sandbox).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import AZURE_PLAN_SCOPE, Mirror, Product, Sku
from orders.models import Approval, Order, OrderLine, PurchaseRequest, Reservation
from partnercenter.config import PartnerCenterConfig
from portal.models import AuditEntry, Customer

pytestmark = pytest.mark.django_db

FABRIKAM_ID = "5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11"
NORTHWIND_ID = "5b6c7d8e-9fa0-4b1c-8d2e-3f4a5b6c7d8e"
UNKNOWN_ID = "99999999-9999-4999-8999-999999999999"
BOUGHT_HERE = "b7c6d5e4f3a2"  # pending, not listed yet, with its purchase request and approval
BOUGHT_ELSEWHERE = "a1b2c3d4e5f6"  # completed, listed, monthly
NORTHWINDS = "c0ffee000001"
PRODUCT, SKU = "DZH318Z0ABCD", "00A1"


@pytest.fixture(autouse=True)
def _no_partner_center(settings):
    # Pages read the portal's copy only; a call to Partner Center here would fail loudly.
    settings.PARTNER_CENTER = PartnerCenterConfig()


@pytest.fixture
def configured_partner_center(settings):
    """Partner Center configured but never reached: without a Microsoft session nothing is called."""
    settings.PARTNER_CENTER = PartnerCenterConfig(
        api_url="https://partner-center.invalid", tenant_id="t", client_id="c", client_secret="s"
    )


def make_customer(customer_id: str, name: str, country: str = "US") -> Customer:
    now = timezone.now()
    return Customer.objects.create(
        id=customer_id, company_name=name, country=country, listed_at=now, details_read_at=now
    )


@pytest.fixture
def world(personas):
    """Fabrikam (US) with an order bought here (pending, not listed) and one bought elsewhere (completed,
    monthly); Northwind with one order; reservations of Fabrikam, one from the order bought here."""
    fabrikam = make_customer(FABRIKAM_ID, "Fabrikam Inc")
    northwind = make_customer(NORTHWIND_ID, "Northwind Traders")
    now = timezone.now()
    purchase = PurchaseRequest.objects.create(
        customer=fabrikam,
        subscription_ref="8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968",
        subscription_name="Azure plan",
        country="US",
        requester=personas["sales"],
        state=PurchaseRequest.State.ORDERED,
    )
    approval = Approval.objects.create(
        request=purchase,
        decided_by=personas["approver"],
        decision=Approval.Decision.APPROVED,
        currency_code="USD",
        total=Decimal("1234.5"),
    )
    here = Order.objects.create(
        id=BOUGHT_HERE,
        customer=fabrikam,
        purchase_request=purchase,
        approval=approval,
        source=Order.Source.CHECKOUT,
        billing_cycle="one_time",
        status="pending",
        currency_code="USD",
        creation_date=now - timedelta(minutes=2),
    )
    OrderLine.objects.create(
        order=here,
        line_item_number=0,
        offer_id=f"{PRODUCT}:{SKU}:DZH318Z0WXYZ",
        product_id=PRODUCT,
        sku_id=SKU,
        friendly_name="RI D4s v5 eastus 1y",
        quantity=2,
        term_duration="P1Y",
    )
    elsewhere = Order.objects.create(
        id=BOUGHT_ELSEWHERE,
        customer=fabrikam,
        source=Order.Source.LIST,
        billing_cycle="monthly",
        status="completed",
        currency_code="USD",
        creation_date=now - timedelta(days=40),
        listed_at=now - timedelta(days=1),
        read_at=now - timedelta(days=1),
    )
    Order.objects.create(
        id=NORTHWINDS,
        customer=northwind,
        source=Order.Source.LIST,
        billing_cycle="one_time",
        status="completed",
        currency_code="EUR",
        creation_date=now - timedelta(days=3),
        listed_at=now,
    )
    Reservation.objects.create(
        customer=fabrikam,
        order_ref=BOUGHT_HERE,
        order=here,
        line_item_id="0",
        product_id=PRODUCT,
        sku_id=SKU,
        quantity=2,
        entitlement_type="reservedinstance",
        reservation_type="virtualmachines",
        resource_id="2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
        expiry_date=now + timedelta(days=364, hours=1),
        read_at=now,
    )
    Reservation.objects.create(
        customer=fabrikam,
        order_ref="0ldorder0000",
        line_item_id="0",
        product_id="DZH318Z0SQLD",
        sku_id="0042",
        quantity=1,
        entitlement_type="reservedinstance",
        reservation_type="sqldatabases",
        resource_id="3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f",
        expiry_date=now - timedelta(days=2),
        read_at=now,
    )
    return {
        "fabrikam": fabrikam,
        "northwind": northwind,
        "purchase": purchase,
        "here": here,
        "elsewhere": elsewhere,
    }


def page(client: Client, url: str, **query: str) -> str:
    response = client.get(url, query)
    assert response.status_code == 200
    return response.content.decode()


def order_url(customer_id: str = FABRIKAM_ID, order_id: str = BOUGHT_HERE, suffix: str = "") -> str:
    return reverse(f"order{suffix}", args=[customer_id, order_id])


# --- who may do what -------------------------------------------------------------------------------------

VIEW_PAGES = [
    ("orders", []),
    ("customer-orders", [FABRIKAM_ID]),
    ("order", [FABRIKAM_ID, BOUGHT_HERE]),
    ("customer-reservations", [FABRIKAM_ID]),
]
REFRESHES = [
    ("customer-orders-refresh", [FABRIKAM_ID]),
    ("order-refresh", [FABRIKAM_ID, BOUGHT_HERE]),
    ("customer-reservations-refresh", [FABRIKAM_ID]),
]


@pytest.mark.parametrize("name, args", VIEW_PAGES)
@pytest.mark.parametrize("persona", ["sales", "approver", "support", "admin"])
def test_every_role_follows_orders_and_reservations(client, personas, world, name, args, persona):
    client.force_login(personas[persona])
    assert client.get(reverse(name, args=args)).status_code == 200


@pytest.mark.parametrize("name, args", VIEW_PAGES)
def test_an_account_without_a_role_sees_no_order(client, personas, world, name, args):
    client.force_login(personas["outsider"])
    response = client.get(reverse(name, args=args))
    assert response.status_code == 403
    assert "Fabrikam Inc" not in response.content.decode()


@pytest.mark.parametrize("name, args", VIEW_PAGES + REFRESHES)
def test_strangers_are_sent_to_sign_in(client, world, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name, args", REFRESHES)
@pytest.mark.parametrize("persona", ["sales", "approver", "outsider"])
def test_only_support_and_admins_refresh_from_partner_center(client, personas, world, name, args, persona):
    client.force_login(personas[persona])
    assert client.post(reverse(name, args=args)).status_code == 403
    assert not AuditEntry.objects.filter(action__in=["order-refresh", "reservations-refresh"]).exists()


@pytest.mark.parametrize("name, args", REFRESHES)
def test_refreshing_needs_a_post(client, personas, world, name, args):
    client.force_login(personas["support"])
    assert client.get(reverse(name, args=args)).status_code == 405


@pytest.mark.parametrize("name, args", REFRESHES)
def test_a_refresh_without_the_forms_csrf_token_is_refused(personas, world, name, args):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["support"])
    assert client.post(reverse(name, args=args)).status_code == 403


def test_the_refresh_buttons_are_shown_only_to_who_may_use_them(client, personas, world):
    client.force_login(personas["sales"])
    assert 'data-testid="refresh-order"' not in page(client, order_url())
    assert 'data-testid="refresh-orders"' not in page(client, reverse("customer-orders", args=[FABRIKAM_ID]))
    client.force_login(personas["support"])
    assert 'data-testid="refresh-order"' in page(client, order_url())
    assert 'data-testid="refresh-orders"' in page(client, reverse("customer-orders", args=[FABRIKAM_ID]))


def test_without_partner_center_a_refresh_says_so(client, personas, world):
    client.force_login(personas["support"])
    response = client.post(reverse("customer-orders-refresh", args=[FABRIKAM_ID]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("customer-orders", args=[FABRIKAM_ID])
    assert "Partner Center is not configured for this portal" in response.content.decode()


def test_the_navigation_leads_to_the_orders(client, personas, world):
    client.force_login(personas["approver"])
    html = page(client, reverse("dashboard"))
    assert f'href="{reverse("orders")}" data-nav="orders"' in html


def test_the_customer_page_leads_to_its_orders_and_reservations(client, personas, world):
    client.force_login(personas["sales"])
    html = page(client, reverse("customer", args=[FABRIKAM_ID]))
    assert f'href="{reverse("customer-orders", args=[FABRIKAM_ID])}"' in html
    assert f'href="{reverse("customer-reservations", args=[FABRIKAM_ID])}"' in html


# --- addresses ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "order_id", ["b7c6d5e4-f3a2", "b7c6d5e4f3a2'--", "x" * 65, "b7c6d5e4f3a2%00", "ordér"]
)
def test_a_malformed_order_id_gets_the_bad_request_page(client, personas, world, order_id):
    client.force_login(personas["support"])
    for suffix in ("", "-status", "-provisioning"):
        response = client.get(order_url(FABRIKAM_ID, order_id, suffix))
        assert response.status_code == 400
        assert "Partner Center&#x27;s order ids are letters and digits only" in response.content.decode()
    assert client.post(order_url(FABRIKAM_ID, order_id, "-refresh")).status_code == 400


@pytest.mark.parametrize(
    "name, args",
    [
        ("customer-orders", ["not-a-guid"]),
        ("customer-reservations", ["5a1c0b7e2f444d1e9a530c6f2e9d1a11"]),
        ("order", ["5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a1z", BOUGHT_HERE]),
    ],
)
def test_a_malformed_customer_id_gets_the_bad_request_page(client, personas, world, name, args):
    client.force_login(personas["sales"])
    response = client.get(reverse(name, args=args))
    assert response.status_code == 400
    assert "The customer id in this address is malformed" in response.content.decode()


def test_unknown_customers_and_orders_are_not_found(client, personas, world):
    client.force_login(personas["support"])
    assert client.get(reverse("customer-orders", args=[UNKNOWN_ID])).status_code == 404
    assert client.get(reverse("customer-reservations", args=[UNKNOWN_ID])).status_code == 404
    assert client.get(order_url(FABRIKAM_ID, "ffffffffffff")).status_code == 404
    assert client.post(order_url(FABRIKAM_ID, "ffffffffffff", "-refresh")).status_code == 404
    assert client.post(reverse("customer-orders-refresh", args=[UNKNOWN_ID])).status_code == 404


def test_an_order_of_another_customer_is_not_found_under_this_one(client, personas, world):
    # A tampered address: the customer the user looks at, with another customer's order.
    client.force_login(personas["sales"])
    assert client.get(order_url(NORTHWIND_ID, BOUGHT_HERE)).status_code == 404
    assert (
        client.get(order_url(FABRIKAM_ID, NORTHWINDS, "-status"), HTTP_HX_REQUEST="true").status_code == 404
    )


def test_an_order_id_is_found_whatever_the_case_of_the_customer_id(client, personas, world):
    client.force_login(personas["sales"])
    assert client.get(order_url(FABRIKAM_ID.upper(), BOUGHT_HERE)).status_code == 200


# --- the orders list --------------------------------------------------------------------------------------


def test_the_list_shows_every_order_newest_first_with_how_it_was_bought(client, personas, world):
    client.force_login(personas["approver"])
    html = page(client, reverse("orders"))
    assert "3 orders" in html
    assert html.index(BOUGHT_HERE) < html.index(NORTHWINDS) < html.index(BOUGHT_ELSEWHERE)
    assert "Fabrikam Inc" in html and "Northwind Traders" in html
    assert f'href="/purchases/{world["purchase"].pk}/"' in html
    assert "Elsewhere (listed by Partner Center)" in html


def test_an_order_bought_here_and_not_listed_yet_says_when_partner_center_will_list_it(
    client, personas, world
):
    client.force_login(personas["sales"])
    html = page(client, reverse("orders"))
    assert html.count('data-testid="listing-note"') == 1
    assert "Bought through this portal at" in html
    assert "Partner Center lists new orders within 15 minutes." in html


def test_the_list_filters_by_customer_and_billing_cycle(client, personas, world):
    client.force_login(personas["sales"])
    fabrikam = page(client, reverse("orders"), customer=FABRIKAM_ID)
    assert BOUGHT_HERE in fabrikam and BOUGHT_ELSEWHERE in fabrikam and NORTHWINDS not in fabrikam
    one_time = page(client, reverse("orders"), billing="one_time")
    assert BOUGHT_HERE in one_time and NORTHWINDS in one_time and BOUGHT_ELSEWHERE not in one_time
    monthly = page(client, reverse("orders"), customer=FABRIKAM_ID, billing="monthly")
    assert BOUGHT_ELSEWHERE in monthly and BOUGHT_HERE not in monthly
    assert "No order matches these filters." in page(client, reverse("orders"), billing="annual")


def test_a_tampered_filter_shows_an_error_and_no_orders(client, personas, world):
    client.force_login(personas["sales"])
    html = page(client, reverse("orders"), customer=UNKNOWN_ID, billing="weekly")
    assert "Select a valid choice" in html
    assert BOUGHT_HERE not in html


def test_the_filters_answer_htmx_with_the_results_only(client, personas, world):
    client.force_login(personas["sales"])
    response = client.get(
        reverse("orders"), {"billing": "monthly"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert BOUGHT_ELSEWHERE in html and BOUGHT_HERE not in html
    assert "HX-Request" in response["Vary"]


def test_the_list_pages_and_keeps_its_filters(client, personas, world):
    fabrikam = world["fabrikam"]
    now = timezone.now()
    Order.objects.bulk_create(
        Order(
            id=f"bulk{n:08d}",
            customer=fabrikam,
            source=Order.Source.LIST,
            billing_cycle="one_time",
            status="completed",
            creation_date=now - timedelta(days=100 + n),
        )
        for n in range(30)
    )
    client.force_login(personas["sales"])
    first = page(client, reverse("orders"), billing="one_time")
    assert "33 orders" not in first and "32 orders" in first  # 30 more, with Fabrikam's and Northwind's
    assert "Page 1 of 2" in first and "billing=one_time&amp;page=2" in first
    second = page(client, reverse("orders"), billing="one_time", page="2")
    assert "bulk00000029" in second and BOUGHT_HERE not in second


def test_a_customers_orders_page_shows_only_its_orders_and_offers_the_refresh(client, personas, world):
    client.force_login(personas["support"])
    html = page(client, reverse("customer-orders", args=[NORTHWIND_ID]))
    assert "Orders of Northwind Traders" in html
    assert NORTHWINDS in html and BOUGHT_HERE not in html
    assert f'action="{reverse("customer-orders-refresh", args=[NORTHWIND_ID])}"' in html


# --- one order ---------------------------------------------------------------------------------------------


def test_the_order_page_shows_status_lines_and_the_approval_behind_it(client, personas, world):
    client.force_login(personas["sales"])
    html = page(client, order_url())
    assert "Order b7c6d5e4f3a2" in html
    assert "Pending" in html and "One-time" in html and "USD" in html
    assert "RI D4s v5 eastus 1y" in html and f"<code>{PRODUCT}</code> / <code>{SKU}</code>" in html
    assert "1 year" in html
    assert f'href="/purchases/{world["purchase"].pk}/"' in html
    assert f"purchase request {world['purchase'].reference}" in html
    assert "Approver" in html  # who approved (the approver persona's first name)
    assert "1,234.50 USD" in html  # the approved total
    assert "Bought through this portal at" in html


def test_a_pending_order_polls_its_local_status_and_a_completed_one_does_not(client, personas, world):
    client.force_login(personas["sales"])
    pending = page(client, order_url())
    assert f'hx-get="{order_url(suffix="-status")}" hx-trigger="every 5s"' in pending
    completed = page(client, order_url(FABRIKAM_ID, BOUGHT_ELSEWHERE))
    assert 'hx-trigger="every' not in completed
    assert "Not bought through this portal" in completed


def test_the_polled_status_is_the_local_row(client, personas, world):
    client.force_login(personas["sales"])
    Order.objects.filter(pk=BOUGHT_HERE).update(status="completed", listed_at=timezone.now())
    OrderLine.objects.filter(order_id=BOUGHT_HERE).update(
        subscription_id="1d2c3b4a-5968-4281-9f0e-8e7d6c5b4a39"
    )
    response = client.get(order_url(suffix="-status"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="order-status"')
    assert "Completed" in html and "1d2c3b4a-5968-4281-9f0e-8e7d6c5b4a39" in html
    assert 'hx-trigger="every' not in html  # done: the polling stops
    assert "no-cache" in response["Cache-Control"]


def test_the_status_address_without_htmx_leads_to_the_order_page(client, personas, world):
    client.force_login(personas["sales"])
    response = client.get(order_url(suffix="-status"))
    assert response.status_code == 302 and response["Location"] == order_url()


def test_the_order_page_loads_the_provisioning_status_live_with_a_plain_link_too(client, personas, world):
    client.force_login(personas["sales"])
    html = page(client, order_url())
    provisioning = order_url(suffix="-provisioning")
    assert f'<a href="{provisioning}" hx-get="{provisioning}"' in html
    assert 'hx-trigger="load, click"' in html


def test_a_fulfilled_order_shows_its_stored_provisioning_without_reading_it_again(client, personas, world):
    Order.objects.filter(pk=BOUGHT_HERE).update(
        provisioning_status="fulfilled", provisioning_read_at=timezone.now()
    )
    OrderLine.objects.filter(order_id=BOUGHT_HERE).update(provisioning_status="fulfilled")
    client.force_login(personas["sales"])
    html = page(client, order_url())
    assert "Fulfilled: the reservations are ready to use" in html
    assert "Line 0 (RI D4s v5 eastus 1y): Fulfilled: the reservation is ready to use" in html
    assert "Check the provisioning status again" in html
    assert 'hx-trigger="load' not in html


@pytest.mark.parametrize("htmx", [True, False])
def test_without_a_microsoft_session_the_provisioning_says_how_to_get_one(
    client, personas, world, configured_partner_center, htmx
):
    client.force_login(personas["sales"])
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.get(order_url(suffix="-provisioning"), **headers)
    assert response.status_code == 200
    html = response.content.decode()
    assert "You signed in with a portal account: sign in with Microsoft to see it." in html
    assert (
        f'href="{reverse("microsoft-sign-in")}?next=%2Fcustomers%2F{FABRIKAM_ID}%2Forders%2F{BOUGHT_HERE}%2F"'
        in html
    )
    assert html.lstrip().startswith('<section id="provisioning"') == htmx
    assert not AuditEntry.objects.filter(action="order-refresh").exists()  # Partner Center was not asked


def test_without_partner_center_the_provisioning_says_it_is_not_configured(client, personas, world):
    client.force_login(personas["sales"])
    html = page(client, order_url(suffix="-provisioning"))
    assert "Partner Center is not configured for this portal" in html


# --- reservations ----------------------------------------------------------------------------------------


def test_reservations_show_catalog_titles_expiry_and_the_way_back_to_the_purchase(client, personas, world):
    mirror = Mirror.objects.create(country="US", scope=AZURE_PLAN_SCOPE, generation=1)
    product = Product.objects.create(
        mirror=mirror, generation=1, product_id=PRODUCT, title="Virtual Machines Dsv5 Series"
    )
    Sku.objects.create(
        mirror=mirror,
        generation=1,
        product_row=product,
        product_id=PRODUCT,
        sku_id=SKU,
        title="Standard_D4s_v5 US East 1 year",
    )
    client.force_login(personas["approver"])
    html = page(client, reverse("customer-reservations", args=[FABRIKAM_ID]))
    assert "Standard_D4s_v5 US East 1 year" in html and "Virtual Machines Dsv5 Series" in html
    assert "<code>DZH318Z0SQLD</code> / <code>0042</code>" in html  # unknown to the catalog: its ids
    assert "364 days left" in html and "expired" in html
    assert "virtualmachines" in html and "sqldatabases" in html
    assert f'href="{order_url()}"' in html
    assert f'href="/purchases/{world["purchase"].pk}/"' in html
    assert "not in the portal's orders" in html


def test_a_catalog_copy_still_being_built_does_not_name_reservations(client, personas, world):
    mirror = Mirror.objects.create(country="US", scope=AZURE_PLAN_SCOPE, generation=1)
    product = Product.objects.create(mirror=mirror, generation=2, product_id=PRODUCT, title="Next copy")
    Sku.objects.create(
        mirror=mirror, generation=2, product_row=product, product_id=PRODUCT, sku_id=SKU, title="Not yet"
    )
    client.force_login(personas["sales"])
    html = page(client, reverse("customer-reservations", args=[FABRIKAM_ID]))
    assert "Not yet" not in html


def test_without_a_microsoft_session_the_reservations_page_says_how_to_get_one(
    client, personas, world, configured_partner_center
):
    client.force_login(personas["support"])
    url = reverse("customer-reservations", args=[FABRIKAM_ID])
    html = page(client, url)
    assert "You signed in with a portal account: sign in with Microsoft to see it." in html
    assert 'data-testid="refresh-reservations"' not in html

    response = client.post(reverse("customer-reservations-refresh", args=[FABRIKAM_ID]), follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "Reservations can only be read with your own Partner Center access" in response.content.decode()
    assert Reservation.objects.filter(customer_id=FABRIKAM_ID).count() == 2  # nothing removed
    assert not AuditEntry.objects.filter(action="reservations-refresh").exists()


def test_a_customer_whose_reservations_were_never_read_says_so(client, personas, world):
    client.force_login(personas["sales"])
    html = page(client, reverse("customer-reservations", args=[NORTHWIND_ID]))
    assert "has not read this customer's reservations from Partner Center yet" in html
