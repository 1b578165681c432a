"""Background tasks of the catalog mirrors: running a sync, and beat's round that keeps mirrors fresh.

A full copy of a large market takes hours when paced under Partner Center's limit, far longer than a task
may run (CELERY_TASK_SOFT_TIME_LIMIT). So `sync_mirror` works for RUN_SECONDS, stops after the product it
is writing, and sends itself again to continue; each message has its own time limits and retries. The
mirror's state says where things are: QUEUED (a message is on its way), RUNNING (a worker has it), IDLE.
A message can be lost and a worker can die: `schedule_syncs` sends a new message for a mirror that has
shown no progress for STUCK_AFTER. Duplicates are harmless: a run is claimed before it starts, and a run
that was believed dead stops at its next write (catalog.sync.SyncTakenOver).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from celery import Task
from django.db import transaction
from django.utils import timezone

from catalog import mirrors, sync
from catalog.models import Mirror
from portal import celery_app, markets, partner_center
from portal.customer_tasks import RETRY_ON, retry_countdown

logger = logging.getLogger(__name__)

# How long one message works before handing over to the next. The product being written when it passes
# is finished first: a product of a few thousand SKUs at CATALOG_SYNC_CALLS_PER_MINUTE must still fit
# before the soft time limit (540 s).
RUN_SECONDS = 4 * 60
# A QUEUED or RUNNING mirror without progress for this long lost its worker or its message. Longer than a
# run writes nothing (one product) and than the longest retry countdown (RETRY_MAX_SECONDS).
STUCK_AFTER = timedelta(minutes=15)


# Bound to the portal's app, not shared: the web process sends them (catalog.mirrors.request_sync), and
# must send them to the portal's broker whichever Celery app happens to be "current" in the process.
@celery_app.task(bind=True, name="catalog.tasks.sync_mirror", max_retries=6, ignore_result=True)
def sync_mirror(self: Task, mirror_id: int, kind: str, run_seconds: float = RUN_SECONDS) -> str:
    """Run (or continue) a queued sync of one mirror for up to `run_seconds`. Returns what happened."""
    try:
        transport = partner_center.transport()
    except partner_center.NotConfigured:
        logger.warning(
            "catalog sync %s: Partner Center is not configured (PARTNER_CENTER_*); nothing done", mirror_id
        )
        # Back to IDLE, so that a page or beat asks again once it is configured.
        Mirror.objects.filter(pk=mirror_id, sync_state=Mirror.SyncState.QUEUED).update(
            sync_state=Mirror.SyncState.IDLE
        )
        return "not configured"
    claimed = Mirror.objects.filter(pk=mirror_id, sync_state=Mirror.SyncState.QUEUED).update(
        sync_state=Mirror.SyncState.RUNNING, sync_progress_at=timezone.now()
    )
    if not claimed:
        # Another message got it first, or the mirror went (its customer's market is no longer needed).
        logger.info("catalog sync %s: not queued any more; nothing to do", mirror_id)
        return "not queued"
    mirror = Mirror.objects.get(pk=mirror_id)
    deadline = time.monotonic() + run_seconds
    try:
        outcome = sync.run(transport, mirror, kind, deadline=deadline)
    except markets.MarketBlocked:
        logger.info("catalog sync of %s: reservations cannot be bought in this market; not copied", mirror)
        return "blocked"
    except sync.SyncTakenOver:
        return "taken over"
    except RETRY_ON as exc:
        if self.request.retries >= self.max_retries:
            # The copy stays resumable; beat tries again once mirrors.RETRY_AFTER_ERROR has passed.
            logger.error(
                "catalog sync of %s: giving up for now after %d tries: %s", mirror, self.max_retries, exc
            )
            _set_state(mirror_id, Mirror.SyncState.RUNNING, Mirror.SyncState.IDLE)
            return "gave up"
        countdown = retry_countdown(exc, self.request.retries)
        logger.warning("catalog sync of %s: will try again in %.0f s: %s", mirror, countdown, exc)
        _set_state(mirror_id, Mirror.SyncState.RUNNING, Mirror.SyncState.QUEUED)
        raise self.retry(exc=exc, countdown=countdown) from exc
    except BaseException:
        # Recorded on the mirror by the engine; IDLE so that beat resumes it after RETRY_AFTER_ERROR
        # rather than at once (the same product would fail the same way).
        _set_state(mirror_id, Mirror.SyncState.RUNNING, Mirror.SyncState.IDLE)
        raise
    if outcome.stopped_at_deadline:
        if _set_state(mirror_id, Mirror.SyncState.RUNNING, Mirror.SyncState.QUEUED):
            transaction.on_commit(lambda: sync_mirror.delay(mirror_id, kind, run_seconds), robust=True)
        return "continues"
    return "refused" if outcome.error else "done"


def _set_state(mirror_id: int, current: str, new: str) -> bool:
    return bool(
        Mirror.objects.filter(pk=mirror_id, sync_state=current).update(
            sync_state=new, sync_progress_at=timezone.now()
        )
    )


@celery_app.task(name="catalog.tasks.schedule_syncs", ignore_result=True)
def schedule_syncs() -> int:
    """Beat, every 5 minutes: queue the syncs that are due, and send again the ones that stopped moving
    (a dead worker, a lost message). Returns how many messages were sent."""
    try:
        partner_center.transport()
    except partner_center.NotConfigured:
        logger.info("catalog schedule: Partner Center is not configured; nothing to do")
        return 0
    now = timezone.now()
    sent = 0
    for mirror in Mirror.objects.all():  # one per market and scope staff looked at: a few dozen at most
        if mirror.sync_state == Mirror.SyncState.IDLE:
            kind = mirrors.due_kind(mirror, now)
            if kind and mirrors.request_sync(mirror, kind):
                sent += 1
        elif mirror.sync_progress_at is None or mirror.sync_progress_at < now - STUCK_AFTER:
            sent += _send_again(mirror, now)
    if sent:
        logger.info("catalog schedule: %d sync(s) queued or sent again", sent)
    return sent


def _send_again(mirror: Mirror, now: datetime) -> int:
    # Only if nobody moved it meanwhile: the same state and progress time as read.
    taken = Mirror.objects.filter(
        pk=mirror.pk, sync_state=mirror.sync_state, sync_progress_at=mirror.sync_progress_at
    ).update(sync_state=Mirror.SyncState.QUEUED, sync_progress_at=now)
    if not taken:
        return 0
    logger.warning(
        "catalog sync of %s was %s without progress since %s; sent again",
        mirror,
        mirror.sync_state,
        mirror.sync_progress_at,
    )
    mirror_id, kind = mirror.pk, mirror.sync_kind or Mirror.SyncKind.FULL
    transaction.on_commit(lambda: sync_mirror.delay(mirror_id, kind), robust=True)
    return 1
