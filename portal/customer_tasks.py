"""Background tasks of the customer mirror.

Each task takes ids, calls one function of portal.customers, and owns only its retry policy: a throttled,
failing or unreachable Partner Center is tried again later (never sooner than its Retry-After); a refusal
(4xx) is not, as the same request would get the same answer. Without Partner Center configured they do
nothing and say so in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from celery import Task, shared_task
from celery.signals import worker_ready
from django.conf import settings

from partnercenter.errors import PartnerCenterError, ServerError, Throttled, TransportError
from partnercenter.transport import Transport
from portal import customers, partner_center

logger = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_ON = (Throttled, ServerError, TransportError)
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 15 * 60  # beat starts the periodic ones again by then anyway
# How many customers one run of fill_customer_details reads: about 5 calls each, so 250 calls every
# 5 minutes, well under Partner Center's 500 a minute, leaving room for the staff's own pages.
DETAILS_PER_RUN = 50


def retry_countdown(exc: PartnerCenterError, retries: int) -> float:
    """Seconds before the next try: exponential from RETRY_BASE_SECONDS, but never before Retry-After."""
    backoff = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2**retries)
    return max(backoff, exc.retry_after or 0.0)


def run_with_retries(
    task: Task, name: str, work: Callable[[Transport], T], *, retry: bool = True
) -> T | None:
    """Run `work` with the process's transport inside a task: nothing when Partner Center is not configured;
    a throttled, failing or unreachable Partner Center retried later (or left to the next run)."""
    try:
        transport = partner_center.transport()
    except partner_center.NotConfigured:
        logger.info("%s: Partner Center is not configured for this portal; nothing to do", name)
        return None
    try:
        return work(transport)
    except RETRY_ON as exc:
        if not retry:
            logger.warning("%s: stopped, the next run continues: %s", name, exc)
            return None
        countdown = retry_countdown(exc, task.request.retries)
        logger.warning("%s: will try again in %.0f s: %s", name, countdown, exc)
        raise task.retry(exc=exc, countdown=countdown) from exc


@shared_task(bind=True, name="portal.customer_tasks.sync_customers", max_retries=3, ignore_result=True)
def sync_customers(self: Task) -> int | None:
    """Copy the customer list (beat, every 15 minutes). Returns how many customers were listed."""
    sync = run_with_retries(self, "sync_customers", customers.sync_customers)
    return sync.items if sync is not None else None


@shared_task(bind=True, name="portal.customer_tasks.refresh_customer", max_retries=5, ignore_result=True)
def refresh_customer(self: Task, customer_id: str) -> str | None:
    """Read one customer in full from Partner Center."""
    customer = run_with_retries(
        self, "refresh_customer", lambda transport: customers.refresh_customer(transport, customer_id)
    )
    return customer.pk if customer is not None else None


@shared_task(bind=True, name="portal.customer_tasks.fill_customer_details", ignore_result=True)
def fill_customer_details(self: Task, limit: int = DETAILS_PER_RUN) -> int | None:
    """Read the details (hence the country) of customers never read yet, a few at a time (beat, every 5
    minutes). Not retried: a retry could overlap the next run, which continues where this one stopped."""
    return run_with_retries(
        self,
        "fill_customer_details",
        lambda transport: customers.fill_customer_details(transport, limit=limit),
        retry=False,
    )


@worker_ready.connect
def _first_sync(sender: object, **kwargs: object) -> None:
    # A new deployment (and every `make run` on a fresh machine) would show an empty customer list until
    # beat's first run, 15 minutes after start: the first worker to start asks for a copy at once, then
    # for the first customers' countries (hence their verdicts), which beat would read 5 minutes later.
    if settings.PARTNER_CENTER.is_configured and customers.last_complete_sync() is None:
        (sync_customers.si() | fill_customer_details.si()).delay()
