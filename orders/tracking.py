"""Following orders and reservations: the portal's copies of what Partner Center says about them.

An order bought here is known from the checkout result at once (orders.checkout records it), but Partner
Center lists a new order only up to 15 minutes later (reference §6.18). So the portal reads the order
lists (`reconcile_customer`) and fills in what it already knew, reads by id the orders the lists do not
yet give in a final state, and shows meanwhile what it knows. Orders bought elsewhere (the Partner Center
dashboard, scripts) arrive through the lists. Local orders are never deleted.

Provisioning status and entitlements are App+User only: they are read with the token of the staff member
who asks (`refresh_provisioning`, `refresh_reservations`), never in the background.

Each function that calls Partner Center writes one audit entry, with the call's correlation id, whether it
succeeded or not, and raises the client's typed errors (partnercenter.errors) for the caller to show or
retry. The client's list functions give items only; the pages (partnercenter.paging.iter_pages) also carry
the call's correlation id, which the audit trail needs, so the lists are read page by page here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import F, Min, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

import partnercenter.models as pc
from orders.models import Order, OrderLine, Reservation
from partnercenter import entitlements
from partnercenter import orders as pc_orders
from partnercenter.auth import TokenProvider
from partnercenter.enums import EntitlementType, OrderStatus, ProvisioningStatus
from partnercenter.errors import NotFound, PartnerCenterError
from partnercenter.paging import iter_pages
from partnercenter.transport import Operation, Transport
from portal import audit, partner_center
from portal.models import Customer

logger = logging.getLogger(__name__)

T = TypeVar("T")

ORDER_ACTION = "order-refresh"
RESERVATIONS_ACTION = "reservations-refresh"

# Partner Center lists a new order up to this long after checkout (reference §6.18, §6.19).
LISTING_LAG = timedelta(minutes=15)
# An order in one of these states will not change any more: it is not read by id again.
FINAL_STATUSES = frozenset({OrderStatus.COMPLETED.value, OrderStatus.CANCELLED.value})
# Beat follows an open order (not final, or bought here and not listed yet) for this long after it was
# recorded; an order still open after that is left to the refresh buttons, or beat would ask Partner
# Center about it every few minutes for ever.
FOLLOW_FOR = timedelta(days=7)
# Orders read by id in one reconciliation, least recently read first; the rest wait for the next one. A
# burst of checkouts must not spend the partner's Partner Center budget (500 calls a minute) that
# checkouts waiting behind it need.
READS_PER_RUN = 20
# The query of the entitlements call for reservations (reference §6.21; partnercenter.entitlements).
_RESERVED_ARTIFACTS = ("reservedinstance", "virtualmachinereservedinstance")

Actor = AbstractBaseUser | AnonymousUser | None


@dataclass(frozen=True)
class ReconcileSummary:
    """What one reconciliation of a customer's orders found."""

    customer_id: str
    listed: int  # orders in Partner Center's list
    added: int  # orders the portal did not know (bought elsewhere)
    newly_listed: int  # orders bought here that the list gives for the first time
    read_by_id: int  # open orders read by id (not yet listed, or listed as still open)
    not_found: tuple[str, ...] = ()  # orders read by id that Partner Center does not know
    correlation_id: str = ""  # of the last call


@dataclass
class _Written:
    added: int = 0
    newly_listed: int = 0
    orders: list[Order] = field(default_factory=list)


# --- orders ---------------------------------------------------------------------------------------------


def refresh_order(
    order: Order | str,
    *,
    transport: Transport | None = None,
    request: HttpRequest | None = None,
    actor: Actor = None,
) -> Order:
    """Read one order by id now and store what Partner Center says of it (status, lines, currency, date).

    The order must be known locally (from checkout or a list). Raises Order.DoesNotExist, or the
    client's PartnerCenterError (audited) when Partner Center cannot answer.
    """
    local = order if isinstance(order, Order) else Order.objects.select_related("customer").get(pk=order)
    pc_transport = transport or partner_center.transport()
    try:
        found = pc_orders.get_order(pc_transport, local.customer_id, local.pk)
    except PartnerCenterError as exc:
        logger.warning("order %s not read: %s", local.pk, exc)
        _audit(
            ORDER_ACTION, local, exc.user_message, request, actor, outcome=audit.Outcome.FAILURE, error=exc
        )
        raise
    with transaction.atomic():
        _write(local.customer_id, [found], timezone.now(), listed=False)
    local.refresh_from_db()
    correlation_id = found.meta.correlation_id if found.meta else ""
    _audit(
        ORDER_ACTION,
        local,
        _("Order read from Partner Center: %(status)s.") % {"status": local.status_label},
        request,
        actor,
        correlation_id=correlation_id,
    )
    return local


def reconcile_customer(
    customer: Customer | str,
    *,
    transport: Transport | None = None,
    request: HttpRequest | None = None,
    actor: Actor = None,
) -> ReconcileSummary:
    """Bring the customer's local orders in line with Partner Center's list of them.

    Every listed order is stored (source LIST for one the portal did not know; an order known from checkout
    gets `listed_at` the first time the list gives it). Then every local order of the customer still
    open that the list did not give (bought here, not listed yet) is read by id, for up to FOLLOW_FOR.
    Nothing local is deleted. Raises Customer.DoesNotExist, or a PartnerCenterError (audited) for the list
    call or a read that failed for another reason than "not found"; what was read before it is kept.
    """
    found_customer = customer if isinstance(customer, Customer) else Customer.objects.get(pk=customer)
    pc_transport = transport or partner_center.transport()
    now = timezone.now()
    try:
        listed, correlation_id = _read_all(
            pc_transport,
            pc_orders.LIST_ORDERS,
            pc.Order.from_json,
            pc_orders.LIST_ORDERS.path_for(customer_id=found_customer.pk),
        )
    except PartnerCenterError as exc:
        logger.warning("orders of %s not listed: %s", found_customer.pk, exc)
        _audit(
            ORDER_ACTION,
            found_customer,
            _("The order list could not be read: %(reason)s") % {"reason": exc.user_message},
            request,
            actor,
            outcome=audit.Outcome.FAILURE,
            error=exc,
        )
        raise
    with transaction.atomic():
        written = _write(found_customer.pk, listed, now, listed=True)

    # What the list just gave needs no second read; older orders still open are left to staff's refresh.
    still_open = list(
        Order.objects.filter(customer=found_customer, recorded_at__gte=now - FOLLOW_FOR)
        .exclude(status__in=FINAL_STATUSES)
        .exclude(pk__in=[order.id for order in listed if order.id])
        .order_by(F("read_at").asc(nulls_first=True), "pk")[:READS_PER_RUN]
    )
    not_found: list[str] = []
    read = 0
    for order in still_open:
        try:
            found = pc_orders.get_order(pc_transport, found_customer.pk, order.pk)
        except NotFound as exc:
            # Known here (from checkout) yet unknown to Partner Center: kept, and said in the audit entry.
            logger.warning(
                "order %s of %s: Partner Center does not know it: %s", order.pk, order.customer_id, exc
            )
            not_found.append(order.pk)
            correlation_id = exc.correlation_id or correlation_id
            continue
        except PartnerCenterError as exc:
            logger.warning("order %s not read: %s", order.pk, exc)
            _audit(
                ORDER_ACTION,
                found_customer,
                _("Order %(order)s could not be read: %(reason)s")
                % {"order": order.pk, "reason": exc.user_message},
                request,
                actor,
                outcome=audit.Outcome.FAILURE,
                error=exc,
            )
            raise
        with transaction.atomic():
            _write(found_customer.pk, [found], timezone.now(), listed=False)
        read += 1
        correlation_id = found.meta.correlation_id if found.meta else correlation_id

    summary = ReconcileSummary(
        customer_id=found_customer.pk,
        listed=len(listed),
        added=written.added,
        newly_listed=written.newly_listed,
        read_by_id=read,
        not_found=tuple(not_found),
        correlation_id=correlation_id,
    )
    message = _(
        "Orders reconciled with Partner Center: %(listed)d listed, %(added)d new, %(newly)d listed for the "
        "first time, %(read)d read by id."
    ) % {"listed": summary.listed, "added": summary.added, "newly": summary.newly_listed, "read": read}
    if not_found:
        message += " " + _("Partner Center does not know: %(ids)s.") % {"ids": ", ".join(not_found)}
    _audit(ORDER_ACTION, found_customer, message, request, actor, correlation_id=correlation_id)
    return summary


def customers_to_reconcile(*, limit: int, now: datetime | None = None) -> list[str]:
    """Ids of customers with open orders recorded within FOLLOW_FOR, least recently read first (beat's
    round: a round cut short by throttling continues where it stopped)."""
    moment = now or timezone.now()
    open_orders = Order.objects.filter(
        Q(source=Order.Source.CHECKOUT, listed_at__isnull=True) | ~Q(status__in=FINAL_STATUSES),
        recorded_at__gte=moment - FOLLOW_FOR,
    )
    rows = (
        open_orders.values("customer_id")
        .annotate(oldest_read=Min("read_at"))
        .order_by(F("oldest_read").asc(nulls_first=True), "customer_id")[:limit]
    )
    return [row["customer_id"] for row in rows]


def refresh_provisioning(
    order: Order,
    token: TokenProvider,
    *,
    transport: Transport | None = None,
    request: HttpRequest | None = None,
    actor: Actor = None,
) -> Order:
    """Read the order's provisioning status with the staff member's App+User `token`, and store each line's
    status and the order's summary (see `provisioning_summary`). Raises a PartnerCenterError (audited):
    AppUserRequired / DelegatedAccessRefused when Partner Center refuses the token."""
    pc_transport = transport or partner_center.transport()
    try:
        items, correlation_id = _read_all(
            pc_transport,
            pc_orders.GET_ORDER_PROVISIONING_STATUS,
            pc.OrderLineItemProvisioningStatus.from_json,
            pc_orders.GET_ORDER_PROVISIONING_STATUS.path_for(
                customer_id=order.customer_id, order_id=order.pk
            ),
            token=token,
        )
    except PartnerCenterError as exc:
        logger.warning("provisioning status of order %s not read: %s", order.pk, exc)
        _audit(
            ORDER_ACTION,
            order,
            _("The provisioning status could not be read: %(reason)s") % {"reason": exc.user_message},
            request,
            actor,
            outcome=audit.Outcome.FAILURE,
            error=exc,
        )
        raise
    by_number: dict[int, str] = {}
    for item in items:
        number = item.line_item_number if item.line_item_number is not None else item.order_line_item_id
        if number is not None and item.status is not None:
            by_number[number] = _clip(item.status.value.lower(), 30)
    now = timezone.now()
    with transaction.atomic():
        lines = list(order.lines.all())
        changed = []
        for line in lines:
            status = by_number.get(line.line_item_number)
            if status is not None and status != line.provisioning_status:
                line.provisioning_status = status
                changed.append(line)
        OrderLine.objects.bulk_update(changed, ["provisioning_status"])
        order.provisioning_status = provisioning_summary(
            [by_number.get(line.line_item_number, line.provisioning_status) for line in lines]
            or list(by_number.values())
        )
        order.provisioning_read_at = now
        order.save(update_fields=["provisioning_status", "provisioning_read_at"])
    _audit(
        ORDER_ACTION,
        order,
        _("Provisioning status read from Partner Center: %(status)s.") % {"status": order.provisioning_label},
        request,
        actor,
        correlation_id=correlation_id,
    )
    return order


def provisioning_summary(statuses: Sequence[str]) -> str:
    """The order's provisioning in one word, from its lines': `fulfilled` when every line is, `pending`
    while any line is still being set up (or was not read), `unfulfilled` when none was, `partial` for a
    mix of fulfilled and unfulfilled lines; "" when nothing is known."""
    if not statuses:
        return ""
    known = [s.lower() for s in statuses]
    if all(s == ProvisioningStatus.FULFILLED.value for s in known):
        return Order.Provisioning.FULFILLED
    if all(s == ProvisioningStatus.UNFULFILLED.value for s in known):
        return Order.Provisioning.UNFULFILLED
    if all(s in (ProvisioningStatus.FULFILLED.value, ProvisioningStatus.UNFULFILLED.value) for s in known):
        return Order.Provisioning.PARTIAL
    return Order.Provisioning.PENDING


# --- reservations ---------------------------------------------------------------------------------------


def refresh_reservations(
    customer: Customer,
    token: TokenProvider,
    *,
    transport: Transport | None = None,
    request: HttpRequest | None = None,
    actor: Actor = None,
) -> list[Reservation]:
    """Read the customer's reserved-instance entitlements with the staff member's App+User `token` and make
    the local reservations exactly those: new ones added, known ones updated, the ones Partner Center no
    longer returns removed. Each is linked to its local order when the portal knows it. Raises a
    PartnerCenterError (audited), leaving the local reservations as they were."""
    pc_transport = transport or partner_center.transport()
    try:
        found, correlation_id = _read_all(
            pc_transport,
            entitlements.LIST_ENTITLEMENTS,
            pc.Entitlement.from_json,
            entitlements.LIST_ENTITLEMENTS.path_for(customer_id=customer.pk),
            params=entitlements.list_query(
                entitlement_type=EntitlementType.RESERVED_INSTANCE, show_expiry=True
            ),
            token=token,
        )
    except PartnerCenterError as exc:
        logger.warning("reservations of %s not read: %s", customer.pk, exc)
        _audit(
            RESERVATIONS_ACTION,
            customer,
            _("The reservations could not be read: %(reason)s") % {"reason": exc.user_message},
            request,
            actor,
            outcome=audit.Outcome.FAILURE,
            error=exc,
        )
        raise
    now = timezone.now()
    wanted: dict[tuple[str, str, str], Reservation] = {}
    for entitlement in found:
        row = _reservation_row(customer, entitlement, now)
        wanted[(row.order_ref, row.line_item_id, row.resource_id)] = row
    known_orders = set(
        Order.objects.filter(customer=customer, pk__in={key[0] for key in wanted}).values_list(
            "pk", flat=True
        )
    )
    for row in wanted.values():
        row.order_id = row.order_ref if row.order_ref in known_orders else None
    with transaction.atomic():
        existing = {(r.order_ref, r.line_item_id, r.resource_id): r for r in customer.reservations.all()}
        gone = [r.pk for key, r in existing.items() if key not in wanted]
        Reservation.objects.filter(pk__in=gone).delete()
        new, changed = [], []
        for key, row in wanted.items():
            current = existing.get(key)
            if current is None:
                new.append(row)
                continue
            row.pk = current.pk
            changed.append(row)
        # A refresh by someone else at the same moment may have inserted some: theirs are as fresh.
        Reservation.objects.bulk_create(new, ignore_conflicts=True)
        Reservation.objects.bulk_update(changed, _RESERVATION_FIELDS)
    _audit(
        RESERVATIONS_ACTION,
        customer,
        _("Reservations read from Partner Center: %(count)d, %(new)d new, %(gone)d no longer listed.")
        % {"count": len(wanted), "new": len(new), "gone": len(gone)},
        request,
        actor,
        correlation_id=correlation_id,
    )
    return list(customer.reservations.select_related("order"))


_RESERVATION_FIELDS = [
    "order",
    "product_id",
    "sku_id",
    "quantity",
    "entitlement_type",
    "reservation_type",
    "expiry_date",
    "read_at",
]


def _reservation_row(customer: Customer, entitlement: pc.Entitlement, now: datetime) -> Reservation:
    reference = entitlement.reference_order
    artifacts = entitlement.entitled_artifacts
    artifact = next(
        (a for a in artifacts if (a.artifact_type or "").lower() in _RESERVED_ARTIFACTS),
        artifacts[0] if artifacts else None,
    )
    return Reservation(
        customer=customer,
        order_ref=_clip(reference.id if reference else None, 64),
        line_item_id=_clip(reference.line_item_id if reference else None, 40),
        product_id=_clip(entitlement.product_id, 40),
        sku_id=_clip(entitlement.sku_id, 40),
        quantity=entitlement.quantity
        if entitlement.quantity is not None and entitlement.quantity >= 0
        else None,
        entitlement_type=_clip(
            entitlement.entitlement_type.value if entitlement.entitlement_type else None, 60
        ),
        reservation_type=_clip(artifact.reservation_type if artifact else None, 60),
        resource_id=_clip(artifact.resource_id if artifact else None, 64),
        expiry_date=entitlement.expiry_date,
        read_at=now,
    )


# --- writing what Partner Center said ---------------------------------------------------------------------

_ORDER_FIELDS = [
    "billing_cycle",
    "status",
    "currency_code",
    "total_price",
    "creation_date",
    "transaction_type",
    "read_at",
    "listed_at",
]
_LINE_FIELDS = [
    "offer_id",
    "product_id",
    "sku_id",
    "friendly_name",
    "quantity",
    "term_duration",
    "subscription_id",
]


def _write(customer_id: str, found: Iterable[pc.Order], now: datetime, *, listed: bool) -> _Written:
    """Store Partner Center's orders of one customer: a few queries however many orders there are.

    `listed`: they come from the order list (unknown ones are new with source LIST; known ones not listed
    before are listed now). From a read by id, only known orders are updated.
    """
    answers = {o.id: o for o in found if o.id}
    known = Order.objects.in_bulk(list(answers))
    written = _Written()
    new_orders: list[Order] = []
    for order_id, answer in answers.items():
        local = known.get(order_id)
        if local is None:
            if not listed:
                continue
            local = Order(id=order_id, customer_id=customer_id, source=Order.Source.LIST, listed_at=now)
            new_orders.append(local)
            written.added += 1
        elif local.customer_id != customer_id:
            logger.warning(
                "order %s belongs to %s locally, not to %s: not changed",
                order_id,
                local.customer_id,
                customer_id,
            )
            continue
        elif listed and local.listed_at is None:
            local.listed_at = now
            written.newly_listed += 1
        _apply_order(local, answer, now)
        written.orders.append(local)
    # Checkout may record one of them between the look above and this insert: its row wins (it knows the
    # purchase), and the next reconciliation updates it.
    Order.objects.bulk_create(new_orders, ignore_conflicts=True)
    Order.objects.bulk_update([o for o in written.orders if o.pk in known], _ORDER_FIELDS, batch_size=200)

    existing_lines = {
        (line.order_id, line.line_item_number): line
        for line in OrderLine.objects.filter(order_id__in=[o.pk for o in written.orders])
    }
    new_lines: list[OrderLine] = []
    changed_lines: list[OrderLine] = []
    for local in written.orders:
        for item in answers[local.pk].line_items:
            if item.line_item_number is None or item.line_item_number < 0:
                continue
            line = existing_lines.get((local.pk, item.line_item_number))
            if line is None:
                line = OrderLine(order_id=local.pk, line_item_number=item.line_item_number)
                new_lines.append(line)
                _apply_line(line, item)
            elif _apply_line(line, item):
                changed_lines.append(line)
    OrderLine.objects.bulk_create(new_lines, ignore_conflicts=True)
    OrderLine.objects.bulk_update(changed_lines, _LINE_FIELDS, batch_size=200)
    return written


def _apply_order(local: Order, answer: pc.Order, now: datetime) -> None:
    local.billing_cycle = _clip(
        answer.billing_cycle.value if answer.billing_cycle else local.billing_cycle, 20
    )
    local.status = _clip(answer.status.value.lower() if answer.status else local.status, 30)
    local.currency_code = _clip(answer.currency_code or local.currency_code, 3)
    if answer.total_price is not None:
        local.total_price = answer.total_price
    local.creation_date = answer.creation_date or local.creation_date
    if answer.transaction_type:
        local.transaction_type = _clip(answer.transaction_type.value, 30)
    local.read_at = now


def _apply_line(line: OrderLine, item: pc.OrderLineItem) -> bool:
    """Copy the answer's line onto the local one; True when something changed."""
    before = [getattr(line, name) for name in _LINE_FIELDS]
    offer_id = item.offer_id or line.offer_id
    parts = offer_id.split(":")
    line.offer_id = _clip(offer_id, 130)
    if len(parts) >= 2:  # PRODUCT:SKU:AVAILABILITY (reference §6.17: offerId is the catalog item id)
        line.product_id, line.sku_id = _clip(parts[0], 40), _clip(parts[1], 40)
    line.friendly_name = _clip(item.friendly_name or line.friendly_name, 300)
    if item.quantity is not None and item.quantity >= 0:
        line.quantity = item.quantity
    line.term_duration = _clip(item.term_duration or line.term_duration, 10)
    # Only once provisioning finished does Partner Center give it; an answer without it changes nothing.
    line.subscription_id = _clip(item.subscription_id or line.subscription_id, 64)
    return before != [getattr(line, name) for name in _LINE_FIELDS]


def _read_all(
    transport: Transport,
    op: Operation,
    parse: Callable[[Any], T],
    path: str,
    *,
    params: dict[str, str] | None = None,
    token: TokenProvider | None = None,
) -> tuple[list[T], str]:
    """Every item of a collection, and the correlation id of the last page's call."""
    items: list[T] = []
    correlation_id = ""
    for page in iter_pages(transport, op, parse, path=path, params=params, token=token):
        items.extend(page.items)
        correlation_id = page.meta.correlation_id
    return items, correlation_id


def _clip(value: str | None, length: int) -> str:
    return (value or "")[:length]


# --- audit ------------------------------------------------------------------------------------------------


def _audit(
    action: str,
    obj: Order | Customer,
    message: str,
    request: HttpRequest | None,
    actor: Actor,
    *,
    outcome: str = audit.Outcome.SUCCESS,
    correlation_id: str = "",
    error: PartnerCenterError | None = None,
) -> None:
    object_repr = (
        _("Order %(order)s (%(customer)s)") % {"order": obj.pk, "customer": obj.customer}
        if isinstance(obj, Order)
        else str(obj)
    )
    audit.record(
        action,
        outcome=outcome,
        request=request,
        actor=actor,
        # Without a person behind it, the call was the background worker's.
        actor_name="" if request is not None or actor is not None else "worker",
        obj=obj,
        object_repr=object_repr,
        message=message,
        correlation_id=((error.correlation_id or "") if error is not None else correlation_id)[:64],
    )
