"""Billing against the sandbox: the invoice sync and its notifications, balances with and without a staff
member's own session, line items paged by continuation token, the reconciliation of reservation charges
with the portal's purchases, the CSV exports and the statement PDF, and who may see what.

The sandbox derives its invoices from its orders: last month's USD one-time invoice is padded to
`--invoice-line-items` lines (5,000 by default), and orders bought through it appear on the current
month's one-time invoice once they complete.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from billing import lines as billing_lines
from billing import sync
from billing.models import Balance, Invoice, InvoiceSync
from orders import checkout
from orders.models import Approval, Order, PurchaseRequest
from partnercenter import invoices as pc_invoices
from partnercenter.errors import ServerError
from portal import partner_center as portal_partner_center
from portal.models import AuditEntry, CustomerSubscription, Notification
from tests.integration.conftest import mirror_customer
from tests.integration.test_catalog_inventory import available_and_restricted_skus
from tests.integration.test_checkout import approved, choice
from tests.integration.test_microsoft_sign_in import DOMAIN, sign_in
from tests.sandbox_process import Sandbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

SUMMARIES = "GET /v1/invoices/summaries"
STATEMENT = "GET /v1/invoices/{invoice_id}/documents/statement"
MONTH = 31 * 86400


def calls(sim: Sandbox, route: str) -> int:
    return int(sim.stats()["requests"].get(route, 0))


def big_invoice(sim: Sandbox) -> Invoice:
    """The sandbox's designated one-time invoice (last month, USD), padded to 5,000 lines: the biggest."""
    sync.sync_invoices()
    return Invoice.objects.filter(invoice_type="one_time", currency_code="USD").order_by("-total_charges")[0]


@pytest.fixture
def microsoft_client(partner_center: Sandbox) -> Client:
    """A browser signed in with Microsoft as Adele Vance (Admin, with MFA): App+User calls work."""
    client = Client(HTTP_HOST="127.0.0.1")
    sign_in(client, partner_center, f"adelev@{DOMAIN}")
    return client


@pytest.fixture
def support(client: Client, personas) -> Client:
    """Support, signed in with a portal account: no Microsoft session."""
    client.force_login(personas["support"])
    return client


# --- the sync ----------------------------------------------------------------------------------------------


def test_the_sync_copies_invoices_and_balance_and_announces_only_invoices_that_arrive_later(
    partner_center, personas
):
    first = sync.sync_invoices()
    with portal_partner_center.transport() as transport:
        listed = {str(i.id) for i in pc_invoices.list_invoices(transport)}
    assert first.succeeded and first.invoices_seen == len(listed) == first.invoices_new
    assert set(Invoice.objects.values_list("pk", flat=True)) == listed
    assert {"one_time", "recurring"} <= set(Invoice.objects.values_list("invoice_type", flat=True))
    default = Balance.objects.get(is_default=True)
    assert default.balance is not None and default.read_by is None
    # The first sync imports history: nobody is told about months-old invoices.
    assert not Notification.objects.filter(kind=sync.NOTIFICATION_KIND).exists()

    partner_center.advance_clock(MONTH)  # a month closes: Microsoft issues its invoices
    later = sync.sync_invoices()
    assert later.invoices_new > 0
    new = Invoice.objects.order_by("-first_seen_at")[: later.invoices_new]
    told = Notification.objects.filter(kind=sync.NOTIFICATION_KIND)
    assert {n.recipient.username for n in told} == {"support", "admin"}  # who reads billing
    assert told.filter(recipient=personas["support"]).count() == later.invoices_new
    assert any(
        new[0].pk in n.message and n.link == reverse("billing-invoice", args=[new[0].pk]) for n in told
    )
    assert AuditEntry.objects.filter(action=sync.SYNC_ACTION, outcome="success").count() == 2


def test_a_failing_partner_center_stops_the_sync_with_its_reason_kept(partner_center):
    partner_center.faults(
        {"method": "GET", "path": r"^/v1/invoices$", "kind": "error", "status": 503, "count": 10}
    )
    with pytest.raises(ServerError):
        sync.sync_invoices(transport=portal_partner_center.transport(for_page=True))
    run = InvoiceSync.objects.get()
    assert not run.succeeded and "Partner Center" in run.error
    assert AuditEntry.objects.get(action=sync.SYNC_ACTION).outcome == "failure"


# --- balances -----------------------------------------------------------------------------------------------


def test_without_a_microsoft_session_the_page_shows_the_balance_and_says_how_to_get_the_rest(
    partner_center, support
):
    sync.sync_invoices()
    html = support.get(reverse("billing")).content.decode()
    assert 'data-testid="balances"' in html and 'data-testid="summaries-need-session"' in html
    assert "Sign in with Microsoft" in html
    assert calls(partner_center, SUMMARIES) == 0  # nothing asked that Partner Center would refuse
    assert html.count("data-invoice=") == min(25, Invoice.objects.count())


def test_with_a_microsoft_session_the_balance_of_every_currency_is_read_and_kept(
    partner_center, microsoft_client
):
    html = microsoft_client.get(reverse("billing")).content.decode()
    assert calls(partner_center, SUMMARIES) == 1
    currencies = set(Balance.objects.values_list("currency_code", flat=True))
    assert {"USD", "EUR", "GBP"} <= currencies
    for code in ("USD", "EUR", "GBP"):
        assert f'data-currency="{code}"' in html
    assert "with the session of" in html
    microsoft_client.get(reverse("billing"))
    assert calls(partner_center, SUMMARIES) == 1  # fresh copies are not read again at once


# --- line items ---------------------------------------------------------------------------------------------


def line_key(line) -> tuple:
    return (
        line.order_id,
        line.product_id,
        line.sku_id,
        line.customer_id,
        line.charge_start_date,
        line.subtotal,
    )


def test_pages_of_line_items_follow_continuation_tokens_without_losing_or_repeating_a_line(partner_center):
    invoice = big_invoice(partner_center)
    with portal_partner_center.transport() as transport:
        everything = [line_key(line) for line in pc_invoices.iter_invoice_line_items(transport, invoice.pk)]
        assert len(everything) == 5000
        # A filter that matches every line makes the reader use big pages and stop inside them.
        cursor, seen, pages = billing_lines.Cursor(), [], 0
        while cursor is not None:
            page = billing_lines.read_page(
                transport,
                invoice,
                billing_lines.ONE_TIME,
                cursor,
                billing_lines.Filters(trace=billing_lines.Trace.UNTRACED),
                page_size=700,
            )
            seen += [line_key(line) for line, _traced in page.rows]
            cursor, pages = page.next, pages + 1
    assert pages == 8 and seen == everything


def test_the_invoice_page_pages_through_the_lines_and_filters_them(partner_center, support):
    invoice = big_invoice(partner_center)
    url = reverse("billing-invoice", args=[invoice.pk])
    first = support.get(url)
    html = first.content.decode()
    assert "100 lines shown" in html
    assert "Not traced: not bought through the portal" in html
    next_link = first.context["next_query"]
    assert "after=" in next_link
    assert "lines 1 to 100 of the invoice" in html
    second = support.get(f"{url}?{next_link}")
    assert second.status_code == 200 and "100 lines shown" in second.content.decode()
    assert "lines 101 to 200 of the invoice" in second.content.decode()
    assert second.context["rows"] != first.context["rows"]

    customer = first.context["lines"].rows[0][0].customer_name
    filtered = support.get(url, {"customer": customer, "kind": "onetime"})
    rows = filtered.context["lines"].rows
    assert rows and all(line.customer_name == customer for line, _t in rows)
    nothing = support.get(url, {"order": "zzzz-no-such-order"})
    assert not nothing.context["rows"] and not nothing.context["lines"].stopped_early
    assert "No line matches these filters here." in nothing.content.decode()


def test_a_rare_filter_stops_after_a_bounded_read_and_offers_to_search_further(partner_center, support):
    invoice = big_invoice(partner_center)
    with portal_partner_center.transport() as transport:
        page = billing_lines.read_page(
            transport,
            invoice,
            billing_lines.ONE_TIME,
            billing_lines.Cursor(),
            billing_lines.Filters(order="zzzz"),
            scan_limit=3000,
        )
    assert (page.rows, page.scanned, page.stopped_early) == ([], 3000, True)
    assert page.next is not None and page.next.token and page.next.skip == 1000  # inside the second page
    assert page.next.read == 3000


def test_a_tampered_position_is_answered_in_plain_words(partner_center, support):
    invoice = big_invoice(partner_center)
    url = reverse("billing-invoice", args=[invoice.pk])
    for position in ({"skip": "-3"}, {"offset": "5", "read": "-1"}, {"read": "x"}, {"skip": "2000"}):
        damaged = support.get(url, position).content.decode()
        assert "This page&#x27;s address is damaged" in damaged, position
    forged = support.get(url, {"after": "not-a-token' OR 1=1 --"})
    assert forged.status_code == 200
    assert "Partner Center no longer accepts this page" in forged.content.decode()
    assert support.get(url, {"kind": "nonsense"}).status_code == 400


def test_unknown_and_malformed_invoices_are_answered_with_their_pages(partner_center, support):
    sync.sync_invoices()
    missing = support.get(reverse("billing-invoice", args=["G099999999"]))
    assert missing.status_code == 404
    malformed = support.get("/billing/invoices/%3Cscript%3E/")
    assert malformed.status_code in (400, 404) and "<script>" not in malformed.content.decode()


# --- reconciliation --------------------------------------------------------------------------------------


@pytest.fixture
def bought(partner_center, personas) -> tuple[PurchaseRequest, Order]:
    """Two reservations of Fabrikam Inc requested by Sales, approved, checked out by the portal."""
    fabrikam = mirror_customer("Fabrikam Inc")
    plan = fabrikam.subscriptions.get(kind=CustomerSubscription.Kind.AZURE_PLAN)
    available = available_and_restricted_skus(fabrikam, plan)["available"]
    purchase = approved(fabrikam, plan, personas, choice(available, quantity=2))
    assert checkout.run(purchase.pk, portal_partner_center.transport()).state == "ordered"
    return purchase, Order.objects.get(purchase_request=purchase)


def test_charges_are_traced_to_the_purchase_and_approval_with_the_difference_to_the_quote(
    partner_center, bought, support
):
    purchase, order = bought
    # The quote the approver signed off was 1.00 per unit cheaper than what Microsoft invoices.
    approval = Approval.objects.get(request=purchase)
    quoted = Decimal(approval.snapshot[0]["unit_price"])
    approval.snapshot[0]["unit_price"] = str(quoted - 1)
    approval.save()
    partner_center.advance_clock(3600)  # the order completes: its charge lands on this month's invoice
    sync.sync_invoices()

    invoice = Invoice.objects.filter(invoice_type="one_time", currency_code="USD").latest("period_start")
    url = reverse("billing-invoice", args=[invoice.pk])
    response = support.get(url, {"order": order.pk})
    [(_line, traced)] = response.context["lines"].rows
    assert traced.trace == billing_lines.Trace.BOUGHT_HERE and traced.order == order
    assert traced.expected == (quoted - 1) * 2 and traced.difference == Decimal("2")
    html = response.content.decode()
    assert purchase.reference in html and "approved by" in html and "+2.00" in html
    bought_here = support.get(url, {"trace": billing_lines.Trace.BOUGHT_HERE}).context["lines"].rows
    assert [t.order for _l, t in bought_here] == [order]

    export = support.get(reverse("billing-reconciliation-csv", args=[invoice.pk]), {"order": order.pk})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert [r["portal_order"] for r in rows] == [order.pk]
    assert rows[0]["purchase_request"] == purchase.reference and rows[0]["approved_by"] == "Approver"
    assert Decimal(rows[0]["difference"]) == Decimal("2") and rows[0]["traced"] == "bought"


def test_charges_the_portal_did_not_buy_are_listed_as_untraced(partner_center, support):
    invoice = big_invoice(partner_center)
    url = reverse("billing-invoice", args=[invoice.pk])
    rows = support.get(url, {"trace": billing_lines.Trace.UNTRACED}).context["lines"].rows
    assert len(rows) == billing_lines.PAGE_SIZE
    assert all(t.trace == billing_lines.Trace.UNTRACED and t.order is None for _l, t in rows)
    assert not support.get(url, {"trace": billing_lines.Trace.BOUGHT_HERE}).context["rows"]
    export = support.get(reverse("billing-reconciliation-csv", args=[invoice.pk]))
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 5000 and {r["traced"] for r in rows} == {"untraced"}
    assert {r["portal_order"] for r in rows} == {""}


# --- exports and the statement --------------------------------------------------------------------------


def test_the_line_items_csv_streams_every_line_and_reads_back_in_a_spreadsheet_shape(partner_center, support):
    invoice = big_invoice(partner_center)
    response = support.get(reverse("billing-lines-csv", args=[invoice.pk]), {"kind": "onetime"})
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    assert f"lineitems_{invoice.pk}_onetime.csv" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 5000
    header = list(rows[0])
    assert header[:3] == ["invoice_id", "customer_id", "customer_name"] and "currency" in header
    for row in rows[:200]:
        assert row["invoice_id"] == invoice.pk and row["currency"] == "USD"
        Decimal(row["subtotal"])  # a plain decimal: no grouping, no currency sign
        date.fromisoformat(row["charge_start_date"])
        assert row["order_date"].endswith("Z")
    total = sum(Decimal(r["subtotal"]) for r in rows)
    assert total == invoice.total_charges
    assert AuditEntry.objects.filter(action="invoice-export", object_id=invoice.pk).exists()


def test_the_statement_is_a_pdf_streamed_with_the_viewers_own_session_and_audited(
    partner_center, microsoft_client
):
    sync.sync_invoices()
    invoice = Invoice.objects.first()
    page = microsoft_client.get(reverse("billing-invoice", args=[invoice.pk])).content.decode()
    assert 'data-testid="statement"' in page and "statement-needs-session" not in page
    restored = microsoft_client.get(  # htmx fetching a page for its history: the whole page, button and all
        reverse("billing-invoice", args=[invoice.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    ).content.decode()
    assert 'data-testid="statement"' in restored
    response = microsoft_client.get(reverse("billing-statement", args=[invoice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="Invoice_{invoice.pk}.pdf"'
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF") and invoice.pk.encode() in body
    entry = AuditEntry.objects.get(action="invoice-statement")
    assert entry.outcome == "success" and entry.object_id == invoice.pk and entry.correlation_id


def test_without_a_session_the_statement_is_not_asked_for_and_the_page_says_why(partner_center, support):
    sync.sync_invoices()
    invoice = Invoice.objects.first()
    page = support.get(reverse("billing-invoice", args=[invoice.pk])).content.decode()
    assert 'data-testid="statement"' not in page and "Sign in with Microsoft" in page
    response = support.get(reverse("billing-statement", args=[invoice.pk]), follow=True)
    assert calls(partner_center, STATEMENT) == 0
    assert "sign in with Microsoft" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("billing-invoice", args=[invoice.pk])


@pytest.mark.parametrize("persona", ["sales", "approver", "outsider"])
def test_billing_is_for_support_and_admins(partner_center, client, personas, persona):
    sync.sync_invoices()
    invoice = Invoice.objects.first()
    client.force_login(personas[persona])
    for url in (
        reverse("billing"),
        reverse("billing-invoice", args=[invoice.pk]),
        reverse("billing-lines-csv", args=[invoice.pk]),
        reverse("billing-reconciliation-csv", args=[invoice.pk]),
        reverse("billing-statement", args=[invoice.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("billing-refresh")).status_code == 403
    assert calls(partner_center, STATEMENT) == 0


def test_the_first_visit_reads_the_invoices_and_later_ones_only_show_them(partner_center, support):
    html = support.get(reverse("billing")).content.decode()
    assert InvoiceSync.objects.count() == 1 and Invoice.objects.exists()
    assert "Invoices last read" in html and 'data-invoice="' in html
    support.get(reverse("billing"))
    assert InvoiceSync.objects.count() == 1


def test_the_refresh_button_reads_the_invoices_now(partner_center, support):
    response = support.post(reverse("billing-refresh"), follow=True)
    assert "Invoices read from Partner Center" in response.content.decode()
    assert Invoice.objects.exists()
    next_query = parse_qs(urlsplit(response.redirect_chain[-1][0]).query)
    assert next_query == {}


def test_recurring_invoices_show_office_and_legacy_azure_lines_paged_by_offset(partner_center, support):
    sync.sync_invoices()
    invoice = Invoice.objects.filter(invoice_type="recurring").exclude(details=[]).latest("period_start")
    slugs = [kind.slug for kind in billing_lines.kinds_of(invoice)]
    assert slugs[0] in ("office", "azure") and "onetime" not in slugs
    url = reverse("billing-invoice", args=[invoice.pk])
    for slug in slugs:
        page = support.get(url, {"kind": slug})
        assert page.status_code == 200 and not page.context["problem"], slug
        assert page.context["rows"], slug
        assert not page.context["with_trace"]  # reservations are one-time charges: nothing to trace here
    # Offsets page these lines: small pages walk the whole list without a gap or a repeat.
    kind = billing_lines.KINDS_BY_SLUG[slugs[0]]
    with portal_partner_center.transport() as transport:
        everything = [
            line.raw
            for line in pc_invoices.iter_invoice_line_items(
                transport, invoice.pk, provider=kind.provider, line_item_type=kind.line_type
            )
        ]
        cursor, seen = billing_lines.Cursor(), []
        while cursor is not None:
            page = billing_lines.read_page(
                transport, invoice, kind, cursor, billing_lines.Filters(), page_size=3
            )
            seen += [line.raw for line, _t in page.rows]
            cursor = page.next
            assert cursor is None or cursor.offset == len(seen)
    assert len(everything) > 3 and seen == everything
