"""Checkout against the sandbox: an approved request is bought exactly once, whatever goes wrong.

Every test ends by counting, in the sandbox itself, the orders made from the request's cart: one when it
was bought, none when it was refused. The portal's local state must agree.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from catalog.models import LEGACY_SCOPE, Sku
from orders import approvals, carts, checkout, checkout_tasks
from orders.carts import LineChoice
from orders.models import Approval, Order, PurchaseLine, PurchaseRequest
from orders.transitions import IllegalTransition, PurchaseError
from partnercenter.transport import RetryPolicy, Transport
from portal import celery_app
from portal import partner_center as portal_partner_center
from portal.models import Customer, CustomerSubscription, Notification
from tests.integration.conftest import mirror_customer, wait_for
from tests.integration.test_catalog_inventory import available_and_restricted_skus
from tests.sandbox_process import Sandbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

State = PurchaseRequest.State
CHECKOUT_PATH = r"^/v1/customers/[^/]+/carts/[^/]+/checkout$"


def transport() -> Transport:
    return portal_partner_center.transport()


def choice(sku: Sku, quantity: int = 1, scope: str = "shared") -> LineChoice:
    line = sku.availabilities.first()
    assert line is not None
    return LineChoice(
        product_id=sku.product_id,
        sku_id=sku.sku_id,
        term_months=line.term_months,
        billing_plan=line.billing_plan,
        quantity=quantity,
        scope=scope,
    )


def approved(
    customer: Customer, subscription: CustomerSubscription, personas, *lines: LineChoice
) -> PurchaseRequest:
    """A request built by Sales, its cart in the sandbox, approved by the approver (checkout not run)."""
    sales, approver = personas["sales"], personas["approver"]
    purchase = carts.start_request(customer, subscription, by=sales)
    for line in lines:
        carts.add_line(purchase, line, by=sales, transport=transport())
    carts.submit(purchase, by=sales, transport=transport())
    approvals.approve(purchase, by=approver, comment="ok")
    purchase.refresh_from_db()
    assert purchase.state == State.APPROVED
    return purchase


def orders_made(sandbox: Sandbox, purchase: PurchaseRequest) -> int:
    """Orders the sandbox made from the request's cart (0 when it was never checked out)."""
    purchase.refresh_from_db()
    return sandbox.stats()["checkouts"].get(purchase.cart_id, {}).get("orders", 0)


def checkout_calls(sandbox: Sandbox, purchase: PurchaseRequest) -> int:
    return sandbox.stats()["checkouts"].get(purchase.cart_id, {}).get("calls", 0)


def run_until_final(purchase: PurchaseRequest, attempts: int = 10) -> checkout.Outcome:
    """Play the worker: attempt, and when told to wait, make the wait due at once and attempt again."""
    outcome = checkout.Outcome(State.CHECKING_OUT)
    for _ in range(attempts):
        PurchaseRequest.objects.filter(pk=purchase.pk).update(next_attempt_at=None)
        outcome = checkout.run(purchase.pk, transport())
        if outcome.state != State.CHECKING_OUT:
            break
    return outcome


@pytest.fixture
def fabrikam(partner_center) -> Customer:
    """Fabrikam Inc (US): a registered Azure plan."""
    return mirror_customer("Fabrikam Inc")


@pytest.fixture
def plan(fabrikam) -> CustomerSubscription:
    return fabrikam.subscriptions.get(kind=CustomerSubscription.Kind.AZURE_PLAN)


@pytest.fixture
def skus(fabrikam, plan) -> dict[str, Sku]:
    return available_and_restricted_skus(fabrikam, plan)


@pytest.fixture
def available(skus) -> Sku:
    return skus["available"]


def test_an_approved_request_is_bought_once_and_its_orders_are_recorded_at_once(
    partner_center, personas, fabrikam, plan, available
):
    purchase = approved(fabrikam, plan, personas, choice(available, quantity=2))
    approval = Approval.objects.get(request=purchase)
    assert approval.total is not None and approval.total > 0
    assert approval.snapshot[0]["quantity"] == 2

    outcome = checkout.run(purchase.pk, transport())

    purchase.refresh_from_db()
    assert outcome.state == purchase.state == State.ORDERED
    order = Order.objects.get(purchase_request=purchase)
    assert order.source == Order.Source.CHECKOUT and order.approval == approval
    assert order.customer == fabrikam and order.status == "pending"
    assert order.lines.get().quantity == 2
    line = purchase.lines.get()
    assert line.order == order and line.order_error_code == ""
    assert orders_made(partner_center, purchase) == 1
    assert Notification.objects.filter(recipient=personas["sales"], message__contains="was ordered").exists()
    # The timeline tells the story, in order.
    actions = [entry.action for entry in purchase_timeline(purchase)]
    assert actions.index("purchase-awaiting-approval") < actions.index("purchase-approved")
    assert actions[-2:] == ["purchase-checking-out", "purchase-ordered"]


def purchase_timeline(purchase: PurchaseRequest):
    from orders.transitions import timeline

    return list(timeline(purchase))


def test_running_checkout_again_after_it_is_ordered_buys_nothing_more(
    partner_center, personas, fabrikam, plan, available
):
    purchase = approved(fabrikam, plan, personas, choice(available))
    assert checkout.run(purchase.pk, transport()).state == State.ORDERED
    again = checkout.run(purchase.pk, transport())
    assert again.state == State.ORDERED and again.detail == "not claimed"
    assert orders_made(partner_center, purchase) == 1
    assert checkout_calls(partner_center, purchase) == 1


def test_a_worker_that_died_after_partner_center_ordered_is_replaced_without_buying_again(
    partner_center, personas, fabrikam, plan, available, settings
):
    purchase = approved(fabrikam, plan, personas, choice(available))
    # The first worker claims it and Partner Center orders the cart, then the worker dies before writing.
    claimed = checkout._claim(purchase.pk)
    assert claimed is not None and claimed.state == State.CHECKING_OUT
    from partnercenter import carts as pc_carts

    pc_carts.checkout_cart(transport(), fabrikam.pk, claimed.cart_id)
    assert Order.objects.count() == 0
    # While its lease runs, nobody else may take the request.
    assert checkout.run(purchase.pk, transport()).detail == "not claimed"
    assert checkout.due() == []
    # The lease lapses: the sweep sees it, and the next worker resolves it by asking again.
    PurchaseRequest.objects.filter(pk=purchase.pk).update(checkout_lease_until=claimed.created_at)
    assert checkout.due() == [purchase.pk]

    outcome = checkout.run(purchase.pk, transport())

    assert outcome.state == State.ORDERED
    assert Order.objects.filter(purchase_request=purchase).count() == 1
    assert orders_made(partner_center, purchase) == 1
    assert checkout_calls(partner_center, purchase) == 2  # asked twice, bought once


def test_a_response_lost_after_the_order_was_committed_is_resolved_by_asking_again(
    partner_center, personas, fabrikam, plan, available
):
    purchase = approved(fabrikam, plan, personas, choice(available))
    # Every answer is lost long enough to exhaust the client's own retries: the outcome is unknown.
    partner_center.faults({"path": CHECKOUT_PATH, "method": "POST", "kind": "lost_response", "count": 4})

    first = checkout.run(purchase.pk, transport())

    purchase.refresh_from_db()
    assert first.state == State.CHECKING_OUT and first.retry_at is not None
    assert "the portal asks again" in purchase.last_error
    assert orders_made(partner_center, purchase) == 1  # the sandbox did order it
    assert Order.objects.count() == 0  # but the portal does not know yet

    final = run_until_final(purchase)

    assert final.state == State.ORDERED
    assert Order.objects.filter(purchase_request=purchase).count() == 1
    assert orders_made(partner_center, purchase) == 1


def test_a_429_storm_delays_the_checkout_but_never_doubles_it(
    partner_center, personas, fabrikam, plan, available
):
    purchase = approved(fabrikam, plan, personas, choice(available))
    partner_center.faults(
        {"path": CHECKOUT_PATH, "method": "POST", "kind": "throttle", "retry_after": 1, "count": 12}
    )
    outcome = checkout.run(purchase.pk, transport())
    purchase.refresh_from_db()
    assert outcome.state == State.CHECKING_OUT and outcome.retry_at is not None
    assert "did not complete the checkout" in purchase.last_error

    assert run_until_final(purchase, attempts=12).state == State.ORDERED
    assert orders_made(partner_center, purchase) == 1


def test_a_busy_cart_is_tried_again_later(partner_center, personas, fabrikam, plan, available):
    purchase = approved(fabrikam, plan, personas, choice(available))
    partner_center.faults(
        {
            "path": CHECKOUT_PATH,
            "kind": "error",
            "status": 409,
            "code": "800064",
            "description": "The cart is being processed by another request.",
            "count": 1,
        }
    )
    outcome = checkout.run(purchase.pk, transport())
    purchase.refresh_from_db()
    assert outcome.state == State.CHECKING_OUT
    assert "processing this cart in another request" in purchase.last_error
    assert run_until_final(purchase).state == State.ORDERED
    assert orders_made(partner_center, purchase) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_on_one_request_make_one_order(
    partner_center, personas, fabrikam, plan, available
):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers with a database lock; the race needs row locks (PostgreSQL)")
    purchase = approved(fabrikam, plan, personas, choice(available))
    outcomes: list[checkout.Outcome] = []
    start = threading.Barrier(2)

    def worker() -> None:
        start.wait()
        try:
            outcomes.append(checkout.run(purchase.pk, transport()))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(o.detail == "not claimed" for o in outcomes) == [False, True]
    purchase.refresh_from_db()
    assert purchase.state == State.ORDERED
    assert orders_made(partner_center, purchase) == 1
    assert checkout_calls(partner_center, purchase) == 1


def test_a_double_click_on_approve_approves_once(partner_center, personas, fabrikam, plan, available):
    sales, approver = personas["sales"], personas["approver"]
    purchase = carts.start_request(fabrikam, plan, by=sales)
    carts.add_line(purchase, choice(available), by=sales, transport=transport())
    carts.submit(purchase, by=sales, transport=transport())

    approvals.approve(purchase, by=approver)
    with pytest.raises(IllegalTransition) as second:
        approvals.approve(purchase, by=approver)

    assert "approved" in second.value.user_message
    assert Approval.objects.filter(request=purchase).count() == 1


def test_a_request_whose_lines_changed_after_approval_is_not_bought(
    partner_center, personas, fabrikam, plan, available
):
    purchase = approved(fabrikam, plan, personas, choice(available))
    # Someone changes the quantity behind the portal's back (the pages refuse it: see the page tests).
    PurchaseLine.objects.filter(request=purchase).update(quantity=5)

    outcome = checkout.run(purchase.pk, transport())

    purchase.refresh_from_db()
    assert outcome.state == purchase.state == State.FAILED
    assert "differ from what was approved" in purchase.last_error
    assert checkout_calls(partner_center, purchase) == 0


def test_a_stale_availability_at_checkout_fails_with_the_way_forward_and_a_rebuild_reads_it_again(
    partner_center, personas, fabrikam, plan, available
):
    purchase = approved(fabrikam, plan, personas, choice(available))
    old_item = purchase.lines.get().catalog_item_id
    partner_center.admin("POST", "rotate-availabilities")

    outcome = checkout.run(purchase.pk, transport())

    purchase.refresh_from_db()
    assert outcome.state == purchase.state == State.FAILED
    assert "Rebuild the request" in purchase.last_error
    assert orders_made(partner_center, purchase) == 0

    rebuilt = carts.rebuild(purchase, by=personas["sales"], transport=transport())
    assert rebuilt.state == State.DRAFT and rebuilt.cart_synced
    assert rebuilt.cart_id != purchase.cart_id
    assert rebuilt.lines.get().catalog_item_id != old_item
    with pytest.raises(PurchaseError):  # a new approval is needed before anything is bought
        approvals.approve(rebuilt, by=personas["approver"])


def test_a_cart_partner_center_no_longer_keeps_expires_the_request(
    partner_center, personas, fabrikam, plan, available
):
    purchase = approved(fabrikam, plan, personas, choice(available))
    partner_center.advance_clock(8 * 86400)

    outcome = checkout.run(purchase.pk, transport())

    purchase.refresh_from_db()
    assert outcome.state == purchase.state == State.EXPIRED
    assert "carts expire 7 days after creation" in purchase.last_error
    assert orders_made(partner_center, purchase) == 0


def test_a_partial_success_records_each_order_groups_outcome(partner_center, personas, fabrikam, plan, skus):
    purchase = approved(fabrikam, plan, personas, choice(skus["available"]), choice(skus["restricted"]))

    outcome = checkout.run(purchase.pk, transport())

    assert outcome.state == State.ORDERED
    bought, refused = purchase.lines.order_by("position")
    assert bought.order is not None and bought.order_error_code == ""
    assert refused.order is None and refused.order_error_code == "800010"
    assert "No capacity was left" in refused.order_error_message
    assert orders_made(partner_center, purchase) == 1


def test_a_market_blocked_after_approval_is_refused_at_checkout_without_a_call(
    partner_center, personas, fabrikam, plan, available, settings
):
    purchase = approved(fabrikam, plan, personas, choice(available))
    settings.UNAVAILABLE_MARKETS = ["US"]

    outcome = checkout.run(purchase.pk, transport())

    purchase.refresh_from_db()
    assert outcome.state == purchase.state == State.FAILED
    assert "United States" in purchase.last_error
    assert checkout_calls(partner_center, purchase) == 0


# --- with a real worker ---------------------------------------------------------------------------------


@pytest.fixture
def portal_worker_env(partner_center, settings):
    celery_app.control.purge()
    yield {
        **partner_center.env,
        "PORTAL_DATA_DIR": str(settings.DATA_DIR),
        "PORTAL_CHECKOUT_LEASE_SECONDS": "3",
    }
    celery_app.control.purge()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_during_checkout_is_replaced_and_the_request_is_bought_once(
    partner_center, personas, fabrikam, plan, available, start_worker, portal_worker_env, settings
):
    queue = [settings.CELERY_TASK_DEFAULT_QUEUE]
    redis_url = settings.REDIS_URL or None
    # Checkout takes 4 s at the sandbox: long enough to kill the worker in the middle of the call.
    partner_center.faults({"path": CHECKOUT_PATH, "method": "POST", "kind": "latency", "latency_ms": 4000})
    first = start_worker(redis_url=redis_url, env=portal_worker_env, queues=queue)
    purchase = approved(fabrikam, plan, personas, choice(available))  # approval sends the task on commit

    in_call = wait_for(lambda: checkout_calls(partner_center, purchase) == 1, timeout=60)
    assert in_call, "the worker never called checkout; its log:\n" + first.output()
    first.process.kill()  # SIGKILL: no clean-up, the lease is left held
    first.process.wait()
    partner_center.faults()
    time.sleep(4.5)  # the sandbox finishes the order it was making; the lease lapses

    second = start_worker(redis_url=redis_url, env=portal_worker_env, queues=queue)
    checkout_tasks.sweep_checkouts.delay()  # what beat does every 30 s
    done = wait_for(
        lambda: PurchaseRequest.objects.get(pk=purchase.pk).state == State.ORDERED, timeout=60, interval=0.5
    )
    assert done, "the second worker did not finish the checkout; its log:\n" + second.output()
    assert Order.objects.filter(purchase_request=purchase).count() == 1
    assert orders_made(partner_center, purchase) == 1


def test_the_sweep_hands_out_approved_and_due_requests_only(
    partner_center, personas, fabrikam, plan, available
):
    purchase = approved(fabrikam, plan, personas, choice(available))
    assert checkout.due() == [purchase.pk]
    checkout.run(purchase.pk, transport())
    assert checkout.due() == []


def test_a_throttled_answer_with_a_long_retry_after_is_not_retried_sooner(
    partner_center, personas, fabrikam, plan, available
):
    purchase = approved(fabrikam, plan, personas, choice(available))
    partner_center.faults(
        {"path": CHECKOUT_PATH, "method": "POST", "kind": "throttle", "retry_after": 90, "count": 1}
    )
    quick = Transport.from_config(partner_center.config, retry=RetryPolicy(max_attempts=1))
    outcome = checkout.run(purchase.pk, quick)
    assert outcome.retry_at is not None
    purchase.refresh_from_db()
    waited = (purchase.next_attempt_at - purchase.state_changed_at).total_seconds()
    assert waited >= 89
    assert checkout.due() == []


def test_a_legacy_subscription_buys_with_its_own_availabilities(partner_center, personas):
    adventure_works = mirror_customer("Adventure Works Cycles")
    legacy = adventure_works.subscriptions.get(kind=CustomerSubscription.Kind.LEGACY)
    sku = available_and_restricted_skus(adventure_works, legacy, LEGACY_SCOPE)["available"]
    purchase = approved(adventure_works, legacy, personas, choice(sku))
    assert purchase.reservation_scope == "" and purchase.currency_code == "GBP"

    outcome = checkout.run(purchase.pk, transport())

    assert outcome.state == State.ORDERED
    assert orders_made(partner_center, purchase) == 1
    order = Order.objects.get(purchase_request=purchase)
    assert order.currency_code == "GBP"
