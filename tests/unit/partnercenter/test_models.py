"""Every JSON sample of the reference parses into its model, and nothing the service may add breaks one."""

import copy
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from partnercenter import models
from partnercenter.enums import (
    BillingCycle,
    BillingProvider,
    CartErrorCode,
    CartStatus,
    DocumentType,
    EntitlementType,
    InvoiceLineItemType,
    InvoiceType,
    LineItemTransactionType,
    OrderStatus,
    OrderTransactionType,
    ProvisioningStatus,
    RegistrationState,
    SubscriptionStatus,
)
from partnercenter.models import (
    Availability,
    AzureEntitlement,
    Cart,
    CartCheckoutResult,
    CartLineItem,
    Customer,
    Entitlement,
    InventoryItem,
    Invoice,
    InvoiceLineItem,
    InvoiceSummary,
    LicenseBasedLineItem,
    OneTimeInvoiceLineItem,
    Order,
    OrderLineItemProvisioningStatus,
    Product,
    RegistrationStatus,
    ReservationDetails,
    Sku,
    Subscription,
    parse_invoice_line_item,
)

from . import samples


def test_a_customer_list_item_and_a_customer_by_id_parse():
    listed = Customer.from_json(samples.CUSTOMERS["items"][0])
    assert listed.id == "5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11"
    assert listed.company_name == "Fabrikam Demo"
    assert listed.domain == "fabrikamdemo.onmicrosoft.com"
    assert listed.relationship_to_partner == "reseller"
    assert listed.country is None  # the list does not carry addresses

    customer = Customer.from_json(samples.CUSTOMER)
    assert customer.commerce_id == "0d3f9c1e-7b21-4a55-8c2e-6a1b9e4f7c20"
    assert customer.country == "US"
    assert customer.billing_profile.default_address.state == "WA"
    assert customer.company_profile.email == "it@fabrikamdemo.example"
    assert customer.allow_delegated_access is True
    assert customer.custom_domains == ("fabrikamdemo.onmicrosoft.com",)
    assert customer.links["self"].uri == "/customers/5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11"


def test_a_subscription_parses_with_its_enums_and_links():
    sub = Subscription.from_json(samples.SUBSCRIPTIONS["items"][0])
    assert sub.offer_name == "Azure plan"
    assert sub.status is SubscriptionStatus.ACTIVE
    assert sub.billing_cycle is BillingCycle.MONTHLY
    assert sub.product_type.id == "Azure"
    assert sub.creation_date == datetime(2024, 2, 1, 10, 0, tzinfo=UTC)
    assert sub.term_duration is None  # "" on the wire
    assert sub.links["availability"].uri.endswith("/availabilities/DZH318Z0WXYZ?country=US")


def test_azure_entitlements_and_registration_status_parse():
    entitlement = AzureEntitlement.from_json(samples.AZURE_ENTITLEMENTS["items"][0])
    assert entitlement.id == "<azure-subscription-guid>"
    assert entitlement.subscription_id == "<azure-plan-subscription-id>"
    assert entitlement.status is SubscriptionStatus.ACTIVE

    status = RegistrationStatus.from_json(samples.REGISTRATION_STATUS)
    assert status.status is RegistrationState.REGISTERING
    assert not status.is_registered


@pytest.mark.parametrize(
    ("wire", "state"),
    [
        ("Registered", RegistrationState.REGISTERED),
        ("registered", RegistrationState.REGISTERED),
        ("NotRegistered", RegistrationState.NOT_REGISTERED),
        ("notregistered", RegistrationState.NOT_REGISTERED),
        ("REGISTERING", RegistrationState.REGISTERING),
    ],
)
def test_registration_status_is_read_in_every_documented_casing(wire, state):
    assert RegistrationStatus.from_json({"subscriptionId": "s", "status": wire}).status is state


def test_products_and_skus_parse():
    product = Product.from_json(samples.PRODUCTS["items"][0])
    assert product.title == "Virtual Machines Dsv5 Series"
    assert product.product_type.sub_type.id == "VirtualMachines"
    assert product.links["skus"].uri == "/products/DZH318Z0ABCD/skus?country=US"

    sku = Sku.from_json(samples.SKUS["items"][0])
    assert sku.supported_billing_cycles == (BillingCycle.ONE_TIME,)
    assert sku.requires_inventory_check and sku.requires_registration
    assert sku.inventory_variables == ("CustomerId", "AzureSubscriptionId")
    assert sku.attribute("ARMREGIONNAME") == "eastus"
    assert sku.maximum_quantity == 999999999


def test_availability_parses_and_accepts_default_currency_as_object_or_string():
    availability = Availability.from_json(samples.AVAILABILITIES["items"][0])
    assert availability.catalog_item_id == "DZH318Z0ABCD:00A1:DZH318Z0WXYZ"
    assert availability.default_currency.code == "USD" and availability.default_currency.symbol == "$"
    assert availability.terms[0].duration == "P1Y"
    assert availability.sku.id == "00A1" and availability.product.id == "DZH318Z0ABCD"
    assert availability.is_purchasable is True

    as_string = dict(samples.AVAILABILITIES["items"][0], defaultCurrency="EUR", segment="Commercial")
    parsed = Availability.from_json(as_string)
    assert parsed.default_currency.code == "EUR" and parsed.default_currency.symbol is None
    assert parsed.segment == "commercial"


def test_inventory_items_parse_with_their_restrictions():
    free, restricted = (InventoryItem.from_json(item) for item in samples.INVENTORY_RESPONSE)
    assert not free.is_restricted and free.restrictions == ()
    assert restricted.is_restricted
    assert restricted.restrictions[0].reason_code == "NotAvailableForSubscription"
    assert restricted.restrictions[0].properties == {"type": "Location", "values": "westindia"}


def test_a_cart_parses_and_its_timestamps_keep_seven_digit_fractions():
    cart = Cart.from_json(samples.CART)
    assert cart.status is CartStatus.ACTIVE
    assert cart.creation_timestamp == datetime(2025, 1, 15, 9, 30, 0, 123456, tzinfo=UTC)
    assert cart.expiration_timestamp.date().isoformat() == "2025-01-22"
    line = cart.line_items[0]
    assert line.id == 0 and line.quantity == 2 and line.order_group == "0"
    assert line.billing_cycle is BillingCycle.ONE_TIME
    assert line.provisioning_context == {
        "subscriptionId": "3c2b1a09-8f7e-4d6c-b5a4-392817160504",
        "scope": "shared",
        "duration": "1Year",
    }
    assert cart.line_errors == ()


def test_the_timestamp_names_of_the_resource_table_are_read_too():
    table_spelling = {"id": "c", "creationTimeStamp": "2025-01-15T09:30:00Z", "status": "Ordered"}
    cart = Cart.from_json(table_spelling)
    assert cart.creation_timestamp == datetime(2025, 1, 15, 9, 30, tzinfo=UTC)
    assert cart.status is CartStatus.ORDERED


def test_a_cart_line_builds_the_documented_request_body():
    line = CartLineItem.from_json(samples.CART_REQUEST["lineItems"][0])
    assert line.to_json() == samples.CART_REQUEST["lineItems"][0]
    assert Cart(line_items=(line,)).to_json() == samples.CART_REQUEST


def test_an_updated_cart_sends_back_its_id_and_timestamps_as_read_but_not_line_errors():
    body = copy.deepcopy(samples.CART)
    body["lineItems"][0]["error"] = {"errorCode": "InventoryNotAvailable", "errorDescription": "none left"}
    cart = Cart.from_json(body)
    sent = cart.to_json()
    assert sent["id"] == body["id"]
    assert sent["creationTimestamp"] == "2025-01-15T09:30:00.1234567Z"  # exactly as the service wrote it
    assert "error" not in sent["lineItems"][0]
    assert sent["lineItems"][0]["orderGroup"] == "0"


@pytest.mark.parametrize("wire", ["SubscriptionNotRegistered", "subscription_not_registered", 10011, "10011"])
def test_a_cart_line_error_code_is_read_as_name_snake_case_or_number(wire):
    line = CartLineItem.from_json({"id": 0, "error": {"errorCode": wire, "errorDescription": "x"}})
    assert line.error.error_code is CartErrorCode.SUBSCRIPTION_NOT_REGISTERED


def test_a_checkout_result_with_partial_success_parses():
    result = CartCheckoutResult.from_json(samples.CHECKOUT_RESULT)
    order = result.orders[0]
    assert order.status is OrderStatus.PENDING
    assert order.transaction_type is OrderTransactionType.USER_PURCHASE
    assert order.line_items[0].transaction_type is LineItemTransactionType.NEW
    assert order.line_items[0].subscription_id is None  # not provisioned yet
    assert order.links["provisioningStatus"].uri.endswith("/orders/b7c6d5e4f3a2/provisioningstatus")
    assert result.order_errors[0].code == "800010" and result.order_errors[0].order_group_id == "1"


def test_an_order_and_its_provisioning_status_parse():
    order = Order.from_json(samples.ORDER)
    assert order.status is OrderStatus.COMPLETED
    assert order.billing_cycle is BillingCycle.ONE_TIME
    assert order.line_items[0].subscription_id == "8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968"
    assert order.currency_code == "USD"

    status = OrderLineItemProvisioningStatus.from_json(samples.PROVISIONING_STATUS["items"][0])
    assert status.status is ProvisioningStatus.FULFILLED
    assert status.quantity_provisioning_information[0].quantity == 2


def test_an_entitlement_parses_and_its_artifacts_carry_the_dynamic_attributes():
    entitlement = Entitlement.from_json(samples.ENTITLEMENTS["items"][0])
    assert entitlement.entitlement_type is EntitlementType.RESERVED_INSTANCE
    assert entitlement.reference_order.line_item_id == "0"
    assert entitlement.expiry_date == datetime(2026, 1, 15, tzinfo=UTC)
    artifact = entitlement.entitled_artifacts[0]
    assert artifact.resource_id == "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
    assert artifact.link.uri.startswith(
        "/customers/5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11/artifacts/reservedinstance/"
    )
    assert artifact.reservation_type == "virtualmachines"


def test_entitlement_dynamic_attributes_placed_on_the_entitlement_reach_its_artifacts():
    item = copy.deepcopy(samples.ENTITLEMENTS["items"][0])
    item["dynamicAttributes"] = item["entitledArtifacts"][0].pop("dynamicAttributes")
    entitlement = Entitlement.from_json(item)
    assert entitlement.entitled_artifacts[0].reservation_type == "virtualmachines"


def test_reservation_details_parse_under_either_documented_name():
    details = ReservationDetails.from_json(samples.RESERVATION_DETAILS)
    reservation = details.reservations[0]
    assert reservation.display_name == "RI_D4s_v5_eastus"
    assert reservation.expiry_date_time == datetime(2026, 1, 15, tzinfo=UTC)  # no zone: read as UTC
    assert reservation.quantity == 2

    legacy = dict(samples.RESERVATION_DETAILS, type="virtual_machine_reserved_instance")
    legacy["virtualMachineReservations"] = legacy.pop("reservations")
    assert ReservationDetails.from_json(legacy).reservations == details.reservations


def test_the_balance_parses_and_the_year_one_date_means_none():
    summary = InvoiceSummary.from_json(samples.BALANCE)
    assert summary.balance_amount == Decimal("12500.75")
    assert summary.last_payment_amount == Decimal(8000)
    recurring, one_time = summary.details
    assert recurring.invoice_type is InvoiceType.RECURRING
    assert one_time.invoice_type is InvoiceType.ONE_TIME
    assert one_time.summary.balance_amount == Decimal("8200.50")
    assert one_time.summary.last_payment_date is None  # "0001-01-01T00:00:00"


def test_an_invoice_parses():
    invoice = Invoice.from_json(samples.INVOICES["items"][0])
    assert invoice.total_charges == Decimal("8200.5")
    assert invoice.document_type is DocumentType.INVOICE
    assert invoice.invoice_type is InvoiceType.ONE_TIME
    detail = invoice.invoice_details[0]
    assert detail.billing_provider is BillingProvider.ONE_TIME
    assert detail.invoice_line_item_type is InvoiceLineItemType.BILLING_LINE_ITEMS
    assert invoice.tax_receipts[0].pdf_download_link.endswith("/receipts/555001/documents/statement")


def test_a_one_time_line_item_parses_into_its_kind():
    line = parse_invoice_line_item(samples.ONE_TIME_LINE_ITEMS["items"][0])
    assert isinstance(line, OneTimeInvoiceLineItem)
    assert line.reservation_order_id == "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
    assert line.total_for_customer == Decimal("2400.0")
    assert line.quantity == 2
    assert line.charge_type == "new"
    assert line.order_date == datetime(2025, 1, 15, 9, 31, 10, tzinfo=UTC)


def test_money_sent_as_strings_reads_the_same_as_numbers():
    as_strings = dict(
        samples.ONE_TIME_LINE_ITEMS["items"][0],
        unitPrice="1200",
        subtotal="2400.00",
        taxTotal="",
        quantity="2",
    )
    line = parse_invoice_line_item(as_strings)
    assert line.unit_price == Decimal(1200)
    assert line.subtotal == Decimal("2400.00")
    assert line.tax_total is None
    assert line.quantity == 2


def test_the_2019_one_time_line_sample_names_its_publisher_provider():
    old = {
        "invoiceLineItemType": "billing_line_items",
        "billingProvider": "one_time",
        "providerName": "Contoso",
    }
    assert parse_invoice_line_item(old).publisher_name == "Contoso"


def test_line_items_of_other_kinds_and_unknown_kinds_parse():
    office = parse_invoice_line_item(
        {
            "invoiceLineItemType": "billing_line_items",
            "billingProvider": "office",
            "amount": 12.5,
            "tax": "1.25",
        }
    )
    assert (
        isinstance(office, LicenseBasedLineItem)
        and office.amount == Decimal("12.5")
        and office.tax == Decimal("1.25")
    )
    usage = parse_invoice_line_item(
        {"invoiceLineItemType": "usage_line_items", "billingProvider": "azure", "consumedQuantity": 0}
    )
    assert type(usage).__name__ == "DailyUsageLineItem" and usage.consumed_quantity == 0

    future = {"invoiceLineItemType": "credit_line_items", "billingProvider": "spaceship", "amount": 1}
    line = parse_invoice_line_item(future)
    assert type(line) is InvoiceLineItem
    assert line.billing_provider.value == "spaceship" and not line.billing_provider.is_known
    assert line.raw["amount"] == 1


def test_unknown_fields_are_kept_and_never_break_a_model():
    data = dict(samples.ORDER, brandNewField={"nested": [1, 2]}, status="completed")
    order = Order.from_json(data)
    assert order.raw["brandNewField"] == {"nested": [1, 2]}
    assert order.status is OrderStatus.COMPLETED


@pytest.mark.parametrize(
    ("model", "sample"),
    [
        (Customer, samples.CUSTOMER),
        (Subscription, samples.SUBSCRIPTIONS["items"][0]),
        (Sku, samples.SKUS["items"][0]),
        (Availability, samples.AVAILABILITIES["items"][0]),
        (Cart, samples.CART),
        (Order, samples.ORDER),
        (Entitlement, samples.ENTITLEMENTS["items"][0]),
        (Invoice, samples.INVOICES["items"][0]),
        (InvoiceSummary, samples.BALANCE),
    ],
)
def test_missing_fields_and_wrong_types_give_empty_values_not_errors(model, sample):
    assert model.from_json({}) == model()
    assert model.from_json(None) == model()
    scrambled = {key: [] if isinstance(value, str) else "??" for key, value in sample.items()}
    model.from_json(scrambled)  # no exception is the point


def test_an_unknown_enum_value_keeps_its_wire_spelling():
    order = Order.from_json(dict(samples.ORDER, status="awaitingTelepathy", billingCycle="quadrennial"))
    assert order.status == "awaitingTelepathy"
    assert not order.status.is_known
    assert isinstance(order.status, OrderStatus)
    assert str(order.billing_cycle) == "quadrennial"
    assert OrderStatus.COMPLETED.is_known


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("2025-01-15T09:30:00Z", datetime(2025, 1, 15, 9, 30, tzinfo=UTC)),
        ("2025-01-15T09:30:00.1234567Z", datetime(2025, 1, 15, 9, 30, 0, 123456, tzinfo=UTC)),
        ("2018-03-06T17:37:05.253-08:00", datetime(2018, 3, 7, 1, 37, 5, 253000, tzinfo=UTC)),
        ("2018-03-16T00:00:00", datetime(2018, 3, 16, tzinfo=UTC)),
        ("0001-01-01T00:00:00", None),
        ("0001-01-01T00:00:00Z", None),
        ("", None),
        ("not a date", None),
        (None, None),
        (20250115, None),
    ],
)
def test_dates_are_read_leniently(wire, expected):
    assert models.parse_datetime(wire) == expected


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (12500.75, Decimal("12500.75")),
        ("16", Decimal(16)),
        (0, Decimal(0)),
        ("", None),
        ("n/a", None),
        (True, None),
    ],
)
def test_money_is_a_decimal_from_a_number_or_a_string(wire, expected):
    assert models.parse_decimal(wire) == expected


def test_field_names_match_whatever_their_case():
    cart = Cart.from_json({"Id": "c1", "LineItems": [{"Id": 0, "CatalogItemId": "p:s:a", "Quantity": 1}]})
    assert cart.id == "c1"
    assert cart.line_items[0].catalog_item_id == "p:s:a"


def test_link_headers_are_read_from_the_documented_array():
    link = models.Link.from_json(samples.ONE_TIME_LINE_ITEMS["links"]["next"])
    assert link.header("ms-continuationtoken") == "opaque-token-abc123"
    assert link.method == "GET"
