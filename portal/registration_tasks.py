"""Background tasks of subscription registration: the watcher's steps, and the sweep that restarts lost ones.

The watcher is a chain of `advance_registration` messages: each run takes one step (portal.registration.
advance), which sends the next message for the request's next check when the step commits. A message can
be lost (a worker restarted, the broker emptied, the send failed): the sweep, run by beat, re-sends one for
every open request that is overdue. Duplicates are harmless: a step is claimed before it is taken.
"""

from __future__ import annotations

import logging

from portal import celery_app, partner_center, registration
from portal.models import RegistrationRequest

logger = logging.getLogger(__name__)


def _partner_center_configured(what: str) -> bool:
    try:
        partner_center.transport()
    except partner_center.NotConfigured:
        # Nothing is claimed or changed: once Partner Center is configured, the sweep picks them up.
        logger.warning("%s: Partner Center is not configured (PARTNER_CENTER_*); nothing done", what)
        return False
    return True


# Bound to the portal's app, not shared: the web process sends them, and must send them to the portal's
# broker whichever Celery app happens to be "current" in the process.
@celery_app.task(name="portal.registration_tasks.advance_registration", ignore_result=True)
def advance_registration(request_id: int) -> str:
    """Take the next step of one registration, if it is due and no other worker has it."""
    if not _partner_center_configured(f"registration {request_id}"):
        return "not configured"
    try:
        return registration.advance(request_id).state
    except RegistrationRequest.DoesNotExist:
        # The subscription, and its requests with it, went when the customer left the partner.
        logger.info("registration %s no longer exists", request_id)
        return "gone"


@celery_app.task(name="portal.registration_tasks.sweep_registrations", ignore_result=True)
def sweep_registrations() -> int:
    """Re-send the watcher for every open registration whose check is overdue; returns how many."""
    if not _partner_center_configured("registration sweep"):
        return 0
    overdue = list(registration.due_registrations().values_list("pk", flat=True))
    for request_id in overdue:
        advance_registration.delay(request_id)
    if overdue:
        logger.info("registration sweep: re-sent %d overdue registration(s): %s", len(overdue), overdue)
    return len(overdue)
