"""Pages of purchase requests: the list, one request, the approvers' queue, and the buttons behind them.

A request page shows what the portal knows of the request (its lines as the cart priced them, the cart's
expiry, the timeline, the approvals, the orders checkout made) and only the actions open to the person
looking, in the request's state. Every action is a POST that works as a plain form (then redirects back
to the request page with a message) and, with htmx, answers the request region of the page instead. The
domain (orders.carts, orders.approvals) checks roles, ownership and states again: a stale page, a double
click or a crafted form gets its refusal in plain words, and nothing already there is lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from catalog import availability, search
from catalog.models import Availability
from catalog.views import catalog_id_arguments
from orders import approvals, carts, transitions
from orders.forms import (
    ActionForm,
    AddLineForm,
    ApproveForm,
    CancelForm,
    ChangeLineForm,
    PurchaseFilterForm,
    RejectForm,
    SubmitForm,
)
from orders.models import Order, PurchaseLine, PurchaseRequest, days_left
from orders.transitions import PurchaseError
from partnercenter.errors import PartnerCenterError
from partnercenter.transport import Transport
from portal import partner_center
from portal.markets import market_name
from portal.roles import Capability, requires
from portal.views import guid_arguments, subscription_or_404

logger = logging.getLogger(__name__)

State = PurchaseRequest.State
PAGE_SIZE = 25
# The ids of the page's regions that htmx requests replace.
REQUEST_REGION = "purchase-request"
STATE_REGION = "purchase-state"
# While these last, a worker is about to check the request out or is doing it: the state region polls.
POLLING_STATES = frozenset({State.APPROVED, State.CHECKING_OUT})
# What a refused action can raise; each carries `user_message`, words safe to show staff.
REFUSALS = (PurchaseError, PartnerCenterError, partner_center.NotConfigured)


# --- access and answers -------------------------------------------------------------------------------------


def _get_purchase_for_user(request: HttpRequest, pk: int) -> PurchaseRequest:
    """The request, or 404. Everyone who may see purchases sees every request (the list shows one's own by
    default); what each may do to it is checked by every action, here and in the domain."""
    return get_object_or_404(
        PurchaseRequest.objects.select_related("customer", "requester", "subscription"), pk=pk
    )


def _ensure_requester(purchase: PurchaseRequest, user: AbstractBaseUser) -> None:
    if purchase.requester_id != user.pk:
        raise PurchaseError(_("Only the person who started this request can change it."))


def _transport() -> Transport:
    return partner_center.transport(for_page=True)


def _valid(form: ActionForm) -> None:
    """Refuse, in plain words, a form whose fields are missing or malformed."""
    if not form.is_valid():
        raise PurchaseError(form.error_text())


def _refusal_text(refused: Exception) -> str:
    """The one place where a refused purchase action becomes what staff read."""
    if isinstance(refused, PartnerCenterError):
        logger.warning("purchase action refused by Partner Center: %r", refused)
    return str(getattr(refused, "user_message", "")) or _("This could not be done.")


def _answer(
    request: HttpRequest, purchase: PurchaseRequest, *, notice: str = "", refusal: str = "", warning: str = ""
) -> HttpResponse:
    """After an action: with htmx the request region, saying how it went; otherwise back to the page."""
    if request.htmx:
        purchase = _get_purchase_for_user(request, purchase.pk)
        context = _page_context(request, purchase) | {
            "notice": notice,
            "refusal": refusal,
            "warning": warning,
            "posted": request.POST,
        }
        return render(request, "orders/purchase.html#body", context)
    if refusal:
        messages.error(request, refusal)
    if warning:
        messages.warning(request, warning)
    if notice:
        messages.success(request, notice)
    return redirect("purchase-request", purchase.pk)


def _refused(request: HttpRequest, purchase: PurchaseRequest, refused: Exception) -> HttpResponse:
    return _answer(request, purchase, refusal=_refusal_text(refused))


# --- the request page ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineRow:
    """A line with its values in words, for the page."""

    line: PurchaseLine
    term: str
    billing_plan: str
    unit_price: str
    extended_price: str
    order_url: str


def _money(amount: object, currency: str) -> str:
    return carts.money(amount, currency) if amount is not None else ""


def _order_url(order: Order | None) -> str:
    if order is None:
        return ""
    try:
        return reverse("order", kwargs={"customer_id": order.customer_id, "order_id": order.pk})
    except NoReverseMatch:  # the order pages are not part of this deployment yet
        return ""


def _expiry(purchase: PurchaseRequest) -> dict[str, object] | None:
    """When the cart expires, in days from now (0: within a day; None: already expired)."""
    if purchase.cart_expires_at is None:
        return None
    at, now = purchase.cart_expires_at, timezone.now()
    return {"at": at, "days": None if at <= now else days_left(at, now)}


def _actions(user: AbstractBaseUser, purchase: PurchaseRequest, has_lines: bool) -> dict[str, object]:
    """What this person may do to this request in its state: the buttons the page shows. The server checks
    each again when pressed."""
    state = purchase.state
    own = purchase.requester_id == user.pk and user.has_perm(Capability.REQUEST_PURCHASES.perm)
    approver = user.has_perm(Capability.APPROVE_PURCHASES.perm)
    awaiting = state == State.AWAITING_APPROVAL
    refusal = approvals.refusal(user, purchase) if awaiting and approver else None
    may_cancel = own or user.has_perm(Capability.MANAGE_STAFF.perm)
    return {
        "edit": own and state == State.DRAFT,
        "sync": own and state == State.DRAFT and has_lines and not purchase.cart_synced,
        "submit": own and state == State.DRAFT and has_lines,
        "cancel": may_cancel and transitions.can_move(state, State.CANCELLED),
        "rebuild": own and state in (State.EXPIRED, State.FAILED),
        "approve": awaiting and approver and refusal is None,
        "reject": awaiting and approver and purchase.requester_id != user.pk,
        "approval_refusal": refusal or "",
    }


def _state_context(purchase: PurchaseRequest) -> dict[str, object]:
    """What the state region shows: all its polling reads."""
    return {
        "purchase": purchase,
        "polling": purchase.state in POLLING_STATES,
    }


def _page_context(request: HttpRequest, purchase: PurchaseRequest) -> dict[str, object]:
    lines = list(purchase.lines.select_related("order"))
    rows = [
        LineRow(
            line=line,
            term=search.term_label(line.term_months),
            billing_plan=search.billing_plan_label(line.billing_plan),
            unit_price=_money(line.unit_price, line.currency_code),
            extended_price=_money(line.extended_price, line.currency_code),
            order_url=_order_url(line.order),
        )
        for line in lines
    ]
    orders = [(order, _order_url(order)) for order in purchase.orders.all()]
    subscription = purchase.subscription
    return _state_context(purchase) | {
        "market": market_name(purchase.country),
        "lines": rows,
        "total": _money(purchase.quoted_total, purchase.currency_code),
        "expiry": _expiry(purchase),
        "timeline": transitions.timeline(purchase).select_related("actor"),
        "approvals": [
            (approval, _money(approval.total, approval.currency_code))
            for approval in purchase.approvals.select_related("decided_by")
        ],
        "orders": orders,
        "actions": _actions(request.user, purchase, bool(lines)),  # type: ignore[arg-type]
        "browse_url": (
            reverse("catalog-browse", args=[purchase.customer_id, subscription.pk]) if subscription else ""
        ),
    }


@requires(Capability.VIEW_PURCHASES)
@require_GET
@never_cache
def purchase_page(request: HttpRequest, pk: int) -> HttpResponse:
    purchase = _get_purchase_for_user(request, pk)
    htmx = request.htmx
    if htmx and htmx.target == STATE_REGION and not htmx.history_restore_request:
        # The state region polling the local row (never Partner Center). Once the state has moved on, the
        # whole page reloads: lines, orders and actions change with it.
        response = render(request, "orders/purchase.html#state", _state_context(purchase))
        shown = request.GET.get("shown", "")
        if shown and shown != purchase.state:
            response["HX-Refresh"] = "true"
    else:
        response = render(request, "orders/purchase.html", _page_context(request, purchase))
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


# --- building a request -------------------------------------------------------------------------------------


def _sku_rows(sku: object) -> list[Availability]:
    return list(Availability.objects.filter(sku_row=sku).order_by("term_months", "billing_plan", "id"))


@requires(Capability.REQUEST_PURCHASES)
@require_POST
@guid_arguments("customer_id", "subscription_id")
@catalog_id_arguments
def add_line(
    request: HttpRequest, customer_id: str, subscription_id: str, product_id: str, sku_id: str
) -> HttpResponse:
    """A line from a SKU page, into the user's open draft for the subscription, or a new request."""
    subscription = subscription_or_404(customer_id, subscription_id)
    customer = subscription.customer
    sku_url = reverse("catalog-sku", args=[customer.pk, subscription.pk, product_id, sku_id])
    try:
        carts.ensure_can_buy_with(customer, subscription)
    except PurchaseError as refused:
        return _sku_refusal(request, sku_url, refused.user_message)
    sku = availability.published_sku(subscription, product_id, sku_id)
    if sku is None:
        raise Http404("no such SKU in this subscription's catalog")
    rows = _sku_rows(sku)
    form = AddLineForm(request.POST, sku=sku, rows=rows)
    # What the form needs to show itself again, with the reason, when the line is refused.
    again = {
        "form": form,
        "customer": customer,
        "subscription": subscription,
        "sku": sku,
        "availabilities": [search.Line(row) for row in rows],
        "registered": True,
    }
    if not form.is_valid():
        return _sku_refusal(request, sku_url, form.error_text(), again)
    purchase, before = None, 0
    try:
        transport = _transport()
        purchase = carts.open_draft(customer, subscription, request.user) or carts.start_request(  # type: ignore[arg-type]
            customer, subscription, by=request.user, http_request=request
        )
        before = purchase.lines.count()
        line = carts.add_line(
            purchase,
            form.choice(),
            by=request.user,  # type: ignore[arg-type]
            transport=transport,
            http_request=request,
        )
    except REFUSALS as refused:
        if purchase is not None and purchase.lines.count() > before:
            # The line is in the request, but the cart could not be written: the page says so, with a retry.
            messages.warning(request, _refusal_text(refused))
            return _to_request(request, purchase)
        return _sku_refusal(request, sku_url, _refusal_text(refused), again)
    if line.error_message:
        messages.warning(
            request,
            _("Added to %(reference)s, but Partner Center cannot sell this line as it is: %(reason)s")
            % {"reference": purchase.reference, "reason": line.error_message},
        )
    else:
        messages.success(
            request,
            _("Added %(quantity)s x %(title)s to %(reference)s.")
            % {"quantity": line.quantity, "title": line.title, "reference": purchase.reference},
        )
    return _to_request(request, purchase)


def _to_request(request: HttpRequest, purchase: PurchaseRequest) -> HttpResponse:
    url = reverse("purchase-request", args=[purchase.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _sku_refusal(
    request: HttpRequest, sku_url: str, refusal: str, context: dict[str, object] | None = None
) -> HttpResponse:
    """A line that was not added: with htmx the form again, with the reason and what was typed; otherwise
    the reason on the SKU page."""
    if request.htmx and context is not None:
        return render(request, "orders/_add_line.html", context | {"refusal": refusal})
    messages.error(request, refusal)
    return HttpResponseClientRedirect(sku_url) if request.htmx else redirect(sku_url)


# --- changing a draft ---------------------------------------------------------------------------------------


def _line_or_refuse(purchase: PurchaseRequest, line_id: int) -> PurchaseLine:
    """The line, when it belongs to this request (a line id of another request is refused, not looked up)."""
    line = purchase.lines.filter(pk=line_id).first()
    if line is None:
        raise PurchaseError(_("This line is not part of the request (it may have been removed)."))
    return line


@requires(Capability.REQUEST_PURCHASES)
@require_POST
def change_line(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    purchase = _get_purchase_for_user(request, pk)
    try:
        line = _line_or_refuse(purchase, line_id)
        form = ChangeLineForm(request.POST, line=line)
        _valid(form)
        line = carts.change_line(
            purchase,
            line.pk,
            quantity=form.cleaned_data["quantity"],
            scope=form.cleaned_data["scope"],
            friendly_name=form.cleaned_data["friendly_name"],
            by=request.user,  # type: ignore[arg-type]
            transport=_transport(),
            http_request=request,
        )
    except REFUSALS as refused:
        return _refused(request, purchase, refused)
    if line.error_message:
        return _answer(request, purchase, warning=line.error_message)
    return _answer(request, purchase, notice=_("Line changed: %(title)s.") % {"title": line.title})


@requires(Capability.REQUEST_PURCHASES)
@require_POST
def remove_line(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    purchase = _get_purchase_for_user(request, pk)
    try:
        line = _line_or_refuse(purchase, line_id)
        carts.remove_line(purchase, line.pk, by=request.user, transport=_transport(), http_request=request)  # type: ignore[arg-type]
    except REFUSALS as refused:
        return _refused(request, purchase, refused)
    return _answer(request, purchase, notice=_("Line removed: %(title)s.") % {"title": line.title})


@requires(Capability.REQUEST_PURCHASES)
@require_POST
def sync_cart(request: HttpRequest, pk: int) -> HttpResponse:
    """Write the cart again, after Partner Center could not take it (the page's "out of sync" notice)."""
    purchase = _get_purchase_for_user(request, pk)
    try:
        _ensure_requester(purchase, request.user)  # type: ignore[arg-type]
        purchase = carts.sync_cart(purchase, transport=_transport(), actor=request.user)  # type: ignore[arg-type]
    except REFUSALS as refused:
        return _refused(request, purchase, refused)
    return _answer(request, purchase, notice=_("The cart was written to Partner Center."))


# --- moving the request along -------------------------------------------------------------------------------


@requires(Capability.REQUEST_PURCHASES)
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    purchase = _get_purchase_for_user(request, pk)
    form = SubmitForm(request.POST)
    try:
        _valid(form)
        purchase = carts.submit(
            purchase,
            by=request.user,  # type: ignore[arg-type]
            transport=_transport(),
            note=form.cleaned_data["note"],
            http_request=request,
        )
    except REFUSALS as refused:
        return _refused(request, purchase, refused)
    return _answer(request, purchase, notice=_("Sent for approval. Approvers have been told."))


@requires(Capability.REQUEST_PURCHASES)
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    purchase = _get_purchase_for_user(request, pk)
    form = CancelForm(request.POST)
    try:
        _valid(form)
        purchase = carts.cancel(
            purchase,
            by=request.user,  # type: ignore[arg-type]
            reason=form.cleaned_data["reason"],
            http_request=request,
        )
    except REFUSALS as refused:
        return _refused(request, purchase, refused)
    return _answer(request, purchase, notice=_("The request was cancelled. Nothing was bought."))


@requires(Capability.REQUEST_PURCHASES)
@require_POST
def rebuild(request: HttpRequest, pk: int) -> HttpResponse:
    purchase = _get_purchase_for_user(request, pk)
    try:
        purchase = carts.rebuild(purchase, by=request.user, transport=_transport(), http_request=request)  # type: ignore[arg-type]
    except REFUSALS as refused:
        return _refused(request, purchase, refused)
    if not purchase.cart_synced:
        return _answer(
            request,
            purchase,
            warning=_("The request is a draft again, but its cart could not be written: %(reason)s")
            % {"reason": purchase.last_error},
        )
    return _answer(
        request, purchase, notice=_("The request is a draft again, with a new cart. Send it for approval.")
    )


@requires(Capability.APPROVE_PURCHASES)
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    purchase = _get_purchase_for_user(request, pk)
    form = ApproveForm(request.POST)
    try:
        _valid(form)
        approvals.approve(
            purchase,
            by=request.user,  # type: ignore[arg-type]
            comment=form.cleaned_data["comment"],
            http_request=request,
        )
    except REFUSALS as refused:
        return _refused(request, purchase, refused)
    return _answer(request, purchase, notice=_("Approved. The portal is checking it out now."))


@requires(Capability.APPROVE_PURCHASES)
@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    purchase = _get_purchase_for_user(request, pk)
    form = RejectForm(request.POST)
    try:
        _valid(form)
        approvals.reject(
            purchase,
            by=request.user,  # type: ignore[arg-type]
            comment=form.cleaned_data["comment"],
            http_request=request,
        )
    except REFUSALS as refused:
        return _refused(request, purchase, refused)
    return _answer(request, purchase, notice=_("Rejected. The requester has been told why."))


# --- lists --------------------------------------------------------------------------------------------------


@requires(Capability.VIEW_PURCHASES)
@require_GET
def purchase_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    requests_purchases = user.has_perm(Capability.REQUEST_PURCHASES.perm)
    default_who = PurchaseFilterForm.MINE if requests_purchases else PurchaseFilterForm.ALL
    form = PurchaseFilterForm(request.GET, default_who=default_who)
    found = PurchaseRequest.objects.select_related("customer", "requester")
    found = form.filter(found, user) if form.is_valid() else found.none()
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": [(purchase, _total(purchase)) for purchase in page],
        "query": query.urlencode(),
    }
    template = "orders/purchases.html#results" if request.htmx else "orders/purchases.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _total(purchase: PurchaseRequest) -> str:
    return _money(purchase.quoted_total, purchase.currency_code)


@requires(Capability.APPROVE_PURCHASES)
@require_GET
def approval_queue(request: HttpRequest) -> HttpResponse:
    """The requests awaiting approval, oldest first, each with whether this approver may approve it."""
    waiting = list(approvals.awaiting_approval())
    rows = [
        (purchase, _total(purchase), approvals.refusal(request.user, purchase))  # type: ignore[arg-type]
        for purchase in waiting
    ]
    return render(request, "orders/approvals.html", {"rows": rows})
