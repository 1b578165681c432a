"""Catalog pages: the mirrors and their syncs, browsing a customer's catalog, and one SKU.

Browsing always happens in the context of a customer and one of its subscriptions: the customer's country
is the market, the subscription's kind the reservation scope (Azure plan or legacy MS-AZR-0145P), and
together they pick the mirror. Pages read only the mirror's published generation, never Partner Center.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import wraps
from html import escape
from typing import Any, TypeVar

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from catalog import mirrors, search
from catalog.models import Availability, Mirror, Sku
from portal import audit
from portal.markets import Availability as MarketAvailability
from portal.markets import Verdict, market_name, verdict
from portal.models import CustomerSubscription
from portal.roles import Capability, requires
from portal.views import guid_arguments, subscription_or_404

# Partner Center's product and SKU ids are short alphanumeric codes (DZH318Z0ABCD, 00A1). Anything else in
# the address is a mistake or a probe, and never reaches a query.
CATALOG_ID = re.compile(r"[A-Za-z0-9]{1,64}")
RESULTS_TARGET = "results"
_View = TypeVar("_View", bound=Callable[..., HttpResponse])


def catalog_id_arguments(view: _View) -> _View:
    """Answer a 400 page, before any lookup, when the product or SKU id of the address is malformed."""

    @wraps(view)
    def wrapped(
        request: HttpRequest, *args: Any, product_id: str, sku_id: str, **kwargs: Any
    ) -> HttpResponse:
        if not (CATALOG_ID.fullmatch(product_id) and CATALOG_ID.fullmatch(sku_id)):
            message = _(
                "The product or SKU id in this address is malformed: Partner Center's ids are letters and "
                "digits only, such as DZH318Z0ABCD."
            )
            return render(request, "400.html", {"message": message}, status=400)
        return view(request, *args, product_id=product_id, sku_id=sku_id, **kwargs)

    return wrapped  # type: ignore[return-value]  # the id of the results region, which the filters' htmx requests replace


def _mirror_context(mirror: Mirror) -> dict[str, object]:
    return {
        "mirror": mirror,
        "market": market_name(mirror.country),
        "stale": mirror.is_ready and mirrors.is_stale(mirror),
    }


def _wants_results(request: HttpRequest) -> bool:
    """Whether this is the filters' htmx request for the results region alone. A history restore (back
    after the page left htmx's cache) and the reload when a catalog becomes ready want the whole page."""
    htmx = request.htmx
    return bool(htmx) and htmx.target == RESULTS_TARGET and not htmx.history_restore_request


# --- the mirrors --------------------------------------------------------------------------------------------


@requires(Capability.VIEW_CATALOG)
@require_GET
def catalog_home(request: HttpRequest) -> HttpResponse:
    by_market = sorted(Mirror.objects.all(), key=lambda mirror: (market_name(mirror.country), mirror.scope))
    return render(request, "catalog/home.html", {"rows": [_mirror_context(mirror) for mirror in by_market]})


@requires(Capability.VIEW_CATALOG)
@require_GET
@never_cache
def mirror_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The sync progress fragment, which the pages poll while a sync runs (it reads the local row only).

    Polled from a page waiting for a first catalog, its answer says "catalog-ready" (an htmx event the page
    listens to) once there is a catalog to show.
    """
    mirror = get_object_or_404(Mirror, pk=pk)
    waiting = bool(request.GET.get("waiting"))
    response = render(request, "catalog/_mirror_status.html", _mirror_context(mirror) | {"waiting": waiting})
    if waiting and mirror.is_ready:
        response["HX-Trigger"] = "catalog-ready"
    return response


@requires(Capability.SYNC_CATALOG)
@require_POST
def mirror_sync(request: HttpRequest, pk: int) -> HttpResponse:
    mirror = get_object_or_404(Mirror, pk=pk)
    names = {"market": market_name(mirror.country), "scope": mirror.get_scope_display()}
    market = verdict(mirror.country)
    if market.availability is MarketAvailability.BLOCKED:
        refusal = market.explanation
        started = False
    else:
        started = mirrors.request_sync(mirror)
        refusal = (
            "" if started else _("The catalog of %(market)s (%(scope)s) is already being copied.") % names
        )
    if started:
        audit.record("catalog-sync", request=request, obj=mirror)
        notice = _("A fresh copy of the catalog of %(market)s (%(scope)s) was asked for.") % names
    else:
        audit.record(
            "catalog-sync", outcome=audit.Outcome.REFUSED, request=request, obj=mirror, message=refusal
        )
        notice = refusal
    if request.htmx:
        mirror.refresh_from_db()
        context = _mirror_context(mirror) | {"notice": notice, "refused": not started}
        return render(request, "catalog/_mirror_status.html", context)
    (messages.success if started else messages.warning)(request, notice)
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect("catalog")


# --- browsing in a customer's context -----------------------------------------------------------------------


def _context_problem(verdict_: Verdict) -> str:
    """Why nothing can be browsed for this customer, or "" when its market has a catalog."""
    if verdict_.can_buy:
        return ""
    return verdict_.availability.value  # "blocked" or "unknown": the template explains each


def _in_context(
    customer_id: str, subscription_id: str
) -> tuple[CustomerSubscription, Verdict, str, dict[str, object]]:
    """The subscription (or 404), its market's verdict, its browse page's address, and the context every
    page of a customer's catalog starts from."""
    subscription = subscription_or_404(customer_id, subscription_id)
    market = verdict(subscription.customer.country)
    context: dict[str, object] = {
        "customer": subscription.customer,
        "subscription": subscription,
        "verdict": market,
        "problem": _context_problem(market),
        "registered": subscription.registration == CustomerSubscription.Registration.REGISTERED,
    }
    return (
        subscription,
        market,
        reverse("catalog-browse", args=[subscription.customer_id, subscription.pk]),
        context,
    )


@requires(Capability.VIEW_CATALOG)
@require_GET
@guid_arguments("customer_id", "subscription_id")
def browse(request: HttpRequest, customer_id: str, subscription_id: str) -> HttpResponse:
    subscription, market, browse_url, context = _in_context(customer_id, subscription_id)
    context["browse_url"] = browse_url
    filters, facets = None, None
    if not context["problem"]:
        mirror = mirrors.mirror_for(market.country, mirrors.scope_for(subscription))
        if not mirror.is_ready:
            mirrors.ensure_synced(mirror)
            mirror.refresh_from_db()
        facets = search.facets_for(mirror)
        filters = search.parse(request.GET, facets)
        results = search.search(mirror, filters)
        context |= _mirror_context(mirror)
        context |= {
            "filters": filters,
            "results": results,
            # A SKU page's address is the browse page's with the product and SKU ids after it
            # (catalog/urls.py); its query keeps the filters for the way back.
            "sku_query": f"?{filters.query()}" if filters.query() else "",
            "columns": _columns(filters),
            "previous_query": filters.query(page=results.number - 1),
            "next_query": filters.query(page=results.number + 1),
        }
    if not _wants_results(request):
        if filters is not None and facets is not None:
            context["options"] = _options(facets, filters)
        response = render(request, "catalog/browse.html", context)
    else:
        response = render(request, "catalog/browse.html#results", context)
        if filters is not None:
            # The form sends every field, empty ones too; the address bar gets only the filters that apply.
            query = filters.query()
            response["HX-Push-Url"] = browse_url + (f"?{query}" if query else "")
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _option_tags(choices: list[search.Choice], selected: str) -> SafeString:
    # Every value and label is escaped here (html.escape, as Django's escape does), hence mark_safe.
    return mark_safe(  # noqa: S308
        "".join(
            f'<option value="{escape(c.value)}"{" selected" if c.value == selected else ""}>'
            f"{escape(c.label)}</option>"
            for c in choices
        )
    )


def _options(facets: search.Facets, filters: search.Filters) -> dict[str, SafeString]:
    """The <option>s of the filters' choice lists. Built here rather than looped over in the template:
    a large market has hundreds of series, and the template loop was most of the page's time."""
    groups = "".join(
        f'<optgroup label="{escape(label)}">{_option_tags(choices, filters.product)}</optgroup>'
        for label, choices in facets.product_groups()
    )
    return {
        "family": _option_tags(facets.family_choices(), filters.family),
        "product": mark_safe(groups),  # noqa: S308 (escaped above)
        "region": _option_tags(facets.region_choices(), filters.region),
        "term": _option_tags(facets.term_choices(), filters.params().get("term", "")),
        "billing_plan": _option_tags(facets.billing_plan_choices(), filters.billing_plan),
        "segment": _option_tags(facets.segment_choices(), filters.segment),
        "sort": _option_tags(search.Sort.choices(), filters.sort),
    }


def _columns(filters: search.Filters) -> list[dict[str, str]]:
    """The column headings of the results; the sorted one says in which direction (aria-sort)."""
    headings = {
        search.Sort.NAME: _("Name"),
        search.Sort.CORES: _("Cores"),
        search.Sort.MEMORY: _("Memory (GB)"),
        search.Sort.REGION: _("Region"),
        search.Sort.TERM: _("Term"),
    }
    direction = "descending" if filters.descending else "ascending"
    return [
        {"key": key, "label": label, "aria_sort": direction if filters.sort_key == key else ""}
        for key, label in headings.items()
    ]


@requires(Capability.VIEW_CATALOG)
@require_GET
@guid_arguments("customer_id", "subscription_id")
@catalog_id_arguments
def sku_page(
    request: HttpRequest, customer_id: str, subscription_id: str, product_id: str, sku_id: str
) -> HttpResponse:
    subscription, market, browse_url, context = _in_context(customer_id, subscription_id)
    context["back_url"] = browse_url
    if context["problem"]:
        return render(request, "catalog/sku.html", context)
    mirror = mirrors.mirror_for(market.country, mirrors.scope_for(subscription))
    if not mirror.is_ready:
        # Nothing to show yet: the browse page queues the first copy and says how far along it is.
        return redirect(browse_url)
    sku = (
        Sku.objects.select_related("product_row")
        .filter(mirror=mirror, generation=mirror.generation, product_id=product_id, sku_id=sku_id)
        .first()
    )
    if sku is None:
        raise Http404("no such SKU in this catalog")
    availabilities = list(
        Availability.objects.filter(sku_row=sku, generation=mirror.generation).order_by(
            "term_months", "billing_plan", "segment", "id"
        )
    )
    # The way back to the results keeps the filters the staff member came from (those the page accepts).
    back_query = search.parse(request.GET, search.facets_for(mirror)).query()
    context |= _mirror_context(mirror)
    context |= {
        "back_url": browse_url + (f"?{back_query}" if back_query else ""),
        "sku": sku,
        "product": sku.product_row,
        "availabilities": [search.Line(row) for row in availabilities],
        "prerequisites": [search.prerequisite_label(p) for p in sku.prerequisites],
        "billing_cycles": [search.billing_plan_label(c) for c in sku.billing_cycles],
        "family": search.family_label(sku.product_row.family) if sku.product_row.family else "",
        "attributes": _attributes(sku.dynamic_attributes),
        "azure_subscriptions": list(subscription.azure_subscriptions.all()),
    }
    return render(request, "catalog/sku.html", context)


def _attributes(attributes: object) -> list[tuple[str, str]]:
    """Every dynamic attribute, by key; a nested value is shown as the JSON Partner Center sent."""
    if not isinstance(attributes, dict):
        return []
    return sorted(
        (str(key), value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        for key, value in attributes.items()
    )
