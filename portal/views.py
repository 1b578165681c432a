from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from partnercenter import customers
from partnercenter.errors import PartnerCenterError
from portal import audit, celery_app, microsoft, partner_center
from portal.forms import AuditFilterForm
from portal.models import AuditEntry, CustomerSubscription, WorkerHeartbeat
from portal.roles import CAPABILITY_LABELS, Capability, requires

logger = logging.getLogger(__name__)

_View = TypeVar("_View", bound=Callable[..., HttpResponse])

AUDIT_PAGE_SIZE = 50

# Partner Center's ids of customers (tenant ids) and subscriptions: GUIDs in their 8-4-4-4-12 form.
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_ID_LABELS = {"customer_id": gettext_lazy("customer id"), "subscription_id": gettext_lazy("subscription id")}


def guid_arguments(*names: str) -> Callable[[_View], _View]:
    """Answer a 400 page, before any lookup, when one of the view's URL arguments `names` is not a GUID;
    pass them on lower-cased, as the portal stores them."""

    def decorator(view: _View) -> _View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            for name in names:
                if not GUID.fullmatch(kwargs[name]):
                    message = _(
                        "The %(what)s in this address is malformed: it is not a valid GUID, such as "
                        "0f8fad5b-d9cb-469f-a165-70867728950e."
                    ) % {"what": _ID_LABELS.get(name, name)}
                    return render(request, "400.html", {"message": message}, status=400)
                kwargs[name] = kwargs[name].lower()
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def subscription_or_404(customer_id: str, subscription_id: str) -> CustomerSubscription:
    """The customer's subscription, or 404: a subscription of another customer is not found either."""
    return get_object_or_404(
        CustomerSubscription.objects.select_related("customer"), pk=subscription_id, customer_id=customer_id
    )


# Beat runs the heartbeat every minute; a worker silent for longer than this is reported as stale.
WORKER_STALE_AFTER = timedelta(minutes=3)


def _system_summary() -> dict[str, str]:
    """What this deployment runs on, for admins: kinds only, never addresses or credentials."""
    return {
        "database": connection.vendor,
        "broker": celery_app.conf.broker_url.split("://", 1)[0],
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
    }


@requires(Capability.USE_PORTAL)
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    heartbeat = WorkerHeartbeat.objects.order_by("-last_seen").first()
    worker_stale = heartbeat is None or timezone.now() - heartbeat.last_seen > WORKER_STALE_AFTER
    return render(
        request,
        "portal/dashboard.html",
        {
            "capabilities": [label for cap, label in CAPABILITY_LABELS.items() if user.has_perm(cap.perm)],
            "heartbeat": heartbeat,
            "worker_stale": worker_stale,
            "recent_activity": AuditEntry.objects.filter(actor=user)[:5],
            "system": _system_summary() if user.has_perm(Capability.MANAGE_STAFF.perm) else None,
            "partner_center_configured": microsoft.is_enabled(),
            "delegated": microsoft.delegated_status(user) if microsoft.is_enabled() else None,
        },
    )


@requires(Capability.VIEW_AUDIT)
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    entries = AuditEntry.objects.select_related("actor")
    if form.is_bound:
        entries = form.filter(entries) if form.is_valid() else entries.none()
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    # Keep the filters in the pagination links, without the page number itself.
    query = request.GET.copy()
    query.pop("page", None)
    template = "portal/audit.html#results" if request.htmx else "portal/audit.html"
    response = render(request, template, {"form": form, "page": page, "query": query.urlencode()})
    patch_vary_headers(response, ["HX-Request"])
    return response


def _database_problem() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        logger.warning("healthz: database unreachable: %s", exc)
        return type(exc).__name__
    return None


def _broker_problem() -> str | None:
    transport_options = celery_app.conf.broker_transport_options or {}
    if celery_app.conf.broker_url.startswith("filesystem://"):
        # The embedded broker has no server: it is reachable when its queue folder is writable.
        folder = Path(transport_options.get("data_folder_in", ""))
        if not (folder.is_dir() and os.access(folder, os.W_OK)):
            return "queue folder not writable"
        return None
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=3)
    except Exception as exc:
        logger.warning("healthz: broker unreachable: %s", exc)
        return type(exc).__name__
    return None


@login_not_required
@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and container healthchecks: 200 when the database and broker answer."""
    checks = {"database": _database_problem(), "broker": _broker_problem()}
    failing = {name: problem for name, problem in checks.items() if problem}
    body = {
        "status": "fail" if failing else "ok",
        "checks": {name: ("fail: " + failing[name]) if name in failing else "ok" for name in checks},
    }
    return JsonResponse(body, status=503 if failing else 200)


class PortalLoginView(LoginView):
    """The login page: portal accounts, and "Sign in with Microsoft" when Partner Center is configured."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        if microsoft.is_enabled():
            start = reverse("microsoft-sign-in")
            next_url = context.get("next")
            context["sign_in_providers"] = [
                {
                    "url": f"{start}?next={next_url}" if next_url else start,
                    "label": _("Sign in with Microsoft"),
                }
            ]
        return context


@login_not_required
@require_GET
def microsoft_sign_in(request: HttpRequest) -> HttpResponse:
    if not microsoft.is_enabled():
        raise Http404
    next_url = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        request.session["microsoft_sign_in_next"] = next_url
    return redirect(microsoft.begin(request, request.build_absolute_uri(reverse("microsoft-callback"))))


@login_not_required
@require_GET
def microsoft_callback(request: HttpRequest) -> HttpResponse:
    if not microsoft.is_enabled():
        raise Http404
    try:
        user = microsoft.complete(request)
    except microsoft.SignInRefused as refusal:
        audit.record("sign-in-failed", outcome=audit.Outcome.REFUSED, request=request, message=str(refusal))
        messages.error(request, str(refusal))
        return redirect("login")
    next_url = request.session.pop("microsoft_sign_in_next", "") or reverse("dashboard")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect(next_url)


@requires(Capability.CHECK_PARTNER_CENTER)
@require_POST
def partner_center_check(request: HttpRequest) -> HttpResponse:
    """Ask Partner Center for one page of customers with the app's own token, and say how it went."""
    try:
        page = next(customers.list_customer_pages(partner_center.transport(for_page=True), size=1))
    except partner_center.NotConfigured as exc:
        messages.error(request, exc.user_message)
        return redirect("dashboard")
    except PartnerCenterError as exc:
        logger.warning("Partner Center check failed: %r", exc)
        audit.record(
            "partner-center-check",
            outcome=audit.Outcome.FAILURE,
            request=request,
            message=exc.user_message,
            correlation_id=exc.correlation_id or "",
        )
        messages.error(
            request, _("Partner Center could not be reached: %(reason)s") % {"reason": exc.user_message}
        )
        return redirect("dashboard")
    meta = page.meta
    audit.record("partner-center-check", request=request, correlation_id=meta.correlation_id)
    messages.success(
        request,
        _("Partner Center answered in %(ms)s ms (correlation id %(id)s).")
        % {"ms": number_format(meta.duration_ms, 0), "id": meta.correlation_id},
    )
    return redirect("dashboard")
