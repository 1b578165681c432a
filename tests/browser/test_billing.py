"""Billing in Chromium, against the sandbox: an admin signed in with Microsoft reads the invoices and the
balance of every currency, filters the invoice list in place, opens the biggest reservation invoice, filters
its line items by customer, and downloads the statement PDF and the filtered line items as CSV."""

from __future__ import annotations

import codecs
import csv
import io
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from billing.models import Invoice
from tests.browser.test_purchase_flow import expect_message, nav, sign_in_with_microsoft
from tests.integration.test_billing import big_invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FIRST_PAGE = "100 lines shown · lines 1 to 100 of the invoice"  # the count over a first page of lines


def total_charges(cell: str) -> Decimal:
    """A "Total charges" cell as the list writes it in English: "12,345.67 USD"."""
    return Decimal(cell.split()[0].replace(",", ""))


def test_an_admin_reads_the_invoices_and_every_balance_and_filters_the_list_in_place(
    page: Page, partner_center
):
    sign_in_with_microsoft(page, "Adele Vance")
    nav(page, "Billing")
    expect(page.get_by_role("heading", level=1)).to_have_text("Billing")
    # The first visit has read the invoices already; the button reads them again.
    expect(page.get_by_test_id("last-sync")).to_contain_text("Invoices last read")
    expect(page.get_by_test_id("no-invoices")).to_have_count(0)

    page.get_by_role("button", name="Read the invoices from Partner Center now").click()
    expect_message(page, "Invoices read from Partner Center:")
    expect(page.get_by_test_id("last-sync")).to_contain_text("Invoices last read")
    # The sync reads the account balance (the default currency); with her own Microsoft session the page
    # also read Partner Center's summary of each of the other currencies.
    balances = page.get_by_test_id("balances")
    balance = {code: balances.locator(f'tr[data-currency="{code}"]') for code in ("USD", "EUR", "GBP")}
    for code, row in balance.items():
        expect(row).to_contain_text(re.compile(rf"\d\.\d\d {code}"))
    expect(balance["USD"]).to_contain_text("USD (default)")
    expect(balance["EUR"]).to_contain_text("with the session of Adele Vance")
    expect(balance["GBP"]).to_contain_text("with the session of Adele Vance")
    expect(balances.get_by_test_id("microsoft-session-needed")).to_have_count(0)

    results = page.locator("#results")
    invoices = results.locator("tbody tr")
    expect(invoices).to_have_count(25)  # a page of the list
    expect(results.locator(".count")).to_have_text(re.compile(r"^\d+ invoices$"))
    everything = results.locator(".count").inner_text()

    page.evaluate("window.__same_document = true")  # survives only if the page is not reloaded
    page.get_by_label("Type").select_option(label="One-time")
    expect(page).to_have_url(re.compile(r"/billing/\?.*\btype=one_time\b"))
    expect(results.locator(".count")).not_to_have_text(everything)
    one_time = results.locator(".count").inner_text()
    types = invoices.locator("td:nth-child(4)")  # the row's header cell is its first child
    expect(types).to_have_text(["One-time"] * invoices.count())

    page.get_by_label("Currency").select_option("USD")
    expect(page).to_have_url(re.compile(r"/billing/\?(?=.*\btype=one_time\b)(?=.*\bcurrency=USD\b)"))
    expect(results.locator(".count")).not_to_have_text(one_time)
    totals = invoices.locator("td:nth-child(5)")
    expect(totals).to_have_text([re.compile(r"^[\d,]+\.\d\d USD$")] * invoices.count())
    expect(types).to_have_text(["One-time"] * invoices.count())
    assert page.evaluate("window.__same_document") is True

    # The biggest reservation invoice: last month's, padded by the sandbox to 5,000 lines.
    by_total = {
        row.get_attribute("data-invoice"): total_charges(row.locator("td:nth-child(5)").inner_text())
        for row in invoices.all()
    }
    biggest = max(by_total, key=lambda pk: by_total[pk])
    one_time_usd = Invoice.objects.filter(invoice_type="one_time", currency_code="USD")
    assert biggest == one_time_usd.order_by("-total_charges")[0].pk
    results.get_by_role("link", name=biggest, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {biggest}")
    expect(page.get_by_test_id("lines-count")).to_contain_text(FIRST_PAGE)


def test_an_admin_filters_an_invoices_lines_and_downloads_its_statement_and_csv(page: Page, partner_center):
    invoice = big_invoice(partner_center)
    sign_in_with_microsoft(page, "Adele Vance")
    page.goto(f"/billing/invoices/{invoice.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {invoice.pk}")
    lines = page.get_by_test_id("line-items")
    expect(lines.get_by_test_id("lines-count")).to_contain_text(FIRST_PAGE)
    expect(lines.locator("tbody tr")).to_have_count(100)

    customer = lines.locator("tbody tr").first.locator("td").first.inner_text()
    filters = page.get_by_role("form", name="Filter the line items")
    filters.get_by_label("Customer").fill(customer)
    filters.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"[?&]customer=[^&]"))  # the filter is in the address
    assert parse_qs(urlsplit(page.url).query)["customer"] == [customer]
    rows = lines.locator("tbody tr")
    expect(rows.filter(has_not_text=customer)).to_have_count(0)
    expect(lines.get_by_test_id("lines-count")).to_contain_text(re.compile(r"\b\d+ lines? shown"))
    shown = rows.locator("td:first-child").all_inner_texts()
    assert shown and set(shown) == {customer}

    # Exported straight after filtering in place: the export follows the filters on the page.
    with page.expect_download() as export:
        lines.get_by_role("button", name="Export these line items (CSV)").click()
    assert export.value.suggested_filename == f"lineitems_{invoice.pk}_onetime.csv"
    raw = Path(export.value.path()).read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)  # so that spreadsheets read the names as UTF-8
    exported = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(exported) >= len(shown)  # every matching line of the invoice, not only the page's
    assert exported[0].keys() >= {"invoice_id", "customer_name", "currency"}
    assert {row["customer_name"] for row in exported} == {customer}
    assert {row["invoice_id"] for row in exported} == {invoice.pk}
    assert {row["currency"] for row in exported} == {"USD"}

    # The address is a plain page: loaded again, it shows the same filtered lines.
    page.reload()
    expect(filters.get_by_label("Customer")).to_have_value(customer)
    expect(rows).to_have_count(len(shown))
    expect(rows.filter(has_not_text=customer)).to_have_count(0)

    details = page.get_by_test_id("invoice-details")
    with page.expect_download() as statement:
        details.get_by_role("button", name="Download the statement (PDF)").click()
    assert statement.value.suggested_filename == f"Invoice_{invoice.pk}.pdf"
    pdf = Path(statement.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and invoice.pk.encode() in pdf
