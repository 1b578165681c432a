"""Registering a customer's subscription for reservation purchases, and watching it until it is done.

Staff ask for it (`request_registration`): the portal records the request and hands it to the background
watcher. Each run of the watcher (`advance`) takes one step — send the registration to Partner Center, or
read its status — and says when to look again. Pages never call Partner Center for this: they poll the
local row, which only the watcher changes.

A step is claimed with a conditional update before Partner Center is called, so two workers (a duplicate
message, the sweep racing the watcher's own message) never both make the same call; the claim also holds
a lease, after which a step left half-done by a crashed worker is taken up again by the sweep.
"""

from __future__ import annotations

import logging
import math
import random
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partnercenter import subscriptions
from partnercenter.enums import RegistrationState
from partnercenter.errors import PartnerCenterError, Throttled
from partnercenter.models import RegistrationStatus
from portal import audit, customers, markets, notifications, partner_center
from portal.models import CustomerSubscription, RegistrationRequest

logger = logging.getLogger(__name__)

State = RegistrationRequest.State
ACTION = "subscription-registration"
OPEN_STATES = (State.PENDING, State.REGISTERING)
REGISTRABLE_KINDS = (CustomerSubscription.Kind.AZURE_PLAN, CustomerSubscription.Kind.LEGACY)

# How long Partner Center is given to finish; after this the request fails and staff may try again.
DEADLINE = timedelta(hours=2)
# Status checks start soon after the registration is sent (it can be quick), then space out.
FIRST_CHECK = timedelta(seconds=3)
LONGEST_CHECK = timedelta(minutes=5)
# A claimed step is presumed abandoned (its worker died) after this. It must exceed the longest call the
# transport can make: 120 s of retries plus a 60 s read timeout.
LEASE = timedelta(minutes=5)
# The watcher's own message runs at next_check_at; the sweep re-sends only for a request late by more
# than this, whose message was presumably lost (worker restarted, broker emptied, enqueue failed).
SWEEP_GRACE = timedelta(seconds=15)
# Celery's countdown is rounded up, but a worker's clock may be a little ahead of the one that scheduled.
EARLY_TOLERANCE = timedelta(seconds=1)

# The state machine, as data: the states each state may move to. Staying is a rescheduled check;
# registering → pending re-sends a registration Partner Center no longer knows about.
ALLOWED: dict[str, frozenset[str]] = {
    State.PENDING: frozenset({State.PENDING, State.REGISTERING, State.FAILED}),
    State.REGISTERING: frozenset({State.REGISTERING, State.PENDING, State.REGISTERED, State.FAILED}),
    State.REGISTERED: frozenset(),
    State.FAILED: frozenset(),
}


class RegistrationRefused(Exception):
    """The portal will not register this subscription. The message is safe to show staff."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class InvalidTransition(Exception):
    """A programming error: a step tried a move the state machine does not allow."""


# --- staff ask ---------------------------------------------------------------------------------------


def ensure_registrable(subscription: CustomerSubscription) -> None:
    """Refuse, with a reason staff can act on, what the portal must never send to Partner Center."""
    markets.ensure_can_buy(subscription.customer)
    if subscription.kind not in REGISTRABLE_KINDS:
        raise RegistrationRefused(
            _("Only an Azure plan or a Microsoft Azure (MS-AZR-0145P) subscription can be registered.")
        )
    if subscription.registration == CustomerSubscription.Registration.REGISTERED:
        raise RegistrationRefused(_("This subscription is already registered for reservation purchases."))


def request_registration(
    subscription: CustomerSubscription, user: AbstractBaseUser, request: HttpRequest | None = None
) -> RegistrationRequest:
    """Record that `user` wants the subscription registered and hand it to the watcher.

    Raises markets.MarketBlocked or RegistrationRefused (both audited). While a registration of the
    subscription is open, returns that one instead of starting another: a double click sends one.
    """
    try:
        ensure_registrable(subscription)
    except (markets.MarketBlocked, RegistrationRefused) as refusal:
        _audit(
            subscription,
            refusal.user_message,
            outcome=audit.Outcome.REFUSED,
            request=request,
            actor=user,
        )
        raise
    already = _open_request(subscription)
    if already is not None:
        return already
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: the outer transaction survives the IntegrityError
                registration = RegistrationRequest.objects.create(
                    subscription=subscription, requested_by=user, deadline=now + DEADLINE, next_check_at=now
                )
        except IntegrityError:
            # Another request (the second click) committed an open registration between our look and our
            # insert; the unique constraint refused this one.
            found = _open_request(subscription)
            if found is None:
                raise
            return found
        _audit(subscription, _("Registration requested."), request=request, actor=user)
        _schedule(registration.pk)
    return registration


def latest_request(subscription: CustomerSubscription) -> RegistrationRequest | None:
    """The subscription's most recent registration request, open or finished."""
    return subscription.registration_requests.order_by("-requested_at", "-pk").first()


def _open_request(subscription: CustomerSubscription) -> RegistrationRequest | None:
    return RegistrationRequest.objects.filter(subscription=subscription, state__in=OPEN_STATES).first()


# --- the watcher ---------------------------------------------------------------------------------------


def advance(request_id: int) -> RegistrationRequest:
    """Take the next step of an open registration if it is due and no other worker has it.

    Pending: send the registration (idempotent). Registering: read its status. Then either finish
    (registered, failed) or schedule the next run. Safe to call twice at once and after a crash.
    Raises partner_center.NotConfigured before touching anything when there is no Partner Center.
    """
    pc = partner_center.transport()
    registration = _load(request_id)
    now = timezone.now()
    if not registration.is_open:
        return registration
    claimed = (
        RegistrationRequest.objects.filter(
            _due(now + EARLY_TOLERANCE),
            pk=request_id,
            state=registration.state,
            attempts=registration.attempts,
        ).update(attempts=registration.attempts + 1, next_check_at=now + LEASE)
        == 1
    )
    if not claimed:
        # Not due yet, or another worker took this step first: its outcome is what counts.
        return _load(request_id)
    registration.attempts += 1
    registration.next_check_at = now + LEASE
    subscription = registration.subscription
    try:
        if registration.state == State.PENDING:
            submitted = subscriptions.register_subscription(pc, subscription.customer_id, subscription.id)
            _submitted(registration, submitted.meta.correlation_id if submitted.meta else "")
        else:
            status = subscriptions.get_registration_status(pc, subscription.customer_id, subscription.id)
            _status_read(registration, status)
    except PartnerCenterError as exc:
        _call_failed(registration, exc)
    return registration


def due_registrations(now: datetime | None = None) -> QuerySet[RegistrationRequest]:
    """Open requests whose next check is overdue: their watcher's message was lost. For the sweep."""
    moment = (now or timezone.now()) - SWEEP_GRACE
    return RegistrationRequest.objects.filter(_due(moment), state__in=OPEN_STATES).order_by("next_check_at")


def next_check_delay(checks: int, rand: float | None = None) -> timedelta:
    """3 s after the first call, doubling to at most 5 min; ±20 % so that many watchers spread out."""
    bound = min(LONGEST_CHECK, FIRST_CHECK * 2 ** max(0, checks - 1))
    return bound * (0.8 + 0.4 * (random.random() if rand is None else rand))  # noqa: S311 (not for secrets)


def _due(moment: datetime) -> Q:
    return Q(next_check_at__isnull=True) | Q(next_check_at__lte=moment)


def _load(request_id: int) -> RegistrationRequest:
    return RegistrationRequest.objects.select_related("subscription__customer", "requested_by").get(
        pk=request_id
    )


def _submitted(registration: RegistrationRequest, correlation_id: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        if not _transition(
            registration,
            State.REGISTERING,
            next_check_at=now + next_check_delay(registration.attempts),
            last_error="",
            correlation_id=correlation_id,
        ):
            return
        _update_subscription(registration, CustomerSubscription.Registration.REGISTERING)
        _audit(
            registration.subscription,
            _("Sent to Partner Center; waiting for it to finish."),
            correlation_id=correlation_id,
        )


def _status_read(registration: RegistrationRequest, status: RegistrationStatus) -> None:
    correlation_id = status.meta.correlation_id if status.meta else ""
    now = timezone.now()
    if status.is_registered:
        _registered(registration, correlation_id)
        return
    if now >= registration.deadline:
        hours = int(DEADLINE.total_seconds() // 3600)
        message = _(
            "Partner Center had not finished the registration after %(hours)d hours. Try again, or look at "
            "the subscription in Partner Center."
        ) % {"hours": hours}
        _fail(registration, message, correlation_id)
        return
    if status.status == RegistrationState.NOT_REGISTERED:
        # Accepted earlier, yet unknown now: send it again (registering is idempotent).
        to, note = (
            State.PENDING,
            _("Partner Center no longer shows the registration; the portal sends it again."),
        )
    else:
        to, note = State.REGISTERING, ""
    with transaction.atomic():
        if _transition(
            registration,
            to,
            next_check_at=now + next_check_delay(registration.attempts),
            last_error=note,
            correlation_id=correlation_id,
        ):
            _update_subscription(registration, customers.registration_of(status))


def _registered(registration: RegistrationRequest, correlation_id: str) -> None:
    now = timezone.now()
    subscription = registration.subscription
    with transaction.atomic():
        if not _transition(
            registration,
            State.REGISTERED,
            finished_at=now,
            next_check_at=None,
            last_error="",
            correlation_id=correlation_id,
        ):
            return
        _update_subscription(registration, CustomerSubscription.Registration.REGISTERED)
        _audit(subscription, _("Registered for reservation purchases."), correlation_id=correlation_id)
        notifications.notify(
            registration.requested_by,
            "registration-complete",
            _("Registration complete: %(subscription)s of %(customer)s can now buy reservations.")
            % {"subscription": subscription.name, "customer": subscription.customer.company_name},
            link=reverse("customer", args=[subscription.customer_id]),
        )


def _fail(registration: RegistrationRequest, message: str, correlation_id: str) -> None:
    subscription = registration.subscription
    with transaction.atomic():
        if not _transition(
            registration,
            State.FAILED,
            finished_at=timezone.now(),
            next_check_at=None,
            last_error=message,
            correlation_id=correlation_id,
        ):
            return
        _audit(subscription, message, outcome=audit.Outcome.FAILURE, correlation_id=correlation_id)
        notifications.notify(
            registration.requested_by,
            "registration-failed",
            _("Registration failed: %(subscription)s of %(customer)s. %(reason)s")
            % {
                "subscription": subscription.name,
                "customer": subscription.customer.company_name,
                "reason": message,
            },
            link=reverse("customer", args=[subscription.customer_id]),
        )


def _call_failed(registration: RegistrationRequest, exc: PartnerCenterError) -> None:
    correlation_id = exc.correlation_id or ""
    now = timezone.now()
    # Both calls are idempotent, so an answer that may have been lost is as good as a retryable error.
    if not (exc.retryable or exc.outcome_unknown):
        logger.warning("registration %s failed: %s", registration.pk, exc)
        _fail(registration, exc.user_message, correlation_id)
        return
    if now >= registration.deadline:
        logger.warning("registration %s out of time: %s", registration.pk, exc)
        _fail(
            registration,
            _("Partner Center could not be reached before the deadline. Its last answer: %(reason)s")
            % {"reason": exc.user_message},
            correlation_id,
        )
        return
    if isinstance(exc, Throttled):
        note = _("Partner Center is limiting requests. The portal will try again automatically.")
    else:
        note = _(
            "Partner Center could not be reached or had an error. The portal will try again automatically."
        )
    if correlation_id:
        note += " " + _("(Reference: %(id)s)") % {"id": correlation_id}
    if exc.retry_after:
        # Asked to wait (429, or 503 with Retry-After): never less, and a little more so that the watchers
        # throttled together do not all come back at the same moment.
        wait = timedelta(seconds=exc.retry_after) * (1 + 0.2 * random.random())  # noqa: S311
    else:
        wait = next_check_delay(registration.attempts)
    logger.warning("registration %s: retrying in %.0f s after %s", registration.pk, wait.total_seconds(), exc)
    with transaction.atomic():
        _transition(
            registration,
            registration.state,
            next_check_at=now + wait,
            last_error=note,
            correlation_id=correlation_id,
        )


def _transition(registration: RegistrationRequest, to: str, **fields: Any) -> bool:
    """Write the outcome of the step this worker claimed, and schedule the next one if still open.

    False when the claim was lost meanwhile (its lease ran out and another worker took the step over):
    that worker's outcome stands and this one is dropped.
    """
    if to not in ALLOWED[registration.state]:
        raise InvalidTransition(f"registration {registration.pk}: {registration.state} → {to}")
    updated = RegistrationRequest.objects.filter(
        pk=registration.pk, state=registration.state, attempts=registration.attempts
    ).update(state=to, **fields)
    if not updated:
        logger.warning("registration %s: step outcome dropped, another worker took it over", registration.pk)
        return False
    registration.state = to
    for name, value in fields.items():
        setattr(registration, name, value)
    if registration.is_open and registration.next_check_at is not None:
        _schedule(registration.pk, registration.next_check_at)
    return True


def _schedule(request_id: int, at: datetime | None = None) -> None:
    """Send the watcher's next run once the transaction commits (it would not see an uncommitted row).

    A send that fails (broker down) is logged, not raised: the row is saved, and the sweep re-sends it.
    """
    from portal.registration_tasks import advance_registration  # the tasks module imports this one

    countdown = 0 if at is None else max(0, math.ceil((at - timezone.now()).total_seconds()))
    transaction.on_commit(
        lambda: advance_registration.apply_async((request_id,), countdown=countdown), robust=True
    )


def _update_subscription(registration: RegistrationRequest, value: str) -> None:
    subscription = registration.subscription
    now = timezone.now()
    CustomerSubscription.objects.filter(pk=subscription.pk).update(
        registration=value, registration_read_at=now
    )
    subscription.registration = value
    subscription.registration_read_at = now


def _audit(
    subscription: CustomerSubscription,
    message: str,
    *,
    outcome: str = audit.Outcome.SUCCESS,
    request: HttpRequest | None = None,
    actor: AbstractBaseUser | None = None,
    correlation_id: str = "",
) -> None:
    audit.record(
        ACTION,
        outcome=outcome,
        request=request,
        actor=actor,
        # The watcher's steps are the portal's own doing, not the requester's.
        actor_name="" if actor is not None else "worker",
        obj=subscription,
        object_repr=f"{subscription.name} ({subscription.customer.company_name})",
        message=message,
        correlation_id=correlation_id,
    )
