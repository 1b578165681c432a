"""Pages of orders and reservations: the orders the portal knows, one order, a customer's reservations.

Pages read the portal's copies (orders.tracking keeps them); Partner Center is called only on the refresh
buttons and for an order's provisioning status, which is App+User only and read with the viewer's own
Microsoft session. The status of a pending order is polled from the local row, never from Partner Center.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from catalog.models import Sku
from orders import tracking
from orders.models import BILLING_CYCLE_LABELS, Order, Reservation, days_left
from partnercenter.errors import PartnerCenterError
from portal import microsoft, partner_center
from portal.models import Customer
from portal.roles import Capability, requires
from portal.views import guid_arguments

logger = logging.getLogger(__name__)

_View = TypeVar("_View", bound=Callable[..., HttpResponse])

PAGE_SIZE = 25
RESULTS_TARGET = "results"  # the id of the list's results region, which the filters' htmx requests replace
# While an order is pending, its page reads the local row this often (seconds).
STATUS_POLL_SECONDS = 5
# Partner Center's order ids are letters and digits (b7c6d5e4f3a2). Anything else in an address is a
# mistake or a probe, and never reaches a query.
ORDER_ID = re.compile(r"[A-Za-z0-9]{1,64}")
BILLING_FILTERS = ("one_time", "monthly", "annual")


def order_id_argument(view: _View) -> _View:
    """Answer a 400 page, before any lookup, when the order id of the address is malformed."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, order_id: str, **kwargs: Any) -> HttpResponse:
        if not ORDER_ID.fullmatch(order_id):
            message = _(
                "The order id in this address is malformed: Partner Center's order ids are letters and "
                "digits only, such as b7c6d5e4f3a2."
            )
            return render(request, "400.html", {"message": message}, status=400)
        return view(request, *args, order_id=order_id, **kwargs)

    return wrapped  # type: ignore[return-value]


def _customer_or_404(customer_id: str) -> Customer:
    return get_object_or_404(Customer, pk=customer_id)


def _order_or_404(customer_id: str, order_id: str) -> Order:
    """The customer's order, or 404: an order of another customer is not found either."""
    return get_object_or_404(
        Order.objects.select_related("customer", "purchase_request", "approval__decided_by"),
        pk=order_id,
        customer_id=customer_id,
    )


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the page the form was on (`next`, when it is on this site), else to `default`."""
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect(default)


# --- the list of orders ----------------------------------------------------------------------------------


class OrderFilterForm(forms.Form):
    customer = forms.ModelChoiceField(
        label=gettext_lazy("Customer"),
        queryset=Customer.objects.none(),
        required=False,
        empty_label=gettext_lazy("All customers"),
    )
    billing = forms.ChoiceField(label=gettext_lazy("Billing cycle"), required=False)

    def __init__(self, *args: Any, with_customer: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if with_customer:
            # The customers the portal knows orders of; the others have none to filter.
            self.fields["customer"].queryset = Customer.objects.filter(orders__isnull=False).distinct()  # type: ignore[attr-defined]
        else:
            del self.fields["customer"]
        self.fields["billing"].choices = [("", _("Any"))] + [  # type: ignore[attr-defined]
            (cycle, str(BILLING_CYCLE_LABELS[cycle])) for cycle in BILLING_FILTERS
        ]


def _listing(request: HttpRequest, customer: Customer | None) -> HttpResponse:
    form = OrderFilterForm(request.GET, with_customer=customer is None)
    found = Order.objects.select_related("customer", "purchase_request").prefetch_related("lines")
    chosen = customer
    if form.is_valid():
        chosen = customer or form.cleaned_data.get("customer")
        if chosen is not None:
            found = found.filter(customer=chosen)
        if form.cleaned_data["billing"]:
            found = found.filter(billing_cycle=form.cleaned_data["billing"])
    else:
        found = found.none()
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    # Keep the filters in the pagination links, without the page number itself.
    query = request.GET.copy()
    query.pop("page", None)
    here = reverse("customer-orders", args=[customer.pk]) if customer else reverse("orders")
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "customer": customer,
        "chosen": chosen,
        "here": here,
        "listing_lag_minutes": int(tracking.LISTING_LAG.total_seconds() // 60),
    }
    htmx = request.htmx
    wants_results = bool(htmx) and htmx.target == RESULTS_TARGET and not htmx.history_restore_request
    response = render(
        request, "orders/orders.html#results" if wants_results else "orders/orders.html", context
    )
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@requires(Capability.VIEW_ORDERS)
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    """Every order the portal knows, newest first, filtered by customer and billing cycle."""
    return _listing(request, None)


@requires(Capability.VIEW_ORDERS)
@require_GET
@guid_arguments("customer_id")
def customer_orders(request: HttpRequest, customer_id: str) -> HttpResponse:
    return _listing(request, _customer_or_404(customer_id))


@requires(Capability.REFRESH_ORDERS)
@require_POST
@guid_arguments("customer_id")
def customer_orders_refresh(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Reconcile the customer's orders with Partner Center now, while the person waits."""
    customer = _customer_or_404(customer_id)
    default = reverse("customer-orders", args=[customer.pk])
    try:
        summary = tracking.reconcile_customer(
            customer, transport=partner_center.transport(for_page=True), request=request
        )
    except partner_center.NotConfigured as exc:
        messages.error(request, str(exc.user_message))
        return _back(request, default)
    except PartnerCenterError as exc:
        messages.error(
            request,
            _("The orders of %(customer)s could not be refreshed from Partner Center: %(reason)s")
            % {"customer": customer, "reason": exc.user_message},
        )
        return _back(request, default)
    messages.success(
        request,
        _(
            "Orders of %(customer)s refreshed from Partner Center: %(listed)d listed, %(added)d new, "
            "%(read)d read one by one."
        )
        % {
            "customer": customer,
            "listed": summary.listed,
            "added": summary.added,
            "read": summary.read_by_id,
        },
    )
    if summary.not_found:
        messages.warning(
            request,
            _("Partner Center does not know these orders the portal recorded: %(ids)s.")
            % {"ids": ", ".join(summary.not_found)},
        )
    return _back(request, default)


# --- one order -------------------------------------------------------------------------------------------


def _order_context(order: Order) -> dict[str, object]:
    return {
        "order": order,
        "customer": order.customer,
        "lines": list(order.lines.all()),
        "approval": order.approval,
        "poll_seconds": STATUS_POLL_SECONDS,
        "listing_lag_minutes": int(tracking.LISTING_LAG.total_seconds() // 60),
    }


@requires(Capability.VIEW_ORDERS)
@require_GET
@guid_arguments("customer_id")
@order_id_argument
def order_page(request: HttpRequest, customer_id: str, order_id: str) -> HttpResponse:
    order = _order_or_404(customer_id, order_id)
    return render(request, "orders/order.html", _order_context(order))


@requires(Capability.VIEW_ORDERS)
@require_GET
@never_cache
@guid_arguments("customer_id")
@order_id_argument
def order_status(request: HttpRequest, customer_id: str, order_id: str) -> HttpResponse:
    """The order's status region, as the portal last stored it: the page polls this while the order is
    pending. It reads the local row only, never Partner Center."""
    order = _order_or_404(customer_id, order_id)
    if not request.htmx:
        return redirect("order", order.customer_id, order.pk)
    return render(request, "orders/order.html#status", _order_context(order))


@requires(Capability.VIEW_ORDERS)
@require_GET
@never_cache
@guid_arguments("customer_id")
@order_id_argument
def order_provisioning(request: HttpRequest, customer_id: str, order_id: str) -> HttpResponse:
    """Read the order's provisioning status from Partner Center now, with the viewer's own Microsoft
    session; without one, say how to get one. The order page loads this region (htmx), or links to it."""
    order = _order_or_404(customer_id, order_id)
    order_url = reverse("order", args=[order.customer_id, order.pk])
    access = microsoft.page_access(request)
    problem = access.problem
    if access.token is not None:
        try:
            tracking.refresh_provisioning(
                order, access.token, transport=partner_center.transport(for_page=True), request=request
            )
        except partner_center.NotConfigured as exc:
            problem = str(exc.user_message)
        except PartnerCenterError as exc:
            problem = exc.user_message
    context = _order_context(order) | {
        "access": access,
        "provisioning_read_now": access.token is not None and not problem,
        "provisioning_problem": problem,
        "sign_in_url": microsoft.sign_in_url(order_url),
    }
    template = "orders/order.html#provisioning" if request.htmx else "orders/order.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@requires(Capability.REFRESH_ORDERS)
@require_POST
@guid_arguments("customer_id")
@order_id_argument
def order_refresh(request: HttpRequest, customer_id: str, order_id: str) -> HttpResponse:
    """Read the order by id from Partner Center now."""
    order = _order_or_404(customer_id, order_id)
    try:
        order = tracking.refresh_order(
            order, transport=partner_center.transport(for_page=True), request=request
        )
    except partner_center.NotConfigured as exc:
        messages.error(request, str(exc.user_message))
    except PartnerCenterError as exc:
        messages.error(
            request,
            _("The order could not be read from Partner Center: %(reason)s") % {"reason": exc.user_message},
        )
    else:
        messages.success(
            request,
            _("Order %(order)s read from Partner Center: %(status)s.")
            % {"order": order.pk, "status": order.status_label},
        )
    return redirect("order", order.customer_id, order.pk)


# --- reservations ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReservationRow:
    reservation: Reservation
    title: str  # the catalog's, when the catalog mirror knows the SKU
    product_title: str
    days_left: int | None
    expired: bool


def _catalog_titles(
    country: str, reservations: Iterable[Reservation]
) -> dict[tuple[str, str], tuple[str, str]]:
    """(SKU title, product title) by (product id, SKU id), from the market's published catalog mirrors."""
    pairs = {(r.product_id, r.sku_id) for r in reservations if r.product_id and r.sku_id}
    if not country or not pairs:
        return {}
    rows = Sku.objects.filter(
        mirror__country=country.upper(),
        mirror__generation__gt=0,
        generation=F("mirror__generation"),
        product_id__in={product for product, _sku in pairs},
        sku_id__in={sku for _product, sku in pairs},
    ).values_list("product_id", "sku_id", "title", "product_row__title")
    return {(product, sku): (title, product_title) for product, sku, title, product_title in rows}


@requires(Capability.VIEW_ORDERS)
@require_GET
@guid_arguments("customer_id")
def customer_reservations(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = _customer_or_404(customer_id)
    reservations = list(customer.reservations.select_related("order__purchase_request"))
    titles = _catalog_titles(customer.country, reservations)
    now = timezone.now()
    rows = []
    for reservation in reservations:
        title, product_title = titles.get((reservation.product_id, reservation.sku_id), ("", ""))
        expiry = reservation.expiry_date
        rows.append(
            ReservationRow(
                reservation=reservation,
                title=title,
                product_title=product_title,
                days_left=days_left(expiry, now) if expiry else None,
                expired=expiry is not None and expiry <= now,
            )
        )
    page_url = reverse("customer-reservations", args=[customer.pk])
    context = {
        "customer": customer,
        "rows": rows,
        "last_read": customer.reservations.aggregate(last=Max("read_at"))["last"],
        # Only who may refresh is told about their Microsoft session (reading it may renew the token).
        "access": (
            microsoft.page_access(request) if request.user.has_perm(Capability.REFRESH_ORDERS.perm) else None
        ),
        "sign_in_url": microsoft.sign_in_url(page_url),
    }
    return render(request, "orders/reservations.html", context)


@requires(Capability.REFRESH_ORDERS)
@require_POST
@guid_arguments("customer_id")
def customer_reservations_refresh(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Read the customer's reservations (entitlements) from Partner Center now, with the viewer's own
    Microsoft session."""
    customer = _customer_or_404(customer_id)
    access = microsoft.page_access(request)
    if access.token is None:
        microsoft.tell_why_no_token(
            request,
            access,
            _(
                "Reservations can only be read with your own Partner Center access: sign in with "
                "Microsoft, then refresh again."
            ),
        )
        return redirect("customer-reservations", customer.pk)
    try:
        found = tracking.refresh_reservations(
            customer, access.token, transport=partner_center.transport(for_page=True), request=request
        )
    except partner_center.NotConfigured as exc:
        messages.error(request, str(exc.user_message))
    except PartnerCenterError as exc:
        messages.error(
            request,
            _("The reservations could not be read from Partner Center: %(reason)s")
            % {"reason": exc.user_message},
        )
    else:
        messages.success(
            request,
            _("Reservations of %(customer)s read from Partner Center: %(count)s.")
            % {"customer": customer, "count": len(found)},
        )
    return redirect("customer-reservations", customer.pk)
