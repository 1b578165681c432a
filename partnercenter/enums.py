"""Partner Center's enumerations, read tolerantly.

The service spells the same value several ways (`one_time`, `OneTime`, `onetime`; `NotRegistered`,
`notregistered`), and adds values over time. Every enum here matches case-insensitively, ignoring `_`, `-`
and spaces, and an unrecognised value becomes an UNKNOWN pseudo-member that keeps the wire value:
a new value must never crash a page, and must still be shown as the service sent it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self


def _squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch not in "_- ")


class WireEnum(StrEnum):
    """Base of the enums below. Members' values are the canonical wire spelling."""

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if not isinstance(value, str):
            return None
        key = _squash(value)
        for member in cls:
            if _squash(member.value) == key or _squash(member.name) == key:
                return member
        # A pseudo-member (the way enum.Flag makes its combinations): an instance of the class, so type
        # checks and comparisons with plain strings work, but not one of its members.
        pseudo = str.__new__(cls, value)
        pseudo._name_ = "UNKNOWN"
        pseudo._value_ = value
        return pseudo

    @classmethod
    def parse(cls, value: Any) -> Self | None:
        """The member for a wire value; None for null or blank. Never raises."""
        if value is None or isinstance(value, bool):
            return None
        text = str(value).strip()
        return cls(text) if text else None

    @property
    def is_known(self) -> bool:
        """False for a value this client does not know (the wire value is kept as `.value`)."""
        return type(self)._value2member_map_.get(self._value_) is self


class BillingCycle(WireEnum):
    UNKNOWN = "unknown"
    MONTHLY = "monthly"
    ANNUAL = "annual"
    NONE = "none"
    ONE_TIME = "one_time"
    TRIENNIAL = "triennial"
    BIENNIAL = "biennial"

    @property
    def query_value(self) -> str:
        """The spelling of the `billingType` query parameter (reference §6.19 example: `onetime`)."""
        return _squash(self.value)


class OrderStatus(WireEnum):
    # Values after `pending` were added by 2023; their wire spelling is unconfirmed (matching ignores it).
    UNKNOWN = "unknown"
    COMPLETED = "completed"
    PENDING = "pending"
    CANCELLED = "cancelled"
    SUSPENDED = "suspended"
    PENDING_REVIEW = "pending_review"
    PENDING_PO_UPLOAD = "pending_po_upload"
    PO_UPLOAD_COMPLETE = "po_upload_complete"
    PO_REVIEW_REJECTED = "po_review_rejected"
    PARTIAL_SUCCESS = "partial_success"
    ERROR = "error"


class OrderTransactionType(WireEnum):
    USER_PURCHASE = "user_purchase"
    SYSTEM_PURCHASE = "system_purchase"
    SYSTEM_BILLING = "system_billing"


class LineItemTransactionType(WireEnum):
    NEW = "new"
    RENEW = "renew"
    ADD_QUANTITY = "add_quantity"
    REMOVE_QUANTITY = "remove_quantity"
    CANCEL = "cancel"
    CONVERT = "convert"
    CUSTOMER_CREDIT = "customer_credit"


class ProvisioningStatus(WireEnum):
    """Of an order line item (§7.3)."""

    FULFILLED = "fulfilled"
    UNFULFILLED = "unfulfilled"
    PREFULFILLMENT_PENDING = "prefulfillment_pending"


class RegistrationState(WireEnum):
    REGISTERED = "registered"
    REGISTERING = "registering"
    NOT_REGISTERED = "not_registered"


class CartStatus(WireEnum):
    ACTIVE = "active"
    ORDERED = "ordered"


class SubscriptionStatus(WireEnum):
    NONE = "none"
    ACTIVE = "active"
    PENDING = "pending"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    DISABLED = "disabled"
    DELETED = "deleted"


class EntitlementType(WireEnum):
    SOFTWARE = "software"
    RESERVED_INSTANCE = "reservedinstance"
    VIRTUAL_MACHINE_RESERVED_INSTANCE = "virtualmachinereservedinstance"  # legacy name, still returned


class BillingProvider(WireEnum):
    NONE = "none"
    OFFICE = "office"
    AZURE = "azure"
    ONE_TIME = "one_time"
    MARKETPLACE = "marketplace"
    ALL = "all"


class InvoiceLineItemType(WireEnum):
    NONE = "none"
    USAGE_LINE_ITEMS = "usage_line_items"
    BILLING_LINE_ITEMS = "billing_line_items"


class DocumentType(WireEnum):
    NONE = "none"
    INVOICE = "invoice"
    VOID_NOTE = "void_note"
    ADJUSTMENT_NOTE = "adjustment_note"


class InvoiceType(WireEnum):
    RECURRING = "recurring"
    ONE_TIME = "one_time"


class TargetView(WireEnum):
    """Values of the products list's `targetView` (§6.6); sent as the member's value."""

    AZURE = "Azure"
    AZURE_RESERVATIONS = "AzureReservations"
    AZURE_RESERVATIONS_VM = "AzureReservationsVM"
    AZURE_RESERVATIONS_SQL = "AzureReservationsSQL"
    AZURE_RESERVATIONS_COSMOS_DB = "AzureReservationsCosmosDb"
    MICROSOFT_AZURE = "MicrosoftAzure"
    ONLINE_SERVICES = "OnlineServices"
    SOFTWARE = "Software"
    SOFTWARE_SUSE_LINUX = "SoftwareSUSELinux"
    SOFTWARE_PERPETUAL = "SoftwarePerpetual"
    SOFTWARE_SUBSCRIPTIONS = "SoftwareSubscriptions"
    SPECIALIZED_OFFERS = "SpecializedOffers"
    MARKETPLACE_SAAS = "MarketplaceSaaS"


class Segment(WireEnum):
    COMMERCIAL = "commercial"
    EDUCATION = "education"
    GOVERNMENT = "government"
    NONPROFIT = "nonprofit"


class CartErrorCode(WireEnum):
    """A cart line's `error.errorCode` (§7.5). The service may send the name, its snake_case or the number."""

    UNKNOWN = "unknown"
    CURRENCY_IS_NOT_SUPPORTED = "currency_is_not_supported"
    CATALOG_ITEM_ID_IS_NOT_VALID = "catalog_item_id_is_not_valid"
    QUOTA_NOT_AVAILABLE = "quota_not_available"
    INVENTORY_NOT_AVAILABLE = "inventory_not_available"
    PARTICIPANTS_IS_NOT_SUPPORTED_FOR_PARTNER = "participants_is_not_supported_for_partner"
    UNABLE_TO_PROCESS_CART_LINE_ITEM = "unable_to_process_cart_line_item"
    SUBSCRIPTION_IS_NOT_VALID = "subscription_is_not_valid"
    SUBSCRIPTION_IS_NOT_ENABLED_FOR_RI = "subscription_is_not_enabled_for_ri"
    SANDBOX_LIMIT_EXCEEDED = "sandbox_limit_exceeded"
    INVALID_INPUT = "invalid_input"
    SUBSCRIPTION_NOT_REGISTERED = "subscription_not_registered"
    ATTESTATION_NOT_ACCEPTED = "attestation_not_accepted"
    BILLING_PLAN_NOT_SUPPORTED = "billing_plan_not_supported"
    INVALID_PROMOTION_ID = "invalid_promotion_id"
    MAX_ALLOWED_SEATS_PER_SUBSCRIPTION_EXCEEDED = "max_allowed_seats_per_subscription_exceeded"
    INVALID_CUSTOM_TERM_END_DATE_PRODUCT = "invalid_custom_term_end_date_product"
    INVALID_CUSTOM_TERM_END_DATE = "invalid_custom_term_end_date"
    BASE_OFFER_SEAT_QUANTITY_NOT_MET = "base_offer_seat_quantity_not_met"
    MINIMUM_ADD_ON_SEATS_NOT_MET = "minimum_add_on_seats_not_met"
    LEGACY_OFFER_NOT_ELIGIBLE_FOR_PURCHASE = "legacy_offer_not_eligible_for_purchase"

    @classmethod
    def _missing_(cls, value: object) -> CartErrorCode | None:
        if isinstance(value, str) and value.strip().isdigit():
            name = _CART_ERROR_NUMBERS.get(int(value))
            if name is not None:
                return cls[name]
        return super()._missing_(value)


_CART_ERROR_NUMBERS = {
    0: "UNKNOWN",
    10000: "CURRENCY_IS_NOT_SUPPORTED",
    10001: "CATALOG_ITEM_ID_IS_NOT_VALID",
    10002: "QUOTA_NOT_AVAILABLE",
    10003: "INVENTORY_NOT_AVAILABLE",
    10004: "PARTICIPANTS_IS_NOT_SUPPORTED_FOR_PARTNER",
    10006: "UNABLE_TO_PROCESS_CART_LINE_ITEM",
    10007: "SUBSCRIPTION_IS_NOT_VALID",
    10008: "SUBSCRIPTION_IS_NOT_ENABLED_FOR_RI",
    10009: "SANDBOX_LIMIT_EXCEEDED",
    10010: "INVALID_INPUT",
    10011: "SUBSCRIPTION_NOT_REGISTERED",
    10012: "ATTESTATION_NOT_ACCEPTED",
    10013: "BILLING_PLAN_NOT_SUPPORTED",
    10014: "INVALID_PROMOTION_ID",
    10015: "MAX_ALLOWED_SEATS_PER_SUBSCRIPTION_EXCEEDED",
    10016: "INVALID_CUSTOM_TERM_END_DATE_PRODUCT",
    10017: "INVALID_CUSTOM_TERM_END_DATE",
    10018: "BASE_OFFER_SEAT_QUANTITY_NOT_MET",
    10019: "MINIMUM_ADD_ON_SEATS_NOT_MET",
    500600: "LEGACY_OFFER_NOT_ELIGIBLE_FOR_PURCHASE",
}
