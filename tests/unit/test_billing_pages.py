"""Billing pages and the pieces under them that need no Partner Center: the invoice list's filters, the
reconciliation rules, the CSV cells, and what a page says when Partner Center is not configured."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from billing import lines as billing_lines
from billing.lines import Filters, Trace
from billing.models import Invoice
from orders.models import Approval, Order, PurchaseRequest
from portal.models import Customer

pytestmark = pytest.mark.django_db


def invoice(pk: str, kind: str, month: int, currency: str = "USD", total: str = "100") -> Invoice:
    return Invoice.objects.create(
        pk=pk,
        invoice_type=kind,
        invoice_date=datetime(2026, month + 1, 8, tzinfo=UTC),
        period_start=datetime(2026, month, 1, tzinfo=UTC),
        period_end=datetime(2026, month, 28, tzinfo=UTC),
        total_charges=Decimal(total),
        paid_amount=Decimal(0),
        currency_code=currency,
        details=[{"provider": "one_time", "line_type": "billing_line_items"}] if kind == "one_time" else [],
        read_at=timezone.now(),
    )


@pytest.fixture
def support(client, personas):
    client.force_login(personas["support"])
    return client


@pytest.fixture
def invoices(db) -> list[Invoice]:
    return [
        invoice("G000000001", "one_time", 3),
        invoice("G000000002", "one_time", 4, "EUR"),
        invoice("D000000003", "recurring", 4),
        invoice("G000000004", "one_time", 5, total="1234567.5"),
    ]


def listed(response) -> list[str]:
    return [i.pk for i in response.context["page"].object_list]


def test_the_invoice_list_filters_by_period_type_and_currency(support, invoices):
    url = reverse("billing")
    # Newest first; invoices of the same day by number.
    assert listed(support.get(url)) == ["G000000004", "G000000002", "D000000003", "G000000001"]
    assert listed(support.get(url, {"type": "recurring"})) == ["D000000003"]
    assert listed(support.get(url, {"currency": "EUR"})) == ["G000000002"]
    assert listed(support.get(url, {"number": " g0000000 "})) == ["G000000004", "G000000002", "G000000001"]
    assert listed(support.get(url, {"number": "%"})) == []  # a wildcard is a character like any other
    assert listed(support.get(url, {"period_from": "2026-04-01", "period_to": "2026-04-30"})) == [
        "G000000002",
        "D000000003",
    ]
    html = support.get(url).content.decode()
    assert "1,234,567.50 USD" in html  # grouped, two decimals, with its currency


def test_the_filters_answer_through_htmx_with_the_results_only(support, invoices):
    response = support.get(
        reverse("billing"), {"type": "one_time"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"') and "<html" not in html
    assert response["Vary"].count("HX-Request") == 1


def test_tampered_filters_are_refused_in_plain_words_and_list_nothing(support, invoices):
    response = support.get(
        reverse("billing"), {"type": "'; DROP TABLE billing_invoice; --", "period_from": "x"}
    )
    assert response.status_code == 200 and listed(response) == []
    html = response.content.decode()
    assert "Select a valid choice" in html and "Enter a valid date" in html
    assert Invoice.objects.count() == 4


def test_the_billing_page_says_when_partner_center_is_not_configured(support, invoices):
    html = support.get(reverse("billing")).content.decode()
    assert "Partner Center is not configured for this portal" in html


def test_an_invoice_page_without_partner_center_says_so_and_keeps_the_invoice(support, invoices):
    response = support.get(reverse("billing-invoice", args=["G000000001"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Invoice G000000001" in html and "Partner Center is not configured" in html
    # Support may download statements, with a Microsoft session: none without Partner Center.
    assert "Download the statement (PDF)" not in html and 'data-testid="statement-needs-session"' in html


def test_one_time_invoices_are_found_by_their_linked_name_too(support, invoices):
    assert support.get("/billing/invoices/OneTime-G000000001/").context["invoice"].pk == "G000000001"
    assert support.get(reverse("billing-invoice", args=["g000000001"])).status_code == 200


def test_a_malformed_invoice_number_is_a_400_page_and_an_unknown_one_a_404_page(support, invoices):
    malformed = support.get("/billing/invoices/G0000%3B--/")
    assert malformed.status_code == 400 and "is not an invoice number" in malformed.content.decode()
    assert support.get(reverse("billing-invoice", args=["G999999999"])).status_code == 404


def test_exports_without_partner_center_go_back_to_the_invoice_with_the_reason(support, invoices):
    response = support.get(reverse("billing-lines-csv", args=["G000000001"]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("billing-invoice", args=["G000000001"])
    assert "Partner Center is not configured" in response.content.decode()


# --- reconciliation rules --------------------------------------------------------------------------------


def one_time_line(**fields) -> SimpleNamespace:
    base = {
        "customer_id": "c1",
        "customer_name": "Fabrikam Inc",
        "order_id": "ORDER1",
        "product_id": "DZH318Z0BQ3Q",
        "sku_id": "0001",
        "availability_id": "DZH318Z0AAAA",
        "product_name": "Virtual Machines Dsv5 Series",
        "sku_name": "Standard_D2s_v5, US East, 1 Year",
        "quantity": Decimal(2),
        "subtotal": Decimal("200.00"),
        "currency": "USD",
    }
    return SimpleNamespace(**(base | fields))


@pytest.fixture
def customer(db) -> Customer:
    return Customer.objects.create(
        pk="5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11", company_name="Fabrikam Inc", listed_at=timezone.now()
    )


def portal_order(customer: Customer, personas, *, currency: str = "USD", unit: str = "95.00") -> Order:
    purchase = PurchaseRequest.objects.create(
        customer=customer, subscription_ref="s", country="US", requester=personas["sales"]
    )
    approval = Approval.objects.create(
        request=purchase,
        decided_by=personas["approver"],
        decision=Approval.Decision.APPROVED,
        currency_code=currency,
        snapshot=[
            {
                "product_id": "DZH318Z0BQ3Q",
                "sku_id": "0001",
                "catalog_item_id": "DZH318Z0BQ3Q:0001:DZH318Z0AAAA",
                "unit_price": unit,
                "currency_code": currency,
                "quantity": 2,
            },
        ],
    )
    return Order.objects.create(
        id="ORDER1",
        customer=customer,
        purchase_request=purchase,
        approval=approval,
        source=Order.Source.CHECKOUT,
    )


def traced(line) -> billing_lines.Traced:
    [(_line, result)] = list(billing_lines.trace_lines([line]))
    return result


def test_a_charge_of_a_portal_purchase_shows_the_difference_to_the_approved_quote(customer, personas):
    order = portal_order(customer, personas)
    result = traced(one_time_line())
    assert (result.trace, result.order) == (Trace.BOUGHT_HERE, order)
    assert (result.expected, result.difference) == (Decimal("190.00"), Decimal("10.00"))


def test_a_charge_in_another_currency_than_the_quote_shows_no_difference(customer, personas):
    portal_order(customer, personas, currency="EUR")
    result = traced(one_time_line())
    assert result.expected == Decimal("190.00") and result.difference is None


def test_an_order_known_but_not_bought_here_and_an_unknown_one_are_told_apart(customer):
    Order.objects.create(id="LISTED1", customer=customer, source=Order.Source.LIST)
    assert traced(one_time_line(order_id="LISTED1")).trace == Trace.KNOWN_ORDER
    assert traced(one_time_line(order_id="ELSEWHERE")).trace == Trace.UNTRACED


def test_filters_match_customer_by_id_or_name_order_by_its_start_and_product_by_any_name():
    line = one_time_line()
    assert Filters(customer="fabrikam").matches(line, None)
    assert Filters(customer="c1").matches(line, None)
    assert not Filters(customer="contoso").matches(line, None)
    assert Filters(order="ord").matches(line, None) and not Filters(order="RDER").matches(line, None)
    assert Filters(product="d2s_v5").matches(line, None) and Filters(product="bq3q").matches(line, None)
    assert not Filters(trace=Trace.BOUGHT_HERE).matches(line, billing_lines.Traced(Trace.UNTRACED))


def test_csv_cells_are_what_a_spreadsheet_reads_in_any_locale():
    moment = datetime(2025, 1, 15, 9, 31, 10, 123, tzinfo=UTC)
    assert billing_lines.csv_cell("date", moment) == "2025-01-15"
    assert billing_lines.csv_cell("datetime", moment) == "2025-01-15T09:31:10Z"
    assert billing_lines.csv_cell("money", Decimal("1234567.5000")) == "1234567.50"
    assert billing_lines.csv_cell("money", Decimal("1E+2")) == "100.00"
    assert billing_lines.csv_cell("money", Decimal("0.0000")) == "0.00"
    assert billing_lines.csv_cell("money", Decimal("0.01250")) == "0.0125"
    assert billing_lines.csv_cell("number", Decimal("2")) == "2"
    assert billing_lines.csv_cell("text", None) == ""
    assert billing_lines.csv_cell("text", ("AddOn", "Trial")) == "AddOn; Trial"


def test_a_csv_row_of_an_untraced_charge_has_every_column():
    line = one_time_line(order_date=None, charge_start_date=None)
    header = billing_lines.csv_header(billing_lines.ONE_TIME, reconciliation=True)
    row = billing_lines.csv_row(
        Invoice(pk="G1"),
        billing_lines.ONE_TIME,
        line,
        billing_lines.Traced(Trace.UNTRACED),
        reconciliation=True,
    )
    assert len(row) == len(header)
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, row])
    [parsed] = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert (
        parsed["traced"] == "untraced"
        and parsed["portal_order"] == ""
        and parsed["customer_name"] == "Fabrikam Inc"
    )


def test_the_billing_pages_speak_french_with_french_numbers(client, personas, invoices):
    client.force_login(personas["support"])
    html = client.get(reverse("billing"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Factures" in html and "Lire les factures dans Partner Center maintenant" in html
    assert "1\xa0234\xa0567,50 USD" in html  # French grouping (non-breaking spaces) and decimal comma
    page = client.get(reverse("billing-invoice", args=["G000000001"]), HTTP_ACCEPT_LANGUAGE="fr").content
    assert "Facture G000000001" in page.decode()
