"""Customer pages: the list and its search, one customer's page, and refreshing it from Partner Center.

The list and search read only the portal's copy (portal.customers); a customer page reads Partner Center
only for a customer whose details were never read, and on the refresh button.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from partnercenter.errors import NotFound, PartnerCenterError
from portal import audit, customers, partner_center
from portal.markets import Verdict, verdict
from portal.models import Customer, CustomerSubscription, RegistrationRequest
from portal.roles import Capability, requires
from portal.views import guid_arguments

logger = logging.getLogger(__name__)


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Company, domain or tenant id"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Any part of the company name, the domain or the tenant id."),
    )


@dataclass(frozen=True)
class CustomerRow:
    customer: Customer
    verdict: Verdict
    still_listed: bool


@requires(Capability.VIEW_CUSTOMERS)
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    form = CustomerSearchForm(request.GET)
    page = customers.search(form.cleaned_data["q"], request.GET.get("page")) if form.is_valid() else None
    last_sync = customers.last_complete_sync()
    rows = [
        CustomerRow(customer, verdict(customer.country), customers.is_still_listed(customer, last_sync))
        for customer in (page or [])
    ]
    # Keep the search in the pagination links, without the page number itself.
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
        "last_sync": last_sync,
        "failed_sync": customers.last_failed_sync(since=last_sync),
        "mirror_empty": page is not None and page.paginator.count == 0 and not Customer.objects.exists(),
        "partner_center_configured": settings.PARTNER_CENTER.is_configured,
    }
    template = "portal/customers.html#results" if request.htmx else "portal/customers.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@requires(Capability.VIEW_CUSTOMERS)
@require_GET
@guid_arguments("customer_id")
def customer_page(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = Customer.objects.filter(pk=customer_id).first()
    problem = ""
    if customer is None or customer.details_read_at is None:
        # Never read in full (new, or not reached by the background job yet): the country decides whether
        # the customer can buy at all, so it is read now rather than shown as unknown.
        try:
            customer = customers.refresh_customer(partner_center.transport(for_page=True), customer_id)
        except partner_center.NotConfigured as exc:
            problem = str(exc.user_message)
        except NotFound as exc:
            if customer is None:
                raise Http404("no such customer") from exc
            problem = exc.user_message
        except PartnerCenterError as exc:
            logger.warning("customer %s not read from Partner Center: %s", customer_id, exc)
            problem = exc.user_message
    if customer is None:
        # Unknown here, and Partner Center could not be asked.
        return render(request, "portal/customer.html", {"customer": None, "problem": problem}, status=503)

    subscriptions = list(
        customer.subscriptions.prefetch_related(
            "azure_subscriptions",
            Prefetch(
                "registration_requests",
                queryset=RegistrationRequest.objects.order_by("-requested_at", "-id"),
                to_attr="registrations_newest_first",
            ),
        )
    )
    for subscription in subscriptions:
        subscription.latest_registration = next(iter(subscription.registrations_newest_first), None)
    last_sync = customers.last_complete_sync()
    context = {
        "customer": customer,
        "verdict": verdict(customer.country),
        "plans": [s for s in subscriptions if s.kind == CustomerSubscription.Kind.AZURE_PLAN],
        "legacy": [s for s in subscriptions if s.kind == CustomerSubscription.Kind.LEGACY],
        "still_listed": customers.is_still_listed(customer, last_sync),
        "problem": problem,
    }
    return render(request, "portal/customer.html", context)


@requires(Capability.VIEW_CUSTOMERS)
@require_POST
@guid_arguments("customer_id")
def customer_refresh(request: HttpRequest, customer_id: str) -> HttpResponse:
    known = Customer.objects.filter(pk=customer_id).first()
    correlation_ids: list[str] = []
    try:
        customer = customers.refresh_customer(
            partner_center.transport(for_page=True), customer_id, correlation_ids=correlation_ids
        )
    except partner_center.NotConfigured as exc:
        messages.error(request, str(exc.user_message))
        return redirect("customer", customer_id=customer_id)
    except PartnerCenterError as exc:
        if known is None and isinstance(exc, NotFound):
            raise Http404("no such customer") from exc
        logger.warning("customer %s not refreshed: %s", customer_id, exc)
        audit.record(
            "customer-refresh",
            outcome=audit.Outcome.FAILURE,
            request=request,
            obj=known,
            object_type="portal.customer",
            object_id=customer_id,
            message=exc.user_message,
            correlation_id=exc.correlation_id or "",
        )
        messages.error(
            request,
            _("The customer could not be refreshed from Partner Center: %(reason)s")
            % {"reason": exc.user_message},
        )
        return redirect("customer", customer_id=customer_id)
    audit.record(
        "customer-refresh",
        request=request,
        obj=customer,
        correlation_id=correlation_ids[-1] if correlation_ids else "",
    )
    messages.success(request, _("%(customer)s was refreshed from Partner Center.") % {"customer": customer})
    return redirect("customer", customer_id=customer.pk)
