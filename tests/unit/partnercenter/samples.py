"""The JSON samples of the Partner Center API reference (partner-center-api.md, §4 and §6), pasted verbatim.

Each is kept as the text the reference shows and parsed once, so a test reads exactly what the docs print.
"""

# ruff: noqa: E501  (verbatim samples keep their own line lengths)

import json

ERROR_BODY = json.loads(
    r"""
{"code": "800013", "description": "This subscription isn't enabled for RI purchase", "data": [], "source": "PartnerFD"}
"""
)

CUSTOMERS = json.loads(
    r"""
{
  "totalCount": 1,
  "items": [
    {
      "id": "5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11",
      "companyProfile": {
        "tenantId": "5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11",
        "domain": "fabrikamdemo.onmicrosoft.com",
        "companyName": "Fabrikam Demo",
        "attributes": {"objectType": "CustomerCompanyProfile"}
      },
      "relationshipToPartner": "reseller",
      "attributes": {"objectType": "Customer"}
    }
  ],
  "links": {"self": {"uri": "/v1/customers?size=20", "method": "GET", "headers": []}},
  "attributes": {"objectType": "Collection"}
}
"""
)

CUSTOMER = json.loads(
    r"""
{
  "id": "5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11",
  "commerceId": "0d3f9c1e-7b21-4a55-8c2e-6a1b9e4f7c20",
  "companyProfile": {
    "tenantId": "5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11",
    "domain": "fabrikamdemo.onmicrosoft.com",
    "companyName": "Fabrikam Demo",
    "address": {"country": "US", "region": "wa", "city": "Seattle", "addressLine1": "1 Demo Way", "postalCode": "98101", "phoneNumber": "2065550100"},
    "email": "it@fabrikamdemo.example",
    "links": {"self": {"uri": "/customers/5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11/profiles/company", "method": "GET", "headers": []}},
    "attributes": {"objectType": "CustomerCompanyProfile"}
  },
  "billingProfile": {
    "id": "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a",
    "firstName": "Ana", "lastName": "Ruiz", "email": "ana@fabrikamdemo.example",
    "culture": "en-US", "language": "en", "companyName": "Fabrikam Demo",
    "defaultAddress": {"country": "US", "city": "Seattle", "state": "WA", "addressLine1": "1 Demo Way", "postalCode": "98101", "firstName": "Ana", "lastName": "Ruiz", "phoneNumber": "2065550100"},
    "links": {"self": {"uri": "/customers/5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11/profiles/billing", "method": "GET", "headers": []}},
    "attributes": {"etag": "-1234567890123456789", "objectType": "CustomerBillingProfile"}
  },
  "relationshipToPartner": "reseller",
  "allowDelegatedAccess": true,
  "customDomains": ["fabrikamdemo.onmicrosoft.com"],
  "links": {"self": {"uri": "/customers/5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11", "method": "GET", "headers": []}},
  "attributes": {"objectType": "Customer"}
}
"""
)

SUBSCRIPTIONS = json.loads(
    r"""
{
  "totalCount": 1,
  "items": [
    {
      "id": "3c2b1a09-8f7e-4d6c-b5a4-392817160504",
      "offerId": "DZH318Z0ABCD:0001:DZH318Z0WXYZ",
      "offerName": "Azure plan",
      "friendlyName": "Azure plan",
      "productType": {"id": "Azure", "displayName": "Azure"},
      "quantity": 1,
      "unitType": "Usage-based",
      "hasPurchasableAddons": false,
      "creationDate": "2024-02-01T10:00:00Z",
      "effectiveStartDate": "2024-02-01T00:00:00Z",
      "commitmentEndDate": "9999-12-14T00:00:00Z",
      "status": "active",
      "autoRenewEnabled": false,
      "isTrial": false,
      "billingType": "usage",
      "billingCycle": "monthly",
      "termDuration": "",
      "renewalTermDuration": "",
      "isMicrosoftProduct": true,
      "partnerId": "",
      "attentionNeeded": false,
      "actionTaken": false,
      "contractType": "subscription",
      "links": {
        "product": {"uri": "/products/DZH318Z0ABCD?country=US", "method": "GET", "headers": []},
        "sku": {"uri": "/products/DZH318Z0ABCD/skus/0001?country=US", "method": "GET", "headers": []},
        "availability": {"uri": "/products/DZH318Z0ABCD/skus/0001/availabilities/DZH318Z0WXYZ?country=US", "method": "GET", "headers": []},
        "self": {"uri": "/customers/5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11/subscriptions/3c2b1a09-8f7e-4d6c-b5a4-392817160504", "method": "GET", "headers": []}
      },
      "publisherName": "Microsoft",
      "orderId": "a1b2c3d4e5f6",
      "attributes": {"etag": "eyJ2ZXJzaW9uIjozfQ==", "objectType": "Subscription"}
    }
  ],
  "links": {"self": {"uri": "/customers/5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11/subscriptions", "method": "GET", "headers": []}},
  "attributes": {"objectType": "Collection"}
}
"""
)

REGISTRATION_STATUS = json.loads(
    r"""
{"subscriptionId": "3c2b1a09-8f7e-4d6c-b5a4-392817160504", "status": "Registering", "attributes": {"objectType": "SubscriptionRegistrationStatus"}}
"""
)

PRODUCTS = json.loads(
    r"""
{
  "totalCount": 1,
  "items": [
    {
      "id": "DZH318Z0ABCD",
      "title": "Virtual Machines Dsv5 Series",
      "description": "Reserved capacity for Dsv5 virtual machines.",
      "productType": {"id": "Azure", "displayName": "Azure", "subType": {"id": "VirtualMachines", "displayName": "VirtualMachines"}},
      "isMicrosoftProduct": true,
      "publisherName": "Microsoft",
      "links": {
        "skus": {"uri": "/products/DZH318Z0ABCD/skus?country=US", "method": "GET", "headers": []},
        "self": {"uri": "/products/DZH318Z0ABCD?country=US", "method": "GET", "headers": []}
      }
    }
  ],
  "links": {"self": {"uri": "/products?country=US&targetView=AzureReservationsVM", "method": "GET", "headers": []}},
  "attributes": {"objectType": "Collection"}
}
"""
)

SKUS = json.loads(
    r"""
{
  "totalCount": 1,
  "items": [
    {
      "id": "00A1",
      "productId": "DZH318Z0ABCD",
      "title": "Reserved VM Instance, Standard_D4s_v5, US East, 1 Year",
      "description": "Reserved Virtual Machines Instance, Standard_D4s_v5, US East, 1 Year",
      "minimumQuantity": 1,
      "maximumQuantity": 999999999,
      "isTrial": false,
      "supportedBillingCycles": ["one_time"],
      "purchasePrerequisites": ["AzureSubscriptionRegistration", "InventoryCheck"],
      "inventoryVariables": ["CustomerId", "AzureSubscriptionId"],
      "provisioningVariables": ["Scope", "SubscriptionId"],
      "dynamicAttributes": {
        "armSkuName": "Standard_D4s_v5", "cores": "4", "ram": "16", "skuDisplayName": "D4s v5",
        "category": "General purpose", "armRegionName": "eastus", "duration": "1Year",
        "region": "US East", "diskType": "Ssd"
      },
      "links": {
        "availabilities": {"uri": "/products/DZH318Z0ABCD/skus/00A1/availabilities?country=US", "method": "GET", "headers": []},
        "self": {"uri": "/products/DZH318Z0ABCD/skus/00A1?country=US", "method": "GET", "headers": []}
      }
    }
  ],
  "links": {"self": {"uri": "/products/DZH318Z0ABCD/skus?country=US", "method": "GET", "headers": []}},
  "attributes": {"objectType": "Collection"}
}
"""
)

INVENTORY_REQUEST = json.loads(
    r"""
{
  "targetItems": [ {"productId": "DZH318Z0ABCD"}, {"productId": "DZH318Z0ABCD", "skuId": "00A1"} ],
  "inventoryContext": {
    "customerId": "5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11",
    "azureSubscriptionId": "7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2910",
    "armRegionName": "eastus"
  }
}
"""
)

INVENTORY_RESPONSE = json.loads(
    r"""
[
  {"productId": "DZH318Z0ABCD", "skuId": "00A1", "isRestricted": false, "restrictions": []},
  {"productId": "DZH318Z0ABCD", "skuId": "00A2", "isRestricted": true,
   "restrictions": [{"reasonCode": "NotAvailableForSubscription",
                     "description": "Restricted for location 'westindia'.",
                     "properties": {"type": "Location", "values": "westindia"}}]}
]
"""
)

AVAILABILITIES = json.loads(
    r"""
{
  "totalCount": 1,
  "items": [
    {
      "id": "DZH318Z0WXYZ",
      "productId": "DZH318Z0ABCD",
      "skuId": "00A1",
      "catalogItemId": "DZH318Z0ABCD:00A1:DZH318Z0WXYZ",
      "defaultCurrency": {"code": "USD", "symbol": "$"},
      "segment": "commercial",
      "country": "US",
      "isPurchasable": true,
      "isRenewable": false,
      "terms": [{"duration": "P1Y", "description": "1 Year Prepaid"}],
      "product": {"id": "DZH318Z0ABCD", "title": "...", "...": "..."},
      "sku": {"id": "00A1", "productId": "DZH318Z0ABCD", "...": "..."},
      "links": {"self": {"uri": "/products/DZH318Z0ABCD/skus/00A1/availabilities/DZH318Z0WXYZ?country=US", "method": "GET", "headers": []}}
    }
  ],
  "links": {"self": {"uri": "/products/DZH318Z0ABCD/skus/00A1/availabilities?country=US", "method": "GET", "headers": []}},
  "attributes": {"objectType": "Collection"}
}
"""
)

CART_REQUEST = json.loads(
    r"""
{
  "lineItems": [
    {
      "id": 0,
      "catalogItemId": "DZH318Z0ABCD:00A1:DZH318Z0WXYZ",
      "friendlyName": "RI D4s v5 eastus 1y",
      "quantity": 2,
      "billingCycle": "one_time",
      "termDuration": "P1Y",
      "provisioningContext": {
        "subscriptionId": "3c2b1a09-8f7e-4d6c-b5a4-392817160504",
        "scope": "shared",
        "duration": "1Year"
      }
    }
  ]
}
"""
)

CART = json.loads(
    r"""
{
  "id": "6f0e9d8c-7b6a-4594-8382-7160f5e4d3c2",
  "creationTimestamp": "2025-01-15T09:30:00.1234567Z",
  "lastModifiedTimestamp": "2025-01-15T09:30:00.1234567Z",
  "expirationTimestamp": "2025-01-22T09:30:05.7654321Z",
  "lastModifiedUser": "0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d",
  "status": "Active",
  "lineItems": [
    {
      "id": 0,
      "catalogItemId": "DZH318Z0ABCD:00A1:DZH318Z0WXYZ",
      "friendlyName": "RI D4s v5 eastus 1y",
      "quantity": 2,
      "currencyCode": "USD",
      "billingCycle": "one_time",
      "termDuration": "P1Y",
      "provisioningContext": {"subscriptionId": "3c2b1a09-8f7e-4d6c-b5a4-392817160504", "scope": "shared", "duration": "1Year"},
      "orderGroup": "0"
    }
  ],
  "links": {"self": {"uri": "/customers/5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11/carts/6f0e9d8c-7b6a-4594-8382-7160f5e4d3c2", "method": "GET", "headers": []}},
  "attributes": {"objectType": "Cart"}
}
"""
)

CHECKOUT_RESULT = json.loads(
    r"""
{
  "orders": [
    {
      "id": "b7c6d5e4f3a2",
      "alternateId": "b7c6d5e4f3a2",
      "referenceCustomerId": "5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11",
      "billingCycle": "one_time",
      "currencyCode": "USD",
      "currencySymbol": "$",
      "lineItems": [
        {
          "lineItemNumber": 0,
          "offerId": "DZH318Z0ABCD:00A1:DZH318Z0WXYZ",
          "termDuration": "P1Y",
          "transactionType": "New",
          "friendlyName": "RI D4s v5 eastus 1y",
          "quantity": 2,
          "links": {
            "product": {"uri": "/products/DZH318Z0ABCD?country=US", "method": "GET", "headers": []},
            "sku": {"uri": "/products/DZH318Z0ABCD/skus/00A1?country=US", "method": "GET", "headers": []},
            "availability": {"uri": "/products/DZH318Z0ABCD/skus/00A1/availabilities/DZH318Z0WXYZ?country=US", "method": "GET", "headers": []}
          }
        }
      ],
      "creationDate": "2025-01-15T09:31:10.0000000Z",
      "status": "pending",
      "transactionType": "UserPurchase",
      "links": {
        "self": {"uri": "/customers/5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11/orders/b7c6d5e4f3a2", "method": "GET", "headers": []},
        "provisioningStatus": {"uri": "/customers/5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11/orders/b7c6d5e4f3a2/provisioningstatus", "method": "GET", "headers": []}
      },
      "attributes": {"objectType": "Order"}
    }
  ],
  "orderErrors": [
    {"orderGroupId": "1", "code": 800010, "description": "Inventory is not available for this catalog item"}
  ],
  "attributes": {"objectType": "CartCheckoutResult"}
}
"""
)

ORDER = json.loads(
    r"""
{
  "id": "b7c6d5e4f3a2",
  "alternateId": "b7c6d5e4f3a2",
  "referenceCustomerId": "5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11",
  "billingCycle": "one_time",
  "currencyCode": "USD",
  "currencySymbol": "$",
  "lineItems": [
    {
      "lineItemNumber": 0,
      "offerId": "DZH318Z0ABCD:00A1:DZH318Z0WXYZ",
      "subscriptionId": "8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968",
      "termDuration": "P1Y",
      "transactionType": "New",
      "friendlyName": "RI D4s v5 eastus 1y",
      "quantity": 2,
      "links": {
        "sku": {"uri": "/products/DZH318Z0ABCD/skus/00A1?country=US", "method": "GET", "headers": []},
        "subscription": {"uri": "/customers/5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11/subscriptions/8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968", "method": "GET", "headers": []}
      }
    }
  ],
  "creationDate": "2025-01-15T09:31:10.0000000Z",
  "status": "completed",
  "transactionType": "UserPurchase",
  "links": {
    "provisioningStatus": {"uri": "/customers/5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11/orders/b7c6d5e4f3a2/provisioningstatus", "method": "GET", "headers": []},
    "self": {"uri": "/customers/5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11/orders/b7c6d5e4f3a2", "method": "GET", "headers": []}
  },
  "attributes": {"objectType": "Order"}
}
"""
)

PROVISIONING_STATUS = json.loads(
    r"""
{
  "totalCount": 1,
  "items": [
    {"orderLineItemId": 0, "lineItemNumber": 0, "status": "fulfilled",
     "quantityProvisioningInformation": [{"quantity": 2, "status": "fulfilled"}]}
  ],
  "attributes": {"objectType": "Collection"}
}
"""
)

ENTITLEMENTS = json.loads(
    r"""
{
  "totalCount": 1,
  "items": [
    {
      "includedEntitlements": [],
      "referenceOrder": {"id": "b7c6d5e4f3a2", "lineItemId": "0", "alternateId": "b7c6d5e4f3a2"},
      "productId": "DZH318Z0ABCD",
      "skuId": "00A1",
      "quantity": 2,
      "entitledArtifacts": [
        {
          "link": {"uri": "/customers/5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11/artifacts/reservedinstance/groups/0f1e2d3c4b5a69788796a5b4c3d2e1f0/lineitems/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d/resource/2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", "method": "GET", "headers": []},
          "resourceId": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
          "artifactType": "reservedinstance",
          "dynamicAttributes": {"reservationType": "virtualmachines"}
        }
      ],
      "entitlementType": "reservedinstance",
      "expiryDate": "2026-01-15T00:00:00Z"
    }
  ],
  "attributes": {"objectType": "Collection"}
}
"""
)

RESERVATION_DETAILS = json.loads(
    r"""
{
  "type": "reservedinstance",
  "reservations": [
    {"reservationId": "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d", "displayName": "RI_D4s_v5_eastus",
     "scopeType": "Shared", "appliedScopes": [], "quantity": 2,
     "expiryDateTime": "2026-01-15T00:00:00", "effectiveDateTime": "2025-01-15T09:40:00.0000000Z",
     "provisioningState": "Created"}
  ]
}
"""
)

BALANCE = json.loads(
    r"""
{
  "balanceAmount": 12500.75,
  "currencyCode": "USD",
  "currencySymbol": "$",
  "accountingDate": "2025-01-20T00:00:00",
  "firstInvoiceCreationDate": "2021-06-21T00:00:00Z",
  "lastPaymentDate": "2024-12-30T12:00:00Z",
  "lastPaymentAmount": 8000,
  "latestInvoiceDate": "2025-01-08T00:00:00",
  "details": [
    {"invoiceType": "Recurring", "summary": {"balanceAmount": 4300.25, "currencyCode": "USD", "currencySymbol": "$",
      "accountingDate": "2025-01-20T00:00:00", "firstInvoiceCreationDate": "2021-06-21T00:00:00Z",
      "lastPaymentDate": "2024-12-30T12:00:00Z", "lastPaymentAmount": 8000, "latestInvoiceDate": "2025-01-08T00:00:00",
      "attributes": {"objectType": "InvoiceSummary"}}},
    {"invoiceType": "OneTime", "summary": {"balanceAmount": 8200.50, "currencyCode": "USD", "currencySymbol": "$",
      "accountingDate": "2025-01-20T00:00:00", "firstInvoiceCreationDate": "2022-03-16T00:00:00",
      "lastPaymentDate": "0001-01-01T00:00:00", "lastPaymentAmount": 0, "latestInvoiceDate": "2025-01-08T00:00:00",
      "attributes": {"objectType": "InvoiceSummary"}}}
  ],
  "links": {"self": {"uri": "/invoices/summary", "method": "GET", "headers": []}},
  "attributes": {"objectType": "InvoiceSummary"}
}
"""
)

INVOICES = json.loads(
    r"""
{
  "totalCount": 1,
  "items": [
    {
      "id": "G000123456",
      "invoiceDate": "2025-01-08T01:02:03.000000Z",
      "billingPeriodStartDate": "2024-12-01T00:00:00Z",
      "billingPeriodEndDate": "2024-12-31T00:00:00Z",
      "totalCharges": 8200.5,
      "paidAmount": 0,
      "currencyCode": "USD",
      "currencySymbol": "$",
      "pdfDownloadLink": "/invoices/G000123456/documents/statement",
      "taxReceipts": [{"id": "555001", "taxReceiptPdfDownloadLink": "/invoices/G000123456/receipts/555001/documents/statement"}],
      "invoiceDetails": [
        {"invoiceLineItemType": "billing_line_items", "billingProvider": "one_time",
         "links": {"self": {"uri": "/invoices/OneTime-G000123456/lineitems/OneTime/BillingLineItems", "method": "GET", "headers": []}},
         "attributes": {"objectType": "InvoiceDetail"}}
      ],
      "documentType": "invoice",
      "invoiceType": "OneTime",
      "links": {"self": {"uri": "/invoices/OneTime-G000123456", "method": "GET", "headers": []}},
      "attributes": {"objectType": "Invoice"}
    }
  ],
  "links": {
    "self": {"uri": "/invoices?size=1&offset=0", "method": "GET", "headers": []},
    "next": {"uri": "/invoices?size=1&offset=1", "method": "GET", "headers": []}
  },
  "attributes": {"objectType": "Collection"}
}
"""
)

ONE_TIME_LINE_ITEMS = json.loads(
    r"""
{
  "continuationToken": "opaque-token-abc123",
  "totalCount": 1,
  "items": [
    {
      "partnerId": "4d3c2b1a-0f9e-4d8c-b7a6-958473625140",
      "customerId": "5a1c0b7e-2f44-4d1e-9a53-0c6f2e9d1a11",
      "customerName": "Fabrikam Demo",
      "customerDomainName": "fabrikamdemo.onmicrosoft.com",
      "customerCountry": "US",
      "invoiceNumber": "G000123456",
      "mpnId": "1234567",
      "resellerMpnId": 0,
      "orderId": "b7c6d5e4f3a2",
      "orderDate": "2025-01-15T09:31:10.0000000Z",
      "productId": "DZH318Z0ABCD",
      "skuId": "00A1",
      "availabilityId": "DZH318Z0WXYZ",
      "productName": "Virtual Machines Dsv5 Series",
      "skuName": "Reserved VM Instance, Standard_D4s_v5, US East, 1 Year",
      "productQualifiers": [],
      "chargeType": "new",
      "unitPrice": 1200.0,
      "effectiveUnitPrice": 1200.0,
      "unitType": "",
      "quantity": 2,
      "subtotal": 2400.0,
      "taxTotal": 0,
      "totalForCustomer": 2400.0,
      "currency": "USD",
      "publisherName": "Microsoft Corporation",
      "publisherId": "",
      "subscriptionDescription": "",
      "subscriptionId": "8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968",
      "subscriptionStartDate": "2025-01-15T00:00:00Z",
      "subscriptionEndDate": "2026-01-14T00:00:00Z",
      "chargeStartDate": "2025-01-15T00:00:00Z",
      "chargeEndDate": "2026-01-14T00:00:00Z",
      "termAndBillingCycle": "1 Year Prepaid",
      "alternateId": "b7c6d5e4f3a2",
      "referenceId": "0f9e8d7c-6b5a-4493-8271-605f4e3d2c1b",
      "priceAdjustmentDescription": "",
      "discountDetails": "",
      "pricingCurrency": "USD",
      "pcToBCExchangeRate": 1,
      "pcToBCExchangeRateDate": "2025-01-01T00:00:00",
      "billableQuantity": 2,
      "meterDescription": "",
      "billingFrequency": "",
      "reservationOrderId": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
      "invoiceLineItemType": "billing_line_items",
      "billingProvider": "one_time",
      "promotionId": "",
      "attributes": {"objectType": "OneTimeInvoiceLineItem"}
    }
  ],
  "links": {
    "self": {"uri": "/invoices/G000123456/lineitems?provider=OneTime&invoicelineitemtype=BillingLineItems&size=2000", "method": "GET", "headers": []},
    "next": {"uri": "/invoices/G000123456/lineitems/OneTime/BillingLineItems?seekOperation=Next", "method": "GET",
             "headers": [{"key": "MS-ContinuationToken", "value": "opaque-token-abc123"}]}
  },
  "attributes": {"objectType": "Collection"}
}
"""
)

AZURE_ENTITLEMENTS = json.loads(
    r"""
{"totalCount":1,"items":[{"id":"<azure-subscription-guid>","friendlyName":"Microsoft Azure","status":"active","subscriptionId":"<azure-plan-subscription-id>"}],"attributes":{"objectType":"Collection"}}
"""
)

THROTTLED_BODY = json.loads(
    r"""
{"statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds."}
"""
)
