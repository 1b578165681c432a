"""Billing pages: balances and invoices, one invoice with its line items and their reconciliation, the CSV
exports and the statement PDF.

The balance and the invoice list are the portal's copies (billing.sync); the per-currency summaries and the
statement are App+User only, read with the viewer's own Microsoft session; line items stream from Partner
Center a page at a time (billing.lines).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from billing import lines as billing_lines
from billing import sync
from billing.lines import Cursor, Filters, LineKind
from billing.models import Balance, Invoice, InvoiceSync
from partnercenter import invoices as pc_invoices
from partnercenter.errors import NotFound, PartnerCenterError
from portal import audit, microsoft, partner_center
from portal.roles import Capability, requires

logger = logging.getLogger(__name__)

_View = TypeVar("_View", bound=Callable[..., HttpResponse])

PAGE_SIZE = 25  # invoices per page of the list
RESULTS_TARGET = "results"
# Partner Center's invoice ids are letters and digits (G000123456; one-time ones may be linked as
# OneTime-G000123456). Anything else in an address is a mistake or a probe, and never reaches a query.
INVOICE_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
MAX_TOKEN = 4096  # a continuation token longer than this is not one Partner Center gave
POSITION = ("after", "skip", "offset", "read")  # the query parameters of a lines page's place (Cursor)
# The per-currency summaries are read again when the newest copy is older than this.
SUMMARIES_FRESH = timedelta(minutes=5)
STATEMENT_ACTION = "invoice-statement"
EXPORT_ACTION = "invoice-export"


def invoice_argument(view: _View) -> _View:
    """Answer a 400 page, before any lookup, when the invoice id of the address is malformed."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, invoice_id: str, **kwargs: Any) -> HttpResponse:
        if not INVOICE_ID.fullmatch(invoice_id):
            return render(
                request,
                "400.html",
                {"message": _("“%(value)s” is not an invoice number.") % {"value": invoice_id[:80]}},
                status=400,
            )
        return view(request, *args, invoice_id=invoice_id, **kwargs)

    return wrapped  # type: ignore[return-value]


def _invoice_or_404(invoice_id: str) -> Invoice:
    # One-time invoices are linked as OneTime-<id> in Partner Center's own links.
    plain = invoice_id[8:] if invoice_id.lower().startswith("onetime-") else invoice_id
    return get_object_or_404(Invoice, pk__iexact=plain)


# --- balances and the invoice list -----------------------------------------------------------------------


class InvoiceFilterForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Invoice number"), required=False, max_length=64)
    period_from = forms.DateField(
        label=gettext_lazy("Billed from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    period_to = forms.DateField(
        label=gettext_lazy("Billed until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    type = forms.ChoiceField(label=gettext_lazy("Type"), required=False)
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", _("Any")), *Invoice.Type.choices]  # type: ignore[attr-defined]
        currencies = Invoice.objects.exclude(currency_code="").values_list("currency_code", flat=True)
        self.fields["currency"].choices = [("", _("Any"))] + [  # type: ignore[attr-defined]
            (code, code) for code in sorted(set(currencies))
        ]


def _summaries(request: HttpRequest) -> tuple[microsoft.DelegatedAccess, str]:
    """Read the per-currency summaries with the viewer's session when the copies read with a session are
    old. Returns the viewer's access and a problem in plain words, if any."""
    newest = Balance.objects.filter(read_by__isnull=False).aggregate(last=Max("read_at"))["last"]
    access = microsoft.page_access(request)
    if access.token is None or (newest is not None and timezone.now() - newest < SUMMARIES_FRESH):
        return access, ""
    try:
        sync.read_summaries(access.token, request.user, request=request)
    except PartnerCenterError as exc:
        return access, _("The balance per currency could not be read: %(reason)s") % {
            "reason": exc.user_message
        }
    return access, ""


@requires(Capability.VIEW_BILLING)
@require_GET
def billing_home(request: HttpRequest) -> HttpResponse:
    """Balances per currency, then the invoices, newest first, filtered by number, period, type and currency.
    The very first visit reads the invoices, as the refresh button would: nobody should wait for beat."""
    if not InvoiceSync.objects.exists():
        _first_sync(request)
    form = InvoiceFilterForm(request.GET)
    found = Invoice.objects.all()
    if form.is_valid():
        data = form.cleaned_data
        if data["number"].strip():
            found = found.filter(pk__icontains=data["number"].strip())
        if data["period_from"]:
            found = found.filter(period_end__date__gte=data["period_from"])
        if data["period_to"]:
            found = found.filter(period_start__date__lte=data["period_to"])
        if data["type"]:
            found = found.filter(invoice_type=data["type"])
        if data["currency"]:
            found = found.filter(currency_code=data["currency"])
    else:
        found = found.none()
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    htmx = request.htmx
    wants_results = bool(htmx) and htmx.target == RESULTS_TARGET and not htmx.history_restore_request
    context: dict[str, Any] = {"form": form, "page": page, "query": query.urlencode()}
    if not wants_results:
        access, problem = _summaries(request)
        context |= {
            "balances": list(Balance.objects.select_related("read_by")),
            "access": access,
            "summaries_problem": problem,
            "sign_in_url": microsoft.sign_in_url(reverse("billing")),
            "last_sync": InvoiceSync.objects.filter(finished_at__isnull=False).first(),
        }
    response = render(
        request, "billing/billing.html#results" if wants_results else "billing/billing.html", context
    )
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _first_sync(request: HttpRequest) -> None:
    try:
        sync.sync_invoices(transport=partner_center.transport(for_page=True), request=request)
    except partner_center.NotConfigured:
        pass  # the page says so
    except PartnerCenterError as exc:
        logger.warning("first invoice sync failed: %s", exc)  # kept on the run, which the page shows


@requires(Capability.VIEW_BILLING)
@require_POST
def billing_refresh(request: HttpRequest) -> HttpResponse:
    """Read the invoice list and the balance from Partner Center now."""
    try:
        run = sync.sync_invoices(transport=partner_center.transport(for_page=True), request=request)
    except partner_center.NotConfigured as exc:
        messages.error(request, str(exc.user_message))
    except PartnerCenterError as exc:
        messages.error(
            request,
            _("The invoices could not be read from Partner Center: %(reason)s. Try again in a few minutes.")
            % {"reason": exc.user_message},
        )
    else:
        messages.success(
            request,
            _("Invoices read from Partner Center: %(seen)d, new: %(new)d.")
            % {"seen": run.invoices_seen, "new": run.invoices_new},
        )
    return redirect("billing")


# --- one invoice and its lines ---------------------------------------------------------------------------


class LineFilterForm(forms.Form):
    customer = forms.CharField(label=gettext_lazy("Customer"), required=False, max_length=100)
    order = forms.CharField(label=gettext_lazy("Order"), required=False, max_length=64)
    product = forms.CharField(label=gettext_lazy("Product"), required=False, max_length=100)
    trace = forms.ChoiceField(label=gettext_lazy("Purchase"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["trace"].choices = [("", _("Any"))] + [  # type: ignore[attr-defined]
            (value, str(label)) for value, label in billing_lines.TRACE_LABELS.items()
        ]

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            customer=data["customer"].strip(),
            order=data["order"].strip(),
            product=data["product"].strip(),
            trace=data["trace"],
        )


def _cursor(request: HttpRequest) -> Cursor | None:
    """Where the page starts, from the address; None when the address's cursor is not one we gave."""
    token = request.GET.get("after") or None
    try:
        skip = int(request.GET.get("skip") or 0)
        offset = int(request.GET.get("offset") or 0)
        read = int(request.GET.get("read") or 0)
    except ValueError:
        return None
    if min(skip, offset, read) < 0 or skip >= pc_invoices.MAX_LINE_ITEM_PAGE or max(offset, read) > 10**9:
        return None
    if token is not None and (len(token) > MAX_TOKEN or not token.isprintable()):
        return None
    return Cursor(token=token, skip=skip, offset=offset, read=read)


def _kind(invoice: Invoice, slug: str | None) -> tuple[LineKind | None, list[LineKind]]:
    kinds = billing_lines.kinds_of(invoice)
    if not slug:
        return (kinds[0] if kinds else None), kinds
    return billing_lines.KINDS_BY_SLUG.get(slug), kinds


def _next_query(request: HttpRequest, cursor: Cursor) -> str:
    query = request.GET.copy()
    for name in POSITION:
        query.pop(name, None)
    if cursor.token:
        query["after"] = cursor.token
    if cursor.skip:
        query["skip"] = str(cursor.skip)
    if cursor.offset:
        query["offset"] = str(cursor.offset)
    if cursor.read:
        query["read"] = str(cursor.read)
    return query.urlencode()


@requires(Capability.VIEW_BILLING)
@require_GET
@invoice_argument
def invoice_page(request: HttpRequest, invoice_id: str) -> HttpResponse:
    """The invoice, and a page of its line items of one kind (one-time charges first) with their
    reconciliation, filtered by customer, order and product."""
    invoice = _invoice_or_404(invoice_id)
    kind, kinds = _kind(invoice, request.GET.get("kind"))
    if request.GET.get("kind") and kind is None:
        return render(
            request,
            "400.html",
            {"message": _("This invoice has no such kind of line items. Pick one on the invoice's page.")},
            status=400,
        )
    form = LineFilterForm(request.GET)
    cursor = _cursor(request)
    page: billing_lines.LinesPage | None = None
    problem = ""
    if kind is not None and form.is_valid() and cursor is not None:
        try:
            page = billing_lines.read_page(
                partner_center.transport(for_page=True), invoice, kind, cursor, form.filters()
            )
        except partner_center.NotConfigured as exc:
            problem = str(exc.user_message)
        except PartnerCenterError as exc:
            logger.warning("lines of invoice %s not read: %s", invoice.pk, exc)
            problem = (
                _(
                    "Partner Center no longer accepts this page's position in the invoice (it expires "
                    "after a while). Start again from the first page."
                )
                if not cursor.is_start and exc.status in (400, 404, 410)
                else _(
                    "The line items could not be read from Partner Center: %(reason)s. Try again in a minute."
                )
                % {"reason": exc.user_message}
            )
    elif cursor is None:
        problem = _("This page's address is damaged. Start again from the first page.")
    here = reverse("billing-invoice", args=[invoice.pk])
    first_query = request.GET.copy()
    for name in POSITION:
        first_query.pop(name, None)
    export_query = first_query.copy()  # the filters and the kind shown, whatever page is
    if kind is not None:
        export_query["kind"] = kind.slug
    rows = []
    if page is not None and kind is not None:
        columns = kind.page_columns
        rows = [([billing_lines.page_cell(c, line) for c in columns], traced) for line, traced in page.rows]
    context = {
        "invoice": invoice,
        "kind": kind,
        "kinds": kinds,
        "form": form,
        "lines": page,
        "rows": rows,
        "problem": problem,
        "here": here,
        "first_query": first_query.urlencode(),
        "next_query": _next_query(request, page.next) if page is not None and page.next else "",
        "is_first_page": cursor is not None and cursor.is_start,
        "with_trace": kind is billing_lines.ONE_TIME,
        "export_query": export_query.urlencode(),
    }
    htmx = request.htmx
    wants_results = bool(htmx) and htmx.target == RESULTS_TARGET and not htmx.history_restore_request
    if request.user.has_perm(Capability.DOWNLOAD_INVOICES.perm) and not wants_results:
        # The statement is App+User only: offer it to who has a session, say how to get one to the others.
        context |= {"access": microsoft.page_access(request), "sign_in_url": microsoft.sign_in_url(here)}
    response = render(
        request, "billing/invoice.html#results" if wants_results else "billing/invoice.html", context
    )
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _export(request: HttpRequest, invoice_id: str, *, reconciliation: bool) -> HttpResponse:
    invoice = _invoice_or_404(invoice_id)
    slug = "onetime" if reconciliation else (request.GET.get("kind") or None)
    kind, _kinds = _kind(invoice, slug)
    form = LineFilterForm(request.GET)
    if kind is None or not form.is_valid():
        return render(
            request,
            "400.html",
            {"message": _("These filters cannot be exported. Change them and try again.")},
            status=400,
        )
    try:
        transport = partner_center.transport()
    except partner_center.NotConfigured as exc:
        messages.error(request, str(exc.user_message))
        return redirect("billing-invoice", invoice.pk)
    name = f"{'reconciliation' if reconciliation else 'lineitems'}_{invoice.pk}_{kind.slug}.csv"
    audit.record(
        EXPORT_ACTION,
        request=request,
        obj=invoice,
        message=_("Exported %(what)s (%(kind)s).")
        % {"what": _("the reconciliation") if reconciliation else _("the line items"), "kind": kind.label},
    )
    response = StreamingHttpResponse(
        billing_lines.csv_stream(transport, invoice, kind, form.filters(), reconciliation=reconciliation),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@requires(Capability.DOWNLOAD_INVOICES)
@require_GET
@never_cache
@invoice_argument
def invoice_lines_csv(request: HttpRequest, invoice_id: str) -> HttpResponse:
    """Every line item of one kind that matches the filters, as CSV, streamed."""
    return _export(request, invoice_id, reconciliation=False)


@requires(Capability.DOWNLOAD_INVOICES)
@require_GET
@never_cache
@invoice_argument
def invoice_reconciliation_csv(request: HttpRequest, invoice_id: str) -> HttpResponse:
    """The invoice's one-time charges with the portal purchase each comes from, as CSV, streamed."""
    return _export(request, invoice_id, reconciliation=True)


@requires(Capability.DOWNLOAD_INVOICES)
@require_GET
@never_cache
@invoice_argument
def invoice_statement(request: HttpRequest, invoice_id: str) -> HttpResponse:
    """The invoice's statement PDF, streamed from Partner Center with the viewer's own session."""
    invoice = _invoice_or_404(invoice_id)
    access = microsoft.page_access(request)
    if access.token is None:
        microsoft.tell_why_no_token(
            request,
            access,
            _(
                "Partner Center gives statements only to your own sign-in: sign in with Microsoft, then "
                "download the statement again."
            ),
        )
        return redirect("billing-invoice", invoice.pk)
    try:
        body = pc_invoices.stream_invoice_statement(
            partner_center.transport(for_page=True), invoice.pk, token=access.token
        )
    except PartnerCenterError as exc:
        logger.warning("statement of %s not read: %s", invoice.pk, exc)
        reason = (
            _("Partner Center has no statement for this invoice yet.")
            if isinstance(exc, NotFound)
            else exc.user_message
        )
        audit.record(
            STATEMENT_ACTION,
            outcome=audit.Outcome.FAILURE,
            request=request,
            obj=invoice,
            message=reason,
            correlation_id=(exc.correlation_id or "")[:64],
        )
        messages.error(request, _("The statement could not be downloaded: %(reason)s") % {"reason": reason})
        return redirect("billing-invoice", invoice.pk)
    audit.record(
        STATEMENT_ACTION,
        request=request,
        obj=invoice,
        message=_("Statement downloaded."),
        correlation_id=(body.meta.correlation_id or "")[:64],
    )
    content_type = body.content_type if "pdf" in body.content_type.lower() else "application/pdf"
    response = StreamingHttpResponse(body, content_type=content_type)
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", body.filename or f"Invoice_{invoice.pk}.pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    if body.content_length is not None:
        response["Content-Length"] = str(body.content_length)
    return response
