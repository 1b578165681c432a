"""An invoice's line items, streamed from Partner Center: a page of them for the invoice's pages, all of
them for the CSV exports, and, for one-time lines (where reservations are billed), the reconciliation with
the portal's own purchases.

Nothing here holds more than one Partner Center page (2,000 lines at most) at a time: the page view stops
after PAGE_SIZE matching lines or SCAN_LIMIT lines read, and gives a cursor to go on; the exports are
generators. Partner Center cannot filter line items, so the customer, order and product filters are applied
here, to each line as it streams by.

A cursor names where a page starts: for one-time lines (continuation tokens) the token of the Partner
Center page that holds the next line and how many lines of that page were already shown; for Office and
legacy Azure lines (offsets) the offset of the next line.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from billing.models import Invoice
from orders.approvals import display_name
from orders.carts import money
from orders.models import Order
from partnercenter import invoices as pc_invoices
from partnercenter.enums import BillingProvider, InvoiceLineItemType
from partnercenter.models import InvoiceLineItem
from partnercenter.transport import Transport

PAGE_SIZE = 100  # lines on one page of the invoice's lines
# Lines one page view reads at most while looking for lines that match its filters: 10 Partner Center
# pages, about a second against the sandbox. A filter that matches rarely says "go on" instead of
# reading a million lines while someone waits.
SCAN_LIMIT = 20_000
STREAM_SIZE = pc_invoices.MAX_LINE_ITEM_PAGE  # lines per Partner Center call when filtering or exporting
TRACE_BATCH = 500  # one-time lines whose orders are looked up in one query
CENTS = Decimal("0.01")


# --- the kinds of lines ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str  # the CSV header: stable, English, machine-friendly
    label: str | Promise  # the page's heading
    value: Callable[[Any], Any]
    kind: str = "text"  # text, number, money, date, datetime
    on_page: bool = True


def _attr(name: str) -> Callable[[Any], Any]:
    return lambda line: getattr(line, name, None)


def _text(key: str, label: str | Promise, name: str | None = None, *, on_page: bool = True) -> Column:
    return Column(key, label, _attr(name or key), "text", on_page)


def _col(key: str, label: str | Promise, kind: str, *, on_page: bool = True) -> Column:
    return Column(key, label, _attr(key), kind, on_page)


_CUSTOMER = (
    _text("customer_id", _("Customer id"), on_page=False),
    _text("customer_name", _("Customer")),
)


@dataclass(frozen=True)
class LineKind:
    """One of an invoice's kinds of line items, as the portal's addresses name it."""

    slug: str
    provider: BillingProvider
    line_type: InvoiceLineItemType
    label: str | Promise
    columns: tuple[Column, ...]
    seek: bool  # pages by continuation token (one-time) rather than by offset

    @property
    def page_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.on_page)


ONE_TIME = LineKind(
    "onetime",
    BillingProvider.ONE_TIME,
    InvoiceLineItemType.BILLING_LINE_ITEMS,
    _("One-time charges (reservations)"),
    (
        *_CUSTOMER,
        _text("customer_country", _("Country"), on_page=False),
        _text("order_id", _("Order")),
        _col("order_date", _("Ordered"), "datetime"),
        _text("product_id", _("Product id"), on_page=False),
        _text("sku_id", _("SKU id"), on_page=False),
        _text("availability_id", _("Availability id"), on_page=False),
        _text("product_name", _("Product")),
        _text("sku_name", _("SKU")),
        _text("charge_type", _("Charge")),
        _text("term_and_billing_cycle", _("Term"), on_page=False),
        _col("quantity", _("Quantity"), "number"),
        _col("unit_price", _("Unit price"), "money", on_page=False),
        _col("effective_unit_price", _("Effective unit price"), "money", on_page=False),
        _col("subtotal", _("Subtotal"), "money"),
        _col("tax_total", _("Tax"), "money", on_page=False),
        _col("total_for_customer", _("Total"), "money", on_page=False),
        _text("currency", _("Currency"), on_page=False),
        _col("charge_start_date", _("Charge from"), "date", on_page=False),
        _col("charge_end_date", _("Charge to"), "date", on_page=False),
        _text("subscription_id", _("Subscription id"), on_page=False),
        _text("reservation_order_id", _("Reservation order id"), on_page=False),
    ),
    seek=True,
)
OFFICE = LineKind(
    "office",
    BillingProvider.OFFICE,
    InvoiceLineItemType.BILLING_LINE_ITEMS,
    _("Office licences"),
    (
        *_CUSTOMER,
        _text("order_id", _("Order")),
        _text("subscription_id", _("Subscription id"), on_page=False),
        _text("offer_id", _("Offer id"), on_page=False),
        _text("offer_name", _("Offer")),
        _text("charge_type", _("Charge")),
        _col("charge_start_date", _("Charge from"), "date"),
        _col("charge_end_date", _("Charge to"), "date"),
        _col("quantity", _("Quantity"), "number"),
        _col("unit_price", _("Unit price"), "money", on_page=False),
        _col("subtotal", _("Subtotal"), "money"),
        _col("tax", _("Tax"), "money", on_page=False),
        _col("total_for_customer", _("Total"), "money", on_page=False),
        _text("currency", _("Currency"), on_page=False),
    ),
    seek=False,
)
_USAGE = (
    *_CUSTOMER,
    _text("subscription_id", _("Subscription id"), on_page=False),
    _text("subscription_name", _("Subscription")),
    _text("service_name", _("Service")),
    _text("resource_name", _("Resource")),
    _text("region", _("Region"), on_page=False),
    _col("consumed_quantity", _("Quantity"), "number"),
    _text("unit", _("Unit")),
)
AZURE = LineKind(
    "azure",
    BillingProvider.AZURE,
    InvoiceLineItemType.BILLING_LINE_ITEMS,
    _("Azure (MS-AZR-0145P) charges"),
    (
        *_USAGE,
        _col("charge_start_date", _("Charge from"), "date", on_page=False),
        _col("charge_end_date", _("Charge to"), "date", on_page=False),
        _col("pretax_charges", _("Subtotal"), "money"),
        _col("tax_amount", _("Tax"), "money", on_page=False),
        _col("post_tax_total", _("Total"), "money", on_page=False),
        _text("currency", _("Currency"), on_page=False),
    ),
    seek=False,
)
AZURE_USAGE = LineKind(
    "azure-usage",
    BillingProvider.AZURE,
    InvoiceLineItemType.USAGE_LINE_ITEMS,
    _("Azure (MS-AZR-0145P) daily usage"),
    (_col("usage_date", _("Day"), "date"), *_USAGE),
    seek=False,
)
# In the order the invoice page lists them: one-time first, where reservations are.
KINDS = (ONE_TIME, OFFICE, AZURE, AZURE_USAGE)
KINDS_BY_SLUG = {kind.slug: kind for kind in KINDS}


def kinds_of(invoice: Invoice) -> list[LineKind]:
    """The kinds of lines the invoice has (its details), in the page's order; a one-time invoice whose
    details are missing still has its one-time lines."""
    pairs = {(d.get("provider"), d.get("line_type")) for d in invoice.details}
    found = [k for k in KINDS if (k.provider.value, k.line_type.value) in pairs]
    if not found and invoice.is_one_time:
        found = [ONE_TIME]
    return found


# --- reconciliation --------------------------------------------------------------------------------------


class Trace:
    BOUGHT_HERE = "bought"  # the portal bought it: order, request and approval known
    KNOWN_ORDER = "known"  # the order is known to the portal, which did not buy it
    UNTRACED = "untraced"


TRACE_LABELS = {
    Trace.BOUGHT_HERE: _("Bought through the portal"),
    Trace.KNOWN_ORDER: _("Order known, not bought through the portal"),
    Trace.UNTRACED: _("Not traced: not bought through the portal"),
}


@dataclass(frozen=True)
class Traced:
    """A one-time line with what the portal knows of it."""

    trace: str
    order: Order | None = None
    approved_unit_price: Decimal | None = None
    approved_currency: str = ""
    expected: Decimal | None = None  # the approved unit price times the invoiced quantity
    difference: Decimal | None = None  # invoiced subtotal minus expected, in the same currency

    @property
    def label(self) -> str:
        return str(TRACE_LABELS[self.trace])


def _approved_line(order: Order, line: Any) -> dict[str, Any] | None:
    """The approval's line for the charge: same product and SKU (and availability when both say)."""
    if order.approval is None:
        return None
    candidates = [
        entry
        for entry in order.approval.snapshot
        if str(entry.get("product_id", "")).upper() == str(line.product_id or "").upper()
        and str(entry.get("sku_id", "")).upper() == str(line.sku_id or "").upper()
    ]
    availability = str(line.availability_id or "").upper()
    exact = [
        e for e in candidates if availability and availability in str(e.get("catalog_item_id", "")).upper()
    ]
    return (exact or candidates or [None])[0]


def _trace(line: Any, order: Order | None) -> Traced:
    if order is None:
        return Traced(Trace.UNTRACED)
    if order.purchase_request_id is None:
        return Traced(Trace.KNOWN_ORDER, order)
    approved = _approved_line(order, line)
    unit = approved.get("unit_price") if approved else None
    if unit in (None, ""):
        return Traced(Trace.BOUGHT_HERE, order)
    unit_price = Decimal(str(unit))
    currency = str(approved.get("currency_code") or order.approval.currency_code or "")  # type: ignore[union-attr]
    expected = difference = None
    if line.quantity is not None:
        expected = unit_price * line.quantity
        if line.subtotal is not None and currency.upper() == str(line.currency or "").upper():
            difference = line.subtotal - expected
    return Traced(Trace.BOUGHT_HERE, order, unit_price, currency, expected, difference)


def trace_lines(lines: Iterable[Any]) -> Iterator[tuple[Any, Traced]]:
    """Each one-time line with its trace, looking the orders up TRACE_BATCH lines at a time."""
    batch: list[Any] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= TRACE_BATCH:
            yield from _trace_batch(batch)
            batch = []
    if batch:
        yield from _trace_batch(batch)


def _trace_batch(batch: list[Any]) -> Iterator[tuple[Any, Traced]]:
    ids = {str(line.order_id) for line in batch if getattr(line, "order_id", None)}
    orders = {
        order.pk: order
        for order in Order.objects.filter(pk__in=ids).select_related(
            "purchase_request", "approval", "approval__decided_by", "customer"
        )
    }
    for line in batch:
        yield line, _trace(line, orders.get(str(getattr(line, "order_id", "") or "")))


# --- filters ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    customer: str = ""  # id or part of the name
    order: str = ""  # id or its start
    product: str = ""  # part of the product or SKU name, or an id
    trace: str = ""  # one of Trace's values (one-time lines only)

    @property
    def any(self) -> bool:
        return bool(self.customer or self.order or self.product or self.trace)

    def matches(self, line: Any, traced: Traced | None) -> bool:
        if self.customer:
            needle = self.customer.lower()
            values = (getattr(line, "customer_id", None), getattr(line, "customer_name", None))
            if not any(needle in str(v).lower() for v in values if v):
                return False
        if self.order and not str(getattr(line, "order_id", "") or "").lower().startswith(self.order.lower()):
            return False
        if self.product:
            needle = self.product.lower()
            names = (
                "product_id",
                "sku_id",
                "product_name",
                "sku_name",
                "offer_id",
                "offer_name",
                "service_name",
            )
            if not any(needle in str(getattr(line, n, "") or "").lower() for n in names):
                return False
        return not self.trace or (traced is not None and traced.trace == self.trace)


# --- pages -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    token: str | None = None  # one-time: the continuation token of the page holding the next line
    skip: int = 0  # one-time: lines of that page already shown
    offset: int = 0  # office and azure: the next line's offset
    read: int = 0  # lines of the invoice before this page (what the page says of its place; nothing else)

    @property
    def is_start(self) -> bool:
        return self.token is None and self.skip == 0 and self.offset == 0


@dataclass
class LinesPage:
    rows: list[tuple[Any, Traced | None]] = field(default_factory=list)
    next: Cursor | None = None  # where the next page starts; None at the end
    scanned: int = 0  # lines read from Partner Center for this page
    first_line: int = 1  # the place in the invoice of the first line read for this page
    stopped_early: bool = False  # SCAN_LIMIT was reached before PAGE_SIZE lines matched

    @property
    def last_line(self) -> int:
        return self.first_line + self.scanned - 1


def read_page(
    transport: Transport,
    invoice: Invoice,
    kind: LineKind,
    cursor: Cursor,
    filters: Filters,
    *,
    page_size: int = PAGE_SIZE,
    scan_limit: int = SCAN_LIMIT,
) -> LinesPage:
    """One page of the invoice's lines of a kind, from the cursor on: up to page_size lines that match the
    filters, reading at most scan_limit lines. Raises a PartnerCenterError when Partner Center fails
    (a continuation token it no longer accepts among them)."""
    # Without filters a portal page is one Partner Center page; with them, big pages cut the calls.
    size = STREAM_SIZE if filters.any else page_size
    result = LinesPage(first_line=cursor.read + 1)
    if kind.seek:
        pages = pc_invoices.iter_invoice_line_item_pages(
            transport,
            invoice.pk,
            provider=kind.provider,
            line_item_type=kind.line_type,
            size=size,
            continuation_token=cursor.token,
        )
        page_token, skip = cursor.token, cursor.skip
    else:
        pages = pc_invoices.iter_invoice_line_item_pages(
            transport,
            invoice.pk,
            provider=kind.provider,
            line_item_type=kind.line_type,
            size=size,
            offset=cursor.offset,
        )
        page_offset, skip = cursor.offset, 0
    for page in pages:
        items = page.items[skip:]
        traced_items = trace_lines(items) if kind is ONE_TIME else ((line, None) for line in items)
        for index, (line, traced) in enumerate(traced_items, start=skip):
            result.scanned += 1
            if filters.matches(line, traced):
                result.rows.append((line, traced))
            full, exhausted = len(result.rows) >= page_size, result.scanned >= scan_limit
            if full or exhausted:
                read = cursor.read + result.scanned
                if index + 1 < len(page.items):
                    result.next = (
                        Cursor(token=page_token, skip=index + 1, read=read)
                        if kind.seek
                        else Cursor(offset=page_offset + index + 1, read=read)
                    )
                elif kind.seek:
                    token = page.continuation_token
                    result.next = Cursor(token=token, read=read) if token else None
                else:
                    offset = page_offset + len(page.items)
                    result.next = Cursor(offset=offset, read=read) if page.next_link else None
                # "Search further" only where there is further to search.
                result.stopped_early = not full and result.next is not None
                pages.close()
                return result
        skip = 0
        if kind.seek:
            page_token = page.continuation_token
        else:
            page_offset += len(page.items)
    return result


def stream_lines(
    transport: Transport, invoice: Invoice, kind: LineKind, filters: Filters
) -> Iterator[tuple[Any, Traced | None]]:
    """Every line of the kind that matches the filters, with its trace for one-time lines, page by page."""
    lines: Iterable[InvoiceLineItem] = pc_invoices.iter_invoice_line_items(
        transport, invoice.pk, provider=kind.provider, line_item_type=kind.line_type, size=STREAM_SIZE
    )
    pairs = trace_lines(lines) if kind is ONE_TIME else ((line, None) for line in lines)
    for line, traced in pairs:
        if filters.matches(line, traced):
            yield line, traced


# --- cells: on the page and in the CSV -------------------------------------------------------------------


def page_cell(column: Column, line: Any) -> str:
    """The column's value as the reader's locale writes it."""
    value = column.value(line)
    if value is None or value == "":
        return ""
    if column.kind == "money":
        return money(value, str(getattr(line, "currency", "") or ""))
    if column.kind == "number":
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    if column.kind == "date" and isinstance(value, datetime):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if column.kind == "datetime" and isinstance(value, datetime):
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    return str(value)


def csv_cell(kind: str, value: Any) -> str:
    """The value as a spreadsheet reads it whatever its locale: ISO dates, a point before decimals."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
        if kind == "date":
            return moment.date().isoformat()
        return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"
    if isinstance(value, Decimal):
        if kind == "money":
            # The cents at least, more only where Partner Center gave them: 520.8 and 520.8000 both read
            # 520.80, a unit price of 0.0125 stays as it is.
            value = value.normalize()
            if int(value.as_tuple().exponent) > -2:
                value = value.quantize(CENTS)
        return format(value, "f")
    if isinstance(value, (tuple, list)):
        return "; ".join(str(v) for v in value)
    return str(value)


# Reconciliation columns after a one-time line's own.
TRACE_COLUMNS = (
    "traced",
    "portal_order",
    "purchase_request",
    "approved_by",
    "approved_at",
    "approved_unit_price",
    "approved_currency",
    "approved_amount",
    "difference",
)


def csv_header(kind: LineKind, *, reconciliation: bool) -> list[str]:
    header = ["invoice_id", *(c.key for c in kind.columns)]
    return header + list(TRACE_COLUMNS) if reconciliation else header


def csv_row(
    invoice: Invoice, kind: LineKind, line: Any, traced: Traced | None, *, reconciliation: bool
) -> list[str]:
    row = [invoice.pk, *(csv_cell(c.kind, c.value(line)) for c in kind.columns)]
    if not reconciliation:
        return row
    if traced is None or traced.order is None:
        return row + [traced.trace if traced else Trace.UNTRACED] + [""] * (len(TRACE_COLUMNS) - 1)
    request = traced.order.purchase_request
    approval = traced.order.approval
    return [
        *row,
        traced.trace,
        traced.order.pk,
        request.reference if request is not None else "",
        display_name(approval.decided_by) if approval is not None else "",
        csv_cell("datetime", approval.decided_at) if approval is not None else "",
        csv_cell("money", traced.approved_unit_price),
        traced.approved_currency,
        csv_cell("money", traced.expected),
        csv_cell("money", traced.difference),
    ]


class _Echo:
    """A file whose write hands the text back, so csv.writer can format one row at a time."""

    def write(self, value: str) -> str:
        return value


def csv_stream(
    transport: Transport, invoice: Invoice, kind: LineKind, filters: Filters, *, reconciliation: bool
) -> Iterator[str]:
    """The CSV export, a chunk of rows at a time: a byte order mark (so spreadsheets read the names as
    UTF-8), the header, then one row per line as Partner Center pages them in."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(csv_header(kind, reconciliation=reconciliation))
    chunk: list[str] = []
    for line, traced in stream_lines(transport, invoice, kind, filters):
        chunk.append(writer.writerow(csv_row(invoice, kind, line, traced, reconciliation=reconciliation)))
        if len(chunk) >= 500:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)
