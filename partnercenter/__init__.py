"""A small client for the Partner Center REST API, for buying Azure Reservations. No Django in here.

    from partnercenter import PartnerCenterConfig, Transport, catalog, carts, CartLineItem, BillingCycle

    config = PartnerCenterConfig.from_env()                 # PARTNER_CENTER_* variables
    pc = Transport.from_config(config)                      # app-only tokens through MSAL
    sku = catalog.get_sku(pc, "DZH318Z0ABCD", "00A1", country="US", reservation_scope=catalog.AZURE_PLAN)
    availability = next(catalog.list_availabilities(pc, sku.product_id, sku.id, country="US"))
    scope = {"subscriptionId": plan_id, "scope": "shared", "duration": "1Year"}
    line = CartLineItem(id=0, catalog_item_id=availability.catalog_item_id, quantity=1,
                        billing_cycle=BillingCycle.ONE_TIME, term_duration="P1Y", provisioning_context=scope)
    cart = carts.create_cart(pc, customer_id, [line])
    result = carts.checkout_cart(pc, customer_id, cart.id)  # audit with result.meta.correlation_id

App+User-only calls (entitlements, invoice summaries, invoice by id, statement PDF, order provisioning status)
take the signed-in staff member's token: `token=auth.delegated_token(config, cache, account_id)`.
"""

from . import auth, carts, catalog, customers, entitlements, invoices, orders, subscriptions
from .auth import AppTokenProvider, DelegatedToken, SignInResult, TokenProvider
from .config import PartnerCenterConfig, PartnerCenterConfigError
from .enums import (
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
    Segment,
    SubscriptionStatus,
    TargetView,
)
from .errors import (
    AppUserRequired,
    AuthenticationError,
    BadRequest,
    Conflict,
    DelegatedAccessRefused,
    Forbidden,
    NotFound,
    PartnerCenterError,
    ServerError,
    Throttled,
    TransportError,
    Unauthorized,
)
from .models import (
    Artifact,
    Availability,
    AzureEntitlement,
    Cart,
    CartCheckoutResult,
    CartLineError,
    CartLineItem,
    CompanyProfile,
    Customer,
    Entitlement,
    InventoryItem,
    InventoryTarget,
    Invoice,
    InvoiceDetail,
    InvoiceLineItem,
    InvoiceSummary,
    Link,
    OneTimeInvoiceLineItem,
    Order,
    OrderError,
    OrderLineItem,
    OrderLineItemProvisioningStatus,
    Product,
    RegistrationStatus,
    ReservationDetails,
    ResponseMeta,
    Restriction,
    Sku,
    SubmittedRegistration,
    Subscription,
)
from .paging import Page
from .transport import ApiResponse, Operation, RetryPolicy, StreamedBody, Transport

# Every documented call this client makes, by name: what the portal needs to know to pick a token.
OPERATIONS: dict[str, Operation] = {
    op.name: op
    for module in (customers, subscriptions, catalog, carts, orders, entitlements, invoices)
    for op in vars(module).values()
    if isinstance(op, Operation)
}
APP_USER_ONLY = frozenset(name for name, op in OPERATIONS.items() if op.app_user_only)

__all__ = [
    "APP_USER_ONLY",
    "OPERATIONS",
    "ApiResponse",
    "AppTokenProvider",
    "AppUserRequired",
    "Artifact",
    "AuthenticationError",
    "Availability",
    "AzureEntitlement",
    "BadRequest",
    "BillingCycle",
    "BillingProvider",
    "Cart",
    "CartCheckoutResult",
    "CartErrorCode",
    "CartLineError",
    "CartLineItem",
    "CartStatus",
    "CompanyProfile",
    "Conflict",
    "Customer",
    "DelegatedAccessRefused",
    "DelegatedToken",
    "DocumentType",
    "Entitlement",
    "EntitlementType",
    "Forbidden",
    "InventoryItem",
    "InventoryTarget",
    "Invoice",
    "InvoiceDetail",
    "InvoiceLineItem",
    "InvoiceLineItemType",
    "InvoiceSummary",
    "InvoiceType",
    "LineItemTransactionType",
    "Link",
    "NotFound",
    "OneTimeInvoiceLineItem",
    "Operation",
    "Order",
    "OrderError",
    "OrderLineItem",
    "OrderLineItemProvisioningStatus",
    "OrderStatus",
    "OrderTransactionType",
    "Page",
    "PartnerCenterConfig",
    "PartnerCenterConfigError",
    "PartnerCenterError",
    "Product",
    "ProvisioningStatus",
    "RegistrationState",
    "RegistrationStatus",
    "ReservationDetails",
    "ResponseMeta",
    "Restriction",
    "RetryPolicy",
    "Segment",
    "ServerError",
    "SignInResult",
    "Sku",
    "StreamedBody",
    "SubmittedRegistration",
    "Subscription",
    "SubscriptionStatus",
    "TargetView",
    "Throttled",
    "TokenProvider",
    "Transport",
    "TransportError",
    "Unauthorized",
    "auth",
    "carts",
    "catalog",
    "customers",
    "entitlements",
    "invoices",
    "orders",
    "subscriptions",
]
