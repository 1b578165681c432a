"""The states of a purchase request and the only moves between them, as data, with one function that moves.

`transition` locks the request's row, refuses a move the table does not allow (`IllegalTransition`), and
writes the new state, the fields that go with it and the audit entry in one transaction: the audit trail
is the request's timeline. Everything that changes a request's state goes through it, so a double click,
two workers or a stale page can never take a request through a move twice.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import PurchaseRequest
from portal import audit
from portal.models import AuditEntry

State = PurchaseRequest.State

# From each state, the states it may move to. Expired and failed requests go back to draft when staff
# rebuild them from fresh availabilities; they then need a new approval.
ALLOWED: dict[str, frozenset[str]] = {
    State.DRAFT: frozenset({State.AWAITING_APPROVAL, State.CANCELLED, State.EXPIRED}),
    State.AWAITING_APPROVAL: frozenset({State.APPROVED, State.REJECTED, State.CANCELLED, State.EXPIRED}),
    State.APPROVED: frozenset({State.CHECKING_OUT, State.CANCELLED, State.EXPIRED}),
    State.CHECKING_OUT: frozenset({State.ORDERED, State.FAILED, State.EXPIRED}),
    State.ORDERED: frozenset(),
    State.REJECTED: frozenset(),
    State.CANCELLED: frozenset(),
    State.EXPIRED: frozenset({State.DRAFT}),
    State.FAILED: frozenset({State.DRAFT}),
}

# The audit action of each move (its label is in portal.models.ACTION_LABELS).
ACTIONS: dict[str, str] = {state: f"purchase-{state.replace('_', '-')}" for state in State.values}
EVENT = "purchase-event"  # something happened to the request that did not change its state
OBJECT_TYPE = PurchaseRequest._meta.label_lower


class PurchaseError(Exception):
    """A purchase action that cannot be done; `user_message` says why and what to do, in plain words."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class IllegalTransition(PurchaseError):
    def __init__(self, current: str, wanted: str) -> None:
        self.current = current
        self.wanted = wanted
        super().__init__(
            _("This purchase request is %(current)s: it cannot become %(wanted)s. Reload the page to see it.")
            % {"current": State(current).label.lower(), "wanted": State(wanted).label.lower()}
        )


def can_move(current: str, wanted: str) -> bool:
    return wanted in ALLOWED.get(current, frozenset())


def transition(
    purchase: PurchaseRequest | int,
    to: str,
    *,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    actor_name: str = "",
    http_request: HttpRequest | None = None,
    message: str = "",
    correlation_id: str = "",
    outcome: str = AuditEntry.Outcome.SUCCESS,
    expected: str | None = None,
    **fields: Any,
) -> PurchaseRequest:
    """Move the request to `to` and write its audit entry, in one transaction; returns the fresh row.

    `expected` refuses the move unless the request is in that state (a page acting on what it showed).
    `fields` are set on the request in the same update.
    """
    pk = purchase.pk if isinstance(purchase, PurchaseRequest) else purchase
    with transaction.atomic():
        locked = PurchaseRequest.objects.select_for_update().get(pk=pk)
        if (expected is not None and locked.state != expected) or not can_move(locked.state, to):
            raise IllegalTransition(locked.state, to)
        now = timezone.now()
        locked.state = to
        locked.state_changed_at = now
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
        audit.record(
            ACTIONS[to],
            obj=locked,
            actor=actor,
            actor_name=actor_name,
            request=http_request,
            message=message,
            correlation_id=correlation_id,
            outcome=outcome,
        )
    return locked


def event(
    purchase: PurchaseRequest,
    message: str,
    *,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    actor_name: str = "",
    http_request: HttpRequest | None = None,
    correlation_id: str = "",
    outcome: str = AuditEntry.Outcome.SUCCESS,
) -> AuditEntry:
    """A timeline entry that does not change the state (a cart update, a checkout attempt, ...)."""
    return audit.record(
        EVENT,
        obj=purchase,
        actor=actor,
        actor_name=actor_name,
        request=http_request,
        message=message,
        correlation_id=correlation_id,
        outcome=outcome,
    )


def timeline(purchase: PurchaseRequest) -> QuerySet[AuditEntry]:
    """The request's history, oldest first: every move and event the audit trail holds for it."""
    return (
        AuditEntry.objects.filter(object_type=OBJECT_TYPE, object_id=str(purchase.pk))
        .select_related("actor")
        .order_by("created_at", "id")
    )
