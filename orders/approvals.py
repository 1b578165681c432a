"""Signing off a purchase request: four eyes, approval limits, and what was approved frozen beside it.

An approver approves or rejects a request awaiting approval, with a comment. Nobody approves their own
request, and an approver with limits approves only up to their limit in the request's currency. The
approval records the cart and every line as approved (catalog item, quantity, term, scope, quoted price);
checkout buys exactly that or nothing. Approval hands the request to the checkout worker.
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from orders import carts, transitions
from orders.models import Approval, ApprovalLimit, PurchaseRequest
from orders.transitions import IllegalTransition, PurchaseError
from portal import notifications
from portal.roles import Capability, holders

logger = logging.getLogger(__name__)

State = PurchaseRequest.State
# An approval needs this much cart life left, so checkout (even after throttling) happens before expiry.
APPROVAL_MARGIN = carts.EXPIRY_MARGIN


def awaiting_approval() -> QuerySet[PurchaseRequest]:
    """The approvers' queue, oldest first."""
    return (
        PurchaseRequest.objects.filter(state=State.AWAITING_APPROVAL)
        .select_related("customer", "requester")
        .order_by("state_changed_at", "id")
    )


def display_name(user: AbstractBaseUser) -> str:
    """How staff are named in messages, as the pages name them: full name, else the login."""
    return getattr(user, "get_full_name", lambda: "")() or user.get_username()


def refusal(user: AbstractBaseUser, purchase: PurchaseRequest) -> str | None:
    """Why `user` may not approve `purchase`, in plain words; None when they may."""
    if not user.has_perm(Capability.APPROVE_PURCHASES.perm):
        return _("Only approvers can approve or reject purchase requests.")
    if purchase.requester_id == user.pk:
        return _("You started this request, so someone else has to approve it.")
    return limit_refusal(user, purchase)


def limit_refusal(user: AbstractBaseUser, purchase: PurchaseRequest) -> str | None:
    limits = {limit.currency_code: limit for limit in ApprovalLimit.objects.filter(approver=user)}
    if not limits:
        return None  # no limit set: any amount
    if purchase.quoted_total is None or not purchase.currency_code:
        return _(
            "Partner Center quoted no price for this request, and your approvals are limited. An approver "
            "without a limit has to approve it."
        )
    limit = limits.get(purchase.currency_code.upper())
    if limit is None:
        return _("You have no approval limit in %(currency)s. An approver with one has to approve it.") % {
            "currency": purchase.currency_code
        }
    if purchase.quoted_total > limit.max_amount:
        return _("This request (%(total)s) is above your approval limit of %(limit)s.") % {
            "total": carts.money(purchase.quoted_total, purchase.currency_code),
            "limit": carts.money(limit.max_amount, limit.currency_code),
        }
    return None


def approve(
    purchase: PurchaseRequest,
    *,
    by: AbstractBaseUser,
    comment: str = "",
    http_request: HttpRequest | None = None,
) -> Approval:
    """Approve, freeze what was approved, and hand the request to the checkout worker."""
    expired = False
    with transaction.atomic():
        locked = PurchaseRequest.objects.select_for_update().get(pk=purchase.pk)
        if locked.state != State.AWAITING_APPROVAL:
            raise IllegalTransition(locked.state, State.APPROVED)
        reason = refusal(by, locked)
        if reason:
            raise PurchaseError(reason)
        lines = list(locked.lines.all())
        if not lines or any(line.error_code for line in lines) or not locked.cart_synced:
            raise PurchaseError(_("This request has lines with errors; the requester has to fix them first."))
        if not carts.cart_is_usable(locked, margin=APPROVAL_MARGIN):
            expired = True
        else:
            approval = Approval.objects.create(
                request=locked,
                decided_by=by,
                decision=Approval.Decision.APPROVED,
                comment=comment.strip()[:2000],
                cart_id=locked.cart_id,
                currency_code=locked.currency_code,
                total=locked.quoted_total,
                snapshot=[line.frozen() for line in lines],
            )
            locked = transitions.transition(
                locked,
                State.APPROVED,
                actor=by,
                http_request=http_request,
                message=_approval_message(locked, comment),
            )
            notify_requester(
                locked,
                _("%(reference)s was approved by %(approver)s; it is being checked out.")
                % {"reference": locked.reference, "approver": display_name(by)},
            )
            from orders import checkout_tasks

            pk = locked.pk
            transaction.on_commit(lambda: checkout_tasks.checkout_purchase.delay(pk))
    if expired:
        transitions.transition(
            purchase,
            State.EXPIRED,
            actor=by,
            http_request=http_request,
            message=_("Its Partner Center cart expired before approval; the requester has to rebuild it."),
        )
        raise PurchaseError(
            _(
                "The cart of this request has expired (carts last 7 days), so it cannot be approved. The "
                "requester can rebuild it from fresh availabilities and send it again."
            )
        )
    return approval


def reject(
    purchase: PurchaseRequest,
    *,
    by: AbstractBaseUser,
    comment: str,
    http_request: HttpRequest | None = None,
) -> Approval:
    """Reject with a reason (required: the requester needs to know what to change)."""
    comment = comment.strip()[:2000]
    if not comment:
        raise PurchaseError(_("Say why the request is rejected, so the requester knows what to change."))
    with transaction.atomic():
        locked = PurchaseRequest.objects.select_for_update().get(pk=purchase.pk)
        if locked.state != State.AWAITING_APPROVAL:
            raise IllegalTransition(locked.state, State.REJECTED)
        if not by.has_perm(Capability.APPROVE_PURCHASES.perm):
            raise PurchaseError(_("Only approvers can approve or reject purchase requests."))
        if locked.requester_id == by.pk:
            raise PurchaseError(_("You started this request; cancel it instead."))
        approval = Approval.objects.create(
            request=locked,
            decided_by=by,
            decision=Approval.Decision.REJECTED,
            comment=comment,
            cart_id=locked.cart_id,
            currency_code=locked.currency_code,
            total=locked.quoted_total,
            snapshot=[line.frozen() for line in locked.lines.all()],
        )
        locked = transitions.transition(
            locked, State.REJECTED, actor=by, http_request=http_request, message=comment
        )
        notify_requester(
            locked,
            _("%(reference)s was rejected by %(approver)s: %(comment)s")
            % {"reference": locked.reference, "approver": display_name(by), "comment": comment},
        )
    return approval


def approvers() -> QuerySet:
    """Active staff who may approve purchases."""
    return holders(Capability.APPROVE_PURCHASES)


def notify_approvers(purchase: PurchaseRequest) -> None:
    total = carts.quoted_total(purchase)
    message = _("%(reference)s for %(customer)s (%(total)s) awaits your approval, from %(requester)s.") % {
        "reference": purchase.reference,
        "customer": purchase.customer.company_name,
        "total": total,
        "requester": display_name(purchase.requester),
    }
    link = reverse("purchase-request", args=[purchase.pk])
    for user in approvers().exclude(pk=purchase.requester_id):
        notifications.notify(user, "purchase-awaiting-approval", message, link)


def notify_requester(purchase: PurchaseRequest, message: str) -> None:
    """Tell the requester something happened to their request (approval, order, failure)."""
    notifications.notify(
        purchase.requester, "purchase-request", message, reverse("purchase-request", args=[purchase.pk])
    )


def _approval_message(purchase: PurchaseRequest, comment: str) -> str:
    total = carts.quoted_total(purchase)
    text = _("Approved: %(total)s.") % {"total": total}
    return f"{text} {comment.strip()}" if comment.strip() else text
