"""Each operation speaks the documented API: method, path, query, body, and the answer's model."""

from urllib.parse import parse_qs

import pytest

from partnercenter import (
    APP_USER_ONLY,
    OPERATIONS,
    AppUserRequired,
    BillingCycle,
    CartLineItem,
    DelegatedToken,
    EntitlementType,
    InventoryTarget,
    TargetView,
    carts,
    catalog,
    customers,
    entitlements,
    invoices,
    orders,
    subscriptions,
)
from partnercenter.models import Entitlement, OneTimeInvoiceLineItem

from . import samples
from .conftest import Reply

C = "5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11"
SUB = "3c2b1a09-8f7e-4d6c-b5a4-392817160504"
USER = DelegatedToken(
    access_token="user-token", expires_at=None, account_id="a", username="ana@partner.example"
)


def _query(seen):
    return {key: values[0] for key, values in parse_qs(seen.query).items()}


def test_the_app_user_only_operations_are_those_of_the_reference():
    assert {
        "get_order_provisioning_status",
        "list_entitlements",
        "list_invoice_summaries",
        "get_invoice",
        "get_invoice_statement",
    } <= APP_USER_ONLY
    assert "get_balance" not in APP_USER_ONLY and "list_invoices" not in APP_USER_ONLY
    posts = {name for name, op in OPERATIONS.items() if op.method == "POST"}
    assert posts == {"register_subscription", "check_inventory", "create_cart", "checkout_cart"}
    assert all(OPERATIONS[name].replayable for name in posts)


def test_list_customers_filters_by_company_name(server, pc):
    server.on("GET", "/v1/customers", Reply(json=samples.CUSTOMERS))
    found = list(customers.list_customers(pc, size=20, name_starts_with="Fabri"))
    assert [c.company_name for c in found] == ["Fabrikam Demo"]
    query = _query(server.seen[0])
    assert query["size"] == "20"
    assert query["filter"] == '{"Field": "CompanyName", "Value": "Fabri", "Operator": "starts_with"}'


def test_list_customers_filters_by_domain_but_not_by_both(server, pc):
    server.on("GET", "/v1/customers", Reply(json=samples.CUSTOMERS))
    list(customers.list_customers(pc, domain_starts_with="fabrikam"))
    assert '"Field": "Domain"' in _query(server.seen[0])["filter"]
    with pytest.raises(ValueError, match="not both"):
        customers.list_customers(pc, name_starts_with="a", domain_starts_with="b")


def test_get_customer(server, pc):
    server.on("GET", f"/v1/customers/{C}", Reply(json=samples.CUSTOMER))
    customer = customers.get_customer(pc, C)
    assert customer.country == "US"
    assert customer.meta.correlation_id == server.seen[0].headers["ms-correlationid"]


def test_subscriptions_and_azure_entitlements(server, pc):
    server.on("GET", f"/v1/customers/{C}/subscriptions", Reply(json=samples.SUBSCRIPTIONS))
    server.on(
        "GET",
        f"/v1/customers/{C}/subscriptions/{SUB}/azureEntitlements",
        Reply(json=samples.AZURE_ENTITLEMENTS),
    )
    assert [s.id for s in subscriptions.list_subscriptions(pc, C)] == [SUB]
    assert [e.id for e in subscriptions.list_azure_entitlements(pc, C, SUB)] == ["<azure-subscription-guid>"]


def test_register_returns_the_status_location_with_v1_handled(server, pc):
    location = f"/customers/{C}/subscriptions/{SUB}/registrationstatus"
    server.on(
        "POST",
        f"/v1/customers/{C}/subscriptions/{SUB}/registrations",
        Reply(202, headers={"Location": location}),
    )
    server.on("GET", f"/v1{location}", Reply(json=samples.REGISTRATION_STATUS))
    submitted = subscriptions.register_subscription(pc, C, SUB)
    assert submitted.status_location == location
    assert submitted.meta.status == 202
    assert server.seen[0].body == b""
    status = subscriptions.get_registration_status(pc, C, SUB)
    assert status.status.value == "registering"


def test_catalog_lists_send_country_view_segment_and_scope(server, pc):
    server.on("GET", "/v1/products", Reply(json=samples.PRODUCTS))
    server.on("GET", "/v1/products/DZH318Z0ABCD/skus", Reply(json=samples.SKUS))
    server.on("GET", "/v1/products/DZH318Z0ABCD/skus/00A1/availabilities", Reply(json=samples.AVAILABILITIES))
    products = list(
        catalog.list_products(
            pc,
            country="US",
            target_view=TargetView.AZURE_RESERVATIONS_VM,
            target_segment="commercial",
            reservation_scope=catalog.AZURE_PLAN,
        )
    )
    skus = list(catalog.list_skus(pc, "DZH318Z0ABCD", country="US", reservation_scope=catalog.AZURE_PLAN))
    availabilities = list(catalog.list_availabilities(pc, "DZH318Z0ABCD", "00A1", country="US"))
    assert products[0].id == "DZH318Z0ABCD" and skus[0].id == "00A1"
    assert availabilities[0].catalog_item_id == "DZH318Z0ABCD:00A1:DZH318Z0WXYZ"
    assert _query(server.seen[0]) == {
        "country": "US",
        "targetView": "AzureReservationsVM",
        "targetSegment": "commercial",
        "reservationScope": "AzurePlan",
    }
    assert _query(server.seen[1]) == {"country": "US", "reservationScope": "AzurePlan"}
    assert _query(server.seen[2]) == {"country": "US"}  # no scope: the MS-AZR-0145P set


def test_catalog_items_by_id(server, pc):
    server.on("GET", "/v1/products/DZH318Z0ABCD", Reply(json=samples.PRODUCTS["items"][0]))
    server.on("GET", "/v1/products/DZH318Z0ABCD/skus/00A1", Reply(json=samples.SKUS["items"][0]))
    server.on(
        "GET",
        "/v1/products/DZH318Z0ABCD/skus/00A1/availabilities/DZH318Z0WXYZ",
        Reply(json=samples.AVAILABILITIES["items"][0]),
    )
    assert catalog.get_product(pc, "DZH318Z0ABCD", country="US").title == "Virtual Machines Dsv5 Series"
    assert (
        catalog.get_sku(pc, "DZH318Z0ABCD", "00A1", country="US", reservation_scope="AzurePlan").is_trial
        is False
    )
    assert catalog.get_availability(pc, "DZH318Z0ABCD", "00A1", "DZH318Z0WXYZ", country="US").sku_id == "00A1"
    catalog.get_availability(
        pc, "DZH318Z0ABCD", "00A1", "DZH318Z0WXYZ", country="US", reservation_scope="AzurePlan"
    )
    assert [s.query for s in server.seen] == [
        "country=US",
        "country=US&reservationScope=AzurePlan",
        "country=US",
        "country=US&reservationScope=AzurePlan",
    ]


def test_ids_are_percent_encoded_in_paths(server, pc):
    server.on("GET", "/v1/products/A%2FB", Reply(json={"id": "A/B"}))
    assert catalog.get_product(pc, "A/B", country="US").id == "A/B"


def test_check_inventory_posts_the_documented_body_and_reads_a_bare_array(server, pc):
    server.on("POST", "/v1/extensions/product/checkinventory", Reply(json=samples.INVENTORY_RESPONSE))
    items = catalog.check_inventory(
        pc,
        country="US",
        targets=[InventoryTarget("DZH318Z0ABCD"), InventoryTarget("DZH318Z0ABCD", "00A1")],
        customer_id=C,
        azure_subscription_id="7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2910",
        arm_region_name="eastus",
    )
    assert [item.is_restricted for item in items] == [False, True]
    assert server.seen[0].query == "country=US"
    assert server.seen[0].json() == {
        **samples.INVENTORY_REQUEST,
        "inventoryContext": {**samples.INVENTORY_REQUEST["inventoryContext"], "customerId": C},
    }


def test_create_cart_posts_camel_case_line_items(server, pc):
    server.on("POST", f"/v1/customers/{C}/carts", Reply(201, json=samples.CART))
    line = CartLineItem(
        id=0,
        catalog_item_id="DZH318Z0ABCD:00A1:DZH318Z0WXYZ",
        friendly_name="RI D4s v5 eastus 1y",
        quantity=2,
        billing_cycle=BillingCycle.ONE_TIME,
        term_duration="P1Y",
        provisioning_context={"subscriptionId": SUB, "scope": "shared", "duration": "1Year"},
    )
    cart = carts.create_cart(pc, C, [line])
    assert server.seen[0].json() == samples.CART_REQUEST
    assert cart.id == "6f0e9d8c-7b6a-4594-8382-7160f5e4d3c2"
    assert cart.meta.status == 201


def test_update_get_and_checkout_a_cart(server, pc):
    cart_path = f"/v1/customers/{C}/carts/{samples.CART['id']}"
    server.on("PUT", cart_path, Reply(201, json=samples.CART))  # the docs show 201 for a PUT
    server.on("GET", cart_path, Reply(json=samples.CART))
    server.on("POST", f"{cart_path}/checkout", Reply(201, json=samples.CHECKOUT_RESULT))
    cart = carts.get_cart(pc, C, samples.CART["id"])
    updated = carts.update_cart(pc, C, cart)
    result = carts.checkout_cart(pc, C, cart.id)
    assert updated.id == cart.id
    put = server.seen[1]
    assert put.method == "PUT" and put.json()["id"] == cart.id and put.json()["lineItems"][0]["quantity"] == 2
    assert server.seen[2].body == b""
    assert result.orders[0].id == "b7c6d5e4f3a2" and result.order_errors[0].code == "800010"


def test_orders_by_id_all_and_by_billing_cycle(server, pc):
    server.on("GET", f"/v1/customers/{C}/orders/b7c6d5e4f3a2", Reply(json=samples.ORDER))
    server.on("GET", f"/v1/customers/{C}/orders", Reply(json={"totalCount": 1, "items": [samples.ORDER]}))
    assert orders.get_order(pc, C, "b7c6d5e4f3a2").status.value == "completed"
    assert len(list(orders.list_orders(pc, C))) == 1
    assert len(list(orders.list_orders_by_billing_cycle(pc, C, BillingCycle.ONE_TIME))) == 1
    list(orders.list_orders_by_billing_cycle(pc, C, "monthly", include_price=True))
    assert [s.query for s in server.seen] == [
        "",
        "",
        "billingType=onetime",
        "billingType=monthly&include_price=true",
    ]


def test_provisioning_status_is_app_user_only(server, pc):
    path = f"/v1/customers/{C}/orders/b7c6d5e4f3a2/provisioningstatus"
    server.on(
        "GET",
        path,
        Reply(403, json={"code": "403", "description": "forbidden"}),
        Reply(json=samples.PROVISIONING_STATUS),
    )
    with pytest.raises(AppUserRequired):
        orders.get_order_provisioning_status(pc, C, "b7c6d5e4f3a2")
    statuses = orders.get_order_provisioning_status(pc, C, "b7c6d5e4f3a2", token=USER)
    assert statuses[0].status.value == "fulfilled"
    assert server.seen[-1].headers["authorization"] == "Bearer user-token"


def test_entitlements_and_the_reservation_details_behind_them(server, pc):
    server.on("GET", f"/v1/customers/{C}/entitlements", Reply(json=samples.ENTITLEMENTS))
    found = list(
        entitlements.list_entitlements(
            pc, C, entitlement_type=EntitlementType.RESERVED_INSTANCE, show_expiry=True, token=USER
        )
    )
    assert isinstance(found[0], Entitlement)
    assert _query(server.seen[0]) == {"entitlementType": "reservedInstance", "showExpiry": "true"}

    artifact = found[0].entitled_artifacts[0]
    server.on("GET", "/v1" + artifact.link.uri, Reply(json=samples.RESERVATION_DETAILS))
    details = entitlements.get_reservation_details(pc, artifact, token=USER)
    assert details.reservations[0].reservation_id == "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"
    assert server.seen[-1].path == "/v1" + artifact.link.uri


def test_balance_summaries_invoices_and_one_invoice(server, pc):
    server.on("GET", "/v1/invoices/summary", Reply(json=samples.BALANCE))
    server.on("GET", "/v1/invoices/summaries", Reply(json={"totalCount": 1, "items": [samples.BALANCE]}))
    server.on("GET", "/v1/invoices", Reply(json=dict(samples.INVOICES, links={})))
    server.on("GET", "/v1/invoices/G000123456", Reply(json=samples.INVOICES["items"][0]))
    assert invoices.get_balance(pc).currency_code == "USD"
    assert [s.currency_code for s in invoices.list_invoice_summaries(pc, token=USER)] == ["USD"]
    assert [i.id for i in invoices.list_invoices(pc)] == ["G000123456"]
    assert invoices.get_invoice(pc, "G000123456", token=USER).invoice_type.value == "one_time"


def test_one_time_line_items_are_asked_for_as_documented(server, pc):
    server.on("GET", "/v1/invoices/G000123456/lineitems", Reply(json=samples.ONE_TIME_LINE_ITEMS))
    server.on(
        "GET",
        "/v1/invoices/G000123456/lineitems/OneTime/BillingLineItems",
        Reply(json={"totalCount": 0, "items": [], "links": {}}),
    )
    lines = list(invoices.iter_invoice_line_items(pc, "G000123456"))
    assert all(isinstance(line, OneTimeInvoiceLineItem) for line in lines) and len(lines) == 1
    assert _query(server.seen[0]) == {
        "provider": "onetime",
        "invoicelineitemtype": "billinglineitems",
        "size": "2000",
    }
    assert (
        server.seen[1].url == "/v1/invoices/G000123456/lineitems/OneTime/BillingLineItems?seekOperation=Next"
    )
    assert server.seen[1].headers["ms-continuationtoken"] == "opaque-token-abc123"


def test_line_item_pages_are_at_most_2000(pc):
    with pytest.raises(ValueError, match="2000"):
        invoices.iter_invoice_line_items(pc, "G1", size=2001)


def test_the_statement_streams_as_pdf_in_chunks(server, pc):
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 1024
    server.on(
        "GET",
        "/v1/invoices/G000123456/documents/statement",
        Reply(
            body=pdf,
            headers={
                "Content-Type": "application/pdf",
                "Content-Disposition": "attachment; filename=Invoice_G000123456.pdf",
            },
        ),
    )
    statement = invoices.stream_invoice_statement(pc, "G000123456", token=USER, chunk_size=16 * 1024)
    assert statement.content_type == "application/pdf"
    assert statement.filename == "Invoice_G000123456.pdf"
    chunks = list(statement)
    assert len(chunks) > 1 and all(len(chunk) <= 16 * 1024 for chunk in chunks)
    assert b"".join(chunks) == pdf
    assert server.seen[0].headers["accept"] == "application/pdf"


def test_a_statement_without_a_file_name_gets_the_documented_one(server, pc):
    server.on(
        "GET",
        "/v1/invoices/G1/documents/statement",
        Reply(
            body=b"%PDF",
            headers={
                "Content-Type": "application/pdf",
                "Content-Disposition": 'attachment; filename="../../x"',
            },
        ),
        Reply(body=b"%PDF", headers={"Content-Type": "application/pdf"}),
    )
    with invoices.stream_invoice_statement(pc, "G1", token=USER) as statement:
        assert statement.filename == "x"  # never a path
    assert invoices.stream_invoice_statement(pc, "G1", token=USER).filename == "Invoice_G1.pdf"


def test_a_refused_statement_is_an_error_not_a_pdf(server, pc):
    server.on(
        "GET", "/v1/invoices/G1/documents/statement", Reply(403, json={"code": "403", "description": "no"})
    )
    with pytest.raises(AppUserRequired):
        invoices.stream_invoice_statement(pc, "G1")
