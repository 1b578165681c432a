"""Balance, invoice summaries, invoices, line items (seek and offset paging) and the statement PDF."""

from __future__ import annotations

from typing import Any

import pytest

from .client import MEGAN, Sandbox, create_cart, find_offer


def _invoices(sb: Sandbox) -> list[dict[str, Any]]:
    return sb.get("/v1/invoices").json()["items"]


def test_balance_splits_recurring_and_one_time(sb: Sandbox) -> None:
    summary = sb.get("/v1/invoices/summary").json()
    assert summary["currencyCode"] == "USD" and summary["attributes"] == {"objectType": "InvoiceSummary"}
    details = {d["invoiceType"]: d["summary"] for d in summary["details"]}
    assert set(details) == {"Recurring", "OneTime"}
    assert summary["balanceAmount"] == pytest.approx(
        details["Recurring"]["balanceAmount"] + details["OneTime"]["balanceAmount"]
    )
    unpaid = sum(
        i["totalCharges"] for i in _invoices(sb) if i["currencyCode"] == "USD" and i["paidAmount"] == 0
    )
    assert summary["balanceAmount"] == pytest.approx(unpaid)


def test_summaries_are_per_currency_and_need_a_user(sb: Sandbox) -> None:
    body = sb.get("/v1/invoices/summaries", auth=sb.user_token(MEGAN)).json()
    assert [s["currencyCode"] for s in body["items"]] == ["USD", "EUR", "GBP"]
    assert body["links"]["self"]["uri"] == "/invoices/summaries"


def test_invoice_list_pages_by_size_and_offset(sb: Sandbox) -> None:
    everything = _invoices(sb)
    kinds = {i["invoiceType"] for i in everything}
    assert kinds == {"Recurring", "OneTime"} and {i["currencyCode"] for i in everything} == {
        "USD",
        "EUR",
        "GBP",
    }
    first = sb.get("/v1/invoices?size=5&offset=0").json()
    assert first["totalCount"] == 5 and first["links"]["next"]["uri"] == "/invoices?size=5&offset=5"
    second = sb.get("/v1" + first["links"]["next"]["uri"]).json()
    assert [i["id"] for i in first["items"] + second["items"]] == [i["id"] for i in everything[:10]]
    one = everything[0]
    assert one["attributes"] == {"objectType": "Invoice"} and one["pdfDownloadLink"].endswith(
        "/documents/statement"
    )


def test_invoice_by_id_needs_a_user_and_accepts_the_onetime_prefix(sb: Sandbox) -> None:
    onetime = next(i for i in _invoices(sb) if i["invoiceType"] == "OneTime")
    assert onetime["links"]["self"]["uri"] == f"/invoices/OneTime-{onetime['id']}"
    user = sb.user_token(MEGAN)
    assert sb.get(f"/v1/invoices/{onetime['id']}", auth=user).json()["id"] == onetime["id"]
    assert (
        sb.get(f"/v1/invoices/OneTime-{onetime['id']}", auth=user).json()["totalCharges"]
        == onetime["totalCharges"]
    )
    assert sb.get(f"/v1/invoices/{onetime['id']}").status_code == 403


def test_one_time_line_items_page_with_continuation_tokens(sb: Sandbox) -> None:
    big = sb.admin("GET", "info")["big_invoice"]
    assert big["line_items"] == 5000
    first = sb.get(
        f"/v1/invoices/{big['id']}/lineitems?provider=onetime&invoicelineitemtype=billinglineitems&size=2000"
    ).json()
    assert first["totalCount"] == 2000 and first["continuationToken"]
    item = first["items"][0]
    assert item["attributes"] == {"objectType": "OneTimeInvoiceLineItem"}
    assert item["billingProvider"] == "one_time" and item["invoiceLineItemType"] == "billing_line_items"
    assert item["invoiceNumber"] == big["id"] and item["reservationOrderId"]
    pages, page, total = [first], first, 0.0
    while "next" in page["links"]:
        link = page["links"]["next"]
        assert link["uri"].endswith("/lineitems/OneTime/BillingLineItems?seekOperation=Next")
        headers = {h["key"]: h["value"] for h in link["headers"]}
        page = sb.get("/v1" + link["uri"], headers=headers).json()
        pages.append(page)
    assert [p["totalCount"] for p in pages] == [2000, 2000, 1000]
    assert "continuationToken" not in pages[-1]
    total = sum(i["totalForCustomer"] for p in pages for i in p["items"])
    invoice = sb.get(f"/v1/invoices/{big['id']}", auth=sb.user_token(MEGAN)).json()
    assert total == pytest.approx(invoice["totalCharges"])


def test_line_item_path_form_is_case_insensitive(sb: Sandbox) -> None:
    big = sb.admin("GET", "info")["big_invoice"]["id"]
    upper = sb.get(f"/v1/invoices/OneTime-{big}/lineitems/OneTime/BillingLineItems?size=3").json()
    lower = sb.get(f"/v1/invoices/{big}/lineitems/onetime/billinglineitems?size=3").json()
    assert upper["items"] == lower["items"] and upper["totalCount"] == 3


def test_recurring_line_items_page_by_offset(sb: Sandbox) -> None:
    recurring = next(
        i for i in _invoices(sb) if i["invoiceType"] == "Recurring" and i["currencyCode"] == "USD"
    )
    providers = {(d["billingProvider"], d["invoiceLineItemType"]) for d in recurring["invoiceDetails"]}
    assert providers == {
        ("office", "billing_line_items"),
        ("azure", "billing_line_items"),
        ("azure", "usage_line_items"),
    }
    office = sb.get(
        f"/v1/invoices/{recurring['id']}/lineitems?provider=office&invoicelineitemtype=billinglineitems&size=2"
    ).json()
    assert office["items"][0]["attributes"]["objectType"] == "LicenseBasedLineItem"
    usage_path = f"/v1/invoices/{recurring['id']}/lineitems/Azure/UsageLineItems?size=50&offset=0"
    usage = sb.get(usage_path).json()
    assert usage["totalCount"] == 50 and usage["items"][0]["attributes"]["objectType"] == "DailyUsageLineItem"
    following = sb.get("/v1" + usage["links"]["next"]["uri"]).json()
    assert following["items"][0] != usage["items"][0]
    assert "offset=50" in usage["links"]["next"]["uri"]
    base = f"/v1/invoices/{recurring['id']}/lineitems"
    licences = sb.get(f"{base}/Office/BillingLineItems").json()["items"]
    azure = sb.get(f"{base}/Azure/BillingLineItems").json()["items"]
    charged = sum(i["totalForCustomer"] for i in licences) + sum(i["postTaxTotal"] for i in azure)
    assert charged == pytest.approx(recurring["totalCharges"])


def test_completed_orders_land_on_the_current_one_time_invoice(sb: Sandbox) -> None:
    offer = find_offer(sb)
    cart = create_cart(sb, offer)
    order = sb.post(f"/v1/customers/{offer.customer_id}/carts/{cart['id']}/checkout").json()["orders"][0]
    sb.advance(31)
    current = next(i for i in _invoices(sb) if i["invoiceType"] == "OneTime" and i["currencyCode"] == "USD")
    lines = sb.get(
        f"/v1/invoices/{current['id']}/lineitems?provider=onetime&invoicelineitemtype=billinglineitems"
    ).json()["items"]
    mine = [line for line in lines if line["orderId"] == order["id"]]
    assert len(mine) == 1 and mine[0]["customerId"] == offer.customer_id
    assert mine[0]["productId"] == offer.product_id and mine[0]["skuId"] == offer.sku_id


def test_statement_is_a_pdf_naming_the_invoice(sb: Sandbox) -> None:
    invoice = _invoices(sb)[0]["id"]
    response = sb.get(f"/v1/invoices/{invoice}/documents/statement", auth=sb.user_token(MEGAN))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == f"attachment; filename=Invoice_{invoice}.pdf"
    assert response.content.startswith(b"%PDF-") and response.content.rstrip().endswith(b"%%EOF")
    assert invoice.encode() in response.content
    assert sb.get(f"/v1/invoices/{invoice}/documents/statement").status_code == 403
