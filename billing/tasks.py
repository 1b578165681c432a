"""Background task of billing: the invoice sync (billing.sync), on beat's schedule.

It owns only its retry policy, the customer mirror's (portal.customer_tasks.run_with_retries): a throttled,
failing or unreachable Partner Center is tried again later, never sooner than its Retry-After.
"""

from __future__ import annotations

from celery import Task, shared_task

from billing import sync
from portal.customer_tasks import run_with_retries


@shared_task(bind=True, name="billing.tasks.sync_invoices", max_retries=3, ignore_result=True)
def sync_invoices(self: Task) -> int | None:
    """Copy new invoices and the balance, and announce the new invoices (beat). Returns how many were new."""
    run = run_with_retries(self, "sync_invoices", lambda transport: sync.sync_invoices(transport=transport))
    return run.invoices_new if run is not None else None
