"""Background tasks of order tracking: reconciling a customer's orders, after each checkout and periodically.

Each task takes ids, calls one function of orders.tracking, and owns only its retry policy (the customer
mirror's, portal.customer_tasks): a throttled, failing or unreachable Partner Center is tried again later,
never sooner than its Retry-After; a refusal is not. Provisioning status and reservations need a staff
member's own token, so they are never read here.
"""

from __future__ import annotations

import logging
import time

from celery import Task
from django.core.cache import cache
from django.db import transaction

from orders import tracking
from orders.tracking import ReconcileSummary
from partnercenter.errors import PartnerCenterError
from partnercenter.transport import Transport
from portal import celery_app, partner_center
from portal.customer_tasks import RETRY_ON, retry_countdown
from portal.models import Customer

logger = logging.getLogger(__name__)

# Customers one run of the periodic round reconciles: each costs a list call and a read per open order,
# so a round stays around a hundred calls, well under Partner Center's 500 a minute per partner.
CUSTOMERS_PER_RUN = 50
# Beat's period for the round (portal/settings.py): a throttled round waiting longer than this is left to
# the next one instead of being retried.
ROUND_SECONDS = 5 * 60
# The second reconciliation after a checkout: once Partner Center lists the new orders (up to 15 minutes),
# with a minute to spare. Shorter than the Redis broker's visibility timeout (an hour), as countdowns must be.
AFTER_LISTING_LAG_SECONDS = int(tracking.LISTING_LAG.total_seconds()) + 60
# The first follow-up after a checkout: a reservation order may complete within a minute or two, and the
# wait lets a burst of checkouts of one customer share it.
AFTER_CHECKOUT_SECONDS = 60
# How long the start of a customer's last reconciliation is remembered: longer than any follow-up's wait.
REMEMBER_SECONDS = 24 * 3600


def after_checkout(customer_id: str) -> None:
    """For orders.checkout, after each checkout: reconcile the customer's orders soon after the transaction
    commits (their status), and again when Partner Center should list them (their `listed_at`).

    Checkouts come in bursts (a busy approver, many lines): each follow-up carries the moment from which a
    reconciliation covers it, and is skipped when one of the same customer started since then, so a burst
    costs one reconciliation, not one per checkout. A send that fails (broker down) is logged, not raised:
    beat's round picks the customer up."""
    now = time.time()
    transaction.on_commit(
        lambda: reconcile_orders.apply_async(
            (customer_id,), {"covered_from": now}, countdown=AFTER_CHECKOUT_SECONDS
        ),
        robust=True,
    )
    transaction.on_commit(
        lambda: reconcile_orders.apply_async(
            (customer_id,),
            {"covered_from": now + tracking.LISTING_LAG.total_seconds()},
            countdown=AFTER_LISTING_LAG_SECONDS,
        ),
        robust=True,
    )


def reconcile(
    customer_id: str, transport: Transport, covered_from: float | None = None
) -> ReconcileSummary | None:
    """Reconcile the customer unless a reconciliation that started at or after `covered_from` (a Unix
    time) already did; None when skipped. The start of each completed one is remembered in the cache."""
    key = f"orders:reconciled-from:{customer_id}"
    if covered_from is not None:
        last = cache.get(key)
        if last is not None and last >= covered_from:
            return None
    started = time.time()
    summary = tracking.reconcile_customer(customer_id, transport=transport)
    # Only once it completed: a throttled attempt that is retried must not make its own retry skip.
    cache.set(key, started, timeout=REMEMBER_SECONDS)
    return summary


# Bound to the portal's app, not shared: the web process sends them, and must send them to the portal's
# broker whichever Celery app happens to be "current" in the process.
@celery_app.task(bind=True, name="orders.tracking_tasks.reconcile_orders", max_retries=5, ignore_result=True)
def reconcile_orders(self: Task, customer_id: str, covered_from: float | None = None) -> str:
    """Reconcile one customer's orders with Partner Center's list (orders.tracking.reconcile_customer)."""
    try:
        transport = partner_center.transport()
    except partner_center.NotConfigured:
        logger.warning(
            "orders of %s: Partner Center is not configured (PARTNER_CENTER_*); nothing done", customer_id
        )
        return "not configured"
    try:
        summary = reconcile(customer_id, transport, covered_from)
    except Customer.DoesNotExist:
        logger.info("orders of %s: the customer is not known here; nothing done", customer_id)
        return "gone"
    except RETRY_ON as exc:
        countdown = retry_countdown(exc, self.request.retries)
        logger.warning("orders of %s: will try again in %.0f s: %s", customer_id, countdown, exc)
        raise self.retry(exc=exc, countdown=countdown) from exc
    except PartnerCenterError as exc:
        logger.warning("orders of %s: not reconciled: %s", customer_id, exc)
        return "refused"
    if summary is None:
        return "already reconciled"
    return f"{summary.listed} listed, {summary.read_by_id} read by id"


@celery_app.task(
    bind=True, name="orders.tracking_tasks.reconcile_open_orders", max_retries=3, ignore_result=True
)
def reconcile_open_orders(self: Task, limit: int = CUSTOMERS_PER_RUN) -> int:
    """Beat's round: reconcile, one after the other, the customers with orders not completed yet or not
    listed yet, least recently read first. Returns how many were reconciled.

    Throttled, the round stops and is retried no sooner than Partner Center asked, continuing with the
    customers not read yet; a wait longer than beat's period is left to the next round."""
    try:
        transport = partner_center.transport()
    except partner_center.NotConfigured:
        logger.info("order round: Partner Center is not configured for this portal; nothing to do")
        return 0
    done = 0
    for customer_id in tracking.customers_to_reconcile(limit=limit):
        try:
            reconcile(customer_id, transport)
        except RETRY_ON as exc:
            countdown = retry_countdown(exc, self.request.retries)
            if countdown >= ROUND_SECONDS or self.request.retries >= self.max_retries:
                logger.warning(
                    "order round: stopped after %d customer(s), the next round continues: %s", done, exc
                )
                return done
            logger.warning(
                "order round: stopped after %d customer(s); will try again in %.0f s: %s",
                done,
                countdown,
                exc,
            )
            raise self.retry(exc=exc, countdown=countdown) from exc
        except PartnerCenterError as exc:
            # This customer's refusal (no relationship any more, ...) must not stop the others.
            logger.warning("order round: orders of %s not reconciled: %s", customer_id, exc)
            continue
        done += 1
    return done
