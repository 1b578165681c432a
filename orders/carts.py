"""Building a purchase request: its lines, and the Partner Center cart that mirrors them.

Sales start a request for a customer and one of its registered subscriptions (`start_request`), add
catalog lines (`add_line`: the availability is read again from Partner Center first, since ids rotate),
change or remove them, and send the request for approval (`submit`). After every change the lines are
written to the request's cart (`sync_cart`: create, or update while the cart lives), and what the service
answers is kept per line: its quoted price and currency, its order group, or its error in plain words.

A cart expires 7 days after it was created. An expired cart is never replaced silently: a draft gets a new
cart at its next change (the timeline says so), and a request that expired on its way to checkout is
rebuilt only when staff ask (`rebuild`), from fresh availabilities, and needs a new approval.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import availability, mirrors
from catalog.availability import AvailabilityRefused, QuantityRefused
from orders import transitions
from orders.models import PurchaseLine, PurchaseRequest
from orders.transitions import PurchaseError
from partnercenter import carts as pc_carts
from partnercenter import errors
from partnercenter.enums import BillingCycle, CartErrorCode
from partnercenter.errors import PartnerCenterError
from partnercenter.models import Cart, CartLineItem
from partnercenter.transport import Transport
from portal import audit, markets
from portal.models import Customer, CustomerSubscription
from portal.roles import Capability

logger = logging.getLogger(__name__)

State = PurchaseRequest.State
Scope = PurchaseLine.Scope

CART_LIFETIME = timedelta(days=7)
# A cart this close to expiry is not used for a checkout that may take a while (throttling, retries).
EXPIRY_MARGIN = timedelta(minutes=10)
MAX_LINES = 50
MAX_FRIENDLY_NAME = 80
# A line's error_code when its availability can no longer be bought: it is kept out of the cart.
UNAVAILABLE = "unavailable"

# Cart line errors (§7.5) in plain words, with what to do.
LINE_ERRORS: dict[CartErrorCode, Any] = {
    CartErrorCode.CURRENCY_IS_NOT_SUPPORTED: gettext_lazy(
        "Partner Center does not sell this line in that currency."
    ),
    CartErrorCode.CATALOG_ITEM_ID_IS_NOT_VALID: gettext_lazy(
        "Partner Center no longer accepts this catalog item for this subscription. Remove the line and add "
        "it again from the catalog."
    ),
    CartErrorCode.QUOTA_NOT_AVAILABLE: gettext_lazy(
        "The subscription's quota in this region is not enough for this quantity. Lower the quantity, or ask "
        "the customer to raise the quota."
    ),
    CartErrorCode.INVENTORY_NOT_AVAILABLE: gettext_lazy(
        "There is no capacity left for this reservation in this region. Pick another region or size."
    ),
    CartErrorCode.SUBSCRIPTION_IS_NOT_VALID: gettext_lazy(
        "Partner Center does not accept the subscription for this line (not active, or not of this customer)."
    ),
    CartErrorCode.SUBSCRIPTION_IS_NOT_ENABLED_FOR_RI: gettext_lazy(
        "The subscription is not enabled for reservation purchases."
    ),
    CartErrorCode.SUBSCRIPTION_NOT_REGISTERED: gettext_lazy(
        "The subscription is not registered for reservation purchases yet. Register it from the customer's "
        "page, then try again."
    ),
    CartErrorCode.INVALID_INPUT: gettext_lazy(
        "Partner Center refused the line as invalid (quantity, term or scope)."
    ),
    CartErrorCode.BILLING_PLAN_NOT_SUPPORTED: gettext_lazy(
        "Partner Center does not offer this billing plan for the line."
    ),
    CartErrorCode.SANDBOX_LIMIT_EXCEEDED: gettext_lazy("The partner's sandbox limit is reached."),
}


def line_error_message(code: CartErrorCode | None, description: str | None) -> str:
    """A cart line's error in plain words; the service's own text is kept in the log, not shown."""
    if code is not None and code in LINE_ERRORS:
        return str(LINE_ERRORS[code])
    logger.info("cart line error without a known code: %s %r", code, description)
    return _("Partner Center cannot sell this line as it is. Remove it, or change its quantity or scope.")


# --- starting and editing a request -------------------------------------------------------------------


def start_request(
    customer: Customer,
    subscription: CustomerSubscription,
    *,
    by: AbstractBaseUser,
    http_request: HttpRequest | None = None,
) -> PurchaseRequest:
    """A new draft for the customer and subscription, after the checks that also guard every later step."""
    ensure_can_buy_with(customer, subscription)
    purchase = PurchaseRequest.objects.create(
        customer=customer,
        subscription=subscription,
        subscription_ref=subscription.id,
        subscription_name=subscription.name,
        country=customer.country,
        reservation_scope=mirrors.scope_for(subscription),
        requester=by,
        state=State.DRAFT,
        state_changed_at=timezone.now(),
    )
    audit.record(
        transitions.ACTIONS[State.DRAFT],
        obj=purchase,
        actor=by,
        request=http_request,
        message=_("Started for %(customer)s, subscription %(subscription)s.")
        % {"customer": customer.company_name, "subscription": subscription.name or subscription.id},
    )
    return purchase


def open_draft(
    customer: Customer, subscription: CustomerSubscription, user: AbstractBaseUser
) -> PurchaseRequest | None:
    """The user's newest draft for this customer and subscription, where a new line naturally goes."""
    return (
        PurchaseRequest.objects.filter(
            customer=customer, subscription=subscription, requester=user, state=State.DRAFT
        )
        .order_by("-created_at", "-id")
        .first()
    )


def ensure_can_buy_with(customer: Customer, subscription: CustomerSubscription) -> None:
    """Refuse, in plain words, a customer or subscription reservations cannot be bought for."""
    try:
        markets.ensure_can_buy(customer)
    except markets.MarketBlocked as blocked:
        raise PurchaseError(blocked.user_message) from blocked
    if subscription.customer_id != customer.pk:
        raise PurchaseError(_("This subscription belongs to another customer."))
    if subscription.kind not in (CustomerSubscription.Kind.AZURE_PLAN, CustomerSubscription.Kind.LEGACY):
        raise PurchaseError(_("Reservations are bought on an Azure plan or a Microsoft Azure subscription."))
    if subscription.registration != CustomerSubscription.Registration.REGISTERED:
        raise PurchaseError(
            _(
                "The subscription %(name)s is not registered for reservation purchases. Register it from the "
                "customer's page first; it takes a few minutes."
            )
            % {"name": subscription.name or subscription.id}
        )


@dataclass(frozen=True)
class LineChoice:
    """What staff picked for a line: a SKU of the catalog, a term and billing plan, quantity and scope."""

    product_id: str
    sku_id: str
    term_months: int
    billing_plan: str
    quantity: int | str
    scope: str = Scope.SHARED
    friendly_name: str = ""


def add_line(
    purchase: PurchaseRequest,
    choice: LineChoice,
    *,
    by: AbstractBaseUser,
    transport: Transport,
    http_request: HttpRequest | None = None,
) -> PurchaseLine:
    """Add a line to a draft, with the availability read again from Partner Center now, then sync the cart.

    Refusals (blocked market, SKU no longer sold, quantity out of range, ...) raise PurchaseError and add
    nothing. A cart that could not be written keeps the line: the request says the cart is out of sync.
    """
    _ensure_editable(purchase, by)
    customer, subscription = _context(purchase)
    ensure_can_buy_with(customer, subscription)
    scope = _scope(choice.scope)
    try:
        confirmed = availability.confirm(
            transport,
            customer,
            subscription,
            product_id=choice.product_id,
            sku_id=choice.sku_id,
            term_months=choice.term_months,
            billing_plan=choice.billing_plan,
        )
        quantity = availability.validate_quantity(confirmed, choice.quantity)
    except (AvailabilityRefused, QuantityRefused) as refused:
        raise PurchaseError(refused.user_message) from refused
    sku = availability.published_sku(subscription, confirmed.product_id, confirmed.sku_id)
    title = sku.title if sku is not None else f"{confirmed.product_id}/{confirmed.sku_id}"
    region = sku.region if sku is not None else ""
    with transaction.atomic():
        locked = _lock_editable(purchase, by)
        if locked.lines.count() >= MAX_LINES:
            raise PurchaseError(_("A request holds at most %(count)s lines.") % {"count": MAX_LINES})
        top = locked.lines.aggregate(top=Max("position"))["top"]
        position = 0 if top is None else top + 1
        line = PurchaseLine.objects.create(
            request=locked,
            position=position,
            product_id=confirmed.product_id,
            sku_id=confirmed.sku_id,
            availability_id=confirmed.availability_id,
            catalog_item_id=confirmed.catalog_item_id,
            title=title[:300],
            region=region[:100],
            term_duration=confirmed.term_duration,
            term_months=confirmed.term_months,
            billing_plan=confirmed.billing_plan,
            scope=scope,
            friendly_name=_friendly_name(choice.friendly_name, title),
            quantity=quantity,
            minimum_quantity=confirmed.minimum_quantity,
            maximum_quantity=confirmed.maximum_quantity,
            currency_code=confirmed.currency_code,
        )
        PurchaseRequest.objects.filter(pk=locked.pk).update(cart_synced=False)
        transitions.event(
            locked,
            _("Added %(quantity)s x %(title)s (%(term)s, %(scope)s).")
            % {"quantity": quantity, "title": title, "term": line.term_duration, "scope": line.scope},
            actor=by,
            http_request=http_request,
        )
    sync_cart(purchase, transport=transport, actor=by)
    line.refresh_from_db()
    return line


def change_line(
    purchase: PurchaseRequest,
    line_id: int,
    *,
    quantity: int | str,
    scope: str,
    friendly_name: str,
    by: AbstractBaseUser,
    transport: Transport,
    http_request: HttpRequest | None = None,
) -> PurchaseLine:
    """Change a draft line's quantity, scope or friendly name, then sync the cart."""
    with transaction.atomic():
        locked = _lock_editable(purchase, by)
        line = _line_of(locked, line_id)
        try:
            line.quantity = availability.validate_quantity(line, quantity)
        except QuantityRefused as refused:
            raise PurchaseError(refused.user_message) from refused
        line.scope = _scope(scope)
        line.friendly_name = _friendly_name(friendly_name, line.title)
        line.save(update_fields=["quantity", "scope", "friendly_name"])
        PurchaseRequest.objects.filter(pk=locked.pk).update(cart_synced=False)
        transitions.event(
            locked,
            _("Changed line %(position)s: %(quantity)s x %(title)s, %(scope)s.")
            % {
                "position": line.position + 1,
                "quantity": line.quantity,
                "title": line.title,
                "scope": line.scope,
            },
            actor=by,
            http_request=http_request,
        )
    sync_cart(purchase, transport=transport, actor=by)
    line.refresh_from_db()
    return line


def remove_line(
    purchase: PurchaseRequest,
    line_id: int,
    *,
    by: AbstractBaseUser,
    transport: Transport,
    http_request: HttpRequest | None = None,
) -> None:
    with transaction.atomic():
        locked = _lock_editable(purchase, by)
        line = _line_of(locked, line_id)
        title = line.title
        line.delete()
        PurchaseRequest.objects.filter(pk=locked.pk).update(cart_synced=False)
        transitions.event(
            locked, _("Removed %(title)s.") % {"title": title}, actor=by, http_request=http_request
        )
    sync_cart(purchase, transport=transport, actor=by)


# --- the Partner Center cart ----------------------------------------------------------------------------


def cart_is_usable(purchase: PurchaseRequest, *, margin: timedelta = timedelta(0)) -> bool:
    """The request has a cart that Partner Center still keeps (Active, not past its expiry)."""
    if not purchase.cart_id or purchase.cart_expires_at is None:
        return False
    return purchase.cart_expires_at - margin > timezone.now()


def sync_cart(
    purchase: PurchaseRequest,
    *,
    transport: Transport,
    actor: AbstractBaseUser | None = None,
    actor_name: str = "",
) -> PurchaseRequest:
    """Write the request's lines to its cart (create, or update while it lives) and keep what comes back.

    Only drafts change their cart. A Partner Center error leaves the request marked out of sync, with
    the reason in plain words, and is raised as PurchaseError; the lines are kept.
    """
    purchase = PurchaseRequest.objects.select_related("customer").get(pk=purchase.pk)
    if purchase.state != State.DRAFT:
        raise transitions.IllegalTransition(purchase.state, State.DRAFT)
    if not purchase.lines.exists():
        PurchaseRequest.objects.filter(pk=purchase.pk).update(
            cart_synced=True, quoted_total=None, last_error="", last_error_code=""
        )
        return purchase
    try:
        try:
            cart, replaced_expired = _write_cart(purchase, transport)
        except errors.NotFound as exc:
            if exc.code != errors.AVAILABILITY_NOT_FOUND:
                raise
            # Availability ids rotated since the lines were added: read them again, then write once more.
            _refresh_availabilities(purchase, transport)
            cart, replaced_expired = _write_cart(purchase, transport)
    except (PartnerCenterError, PurchaseError) as exc:
        reason = exc.user_message
        PurchaseRequest.objects.filter(pk=purchase.pk).update(
            cart_synced=False, last_error=reason, last_error_code=getattr(exc, "code", None) or ""
        )
        transitions.event(
            purchase,
            _("The cart could not be written to Partner Center: %(reason)s") % {"reason": reason},
            actor=actor,
            actor_name=actor_name,
            correlation_id=getattr(exc, "correlation_id", None) or "",
            outcome=audit.Outcome.FAILURE,
        )
        if isinstance(exc, PurchaseError):
            raise
        raise PurchaseError(reason) from exc
    apply_cart(purchase, cart)
    message = _("Cart written to Partner Center: %(count)s line(s), %(total)s.") % {
        "count": len(cart.line_items),
        "total": quoted_total(purchase),
    }
    if replaced_expired:
        message = _("The previous cart had expired; a new cart was created.") + " " + message
    transitions.event(
        purchase, message, actor=actor, actor_name=actor_name, correlation_id=cart.meta.correlation_id or ""
    )
    return purchase


def _write_cart(purchase: PurchaseRequest, transport: Transport) -> tuple[Cart, bool]:
    """Create the cart, or update it while Partner Center keeps it; (cart, whether an old one had expired)."""
    items = [_cart_line(purchase, line) for line in purchase.lines.exclude(error_code=UNAVAILABLE)]
    if not items:
        raise PurchaseError(_("None of the lines can be bought any more. Remove them and pick others."))
    replaced_expired = bool(purchase.cart_id) and not cart_is_usable(purchase)
    if cart_is_usable(purchase):
        try:
            cart = pc_carts.update_cart(
                transport, purchase.customer_id, Cart(id=purchase.cart_id, line_items=tuple(items))
            )
            return cart, False
        except errors.NotFound as exc:
            if exc.code != errors.CART_NOT_FOUND:
                raise
            replaced_expired = True  # Partner Center no longer keeps it: start a new one
    return pc_carts.create_cart(transport, purchase.customer_id, items), replaced_expired


def _refresh_availabilities(purchase: PurchaseRequest, transport: Transport) -> None:
    """Read each line's availability again (ids rotate); a line that can no longer be bought says why."""
    customer, subscription = _context(purchase)
    for line in purchase.lines.all():
        try:
            confirmed = availability.confirm(
                transport,
                customer,
                subscription,
                product_id=line.product_id,
                sku_id=line.sku_id,
                term_months=line.term_months,
                billing_plan=line.billing_plan,
            )
        except AvailabilityRefused as refused:
            if refused.reason == availability.Refusal.TRY_AGAIN:
                raise PurchaseError(refused.user_message) from refused
            line.error_code, line.error_message = UNAVAILABLE, refused.user_message
            line.save(update_fields=["error_code", "error_message"])
            continue
        line.availability_id = confirmed.availability_id
        line.catalog_item_id = confirmed.catalog_item_id
        line.error_code = line.error_message = ""
        line.order_error_code = line.order_error_message = ""
        line.save()
    transitions.event(purchase, _("Availabilities read again from Partner Center (their ids rotate)."))


def apply_cart(purchase: PurchaseRequest, cart: Cart) -> None:
    """Keep what Partner Center said of the cart and each line: ids, expiry, prices, groups, errors."""
    by_position = {item.id: item for item in cart.line_items if item.id is not None}
    totals: list[Decimal | None] = []
    currencies: set[str] = set()
    with transaction.atomic():
        for line in purchase.lines.select_for_update():
            item = by_position.get(line.position)
            if line.error_code == UNAVAILABLE:
                totals.append(None)  # kept out of the cart until staff remove it
                continue
            if item is None:
                line.error_code = "missing"
                line.error_message = _(
                    "Partner Center's cart does not hold this line. Remove it and add it again."
                )
                totals.append(None)
            else:
                unit, extended = _prices(item.pricing, line.quantity)
                line.unit_price, line.extended_price = unit, extended
                line.currency_code = (item.currency_code or line.currency_code or "").upper()
                line.order_group = item.order_group or ""
                if item.error is not None:
                    line.error_code = str(item.error.error_code or "unknown")
                    line.error_message = line_error_message(
                        item.error.error_code, item.error.error_description
                    )
                else:
                    line.error_code = line.error_message = ""
                totals.append(extended)
                if line.currency_code:
                    currencies.add(line.currency_code)
            line.save()
        created = cart.creation_timestamp or timezone.now()
        quoted = sum(totals, Decimal(0)) if totals and all(t is not None for t in totals) else None  # type: ignore[arg-type]
        PurchaseRequest.objects.filter(pk=purchase.pk).update(
            cart_id=cart.id or "",
            cart_created_at=created,
            cart_expires_at=cart.expiration_timestamp or created + CART_LIFETIME,
            cart_status=str(cart.status or ""),
            cart_synced=True,
            currency_code=currencies.pop() if len(currencies) == 1 else "",
            quoted_total=quoted if len(currencies) <= 1 else None,
            last_error="",
            last_error_code="",
        )
    purchase.refresh_from_db()


def _cart_line(purchase: PurchaseRequest, line: PurchaseLine) -> CartLineItem:
    return CartLineItem(
        id=line.position,
        catalog_item_id=line.catalog_item_id,
        friendly_name=line.friendly_name or None,
        quantity=line.quantity,
        billing_cycle=BillingCycle.parse(line.billing_plan) or BillingCycle.ONE_TIME,
        term_duration=line.term_duration,
        provisioning_context={
            "subscriptionId": purchase.subscription_ref,
            "scope": line.scope,
            "duration": line.duration,
        },
    )


def _prices(pricing: Any, quantity: int) -> tuple[Decimal | None, Decimal | None]:
    """(unit, extended) from a cart line's pricing; the extended price is the line's total."""

    def number(*names: str) -> Decimal | None:
        for name in names:
            for key, value in pricing.items():
                if key.lower() == name.lower() and value is not None:
                    try:
                        return Decimal(str(value))
                    except ArithmeticError:
                        return None
        return None

    unit = number("price", "discountedPrice", "listPrice")
    extended = number("extendedPrice")
    if extended is None and unit is not None:
        extended = unit * quantity
    return unit, extended


def money(amount: object, currency: str) -> str:
    """An amount with its currency, in the reader's locale."""
    return f"{number_format(amount, 2, use_l10n=True, force_grouping=True)} {currency}".strip()


def quoted_total(purchase: PurchaseRequest) -> str:
    """The request's quoted total in words: the amount with its currency, or that none was quoted."""
    if purchase.quoted_total is None:
        return _("no price quoted")
    return money(purchase.quoted_total, purchase.currency_code)


# --- submitting, rebuilding, cancelling -----------------------------------------------------------------


def submit(
    purchase: PurchaseRequest,
    *,
    by: AbstractBaseUser,
    transport: Transport,
    note: str = "",
    http_request: HttpRequest | None = None,
) -> PurchaseRequest:
    """Send a draft for approval: only a complete, error-free request whose cart is current and alive."""
    purchase = PurchaseRequest.objects.select_related("customer", "requester").get(pk=purchase.pk)
    if purchase.requester_id != by.pk:
        raise PurchaseError(_("Only the person who started this request can send it for approval."))
    if purchase.state != State.DRAFT:
        raise transitions.IllegalTransition(purchase.state, State.AWAITING_APPROVAL)
    customer, subscription = _context(purchase)
    ensure_can_buy_with(customer, subscription)
    if not purchase.lines.exists():
        raise PurchaseError(_("Add at least one reservation before sending the request for approval."))
    # A cart out of sync, or too close to expiry to be approved and checked out, is written again first.
    if not purchase.cart_synced or not cart_is_usable(purchase, margin=timedelta(days=1)):
        if purchase.cart_id and not cart_is_usable(purchase, margin=timedelta(days=1)):
            # A new cart, so approvers get the full 7 days; staff see it in the timeline.
            PurchaseRequest.objects.filter(pk=purchase.pk).update(cart_expires_at=timezone.now())
        purchase = sync_cart(purchase, transport=transport, actor=by)
    errors_left = purchase.lines.exclude(error_code="").count()
    if errors_left:
        raise PurchaseError(
            _("%(count)s line(s) have errors Partner Center reported. Fix or remove them first.")
            % {"count": errors_left}
        )
    purchase = transitions.transition(
        purchase,
        State.AWAITING_APPROVAL,
        actor=by,
        http_request=http_request,
        expected=State.DRAFT,
        note=note.strip()[:2000],
        message=_("Sent for approval: %(total)s.") % {"total": quoted_total(purchase)},
    )
    from orders import approvals  # approvals imports this module

    approvals.notify_approvers(purchase)
    return purchase


def rebuild(
    purchase: PurchaseRequest,
    *,
    by: AbstractBaseUser,
    transport: Transport,
    http_request: HttpRequest | None = None,
) -> PurchaseRequest:
    """Bring an expired or failed request back to draft with fresh availabilities and a new cart.

    Each line's availability is read again; a line that can no longer be bought is kept with its reason
    so staff decide. The request then needs a new approval: nothing is bought on the old one.
    """
    if purchase.requester_id != by.pk:
        raise PurchaseError(_("Only the person who started this request can rebuild it."))
    customer, subscription = _context(purchase)
    ensure_can_buy_with(customer, subscription)
    purchase = transitions.transition(
        purchase,
        State.DRAFT,
        actor=by,
        http_request=http_request,
        message=_("Rebuilt from fresh availabilities; it needs a new approval."),
        cart_id="",
        cart_expires_at=None,
        cart_status="",
        cart_synced=False,
        next_attempt_at=None,
        checkout_lease_until=None,
    )
    try:
        _refresh_availabilities(purchase, transport)
        sync_cart(purchase, transport=transport, actor=by)
    except PurchaseError:
        pass  # kept in draft: the page shows the cart out of sync, with the reason and a retry
    purchase.refresh_from_db()
    return purchase


def cancel(
    purchase: PurchaseRequest,
    *,
    by: AbstractBaseUser,
    reason: str = "",
    http_request: HttpRequest | None = None,
) -> PurchaseRequest:
    """The requester (or an admin) withdraws a request that has not started checking out."""
    if purchase.requester_id != by.pk and not by.has_perm(Capability.MANAGE_STAFF.perm):
        raise PurchaseError(_("Only the person who started this request, or an admin, can cancel it."))
    return transitions.transition(
        purchase,
        State.CANCELLED,
        actor=by,
        http_request=http_request,
        message=reason.strip()[:2000] or _("Cancelled."),
    )


# --- helpers --------------------------------------------------------------------------------------------


def _context(purchase: PurchaseRequest) -> tuple[Customer, CustomerSubscription]:
    customer = Customer.objects.get(pk=purchase.customer_id)
    subscription = purchase.subscription
    if subscription is None:
        raise PurchaseError(
            _("Partner Center no longer lists the subscription %(id)s for this customer.")
            % {"id": purchase.subscription_ref}
        )
    return customer, subscription


def _ensure_editable(purchase: PurchaseRequest, by: AbstractBaseUser) -> None:
    if purchase.requester_id != by.pk:
        raise PurchaseError(_("Only the person who started this request can change it."))
    if purchase.state != State.DRAFT:
        raise PurchaseError(
            _("This request is %(state)s: its lines can no longer change.")
            % {"state": State(purchase.state).label.lower()}
        )


def _lock_editable(purchase: PurchaseRequest, by: AbstractBaseUser) -> PurchaseRequest:
    locked = PurchaseRequest.objects.select_for_update().get(pk=purchase.pk)
    _ensure_editable(locked, by)
    return locked


def _line_of(purchase: PurchaseRequest, line_id: int) -> PurchaseLine:
    line = purchase.lines.filter(pk=line_id).first()
    if line is None:
        raise PurchaseError(_("This line is not part of the request (it may have been removed)."))
    return line


def _scope(value: str) -> str:
    if value not in Scope.values:
        raise PurchaseError(_("The scope must be single subscription or shared."))
    return value


def _friendly_name(value: str, title: str) -> str:
    name = " ".join(str(value or "").split())[:MAX_FRIENDLY_NAME]
    return name or title[:MAX_FRIENDLY_NAME]
