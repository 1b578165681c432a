"""Background tasks of checkout: one attempt at a request, and the sweep that hands out due work.

Approval sends `checkout_purchase` when it commits. An attempt that must wait (throttling, a busy cart, a
lost answer) sends the next one for its retry time. A message can be lost (a worker killed, the broker
emptied): the sweep, run by beat, re-sends one for every approved request and every checkout that is due
or whose worker lost its lease. Duplicates are harmless: an attempt is claimed before Partner Center is
called (orders.checkout).
"""

from __future__ import annotations

import logging

from celery import Task
from django.db import DatabaseError

from orders import checkout
from portal import celery_app, partner_center

logger = logging.getLogger(__name__)


@celery_app.task(
    bind=True, name="orders.checkout_tasks.checkout_purchase", ignore_result=True, max_retries=None
)
def checkout_purchase(self: Task, request_id: int) -> str:
    """One checkout attempt for the request, if it is due and no other worker holds it."""
    try:
        # A long Retry-After is handed back rather than slept through: the worker checks out other
        # requests meanwhile, and this one is sent again for its time.
        transport = partner_center.transport(for_queue=True)
    except partner_center.NotConfigured:
        # Nothing is claimed: once Partner Center is configured, the sweep picks the request up.
        logger.warning("checkout of purchase %s: Partner Center is not configured; nothing done", request_id)
        return "not configured"
    try:
        outcome = checkout.run(request_id, transport)
    except DatabaseError as exc:
        # The request was handed back (checkout.run): try again shortly, as often as it takes.
        logger.warning("checkout of purchase %s: database error, trying again: %s", request_id, exc)
        raise self.retry(exc=exc, countdown=checkout.FIRST_RETRY.total_seconds()) from exc
    if outcome.retry_at is not None:
        checkout_purchase.apply_async((request_id,), eta=outcome.retry_at)
    return outcome.state


@celery_app.task(name="orders.checkout_tasks.sweep_checkouts", ignore_result=True)
def sweep_checkouts() -> int:
    """Send an attempt for every request a worker should take now; returns how many."""
    due = checkout.due()
    for request_id in due:
        checkout_purchase.delay(request_id)
    if due:
        logger.info("checkout sweep: sent %d attempt(s): %s", len(due), due)
    return len(due)
