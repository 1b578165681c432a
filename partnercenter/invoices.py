"""Balance, invoices, their line items and statements (reference §6.23 to §6.28)."""

from __future__ import annotations

from collections.abc import Iterator

from .auth import TokenProvider
from .enums import BillingProvider, InvoiceLineItemType
from .models import Invoice, InvoiceLineItem, InvoiceSummary, parse_invoice_line_item
from .paging import Page, SeekPaging, iter_items, iter_pages
from .transport import Operation, StreamedBody, Transport

GET_BALANCE = Operation("get_balance", "GET", "/invoices/summary")
LIST_INVOICE_SUMMARIES = Operation("list_invoice_summaries", "GET", "/invoices/summaries", app_user_only=True)
LIST_INVOICES = Operation("list_invoices", "GET", "/invoices")
GET_INVOICE = Operation("get_invoice", "GET", "/invoices/{invoice_id}", app_user_only=True)
LIST_INVOICE_LINE_ITEMS = Operation("list_invoice_line_items", "GET", "/invoices/{invoice_id}/lineitems")
GET_INVOICE_STATEMENT = Operation(
    "get_invoice_statement", "GET", "/invoices/{invoice_id}/documents/statement", app_user_only=True
)

MAX_LINE_ITEM_PAGE = 2000  # the documented default and maximum page size

# Query spelling of providers and line types, and their path spelling for seek pages (§6.27).
_PROVIDERS = {
    BillingProvider.ONE_TIME: ("onetime", "OneTime"),
    BillingProvider.OFFICE: ("office", "Office"),
    BillingProvider.AZURE: ("azure", "Azure"),
    BillingProvider.MARKETPLACE: ("marketplace", "Marketplace"),
}
_LINE_TYPES = {
    InvoiceLineItemType.BILLING_LINE_ITEMS: ("billinglineitems", "BillingLineItems"),
    InvoiceLineItemType.USAGE_LINE_ITEMS: ("usagelineitems", "UsageLineItems"),
}
# Office and legacy Azure lines page by offset; the others by continuation token.
_OFFSET_PROVIDERS = frozenset({BillingProvider.OFFICE, BillingProvider.AZURE})


def get_balance(transport: Transport, *, token: TokenProvider | None = None) -> InvoiceSummary:
    """The partner's current account balance, recurring and one-time (reservation) charges together."""
    response = transport.request(GET_BALANCE, token=token)
    return InvoiceSummary.from_json(response.data).with_meta(response.meta)


def list_invoice_summaries(
    transport: Transport, *, token: TokenProvider | None = None
) -> Iterator[InvoiceSummary]:
    """One balance summary per currency. App+User only."""
    return iter_items(iter_pages(transport, LIST_INVOICE_SUMMARIES, InvoiceSummary.from_json, token=token))


def list_invoice_pages(
    transport: Transport,
    *,
    size: int | None = None,
    offset: int | None = None,
    token: TokenProvider | None = None,
) -> Iterator[Page[Invoice]]:
    """Invoices, a page at a time. size/offset only page legacy invoices; modern ones come all at once."""
    params = {"size": size, "offset": offset}
    return iter_pages(
        transport,
        LIST_INVOICES,
        Invoice.from_json,
        params={k: str(v) for k, v in params.items() if v is not None},
        offset_page_size=size,
        token=token,
    )


def list_invoices(
    transport: Transport, *, size: int | None = None, token: TokenProvider | None = None
) -> Iterator[Invoice]:
    return iter_items(list_invoice_pages(transport, size=size, token=token))


def get_invoice(transport: Transport, invoice_id: str, *, token: TokenProvider | None = None) -> Invoice:
    """One invoice. App+User only."""
    response = transport.request(GET_INVOICE, GET_INVOICE.path_for(invoice_id=invoice_id), token=token)
    return Invoice.from_json(response.data).with_meta(response.meta)


def iter_invoice_line_item_pages(
    transport: Transport,
    invoice_id: str,
    *,
    provider: BillingProvider | str = BillingProvider.ONE_TIME,
    line_item_type: InvoiceLineItemType | str = InvoiceLineItemType.BILLING_LINE_ITEMS,
    size: int = MAX_LINE_ITEM_PAGE,
    offset: int | None = None,
    continuation_token: str | None = None,
    has_partner_earned_credit: bool | None = None,
    token: TokenProvider | None = None,
) -> Iterator[Page[InvoiceLineItem]]:
    """An invoice's line items, a page at a time, each parsed into its kind (OneTimeInvoiceLineItem for
    reservations). One-time lines page by continuation token (resume with `continuation_token`), office and
    azure lines by offset (resume with `offset`)."""
    if not 1 <= size <= MAX_LINE_ITEM_PAGE:
        raise ValueError(f"size must be between 1 and {MAX_LINE_ITEM_PAGE}")
    kind = BillingProvider.parse(provider)
    line_type = InvoiceLineItemType.parse(line_item_type)
    if kind not in _PROVIDERS or line_type not in _LINE_TYPES:
        raise ValueError(f"unsupported line items: provider {provider!r}, type {line_item_type!r}")
    provider_query, provider_path = _PROVIDERS[kind]
    type_query, type_path = _LINE_TYPES[line_type]
    params = {"provider": provider_query, "invoicelineitemtype": type_query, "size": str(size)}
    if has_partner_earned_credit is not None:
        params["hasPartnerEarnedCredit"] = "true" if has_partner_earned_credit else "false"
    path = LIST_INVOICE_LINE_ITEMS.path_for(invoice_id=invoice_id)
    if kind in _OFFSET_PROVIDERS:
        params["offset"] = str(offset or 0)
        return iter_pages(
            transport,
            LIST_INVOICE_LINE_ITEMS,
            parse_invoice_line_item,
            path=path,
            params=params,
            offset_page_size=size,
            token=token,
        )
    seek = SeekPaging(f"{path}/{provider_path}/{type_path}", {"seekOperation": "Next"})
    return iter_pages(
        transport,
        LIST_INVOICE_LINE_ITEMS,
        parse_invoice_line_item,
        path=path,
        params=params,
        seek=seek,
        continuation_token=continuation_token,
        token=token,
    )


def iter_invoice_line_items(
    transport: Transport,
    invoice_id: str,
    *,
    provider: BillingProvider | str = BillingProvider.ONE_TIME,
    line_item_type: InvoiceLineItemType | str = InvoiceLineItemType.BILLING_LINE_ITEMS,
    size: int = MAX_LINE_ITEM_PAGE,
    token: TokenProvider | None = None,
) -> Iterator[InvoiceLineItem]:
    """Every line item of an invoice, streamed page by page, never all in memory."""
    pages = iter_invoice_line_item_pages(
        transport, invoice_id, provider=provider, line_item_type=line_item_type, size=size, token=token
    )
    return iter_items(pages)


def stream_invoice_statement(
    transport: Transport, invoice_id: str, *, token: TokenProvider | None = None, chunk_size: int = 64 * 1024
) -> StreamedBody:
    """The invoice's PDF: iterate it for bytes; `.content_type`, `.filename`. App+User only."""
    path = GET_INVOICE_STATEMENT.path_for(invoice_id=invoice_id)
    body = transport.open_stream(
        GET_INVOICE_STATEMENT, path, token=token, accept="application/pdf", chunk_size=chunk_size
    )
    if not body.filename:
        body.filename = f"Invoice_{invoice_id}.pdf"
    return body
