"""What can go wrong when calling Partner Center, as a small typed hierarchy.

Every error carries what support needs (status, Partner Center code and description, correlation id,
request id) in `str(error)`, and separately a `.user_message` that is safe to show a member of staff: it
never contains the service's raw text, tokens or secrets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

# --- documented error codes (reference §4.2) ------------------------------------------------------------

ITEM_NOT_AVAILABLE = "400072"
PRODUCT_NOT_FOUND = "400013"
SKU_NOT_FOUND = "400018"
AVAILABILITY_NOT_FOUND = "400019"
TARGET_SEGMENT_NOT_ALLOWED = "400030"
TARGET_VIEW_NOT_ALLOWED = "400036"
PARTNER_TOKEN_MISSING = "800001"  # noqa: S105 (an error code, not a secret)
INVALID_INPUT = "800002"
UNEXPECTED_SERVICE_ERROR = "800003"
INVALID_OFFER_ID = "800004"
CART_NOT_FOUND = "800008"
CART_ITEM_ERROR = "800009"
INVENTORY_NOT_AVAILABLE = "800010"
SUBSCRIPTION_NOT_AZURE = "800011"
SUBSCRIPTION_NOT_ACTIVE = "800012"
SUBSCRIPTION_NOT_ENABLED_FOR_RI = "800013"
QUANTITY_NOT_AVAILABLE = "800017"
SANDBOX_LIMIT_REACHED = "800018"
CATALOG_ITEM_NOT_ELIGIBLE = "800020"
SUBSCRIPTION_NOT_REGISTERED = "800030"
PRECONDITION_FAILED = "800036"
ORDER_IN_PROGRESS = "800060"
CART_BUSY = "800064"
CART_ALREADY_SUBMITTED = "800065"
OFFER_NOT_AVAILABLE_IN_MARKET = "800070"
PARTNER_NOT_ONBOARDED_IN_MARKET = "2030"
ORDER_NOT_FOUND = "20000"
NO_RELATIONSHIP = "20002"
INVALID_CUSTOMER_ID = "900118"
RESERVATIONS_BLOCK_TRANSFER = "900145"
OFFERS_API_UNSUPPORTED = "2100"

# What staff are told for a documented code; anything else gets its class's message.
_CODE_MESSAGES = {
    ITEM_NOT_AVAILABLE: "This item is not available.",
    PRODUCT_NOT_FOUND: "Partner Center does not know this product.",
    SKU_NOT_FOUND: "Partner Center does not know this SKU.",
    AVAILABILITY_NOT_FOUND: "This offer's availability changed. Reload it and build the cart again.",
    TARGET_SEGMENT_NOT_ALLOWED: "This customer segment is not allowed here.",
    TARGET_VIEW_NOT_ALLOWED: "This catalog view is not allowed for the partner.",
    PARTNER_TOKEN_MISSING: "Partner Center did not receive the partner's credentials.",
    INVALID_INPUT: "Partner Center refused the request as invalid.",
    UNEXPECTED_SERVICE_ERROR: "Partner Center had an unexpected error. Try again later.",
    INVALID_OFFER_ID: "This offer id is not valid.",
    CART_NOT_FOUND: "Partner Center does not know this cart (it may have expired).",
    CART_ITEM_ERROR: "One or more cart lines have errors.",
    INVENTORY_NOT_AVAILABLE: "There is no inventory for this item in the chosen region.",
    SUBSCRIPTION_NOT_AZURE: "This subscription is not a valid Azure subscription.",
    SUBSCRIPTION_NOT_ACTIVE: "This subscription is not active.",
    SUBSCRIPTION_NOT_ENABLED_FOR_RI: "This subscription is not enabled for reservation purchases.",
    QUANTITY_NOT_AVAILABLE: "The requested quantity is not available.",
    SANDBOX_LIMIT_REACHED: "The Partner Center sandbox limit is reached.",
    CATALOG_ITEM_NOT_ELIGIBLE: "This catalog item is not eligible for purchase.",
    SUBSCRIPTION_NOT_REGISTERED: "This subscription is not registered for reservation purchases yet.",
    PRECONDITION_FAILED: "Partner Center refused the request: a precondition failed.",
    ORDER_IN_PROGRESS: "An order is already in progress. Check the customer's orders in a few minutes.",
    CART_BUSY: "The cart is being processed by another request. Try again in a minute.",
    CART_ALREADY_SUBMITTED: "This cart was already checked out. Look at the customer's orders.",
    OFFER_NOT_AVAILABLE_IN_MARKET: "This offer is not available in the customer's country or region.",
    PARTNER_NOT_ONBOARDED_IN_MARKET: "The partner is not set up to sell in this country or region.",
    ORDER_NOT_FOUND: "Partner Center does not know this order.",
    NO_RELATIONSHIP: "The partner has no reseller relationship with this customer.",
    INVALID_CUSTOMER_ID: "This customer id is not valid.",
    RESERVATIONS_BLOCK_TRANSFER: "Azure reservations cannot be transferred.",
    OFFERS_API_UNSUPPORTED: "This id must be used with the products and SKUs catalog.",
}

_MAX_DESCRIPTION = 1024  # the documented maximum; longer text is not from the §4.1 error body


class PartnerCenterError(Exception):
    """Base of every error the client raises."""

    default_user_message = "Partner Center could not complete the request."
    default_retryable = False

    def __init__(
        self,
        detail: str = "",
        *,
        status: int | None = None,
        code: str | None = None,
        description: str | None = None,
        correlation_id: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        data: Any = None,
        method: str | None = None,
        path: str | None = None,
        outcome_unknown: bool = False,
        retryable: bool | None = None,
    ) -> None:
        self.detail = detail
        self.status = status
        self.code = code
        self.description = description
        self.correlation_id = correlation_id
        self.request_id = request_id
        self.retry_after = retry_after
        self.data = data
        self.method = method
        self.path = path
        # True when the request may or may not have been applied: look before doing it again.
        self.outcome_unknown = outcome_unknown
        self.retryable = (self.default_retryable and not outcome_unknown) if retryable is None else retryable
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [self.detail or type(self).__name__]
        if self.method and self.path:
            parts.append(f"{self.method} {self.path}")
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code:
            parts.append(f"code {self.code}")
        if self.description:
            parts.append(repr(self.description))
        if self.retry_after is not None:
            parts.append(f"retry after {self.retry_after:g} s")
        if self.outcome_unknown:
            parts.append("outcome unknown")
        if self.correlation_id:
            parts.append(f"correlation id {self.correlation_id}")
        if self.request_id:
            parts.append(f"request id {self.request_id}")
        return "; ".join(parts)

    @property
    def user_message(self) -> str:
        message = _CODE_MESSAGES.get(self.code or "", self.default_user_message)
        if self.outcome_unknown:
            message = (
                "Partner Center's answer was lost, so it is not known whether the request was applied. "
                "Check before trying again."
            )
        if self.correlation_id:
            message += f" (Reference: {self.correlation_id})"
        return message


class BadRequest(PartnerCenterError):
    default_user_message = "Partner Center refused the request."


class Unauthorized(PartnerCenterError):
    default_user_message = "Partner Center did not accept the portal's credentials."


class Forbidden(PartnerCenterError):
    default_user_message = "Partner Center does not allow this for the partner or this customer."


class AppUserRequired(Forbidden):
    """A call that only accepts App+User tokens was made with the app's own token."""

    default_user_message = (
        "This needs your own Partner Center sign-in (with multi-factor authentication). "
        "Sign in with Microsoft and try again."
    )


class DelegatedAccessRefused(Forbidden):
    """An App+User-only call was refused although it carried the staff member's own token."""

    # Partner Center requires MFA on App+User calls (reference §2.3), and a partner role that allows them.
    default_user_message = (
        "Partner Center refused your own sign-in for this. Sign in with Microsoft again using "
        "multi-factor authentication; if it still fails, ask your Partner Center admin for a role "
        "that allows it."
    )


class NotFound(PartnerCenterError):
    default_user_message = "Partner Center does not know this item."


class Conflict(PartnerCenterError):
    default_user_message = "Partner Center is busy with this item. Try again in a minute."
    default_retryable = True  # cart busy, order in progress: the same request can succeed later


class Throttled(PartnerCenterError):
    default_user_message = "Partner Center is limiting the number of requests. Try again in a minute."
    default_retryable = True


class ServerError(PartnerCenterError):
    default_user_message = "Partner Center had an error. Try again later."
    default_retryable = True


class TransportError(PartnerCenterError):
    """No usable answer: connection refused or dropped, timeout, TLS failure."""

    default_user_message = "Partner Center could not be reached. Try again later."
    default_retryable = True


class AuthenticationError(PartnerCenterError):
    """A token could not be obtained (Microsoft Entra ID or the configured authority said no, or was down)."""

    default_user_message = "Signing in to Microsoft failed."

    def __init__(self, detail: str = "", *, error: str | None = None, **kwargs: Any) -> None:
        self.error = error  # the OAuth error ("invalid_client", ...); `code` holds the AADSTS code
        super().__init__(detail, **kwargs)

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text}; {self.error}" if self.error else text

    @property
    def user_message(self) -> str:
        if self.code:
            return f"{self.default_user_message} Microsoft answered {self.code}."
        return self.default_user_message


_BY_STATUS: dict[int, type[PartnerCenterError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    429: Throttled,
}


def error_class(status: int) -> type[PartnerCenterError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else PartnerCenterError


def parse_error_body(body: bytes | str | None) -> tuple[str | None, str | None, Any]:
    """(code, description, data) from a §4.1 body, a 429 body, or an ARM-style `{"error": {...}}`.

    HTML, empty or otherwise foreign bodies give (None, None, None): their text is never shown to anyone.
    """
    if not body:
        return None, None, None
    try:
        decoded = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, None, None
    if not isinstance(decoded, Mapping):
        return None, None, None
    if isinstance(decoded.get("error"), Mapping):
        decoded = decoded["error"]
    code = decoded.get("code", decoded.get("errorCode", decoded.get("statusCode")))
    description = decoded.get("description", decoded.get("message"))
    description = description[:_MAX_DESCRIPTION] if isinstance(description, str) else None
    return (str(code) if code is not None else None), description, decoded.get("data")


def parse_retry_after(value: str | None, body_description: str | None = None) -> float | None:
    """Seconds from a Retry-After header (seconds or HTTP date), else from 'Try again in N seconds.'"""
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, (when - datetime.now(UTC)).total_seconds())
    if body_description:
        match = re.search(r"in (\d+(?:\.\d+)?) seconds?", body_description)
        if match:
            return float(match.group(1))
    return None


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes | str | None,
    *,
    method: str,
    path: str,
    correlation_id: str | None,
    request_id: str | None,
    app_user_only: bool = False,
    delegated: bool = False,
    outcome_unknown: bool = False,
) -> PartnerCenterError:
    """The typed error for a non-2xx answer."""
    code, description, data = parse_error_body(body)
    cls = error_class(status)
    if cls is Forbidden and app_user_only:
        cls = DelegatedAccessRefused if delegated else AppUserRequired
    retry_after = parse_retry_after(headers.get("Retry-After"), description) if status in (429, 503) else None
    return cls(
        "Partner Center answered with an error",
        status=status,
        code=code,
        description=description,
        correlation_id=first_value(headers.get("MS-CorrelationId")) or correlation_id,
        request_id=first_value(headers.get("MS-RequestId")) or request_id,
        retry_after=retry_after,
        data=data,
        method=method,
        path=path,
        outcome_unknown=outcome_unknown,
    )


def first_value(header: str | None) -> str | None:
    """Some answers repeat a header's value comma-joined (`a,a`): the first one is the value."""
    if not header:
        return None
    return header.split(",", 1)[0].strip() or None
