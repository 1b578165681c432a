"""Checking out an approved purchase request, exactly once in effect.

What makes it safe:
- Partner Center's checkout is idempotent per cart (reference §6.16): calling it again for the same cart
  returns the first call's result and never orders twice. The portal only ever checks out the cart that
  was approved, so a retry, a second worker or a lost answer is resolved by calling checkout again.
- A worker claims the request before calling (approved → checking out, or a lapsed lease taken over
  with a conditional update), so two workers never call at once; a worker that dies loses its lease and
  the sweep hands the request to another (orders.checkout_tasks).
- The orders in the result are written at once, in the same transaction as the move to ordered, keyed by
  Partner Center's order ids, so recording a result twice changes nothing.
- A request whose outcome is not known is never failed: it stays checking out and is tried again (with
  backoff) until Partner Center gives a definite answer. Only a definite refusal fails it, and a cart
  Partner Center no longer knows (it expired unordered: an ordered cart is kept) expires it.
- Checkout buys exactly what was approved: the lines and cart are compared with the approval's frozen copy
  first, and a request whose lines differ is failed without a call.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from orders import approvals, transitions
from orders.models import Approval, Order, OrderLine, PurchaseLine, PurchaseRequest
from orders.transitions import IllegalTransition
from partnercenter import carts as pc_carts
from partnercenter import errors
from partnercenter import orders as pc_orders
from partnercenter.errors import PartnerCenterError
from partnercenter.models import CartCheckoutResult
from partnercenter.models import Order as PcOrder
from partnercenter.transport import Transport
from portal import audit, markets

logger = logging.getLogger(__name__)

State = PurchaseRequest.State
WORKER = "checkout worker"

# Retryable failures wait this long at first, doubling up to the cap, or Partner Center's Retry-After.
FIRST_RETRY = timedelta(seconds=5)
LONGEST_RETRY = timedelta(minutes=30)


def lease() -> timedelta:
    """How long a worker holds a request; it must exceed the longest call the transport can make (120 s of
    retries plus a 60 s read timeout), after which another worker may take the request over."""
    return timedelta(seconds=settings.PORTAL_CHECKOUT_LEASE_SECONDS)


@dataclass(frozen=True)
class Outcome:
    state: str
    retry_at: datetime | None = None  # when to try again, for a request still checking out
    detail: str = ""


def run(request_id: int, transport: Transport) -> Outcome:
    """One attempt at checking out the request, if it is due and no other worker holds it."""
    purchase = _claim(request_id)
    if purchase is None:
        current = PurchaseRequest.objects.filter(pk=request_id).values_list("state", flat=True).first()
        return Outcome("gone") if current is None else Outcome(current, detail="not claimed")
    try:
        return _attempt(purchase, transport)
    except Exception:
        # Not Partner Center's doing (the database, a bug): hand the request back for a retry soon rather
        # than leave it held until the lease lapses. Checking out again is safe: the cart is bought once.
        _release(purchase.pk)
        raise


def _attempt(purchase: PurchaseRequest, transport: Transport) -> Outcome:
    approval = purchase.latest_approval()
    problem = _differs_from_approval(purchase, approval)
    if problem:
        return _fail(purchase, problem)
    try:
        markets.ensure_can_buy(purchase.customer)
    except markets.MarketBlocked as blocked:
        return _fail(purchase, blocked.user_message)
    assert approval is not None  # noqa: S101 - _differs_from_approval refuses a request without one

    try:
        result = pc_carts.checkout_cart(transport, purchase.customer_id, approval.cart_id)
    except PartnerCenterError as exc:
        if exc.code == errors.CART_ALREADY_SUBMITTED:
            found = _orders_of_submitted_cart(purchase, approval, transport)
            if found:
                return record_result(purchase, approval, CartCheckoutResult(orders=tuple(found)))
        return _call_failed(purchase, exc)
    return record_result(purchase, approval, result)


def _release(request_id: int) -> None:
    try:
        PurchaseRequest.objects.filter(pk=request_id, state=State.CHECKING_OUT).update(
            checkout_lease_until=None, next_attempt_at=None
        )
    except DatabaseError:
        logger.exception("purchase %s: the checkout lease could not be released; it lapses", request_id)


def record_result(purchase: PurchaseRequest, approval: Approval, result: CartCheckoutResult) -> Outcome:
    """Write the orders of a checkout result and move the request to ordered (or failed when every order
    group failed). Recording the same result twice changes nothing."""
    correlation_id = result.meta.correlation_id or ""
    with transaction.atomic():
        locked = PurchaseRequest.objects.select_for_update().get(pk=purchase.pk)
        if locked.state != State.CHECKING_OUT:
            return Outcome(locked.state, detail="already recorded")
        lines = list(locked.lines.all())
        orders = [_record_order(locked, approval, order, lines) for order in result.orders if order.id]
        failed_groups = {error.order_group_id or "": error for error in result.order_errors}
        for line in lines:
            error = failed_groups.get(line.order_group)
            if error is not None and line.order_id is None:
                line.order_error_code = error.code or ""
                line.order_error_message = _order_error_message(error.code)
                line.save(update_fields=["order_error_code", "order_error_message"])
        ordered = sum(1 for line in lines if line.order_id is not None)
        summary = _("%(orders)s order(s) placed for %(ordered)s of %(lines)s line(s): %(ids)s.") % {
            "orders": len(orders),
            "ordered": ordered,
            "lines": len(lines),
            "ids": ", ".join(order.id for order in orders) or "-",
        }
        if failed_groups:
            summary += " " + _("%(count)s order group(s) failed.") % {"count": len(failed_groups)}
        done = {
            "checkout_lease_until": None,
            "next_attempt_at": None,
            "last_error": "",
            "last_error_code": "",
        }
        if orders:
            locked = transitions.transition(
                locked,
                State.ORDERED,
                actor_name=WORKER,
                message=summary,
                correlation_id=correlation_id,
                **done,
            )
            approvals.notify_requester(
                locked,
                _("%(reference)s was ordered: %(summary)s")
                % {"reference": locked.reference, "summary": summary},
            )
        else:
            done |= {"last_error": summary, "last_error_code": "order-errors"}
            locked = transitions.transition(
                locked,
                State.FAILED,
                actor_name=WORKER,
                message=summary,
                correlation_id=correlation_id,
                outcome=audit.Outcome.FAILURE,
                **done,
            )
            approvals.notify_requester(
                locked,
                _("%(reference)s could not be ordered: %(summary)s")
                % {"reference": locked.reference, "summary": summary},
            )
        customer_id = locked.customer_id
        transaction.on_commit(lambda: _after_checkout(customer_id))
    return Outcome(locked.state, detail=summary)


# --- claiming -------------------------------------------------------------------------------------------


def _claim(request_id: int) -> PurchaseRequest | None:
    now = timezone.now()
    until = now + lease()
    try:
        transitions.transition(
            request_id,
            State.CHECKING_OUT,
            actor_name=WORKER,
            expected=State.APPROVED,
            message=_("Checkout started."),
            checkout_lease_until=until,
            checkout_started_at=now,
            checkout_attempts=1,
            next_attempt_at=None,
        )
    except IllegalTransition:
        # Already checking out: take it over only when due and no live worker holds it.
        taken = (
            PurchaseRequest.objects.filter(pk=request_id, state=State.CHECKING_OUT)
            .filter(Q(checkout_lease_until__isnull=True) | Q(checkout_lease_until__lt=now))
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .update(checkout_lease_until=until, checkout_attempts=F("checkout_attempts") + 1)
        )
        if not taken:
            return None
    except PurchaseRequest.DoesNotExist:
        return None
    return PurchaseRequest.objects.select_related("customer").get(pk=request_id)


def due() -> list[int]:
    """Requests a worker should take now: approved ones, and checkouts whose retry is due or whose worker
    lost its lease."""
    now = timezone.now()
    return list(
        PurchaseRequest.objects.filter(
            Q(state=State.APPROVED)
            | Q(
                Q(state=State.CHECKING_OUT),
                Q(checkout_lease_until__isnull=True) | Q(checkout_lease_until__lt=now),
                Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
            )
        )
        .order_by("state_changed_at", "id")
        .values_list("pk", flat=True)
    )


# --- outcomes -------------------------------------------------------------------------------------------


def _differs_from_approval(purchase: PurchaseRequest, approval: Approval | None) -> str:
    """Why the request may not be bought as it stands (empty when it matches what was approved)."""
    if approval is None:
        return _("There is no approval on record for this request; nothing was bought.")
    current = [line.frozen() for line in purchase.lines.all()]
    keys = (
        "position",
        "catalog_item_id",
        "quantity",
        "term_duration",
        "billing_plan",
        "scope",
        "friendly_name",
    )

    def bought(lines: list[dict[str, object]]) -> list[tuple[object, ...]]:
        return sorted(tuple(line.get(key) for key in keys) for line in lines)

    if approval.cart_id != purchase.cart_id or bought(current) != bought(list(approval.snapshot)):
        logger.error(
            "purchase %s: lines or cart differ from approval %s; not bought", purchase.pk, approval.pk
        )
        return _(
            "The request's lines or cart differ from what was approved, so nothing was bought. Rebuild it "
            "and have it approved again."
        )
    return ""


def _call_failed(purchase: PurchaseRequest, exc: PartnerCenterError) -> Outcome:
    if isinstance(exc, errors.NotFound) and exc.code == errors.CART_NOT_FOUND:
        # An ordered cart is kept, so a cart Partner Center no longer knows was never ordered.
        return _end(
            purchase,
            State.EXPIRED,
            _(
                "Partner Center no longer keeps the cart (carts expire 7 days after creation), so nothing "
                "was bought. Rebuild the request from fresh availabilities and have it approved again."
            ),
            exc,
        )
    if isinstance(exc, errors.NotFound) and exc.code == errors.AVAILABILITY_NOT_FOUND:
        return _end(
            purchase,
            State.FAILED,
            _(
                "The price and availability changed since approval (Partner Center rotated the offer), so "
                "nothing was bought. Rebuild the request to read them again, and have it approved again."
            ),
            exc,
        )
    if exc.code == errors.CART_ALREADY_SUBMITTED:
        # The cart was ordered, but this answer does not say what, and the orders are not in Partner
        # Center's lists yet (up to 15 minutes): look again later.
        return _retry(
            purchase,
            _(
                "Partner Center says this cart was already ordered. The portal asks it again for the orders; "
                "they also appear in the customer's order list within 15 minutes."
            ),
            exc,
            at_least=timedelta(minutes=2),
        )
    if exc.retryable or exc.outcome_unknown or isinstance(exc, errors.Conflict):
        if exc.code == errors.CART_BUSY:
            reason = _("Partner Center is processing this cart in another request; trying again shortly.")
        elif exc.outcome_unknown or isinstance(exc, errors.TransportError):
            reason = _(
                "Partner Center could not be reached or its answer was lost; the portal asks again (checkout "
                "never buys a cart twice)."
            )
        else:
            reason = _("Partner Center did not complete the checkout (%(reason)s); trying again.") % {
                "reason": exc.user_message
            }
        return _retry(purchase, reason, exc)
    # A definite refusal: nothing was bought.
    logger.warning("purchase %s: checkout refused: %s", purchase.pk, exc)
    return _end(
        purchase,
        State.FAILED,
        _(
            "Partner Center refused the checkout, so nothing was bought: %(reason)s Rebuild the request once "
            "the cause is fixed."
        )
        % {"reason": exc.user_message},
        exc,
    )


def _retry(
    purchase: PurchaseRequest, reason: str, exc: PartnerCenterError, *, at_least: timedelta = FIRST_RETRY
) -> Outcome:
    attempts = max(1, purchase.checkout_attempts)
    backoff = min(LONGEST_RETRY, FIRST_RETRY * 2 ** min(attempts - 1, 12))
    wait = max(at_least, backoff)
    if exc.retry_after is not None:
        wait = max(wait, timedelta(seconds=math.ceil(exc.retry_after)))
    wait += timedelta(seconds=random.uniform(0, 1))  # noqa: S311 - jitter, not security
    retry_at = timezone.now() + wait
    PurchaseRequest.objects.filter(pk=purchase.pk, state=State.CHECKING_OUT).update(
        checkout_lease_until=None, next_attempt_at=retry_at, last_error=reason, last_error_code=exc.code or ""
    )
    transitions.event(
        purchase,
        reason,
        actor_name=WORKER,
        correlation_id=exc.correlation_id or "",
        outcome=audit.Outcome.FAILURE,
    )
    logger.info("purchase %s: checkout retried at %s: %s", purchase.pk, retry_at, exc)
    return Outcome(State.CHECKING_OUT, retry_at=retry_at, detail=reason)


def _end(
    purchase: PurchaseRequest,
    state: str,
    reason: str,
    exc: PartnerCenterError,
) -> Outcome:
    return _fail(purchase, reason, state=state, code=exc.code or "", correlation_id=exc.correlation_id or "")


def _fail(
    purchase: PurchaseRequest,
    reason: str,
    *,
    state: str = State.FAILED,
    code: str = "",
    correlation_id: str = "",
) -> Outcome:
    purchase = transitions.transition(
        purchase,
        state,
        actor_name=WORKER,
        message=reason,
        correlation_id=correlation_id,
        outcome=audit.Outcome.FAILURE,
        checkout_lease_until=None,
        next_attempt_at=None,
        last_error=reason,
        last_error_code=code,
    )
    approvals.notify_requester(
        purchase,
        _("%(reference)s was not bought: %(reason)s") % {"reference": purchase.reference, "reason": reason},
    )
    return Outcome(purchase.state, detail=reason)


def _order_error_message(code: str | None) -> str:
    if code == errors.INVENTORY_NOT_AVAILABLE:
        return _("No capacity was left for this reservation in its region; it was not bought.")
    if code == errors.QUANTITY_NOT_AVAILABLE:
        return _("The quantity was no longer available; it was not bought.")
    return _("Partner Center could not order this line (code %(code)s); it was not bought.") % {
        "code": code or "?"
    }


# --- orders ---------------------------------------------------------------------------------------------


def _record_order(
    purchase: PurchaseRequest, approval: Approval, pc_order: PcOrder, lines: list[PurchaseLine]
) -> Order:
    assert pc_order.id  # noqa: S101 - filtered by the caller
    order, _created = Order.objects.get_or_create(
        id=pc_order.id,
        defaults={
            "customer_id": purchase.customer_id,
            "purchase_request": purchase,
            "approval": approval,
            "source": Order.Source.CHECKOUT,
            "billing_cycle": str(pc_order.billing_cycle or ""),
            "status": str(pc_order.status or ""),
            "currency_code": pc_order.currency_code or "",
            "total_price": pc_order.total_price,
            "creation_date": pc_order.creation_date or timezone.now(),
            "transaction_type": str(pc_order.transaction_type or ""),
        },
    )
    if order.purchase_request_id is None:
        # Already copied from Partner Center's list (the tracker got there first): it is ours.
        Order.objects.filter(pk=order.pk).update(purchase_request=purchase, approval=approval)
    unmatched = [line for line in lines if line.order_id is None]
    for item in pc_order.line_items:
        line = _matching_line(item.offer_id, item.quantity, item.friendly_name, unmatched)
        if line is not None:
            unmatched.remove(line)
            line.order = order
            line.save(update_fields=["order"])
        product_id, sku_id = _product_and_sku(item.offer_id)
        OrderLine.objects.update_or_create(
            order=order,
            line_item_number=item.line_item_number or 0,
            defaults={
                "offer_id": item.offer_id or "",
                "product_id": product_id,
                "sku_id": sku_id,
                "friendly_name": item.friendly_name or "",
                "quantity": item.quantity,
                "term_duration": item.term_duration or "",
                "subscription_id": item.subscription_id or "",
                "purchase_line": line,
            },
        )
    return order


def _orders_of_submitted_cart(
    purchase: PurchaseRequest, approval: Approval, transport: Transport
) -> list[PcOrder]:
    """The customer's orders that bought this cart, found in Partner Center's order list: created since
    the cart was, not already another request's, and whose lines are the approved catalog items."""
    wanted = {str(line.get("catalog_item_id", "")).lower() for line in approval.snapshot}
    since = (purchase.cart_created_at or purchase.created_at) - timedelta(minutes=5)
    taken = set(
        Order.objects.filter(customer_id=purchase.customer_id, purchase_request__isnull=False)
        .exclude(purchase_request=purchase)
        .values_list("pk", flat=True)
    )
    try:
        listed = list(pc_orders.list_orders(transport, purchase.customer_id))
    except PartnerCenterError as exc:
        logger.info("purchase %s: order list not read: %s", purchase.pk, exc)
        return []
    found = []
    for order in listed:
        offers = {(item.offer_id or "").lower() for item in order.line_items}
        if (
            order.id
            and order.id not in taken
            and order.creation_date is not None
            and order.creation_date >= since
            and offers
            and offers <= wanted
        ):
            found.append(order)
    covered = {(item.offer_id or "").lower() for order in found for item in order.line_items}
    return found if covered == wanted else []


def _matching_line(
    offer_id: str | None, quantity: int | None, friendly_name: str | None, lines: list[PurchaseLine]
) -> PurchaseLine | None:
    """The request line an order line bought: the checkout result names no order group, so lines are
    matched on catalog item, then quantity and friendly name."""
    same_item = [line for line in lines if offer_id and line.catalog_item_id.lower() == offer_id.lower()]
    exact = [
        line
        for line in same_item
        if line.quantity == quantity and line.friendly_name == (friendly_name or "")
    ]
    return (exact or same_item or [None])[0]


def _product_and_sku(offer_id: str | None) -> tuple[str, str]:
    parts = (offer_id or "").split(":")
    return (parts[0], parts[1]) if len(parts) >= 2 else ("", "")


def _after_checkout(customer_id: str) -> None:
    from orders import tracking_tasks

    tracking_tasks.after_checkout(customer_id)
