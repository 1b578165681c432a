"""Pages of subscription registration (the button, the live status) and of notifications."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal import markets, notifications, registration
from portal.models import CustomerSubscription, Notification, RegistrationRequest
from portal.roles import Capability, requires
from portal.views import guid_arguments, subscription_or_404

NOTIFICATIONS_PAGE_SIZE = 25


def _fragment(request: HttpRequest, subscription: CustomerSubscription, refusal: str = "") -> HttpResponse:
    customer = subscription.customer
    context = {
        "subscription": subscription,
        "registration": registration.latest_request(subscription),
        "customer": customer,
        "verdict": markets.verdict(customer.country),
        "refusal": refusal,
    }
    return render(request, "portal/_registration.html", context)


@requires(Capability.REGISTER_SUBSCRIPTIONS)
@require_POST
@guid_arguments("customer_id", "subscription_id")
def register_subscription(request: HttpRequest, customer_id: str, subscription_id: str) -> HttpResponse:
    subscription = subscription_or_404(customer_id, subscription_id)
    try:
        registration.request_registration(subscription, request.user, request)  # type: ignore[arg-type]
    except (markets.MarketBlocked, registration.RegistrationRefused) as refusal:
        if request.htmx:
            return _fragment(request, subscription, refusal=refusal.user_message)
        messages.error(request, refusal.user_message)
        return redirect("customer", subscription.customer_id)
    if request.htmx:
        return _fragment(request, subscription)
    messages.success(
        request,
        _("Registration of %(subscription)s requested. This page shows when it is done.")
        % {"subscription": subscription.name},
    )
    return redirect("customer", subscription.customer_id)


@requires(Capability.VIEW_CUSTOMERS)
@require_GET
@never_cache
def registration_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The registration fragment of the request's subscription, as the watcher last left it (the page polls
    this; it reads the local row only, never Partner Center)."""
    found = get_object_or_404(RegistrationRequest.objects.select_related("subscription__customer"), pk=pk)
    return _fragment(request, found.subscription)


@requires(Capability.USE_PORTAL)
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    items = Notification.objects.filter(recipient=request.user)
    page = Paginator(items, NOTIFICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/notifications.html",
        {"page": page, "unread": notifications.unread_count(request.user)},
    )


@requires(Capability.USE_PORTAL)
@require_POST
def mark_notifications_read(request: HttpRequest) -> HttpResponse:
    notifications.mark_all_read(request.user)  # type: ignore[arg-type]
    return redirect("notifications")
