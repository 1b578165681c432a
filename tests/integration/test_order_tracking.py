"""Following orders and reservations against the sandbox: reconciling with the order lists and their
15-minute lag, reading orders by id, provisioning status and reservations with a staff member's own
Microsoft session, and riding out throttling.

Orders are bought through the sandbox with the client's cart calls directly, and recorded as checkout
records them (source CHECKOUT). Business time (completion, listing delay) follows the sandbox clock, which
the tests move forward. The sandbox's statistics say what really reached Partner Center.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders import tracking, tracking_tasks
from orders.models import Order, OrderLine, Reservation
from partnercenter import AppUserRequired, EntitlementType, Transport, entitlements
from partnercenter import orders as pc_orders
from partnercenter.auth import AppTokenProvider
from portal.models import AuditEntry, Customer
from tests.integration.conftest import mirror_customer
from tests.integration.test_microsoft_sign_in import DOMAIN, sign_in
from tests.integration.test_partner_center_contract import (
    FABRIKAM,
    Offer,
    authorization_code_sign_in,
    buy,
    find_offer,
    seeded_customer,
)
from tests.sandbox_process import Sandbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

# Routes as the sandbox's statistics name them, and as its fault rules match them.
LIST_ORDERS = "GET /v1/customers/{customer_id}/orders"
GET_ORDER = "GET /v1/customers/{customer_id}/orders/{order_id}"
ORDERS_PATH = r"^/v1/customers/[^/]+/orders$"
COMPLETION_DELAY = 60  # seconds of the sandbox clock an order stays pending (set per test below)
LISTING_DELAY = 900  # the sandbox's default: Partner Center's documented 15 minutes


@pytest.fixture
def sim(partner_center: Sandbox) -> Sandbox:
    """The sandbox (`sim`), with orders pending long enough for a test to see them pending."""
    partner_center.admin("PUT", "settings", {"order_completion_delay": COMPLETION_DELAY})
    assert float(partner_center.admin("GET", "settings")["listing_delay"]) == LISTING_DELAY
    return partner_center


@pytest.fixture
def pc(sim: Sandbox):
    with Transport.from_config(sim.config) as transport:
        yield transport


@pytest.fixture
def fabrikam(sim: Sandbox) -> Customer:
    """Fabrikam Inc (US): its Azure plan is registered, and it has months of seeded orders."""
    return mirror_customer(FABRIKAM)


@pytest.fixture
def offer(pc: Transport, fabrikam: Customer) -> Offer:
    return find_offer(pc, seeded_customer(pc, FABRIKAM))


def calls(sim: Sandbox, route: str) -> int:
    return int(sim.stats()["requests"].get(route, 0))


def complete_orders(sim: Sandbox) -> None:
    sim.advance_clock(COMPLETION_DELAY + 1)


def pass_listing_delay(sim: Sandbox) -> None:
    sim.advance_clock(LISTING_DELAY + 1)


def bought_outside(pc: Transport, offer: Offer, quantity: int = 2) -> str:
    """Buy in the sandbox without the portal knowing: as the Partner Center dashboard would."""
    _cart, result = buy(pc, offer, quantity=quantity)
    [order] = result.orders
    assert order.id
    return order.id


def bought_here(pc: Transport, offer: Offer, customer: Customer, quantity: int = 2) -> Order:
    """Buy in the sandbox and record the order as orders.checkout records it from the checkout result."""
    _cart, result = buy(pc, offer, quantity=quantity)
    [found] = result.orders
    assert found.id
    order = Order.objects.create(
        id=found.id,
        customer=customer,
        source=Order.Source.CHECKOUT,
        billing_cycle=str(found.billing_cycle or ""),
        status=str(found.status or ""),
        currency_code=found.currency_code or "",
        creation_date=found.creation_date,
    )
    for item in found.line_items:
        OrderLine.objects.create(
            order=order,
            line_item_number=item.line_item_number or 0,
            offer_id=item.offer_id or "",
            quantity=item.quantity,
            friendly_name=item.friendly_name or "",
        )
    return order


def seeded_orders(pc: Transport, customer: Customer) -> set[str]:
    return {str(o.id) for o in pc_orders.list_orders(pc, customer.pk)}


# --- reconciling with the order lists ----------------------------------------------------------------------


def test_an_order_bought_here_completes_then_is_listed_after_the_lag(pc, sim, fabrikam, offer):
    history = seeded_orders(pc, fabrikam)
    order = bought_here(pc, offer, fabrikam)
    reads = calls(sim, GET_ORDER)

    first = tracking.reconcile_customer(fabrikam)
    order.refresh_from_db()
    assert (order.status, order.listed_at) == ("pending", None)
    assert (first.listed, first.added, first.newly_listed, first.read_by_id) == (
        len(history),
        len(history),
        0,
        1,
    )
    # The seeded history arrives from the list, as orders the portal did not make.
    assert set(Order.objects.filter(source=Order.Source.LIST).values_list("pk", flat=True)) == history
    assert not Order.objects.filter(pk__in=history, purchase_request__isnull=False).exists()

    complete_orders(sim)
    second = tracking.reconcile_customer(fabrikam)
    order.refresh_from_db()
    assert order.status == "completed" and order.listed_at is None  # read by id: completed, still unlisted
    assert (second.added, second.newly_listed, second.read_by_id) == (0, 0, 1)
    [line] = order.lines.all()
    assert line.subscription_id and (line.product_id, line.sku_id) == (offer.product.id, offer.sku.id)
    assert line.term_duration == "P1Y" and line.quantity == 2

    pass_listing_delay(sim)
    third = tracking.reconcile_customer(fabrikam)
    order.refresh_from_db()
    assert order.listed_at is not None and order.source == Order.Source.CHECKOUT
    assert (third.listed, third.newly_listed, third.read_by_id) == (len(history) + 1, 1, 0)
    # Only the open order was read by id, and only while the list did not say it was done.
    assert calls(sim, GET_ORDER) == reads + 2

    entries = list(AuditEntry.objects.filter(action="order-refresh").order_by("id"))
    assert [(e.actor_name, e.outcome, e.object_id) for e in entries] == [
        ("worker", "success", fabrikam.pk)
    ] * 3
    assert all(len(e.correlation_id) == 36 for e in entries)
    assert entries[0].message.startswith(f"Orders reconciled with Partner Center: {len(history)} listed")


def test_an_order_bought_outside_the_portal_shows_up_once_listed(pc, sim, fabrikam, offer, client, personas):
    outside = bought_outside(pc, offer, quantity=3)
    tracking.reconcile_customer(fabrikam)
    assert not Order.objects.filter(pk=outside).exists()  # not listed yet, and unknown here

    pass_listing_delay(sim)
    summary = tracking.reconcile_customer(fabrikam)

    found = Order.objects.get(pk=outside)
    assert summary.added == 1 and summary.newly_listed == 0
    assert (found.source, found.purchase_request, found.status) == (Order.Source.LIST, None, "completed")
    assert found.listed_at is not None and found.billing_cycle == "one_time"
    [line] = found.lines.all()
    assert (line.product_id, line.sku_id, line.quantity) == (offer.product.id, offer.sku.id, 3)

    client.force_login(personas["sales"])
    html = client.get(reverse("orders"), {"customer": fabrikam.pk}).content.decode()
    assert outside in html and "Elsewhere (listed by Partner Center)" in html


def test_a_local_order_partner_center_does_not_know_is_kept_and_reported(pc, sim, fabrikam):
    Order.objects.create(id="0dd0dd0dd0dd", customer=fabrikam, source=Order.Source.CHECKOUT, status="pending")
    summary = tracking.reconcile_customer(fabrikam)
    assert summary.not_found == ("0dd0dd0dd0dd",)
    assert Order.objects.get(pk="0dd0dd0dd0dd").status == "pending"
    entry = AuditEntry.objects.get(action="order-refresh")
    assert "Partner Center does not know: 0dd0dd0dd0dd." in entry.message


def test_support_refreshes_a_customers_orders_from_the_list_page(pc, sim, fabrikam, offer, client, personas):
    order = bought_here(pc, offer, fabrikam)
    client.force_login(personas["support"])
    back = reverse("orders") + f"?customer={fabrikam.pk}"
    before = client.get(back).content.decode()
    assert "Bought through this portal at" in before

    response = client.post(
        reverse("customer-orders-refresh", args=[fabrikam.pk]), {"next": back}, follow=True
    )

    assert response.redirect_chain == [(back, 302)]
    html = response.content.decode()
    assert "Orders of Fabrikam Inc refreshed from Partner Center:" in html
    assert "Bought through this portal at" in html  # still not in Partner Center's lists
    entry = AuditEntry.objects.get(action="order-refresh")
    assert (entry.actor, entry.outcome) == (personas["support"], "success") and entry.correlation_id
    assert Order.objects.filter(customer=fabrikam, source=Order.Source.LIST).exists()
    order.refresh_from_db()
    assert order.read_at is not None


def test_partner_center_errors_on_a_refresh_are_shown_in_plain_words(sim, fabrikam, client, personas):
    sim.faults({"method": "GET", "path": ORDERS_PATH, "kind": "error", "status": 503, "count": 10})
    client.force_login(personas["support"])
    response = client.post(reverse("customer-orders-refresh", args=[fabrikam.pk]), follow=True)
    html = response.content.decode()
    entry = AuditEntry.objects.get(action="order-refresh")
    assert (
        "The orders of Fabrikam Inc could not be refreshed from Partner Center: "
        "Partner Center had an unexpected error." in html
    )
    assert entry.outcome == "failure" and entry.correlation_id in html  # a reference to quote to Microsoft


def test_the_refresh_button_reads_one_order_by_id(pc, sim, fabrikam, offer, client, personas):
    order = bought_here(pc, offer, fabrikam)
    complete_orders(sim)
    client.force_login(personas["admin"])
    response = client.post(reverse("order-refresh", args=[fabrikam.pk, order.pk]), follow=True)
    html = response.content.decode()
    assert f"Order {order.pk} read from Partner Center: Completed." in html
    order.refresh_from_db()
    assert order.status == "completed" and order.lines.get().subscription_id
    assert 'hx-trigger="every' not in html  # done: the page stops polling
    entry = AuditEntry.objects.get(action="order-refresh")
    assert (entry.object_id, entry.actor) == (order.pk, personas["admin"]) and entry.correlation_id


# --- App+User: provisioning status and reservations --------------------------------------------------------


@pytest.fixture
def microsoft_client(sim: Sandbox):
    """A browser signed in to the portal with Microsoft as Adele Vance (Admin, with MFA)."""
    client = Client(HTTP_HOST="127.0.0.1")
    sign_in(client, sim, f"adelev@{DOMAIN}")
    return client


def test_provisioning_is_read_with_the_viewers_own_session_until_fulfilled(
    pc, sim, fabrikam, offer, microsoft_client
):
    order = bought_here(pc, offer, fabrikam)
    url = reverse("order-provisioning", args=[fabrikam.pk, order.pk])

    pending = microsoft_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Pending: Microsoft is still setting them up" in pending
    assert "Pending: Microsoft is still setting it up" in pending  # the line

    complete_orders(sim)
    fulfilled = microsoft_client.get(url).content.decode()  # the plain link: the whole order page
    assert "Fulfilled: the reservations are ready to use" in fulfilled
    assert "<h1>Order" in fulfilled
    order.refresh_from_db()
    assert order.provisioning_status == "fulfilled" and order.lines.get().provisioning_status == "fulfilled"
    entries = AuditEntry.objects.filter(action="order-refresh", object_id=order.pk)
    assert entries.count() == 2
    assert all(e.actor.email == f"adelev@{DOMAIN}" and e.correlation_id for e in entries)


def test_partner_center_refuses_provisioning_without_a_staff_members_own_token(pc, sim, fabrikam, offer):
    order = bought_here(pc, offer, fabrikam)
    with pytest.raises(AppUserRequired):
        tracking.refresh_provisioning(order, AppTokenProvider(sim.config))
    entry = AuditEntry.objects.get(action="order-refresh")
    assert entry.outcome == "failure" and entry.correlation_id
    assert "needs your own Partner Center sign-in" in entry.message


def test_a_session_without_mfa_is_refused_and_the_page_says_what_to_do(pc, sim, fabrikam, offer):
    order = bought_here(pc, offer, fabrikam)
    client = Client(HTTP_HOST="127.0.0.1")
    sign_in(client, sim, f"leeg@{DOMAIN}")  # Support, signs in without MFA
    html = client.get(reverse("order-provisioning", args=[fabrikam.pk, order.pk])).content.decode()
    assert "Partner Center refused your own sign-in for this." in html
    assert Order.objects.get(pk=order.pk).provisioning_status == ""


def test_without_a_microsoft_session_nothing_is_asked_and_the_page_says_how_to_get_one(
    pc, sim, fabrikam, offer, client, personas
):
    order = bought_here(pc, offer, fabrikam)
    client.force_login(personas["support"])
    before = calls(sim, "GET /v1/customers/{customer_id}/orders/{order_id}/provisioningstatus")
    html = client.get(reverse("order-provisioning", args=[fabrikam.pk, order.pk])).content.decode()
    assert "sign in with Microsoft to see it" in html
    assert calls(sim, "GET /v1/customers/{customer_id}/orders/{order_id}/provisioningstatus") == before


def test_reservations_are_read_with_the_viewers_session_linked_to_their_orders(
    pc, sim, fabrikam, offer, microsoft_client
):
    order = bought_here(pc, offer, fabrikam)
    complete_orders(sim)
    # A reservation the portal once read that Partner Center no longer returns (expired, transferred).
    Reservation.objects.create(
        customer=fabrikam,
        order_ref="900d900d900d",
        line_item_id="0",
        product_id="GONE",
        read_at=timezone.now(),
    )
    token = authorization_code_sign_in(sim, f"meganb@{DOMAIN}").token
    owned = list(
        entitlements.list_entitlements(
            pc, fabrikam.pk, entitlement_type=EntitlementType.RESERVED_INSTANCE, show_expiry=True, token=token
        )
    )

    url = reverse("customer-reservations", args=[fabrikam.pk])
    response = microsoft_client.post(
        reverse("customer-reservations-refresh", args=[fabrikam.pk]), follow=True
    )

    assert response.redirect_chain == [(url, 302)]
    html = response.content.decode()
    assert f"Reservations of Fabrikam Inc read from Partner Center: {len(owned)}." in html
    assert Reservation.objects.filter(customer=fabrikam).count() == len(owned)
    assert not Reservation.objects.filter(order_ref="900d900d900d").exists()
    mine = Reservation.objects.get(order_ref=order.pk)
    assert (mine.order, mine.product_id, mine.sku_id, mine.quantity) == (
        order,
        offer.product.id,
        offer.sku.id,
        2,
    )
    assert mine.reservation_type == "virtualmachines" and mine.resource_id
    assert mine.expiry_date is not None and mine.expiry_date > timezone.now() + timedelta(days=360)
    assert f'href="{reverse("order", args=[fabrikam.pk, order.pk])}"' in html
    assert "days left" in html
    entry = AuditEntry.objects.get(action="reservations-refresh")
    assert entry.outcome == "success" and entry.correlation_id and entry.actor.email == f"adelev@{DOMAIN}"


# --- the background work ------------------------------------------------------------------------------------


def test_after_a_checkout_the_customers_orders_are_reconciled(
    pc, sim, fabrikam, offer, tasks_run_in_process, django_capture_on_commit_callbacks
):
    order = bought_here(pc, offer, fabrikam)
    complete_orders(sim)
    with django_capture_on_commit_callbacks(execute=True):
        tracking_tasks.after_checkout(fabrikam.pk)
    order.refresh_from_db()
    # Both follow-ups ran (Celery's eager mode ignores the second one's 16-minute countdown).
    assert order.status == "completed"
    assert AuditEntry.objects.filter(action="order-refresh", actor_name="worker").count() == 2


def test_a_429_storm_on_the_order_list_still_ends_reconciled(
    pc, sim, fabrikam, offer, tasks_run_in_process, caplog
):
    order = bought_here(pc, offer, fabrikam)
    pass_listing_delay(sim)  # also past completion
    # More refusals than the transport retries within one call (4 attempts): the task takes over.
    sim.faults({"method": "GET", "path": ORDERS_PATH, "kind": "throttle", "count": 5, "retry_after": 1})
    lists = calls(sim, LIST_ORDERS)

    with caplog.at_level(logging.WARNING, logger="orders"):
        tracking_tasks.reconcile_orders.delay(fabrikam.pk)

    order.refresh_from_db()
    assert order.status == "completed" and order.listed_at is not None
    assert "will try again in 30 s" in caplog.text  # never sooner than asked, and backed off
    assert calls(sim, LIST_ORDERS) == lists + 6  # five refused, then the answer
    outcomes = list(
        AuditEntry.objects.filter(action="order-refresh").order_by("id").values_list("outcome", flat=True)
    )
    assert outcomes == ["failure", "success"]


def test_the_round_reconciles_customers_with_open_orders_and_waits_out_a_long_throttle(
    pc, sim, fabrikam, offer, tasks_run_in_process, caplog
):
    northwind = mirror_customer("Northwind Traders")
    Order.objects.create(
        id="c0ffee000001",
        customer=northwind,
        source=Order.Source.LIST,
        status="completed",
        listed_at=timezone.now(),
    )
    order = bought_here(pc, offer, fabrikam)
    pass_listing_delay(sim)
    # Longer than the transport waits within a call: handed to the task, which retries when asked.
    sim.faults({"method": "GET", "path": ORDERS_PATH, "kind": "throttle", "count": 1, "retry_after": 120})
    assert tracking.customers_to_reconcile(limit=50) == [fabrikam.pk]

    with caplog.at_level(logging.WARNING, logger="orders"):
        tracking_tasks.reconcile_open_orders.delay()

    assert "will try again in 120 s" in caplog.text
    order.refresh_from_db()
    assert order.status == "completed" and order.listed_at is not None
    assert tracking.customers_to_reconcile(limit=50) == []  # nothing open any more
    # Northwind has nothing open: its orders were not asked for.
    assert not AuditEntry.objects.filter(action="order-refresh", object_id=northwind.pk).exists()


def test_the_round_leaves_alone_orders_open_for_longer_than_a_week(sim, fabrikam):
    stale = Order.objects.create(
        id="5ta1e0000001", customer=fabrikam, source=Order.Source.CHECKOUT, status="pending"
    )
    Order.objects.filter(pk=stale.pk).update(
        recorded_at=timezone.now() - tracking.FOLLOW_FOR - timedelta(hours=1)
    )
    assert tracking.customers_to_reconcile(limit=50) == []
