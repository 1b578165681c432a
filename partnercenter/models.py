"""Typed, read-only views of Partner Center's JSON.

Every model is built with `Model.from_json(data)`, which never raises on content: unknown fields are kept in
`.raw`, missing ones become None (or empty), field names match case-insensitively, money is a Decimal
whether the service sent a number or a string, dates accept `Z`, offsets or no zone (read as UTC), and the
"no value" date `0001-01-01T00:00:00` becomes None. Quirks of the documented API (reference §10) are
absorbed here so the rest of the portal never sees them.

Top-level results of an operation carry `.meta` (status, correlation id, request id) for the audit trail.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Self, TypeVar

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
    SubscriptionStatus,
    WireEnum,
)

E = TypeVar("E", bound=WireEnum)
M = TypeVar("M", bound="Resource")


@dataclass(frozen=True)
class ResponseMeta:
    """What the portal records about one logical call (all its attempts)."""

    status: int
    method: str
    path: str
    correlation_id: str  # of the attempt that produced this answer: quote it to Microsoft support
    request_id: str  # the same on every attempt of the call
    attempts: int = 1
    duration_ms: float = 0.0
    correlation_ids: tuple[str, ...] = ()  # one per attempt, oldest first


# --- lenient readers ------------------------------------------------------------------------------------


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 with `Z`, an offset or no zone (read as UTC); 7-digit fractions; year 1 means "none"."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or text.startswith("0001-01-01"):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _parse_long_fraction(text)
        if parsed is None:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_long_fraction(text: str) -> datetime | None:
    # Python reads at most 6 fractional digits on some versions; .NET writes 7.
    head, dot, rest = text.partition(".")
    if not dot:
        return None
    digits = ""
    while rest and rest[0].isdigit():
        digits, rest = digits + rest[0], rest[1:]
    try:
        return datetime.fromisoformat(f"{head}.{digits[:6].ljust(6, '0')}{rest}")
    except ValueError:
        return None


def parse_decimal(value: Any) -> Decimal | None:
    """A JSON number or a numeric string (the one-time line-item sample sends `"unitPrice": "16"`)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest text that round-trips: what the JSON said
    if isinstance(value, str) and value.strip():
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _parse_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            number = parse_decimal(value)
            return int(number) if number is not None and number == int(number) else None
    return None


def _parse_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


# Objects of one kind share their key set (every line item of an invoice, say), so the lower-case index of
# a key set is built once and reused: building it per object was most of the cost of parsing large pages.
_KEY_INDEXES: dict[tuple[Any, ...], dict[str, str]] = {}
_KEY_INDEXES_MAX = 1024


def _key_index(raw: Mapping[str, Any]) -> dict[str, str]:
    keys = tuple(raw)
    index = _KEY_INDEXES.get(keys)
    if index is None:
        if len(_KEY_INDEXES) >= _KEY_INDEXES_MAX:
            _KEY_INDEXES.clear()
        index = _KEY_INDEXES[keys] = {k.lower(): k for k in keys if isinstance(k, str)}
    return index


class _Fields:
    """Case-insensitive, type-tolerant access to one JSON object."""

    __slots__ = ("_index", "raw")

    def __init__(self, data: Any) -> None:
        self.raw: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
        self._index: dict[str, str] | None = None

    def get(self, *keys: str) -> Any:
        raw = self.raw
        for key in keys:
            value = raw.get(key)
            if value is None and key not in raw:
                if self._index is None:
                    self._index = _key_index(raw)
                actual = self._index.get(key.lower())
                value = raw[actual] if actual is not None else None
            if value is not None:
                return value
        return None

    def text(self, *keys: str) -> str | None:
        value = self.get(*keys)
        if value is None or type(value) is str:
            return value
        if isinstance(value, dict | list | Mapping):
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def integer(self, key: str) -> int | None:
        return _parse_int(self.get(key))

    def money(self, key: str) -> Decimal | None:
        return parse_decimal(self.get(key))

    def flag(self, key: str) -> bool | None:
        return _parse_bool(self.get(key))

    def when(self, key: str) -> datetime | None:
        return parse_datetime(self.get(key))

    def enum(self, cls: type[E], key: str) -> E | None:
        return cls.parse(self.get(key))

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.get(key)
        return dict(value) if isinstance(value, Mapping) else {}

    def array(self, key: str) -> list[Any]:
        value = self.get(key)
        return list(value) if isinstance(value, list) else []

    def texts(self, key: str) -> tuple[str, ...]:
        return tuple(str(v) for v in self.array(key) if v is not None and not isinstance(v, Mapping | list))

    def one(self, cls: type[M], key: str) -> M | None:
        value = self.get(key)
        return cls.from_json(value) if isinstance(value, Mapping) else None

    def many(self, cls: type[M], key: str) -> tuple[M, ...]:
        return tuple(cls.from_json(v) for v in self.array(key) if isinstance(v, Mapping))

    def links(self) -> dict[str, Link]:
        return {
            str(name): Link.from_json(value)
            for name, value in self.mapping("links").items()
            if isinstance(value, Mapping)
        }


@dataclass(frozen=True, kw_only=True)
class Resource:
    """Base of every model: the JSON it came from, and for a top-level result the call's metadata."""

    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    meta: ResponseMeta | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Self:
        raise NotImplementedError

    def with_meta(self, meta: ResponseMeta) -> Self:
        return dataclasses.replace(self, meta=meta)


# --- common pieces --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Link(Resource):
    """`{"uri", "method", "headers": [{"key", "value"}]}`; the uri is relative, with or without /v1."""

    uri: str = ""
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> Link:
        f = _Fields(data)
        raw_headers = f.get("headers")
        headers: list[tuple[str, str]] = []
        if isinstance(raw_headers, list):
            for entry in raw_headers:
                h = _Fields(entry)
                key = h.text("key", "name")
                if key:
                    headers.append((key, h.text("value") or ""))
        elif isinstance(raw_headers, Mapping):  # tolerated: a plain object of header names
            headers = [(str(k), str(v)) for k, v in raw_headers.items() if v is not None]
        return cls(
            uri=f.text("uri", "href") or "",
            method=(f.text("method") or "GET").upper(),
            headers=tuple(headers),
            raw=f.raw,
        )

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


@dataclass(frozen=True, kw_only=True)
class Currency(Resource):
    code: str | None = None
    symbol: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Currency:
        if isinstance(data, str):  # the resource table types defaultCurrency as a string (§10.2)
            return cls(code=data)
        f = _Fields(data)
        return cls(code=f.text("code"), symbol=f.text("symbol"), raw=f.raw)


def _currency(f: _Fields, key: str) -> Currency | None:
    value = f.get(key)
    if isinstance(value, str) and value.strip():
        return Currency.from_json(value.strip())
    return Currency.from_json(value) if isinstance(value, Mapping) else None


# --- customers and subscriptions ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Address(Resource):
    country: str | None = None
    region: str | None = None
    state: str | None = None
    city: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    postal_code: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone_number: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Address:
        f = _Fields(data)
        return cls(
            country=f.text("country"),
            region=f.text("region"),
            state=f.text("state"),
            city=f.text("city"),
            address_line1=f.text("addressLine1"),
            address_line2=f.text("addressLine2"),
            postal_code=f.text("postalCode"),
            first_name=f.text("firstName"),
            last_name=f.text("lastName"),
            phone_number=f.text("phoneNumber"),
            raw=f.raw,
        )


@dataclass(frozen=True, kw_only=True)
class CompanyProfile(Resource):
    tenant_id: str | None = None
    domain: str | None = None
    company_name: str | None = None
    email: str | None = None
    address: Address | None = None

    @classmethod
    def from_json(cls, data: Any) -> CompanyProfile:
        f = _Fields(data)
        return cls(
            tenant_id=f.text("tenantId"),
            domain=f.text("domain"),
            company_name=f.text("companyName"),
            email=f.text("email"),
            address=f.one(Address, "address"),
            raw=f.raw,
        )


@dataclass(frozen=True, kw_only=True)
class BillingProfile(Resource):
    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    culture: str | None = None
    language: str | None = None
    company_name: str | None = None
    default_address: Address | None = None

    @classmethod
    def from_json(cls, data: Any) -> BillingProfile:
        f = _Fields(data)
        return cls(
            id=f.text("id"),
            first_name=f.text("firstName"),
            last_name=f.text("lastName"),
            email=f.text("email"),
            culture=f.text("culture"),
            language=f.text("language"),
            company_name=f.text("companyName"),
            default_address=f.one(Address, "defaultAddress"),
            raw=f.raw,
        )


@dataclass(frozen=True, kw_only=True)
class Customer(Resource):
    id: str | None = None
    commerce_id: str | None = None
    company_profile: CompanyProfile | None = None
    billing_profile: BillingProfile | None = None
    relationship_to_partner: str | None = None
    allow_delegated_access: bool | None = None
    custom_domains: tuple[str, ...] = ()
    links: Mapping[str, Link] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Customer:
        f = _Fields(data)
        return cls(
            id=f.text("id"),
            commerce_id=f.text("commerceId"),
            company_profile=f.one(CompanyProfile, "companyProfile"),
            billing_profile=f.one(BillingProfile, "billingProfile"),
            relationship_to_partner=f.text("relationshipToPartner"),
            allow_delegated_access=f.flag("allowDelegatedAccess"),
            custom_domains=f.texts("customDomains"),
            links=f.links(),
            raw=f.raw,
        )

    @property
    def company_name(self) -> str | None:
        return self.company_profile.company_name if self.company_profile else None

    @property
    def domain(self) -> str | None:
        return self.company_profile.domain if self.company_profile else None

    @property
    def country(self) -> str | None:
        """The customer's market: billing address first, then the company profile's address.

        The list call does not return addresses; get the customer by id for this.
        """
        for address in (
            self.billing_profile.default_address if self.billing_profile else None,
            self.company_profile.address if self.company_profile else None,
        ):
            if address is not None and address.country:
                return address.country.upper()
        return None


@dataclass(frozen=True, kw_only=True)
class ProductType(Resource):
    id: str | None = None
    display_name: str | None = None
    sub_type: ProductType | None = None

    @classmethod
    def from_json(cls, data: Any) -> ProductType:
        f = _Fields(data)
        return cls(
            id=f.text("id"),
            display_name=f.text("displayName"),
            sub_type=f.one(ProductType, "subType"),
            raw=f.raw,
        )


@dataclass(frozen=True, kw_only=True)
class Subscription(Resource):
    id: str | None = None
    offer_id: str | None = None
    entitlement_id: str | None = None
    offer_name: str | None = None
    friendly_name: str | None = None
    product_type: ProductType | None = None
    quantity: int | None = None
    unit_type: str | None = None
    parent_subscription_id: str | None = None
    creation_date: datetime | None = None
    effective_start_date: datetime | None = None
    commitment_end_date: datetime | None = None
    status: SubscriptionStatus | None = None
    auto_renew_enabled: bool | None = None
    is_trial: bool | None = None
    billing_type: str | None = None
    billing_cycle: BillingCycle | None = None
    term_duration: str | None = None
    is_microsoft_product: bool | None = None
    publisher_name: str | None = None
    partner_id: str | None = None
    contract_type: str | None = None
    consumption_type: str | None = None
    order_id: str | None = None
    product_order_id: str | None = None
    links: Mapping[str, Link] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Subscription:
        f = _Fields(data)
        return cls(
            id=f.text("id"),
            offer_id=f.text("offerId"),
            entitlement_id=f.text("entitlementId"),
            offer_name=f.text("offerName"),
            friendly_name=f.text("friendlyName"),
            product_type=f.one(ProductType, "productType"),
            quantity=f.integer("quantity"),
            unit_type=f.text("unitType"),
            parent_subscription_id=f.text("parentSubscriptionId"),
            creation_date=f.when("creationDate"),
            effective_start_date=f.when("effectiveStartDate"),
            commitment_end_date=f.when("commitmentEndDate"),
            status=f.enum(SubscriptionStatus, "status"),
            auto_renew_enabled=f.flag("autoRenewEnabled"),
            is_trial=f.flag("isTrial"),
            billing_type=f.text("billingType"),
            billing_cycle=f.enum(BillingCycle, "billingCycle"),
            term_duration=f.text("termDuration") or None,
            is_microsoft_product=f.flag("isMicrosoftProduct"),
            publisher_name=f.text("publisherName"),
            partner_id=f.text("partnerId") or None,
            contract_type=f.text("contractType"),
            consumption_type=f.text("consumptionType"),
            order_id=f.text("orderId"),
            product_order_id=f.text("productOrderId"),
            links=f.links(),
            raw=f.raw,
        )


@dataclass(frozen=True, kw_only=True)
class AzureEntitlement(Resource):
    """An Azure subscription under an Azure plan: `id` is the Azure subscription GUID (§6.3a)."""

    id: str | None = None
    friendly_name: str | None = None
    status: SubscriptionStatus | None = None
    subscription_id: str | None = None  # the Partner Center Azure plan subscription

    @classmethod
    def from_json(cls, data: Any) -> AzureEntitlement:
        f = _Fields(data)
        return cls(
            id=f.text("id"),
            friendly_name=f.text("friendlyName"),
            status=f.enum(SubscriptionStatus, "status"),
            subscription_id=f.text("subscriptionId"),
            raw=f.raw,
        )


@dataclass(frozen=True, kw_only=True)
class RegistrationStatus(Resource):
    subscription_id: str | None = None
    status: RegistrationState | None = None  # table says lowercase, sample says NotRegistered (§10.7)

    @classmethod
    def from_json(cls, data: Any) -> RegistrationStatus:
        f = _Fields(data)
        return cls(
            subscription_id=f.text("subscriptionId"),
            status=f.enum(RegistrationState, "status"),
            raw=f.raw,
        )

    @property
    def is_registered(self) -> bool:
        return self.status == RegistrationState.REGISTERED


@dataclass(frozen=True, kw_only=True)
class SubmittedRegistration(Resource):
    """The answer to a registration request: where its status can be read (no /v1 prefix)."""

    status_location: str = ""

    @classmethod
    def from_json(cls, data: Any) -> SubmittedRegistration:
        f = _Fields(data)
        return cls(status_location=f.text("location") or "", raw=f.raw)


# --- catalog --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Product(Resource):
    id: str | None = None
    title: str | None = None
    description: str | None = None
    product_type: ProductType | None = None
    is_microsoft_product: bool | None = None
    publisher_name: str | None = None
    links: Mapping[str, Link] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Product:
        f = _Fields(data)
        return cls(
            id=f.text("id"),
            title=f.text("title"),
            description=f.text("description"),
            product_type=f.one(ProductType, "productType"),
            is_microsoft_product=f.flag("isMicrosoftProduct"),
            publisher_name=f.text("publisherName"),
            links=f.links(),
            raw=f.raw,
        )


def _has(values: Iterable[str], wanted: str) -> bool:
    return any(v.lower() == wanted.lower() for v in values)


@dataclass(frozen=True, kw_only=True)
class Sku(Resource):
    id: str | None = None
    product_id: str | None = None
    title: str | None = None
    description: str | None = None
    minimum_quantity: int | None = None
    maximum_quantity: int | None = None
    is_trial: bool | None = None
    supported_billing_cycles: tuple[BillingCycle, ...] = ()
    purchase_prerequisites: tuple[str, ...] = ()
    inventory_variables: tuple[str, ...] = ()
    provisioning_variables: tuple[str, ...] = ()
    dynamic_attributes: Mapping[str, Any] = field(default_factory=dict)  # free-form; no key is promised
    actions: tuple[str, ...] = ()
    consumption_type: str | None = None
    links: Mapping[str, Link] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Sku:
        f = _Fields(data)
        cycles = (BillingCycle.parse(v) for v in f.array("supportedBillingCycles"))
        return cls(
            id=f.text("id"),
            product_id=f.text("productId"),
            title=f.text("title"),
            description=f.text("description"),
            minimum_quantity=f.integer("minimumQuantity"),
            maximum_quantity=f.integer("maximumQuantity"),
            is_trial=f.flag("isTrial"),
            supported_billing_cycles=tuple(c for c in cycles if c is not None),
            purchase_prerequisites=f.texts("purchasePrerequisites"),
            inventory_variables=f.texts("inventoryVariables"),
            provisioning_variables=f.texts("provisioningVariables"),
            dynamic_attributes=f.mapping("dynamicAttributes"),
            actions=f.texts("actions"),
            consumption_type=f.text("consumptionType"),
            links=f.links(),
            raw=f.raw,
        )

    @property
    def requires_inventory_check(self) -> bool:
        return _has(self.purchase_prerequisites, "InventoryCheck")

    @property
    def requires_registration(self) -> bool:
        return _has(self.purchase_prerequisites, "AzureSubscriptionRegistration")

    def attribute(self, name: str) -> Any:
        """A dynamic attribute by case-insensitive name (`armRegionName`, `duration`, ...), or None."""
        return _Fields(self.dynamic_attributes).get(name)


@dataclass(frozen=True, kw_only=True)
class Term(Resource):
    id: str | None = None
    duration: str | None = None
    description: str | None = None
    billing_cycle: BillingCycle | None = None

    @classmethod
    def from_json(cls, data: Any) -> Term:
        f = _Fields(data)
        return cls(
            id=f.text("id"),
            duration=f.text("duration"),
            description=f.text("description"),
            billing_cycle=f.enum(BillingCycle, "billingCycle"),
            raw=f.raw,
        )


@dataclass(frozen=True, kw_only=True)
class Availability(Resource):
    """Ids and catalog item ids rotate: read them just before building a cart, never store them."""

    id: str | None = None
    product_id: str | None = None
    sku_id: str | None = None
    catalog_item_id: str | None = None
    default_currency: Currency | None = None
    segment: str | None = None
    country: str | None = None
    is_purchasable: bool | None = None
    is_renewable: bool | None = None
    terms: tuple[Term, ...] = ()
    product: Product | None = None
    sku: Sku | None = None
    links: Mapping[str, Link] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Availability:
        f = _Fields(data)
        return cls(
            id=f.text("id"),
            product_id=f.text("productId"),
            sku_id=f.text("skuId"),
            catalog_item_id=f.text("catalogItemId"),
            default_currency=_currency(f, "defaultCurrency"),
            segment=(f.text("segment") or "").lower() or None,
            country=f.text("country"),
            is_purchasable=f.flag("isPurchasable"),
            is_renewable=f.flag("isRenewable"),
            terms=f.many(Term, "terms"),
            product=f.one(Product, "product"),
            sku=f.one(Sku, "sku"),
            links=f.links(),
            raw=f.raw,
        )


@dataclass(frozen=True, kw_only=True)
class Restriction(Resource):
    reason_code: str | None = None
    description: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Restriction:
        f = _Fields(data)
        return cls(
            reason_code=f.text("reasonCode"),
            description=f.text("description"),
            properties=f.mapping("properties"),
            raw=f.raw,
        )


@dataclass(frozen=True, kw_only=True)
class InventoryItem(Resource):
    product_id: str | None = None
    sku_id: str | None = None
    is_restricted: bool = False
    restrictions: tuple[Restriction, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> InventoryItem:
        f = _Fields(data)
        restrictions = f.many(Restriction, "restrictions")
        restricted = f.flag("isRestricted")
        return cls(
            product_id=f.text("productId"),
            sku_id=f.text("skuId"),
            is_restricted=bool(restrictions) if restricted is None else restricted,
            restrictions=restrictions,
            raw=f.raw,
        )


@dataclass(frozen=True)
class InventoryTarget:
    """One item to check: a whole product (every SKU) or one of its SKUs."""

    product_id: str
    sku_id: str | None = None

    def to_json(self) -> dict[str, str]:
        body = {"productId": self.product_id}
        if self.sku_id:
            body["skuId"] = self.sku_id
        return body


# --- carts ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CartLineError(Resource):
    error_code: CartErrorCode | None = None
    error_description: str | None = None
    additional_information: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> CartLineError:
        f = _Fields(data)
        return cls(
            error_code=f.enum(CartErrorCode, "errorCode"),
            error_description=f.text("errorDescription", "description"),
            additional_information=f.mapping("additionalInformation"),
            raw=f.raw,
        )


@dataclass(frozen=True, kw_only=True)
class CartLineItem(Resource):
    """A cart line, as sent (build one with the request fields) and as returned (with error, group, price).

    A reservation line: `CartLineItem(id=0, catalog_item_id=availability.catalog_item_id, quantity=2,
    billing_cycle=BillingCycle.ONE_TIME, term_duration="P1Y",
    provisioning_context={"subscriptionId": ..., "scope": "shared", "duration": "1Year"})`.
    """

    id: int | None = None
    catalog_item_id: str | None = None
    friendly_name: str | None = None
    quantity: int | None = None
    currency_code: str | None = None
    billing_cycle: BillingCycle | str | None = None
    term_duration: str | None = None
    provisioning_context: Mapping[str, str] = field(default_factory=dict)
    participants: tuple[tuple[str, str], ...] = ()
    order_group: str | None = None
    renews_to: str | None = None  # the renewal term duration; sent as {"termDuration": ...}
    promotion_id: str | None = None
    attestation_accepted: bool | None = None
    pricing: Mapping[str, Any] = field(default_factory=dict)
    error: CartLineError | None = None

    @classmethod
    def from_json(cls, data: Any) -> CartLineItem:
        f = _Fields(data)
        renews_to = f.get("renewsTo")
        if isinstance(renews_to, list):  # documented as an array, sent as one object (§10.5)
            renews_to = renews_to[0] if renews_to else None
        participants = tuple(
            (p.text("key") or "", p.text("value") or "") for p in map(_Fields, f.array("participants"))
        )
        return cls(
            id=f.integer("id"),
            catalog_item_id=f.text("catalogItemId", "catalogId"),
            friendly_name=f.text("friendlyName"),
            quantity=f.integer("quantity"),
            currency_code=f.text("currencyCode"),
            billing_cycle=f.enum(BillingCycle, "billingCycle"),
            term_duration=f.text("termDuration"),
            provisioning_context={k: str(v) for k, v in f.mapping("provisioningContext").items()},
            participants=participants,
            order_group=f.text("orderGroup"),
            renews_to=_Fields(renews_to).text("termDuration"),
            promotion_id=f.text("promotionId"),
            attestation_accepted=f.flag("attestationAccepted"),
            pricing=f.mapping("pricing"),
            error=f.one(CartLineError, "error"),
            raw=f.raw,
        )

    def to_json(self) -> dict[str, Any]:
        """The request form (§6.13), camelCase; response-only fields (error, pricing) are not sent back."""
        body: dict[str, Any] = {
            "id": self.id,
            "catalogItemId": self.catalog_item_id,
            "friendlyName": self.friendly_name,
            "quantity": self.quantity,
            "currencyCode": self.currency_code,
            "billingCycle": _wire(BillingCycle.parse(self.billing_cycle)),
            "termDuration": self.term_duration,
            "provisioningContext": dict(self.provisioning_context) or None,
            "participants": [{"key": k, "value": v} for k, v in self.participants] or None,
            "orderGroup": self.order_group,
            "renewsTo": {"termDuration": self.renews_to} if self.renews_to else None,
            "promotionId": self.promotion_id,
            "attestationAccepted": self.attestation_accepted,
        }
        return {key: value for key, value in body.items() if value is not None}


def _wire(value: WireEnum | None) -> str | None:
    return value.value if value is not None else None


@dataclass(frozen=True, kw_only=True)
class Cart(Resource):
    id: str | None = None
    creation_timestamp: datetime | None = None
    last_modified_timestamp: datetime | None = None
    expiration_timestamp: datetime | None = None  # 7 days after creation
    last_modified_user: str | None = None
    status: CartStatus | None = None
    line_items: tuple[CartLineItem, ...] = ()
    partner_on_record_attestation_accepted: bool | None = None
    links: Mapping[str, Link] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Cart:
        # The resource table writes ...TimeStamp, the JSON ...Timestamp (§10.3): names match without case.
        f = _Fields(data)
        return cls(
            id=f.text("id"),
            creation_timestamp=f.when("creationTimestamp"),
            last_modified_timestamp=f.when("lastModifiedTimestamp"),
            expiration_timestamp=f.when("expirationTimestamp"),
            last_modified_user=f.text("lastModifiedUser"),
            status=f.enum(CartStatus, "status"),
            line_items=f.many(CartLineItem, "lineItems"),
            partner_on_record_attestation_accepted=f.flag("partnerOnRecordAttestationAccepted"),
            links=f.links(),
            raw=f.raw,
        )

    @property
    def line_errors(self) -> tuple[CartLineItem, ...]:
        """Lines the service flagged: check this before checking out."""
        return tuple(line for line in self.line_items if line.error is not None)

    def to_json(self) -> dict[str, Any]:
        """The body of create (no id yet) or update (the whole cart, as read, with the changed lines)."""
        f = _Fields(self.raw)
        body: dict[str, Any] = {}
        if self.id:
            body["id"] = self.id
            # Timestamps go back exactly as the service wrote them.
            for key in (
                "creationTimestamp",
                "lastModifiedTimestamp",
                "expirationTimestamp",
                "lastModifiedUser",
            ):
                if f.get(key) is not None:
                    body[key] = f.get(key)
            if self.status is not None:
                body["status"] = f.text("status") or str(self.status)
        body["lineItems"] = [line.to_json() for line in self.line_items]
        if self.partner_on_record_attestation_accepted is not None:
            body["partnerOnRecordAttestationAccepted"] = self.partner_on_record_attestation_accepted
        return body


# --- orders ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OrderLineItem(Resource):
    line_item_number: int | None = None
    offer_id: str | None = None  # the catalogItemId that was bought
    subscription_id: str | None = None  # appears once provisioning finished
    parent_subscription_id: str | None = None
    friendly_name: str | None = None
    quantity: int | None = None
    term_duration: str | None = None
    transaction_type: LineItemTransactionType | None = None
    provisioning_context: Mapping[str, Any] = field(default_factory=dict)
    pricing: Mapping[str, Any] = field(default_factory=dict)
    links: Mapping[str, Link] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> OrderLineItem:
        f = _Fields(data)
        return cls(
            line_item_number=f.integer("lineItemNumber"),
            offer_id=f.text("offerId"),
            subscription_id=f.text("subscriptionId"),
            parent_subscription_id=f.text("parentSubscriptionId"),
            friendly_name=f.text("friendlyName"),
            quantity=f.integer("quantity"),
            term_duration=f.text("termDuration"),
            transaction_type=f.enum(LineItemTransactionType, "transactionType"),
            provisioning_context=f.mapping("provisioningContext"),
            pricing=f.mapping("pricing"),
            links=f.links(),
            raw=f.raw,
        )


@dataclass(frozen=True, kw_only=True)
class Order(Resource):
    id: str | None = None
    alternate_id: str | None = None
    reference_customer_id: str | None = None
    billing_cycle: BillingCycle | None = None
    currency_code: str | None = None
    currency_symbol: str | None = None
    line_items: tuple[OrderLineItem, ...] = ()
    creation_date: datetime | None = None
    status: OrderStatus | None = None
    transaction_type: OrderTransactionType | None = None
    total_price: Decimal | None = None
    links: Mapping[str, Link] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Order:
        f = _Fields(data)
        return cls(
            id=f.text("id"),
            alternate_id=f.text("alternateId"),
            reference_customer_id=f.text("referenceCustomerId"),
            billing_cycle=f.enum(BillingCycle, "billingCycle"),
            currency_code=f.text("currencyCode"),
            currency_symbol=f.text("currencySymbol"),
            line_items=f.many(OrderLineItem, "lineItems"),
            creation_date=f.when("creationDate"),
            status=f.enum(OrderStatus, "status"),
            transaction_type=f.enum(OrderTransactionType, "transactionType"),
            total_price=f.money("totalPrice"),
            links=f.links(),
            raw=f.raw,
        )


@dataclass(frozen=True, kw_only=True)
class OrderError(Resource):
    """An order group that could not become an order at checkout (partial success)."""

    order_group_id: str | None = None
    code: str | None = None  # an int on the wire; a string here, like PartnerCenterError.code
    description: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> OrderError:
        f = _Fields(data)
        return cls(
            order_group_id=f.text("orderGroupId"),
            code=f.text("code"),
            description=f.text("description"),
            raw=f.raw,
        )


@dataclass(frozen=True, kw_only=True)
class CartCheckoutResult(Resource):
    orders: tuple[Order, ...] = ()
    order_errors: tuple[OrderError, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> CartCheckoutResult:
        f = _Fields(data)
        return cls(orders=f.many(Order, "orders"), order_errors=f.many(OrderError, "orderErrors"), raw=f.raw)


@dataclass(frozen=True, kw_only=True)
class QuantityProvisioning(Resource):
    quantity: int | None = None
    status: ProvisioningStatus | None = None

    @classmethod
    def from_json(cls, data: Any) -> QuantityProvisioning:
        f = _Fields(data)
        return cls(quantity=f.integer("quantity"), status=f.enum(ProvisioningStatus, "status"), raw=f.raw)


@dataclass(frozen=True, kw_only=True)
class OrderLineItemProvisioningStatus(Resource):
    order_line_item_id: int | None = None
    line_item_number: int | None = None
    status: ProvisioningStatus | None = None
    quantity_provisioning_information: tuple[QuantityProvisioning, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> OrderLineItemProvisioningStatus:
        f = _Fields(data)
        return cls(
            order_line_item_id=f.integer("orderLineItemId"),
            line_item_number=f.integer("lineItemNumber"),
            status=f.enum(ProvisioningStatus, "status"),
            quantity_provisioning_information=f.many(QuantityProvisioning, "quantityProvisioningInformation"),
            raw=f.raw,
        )


# --- entitlements ---------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReferenceOrder(Resource):
    id: str | None = None
    line_item_id: str | None = None
    alternate_id: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> ReferenceOrder:
        f = _Fields(data)
        return cls(
            id=f.text("id"), line_item_id=f.text("lineItemId"), alternate_id=f.text("alternateId"), raw=f.raw
        )


@dataclass(frozen=True, kw_only=True)
class Artifact(Resource):
    artifact_type: str | None = None
    link: Link | None = None  # for reserved instances: where the reservation details are
    resource_id: str | None = None  # for reserved instances: the reservation order id
    dynamic_attributes: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Artifact:
        f = _Fields(data)
        return cls(
            artifact_type=f.text("artifactType"),
            link=f.one(Link, "link"),
            resource_id=f.text("resourceId"),
            dynamic_attributes=f.mapping("dynamicAttributes"),
            raw=f.raw,
        )

    @property
    def reservation_type(self) -> str | None:
        value = _Fields(self.dynamic_attributes).text("reservationType")
        return value.lower() if value else None


@dataclass(frozen=True, kw_only=True)
class Entitlement(Resource):
    reference_order: ReferenceOrder | None = None
    product_id: str | None = None
    sku_id: str | None = None
    quantity: int | None = None
    quantity_details: tuple[Mapping[str, Any], ...] = ()
    entitlement_type: EntitlementType | None = None
    fulfillment_state: str | None = None
    entitled_artifacts: tuple[Artifact, ...] = ()
    included_entitlements: tuple[Entitlement, ...] = ()
    expiry_date: datetime | None = None
    dynamic_attributes: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Entitlement:
        f = _Fields(data)
        own_attributes = f.mapping("dynamicAttributes")
        artifacts = f.many(Artifact, "entitledArtifacts")
        if own_attributes:
            # The sample puts dynamicAttributes on the entitlement, the table on the artifact (§10.10):
            # artifacts without their own inherit the entitlement's, so readers look in one place.
            artifacts = tuple(
                a if a.dynamic_attributes else dataclasses.replace(a, dynamic_attributes=own_attributes)
                for a in artifacts
            )
        return cls(
            reference_order=f.one(ReferenceOrder, "referenceOrder"),
            product_id=f.text("productId"),
            sku_id=f.text("skuId"),
            quantity=f.integer("quantity"),
            quantity_details=tuple(d for d in f.array("quantityDetails") if isinstance(d, Mapping)),
            entitlement_type=f.enum(EntitlementType, "entitlementType"),
            fulfillment_state=f.text("fulfillmentState"),
            entitled_artifacts=artifacts,
            included_entitlements=f.many(Entitlement, "includedEntitlements"),
            expiry_date=f.when("expiryDate"),
            dynamic_attributes=own_attributes,
            raw=f.raw,
        )


@dataclass(frozen=True, kw_only=True)
class Reservation(Resource):
    reservation_id: str | None = None
    display_name: str | None = None
    scope_type: str | None = None
    applied_scopes: tuple[str, ...] = ()
    quantity: int | None = None
    expiry_date_time: datetime | None = None
    effective_date_time: datetime | None = None
    provisioning_state: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Reservation:
        f = _Fields(data)
        return cls(
            reservation_id=f.text("reservationId"),
            display_name=f.text("displayName"),
            scope_type=f.text("scopeType"),
            applied_scopes=f.texts("appliedScopes"),
            quantity=f.integer("quantity"),
            expiry_date_time=f.when("expiryDateTime"),
            effective_date_time=f.when("effectiveDateTime"),
            provisioning_state=f.text("provisioningState"),
            raw=f.raw,
        )


@dataclass(frozen=True, kw_only=True)
class ReservationDetails(Resource):
    type: str | None = None
    reservations: tuple[Reservation, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> ReservationDetails:
        # `reservations` in the table and SDK; the sample prints the legacy `virtualMachineReservations`.
        f = _Fields(data)
        key = "reservations" if f.get("reservations") is not None else "virtualMachineReservations"
        return cls(type=f.text("type"), reservations=f.many(Reservation, key), raw=f.raw)


# --- invoices -------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class InvoiceSummaryDetail(Resource):
    invoice_type: InvoiceType | None = None
    summary: InvoiceSummary | None = None

    @classmethod
    def from_json(cls, data: Any) -> InvoiceSummaryDetail:
        f = _Fields(data)
        return cls(
            invoice_type=f.enum(InvoiceType, "invoiceType"),
            summary=f.one(InvoiceSummary, "summary"),
            raw=f.raw,
        )


@dataclass(frozen=True, kw_only=True)
class InvoiceSummary(Resource):
    balance_amount: Decimal | None = None
    currency_code: str | None = None
    currency_symbol: str | None = None
    accounting_date: datetime | None = None
    first_invoice_creation_date: datetime | None = None
    last_payment_date: datetime | None = None
    last_payment_amount: Decimal | None = None
    latest_invoice_date: datetime | None = None
    details: tuple[InvoiceSummaryDetail, ...] = ()
    links: Mapping[str, Link] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> InvoiceSummary:
        f = _Fields(data)
        return cls(
            balance_amount=f.money("balanceAmount"),
            currency_code=f.text("currencyCode"),
            currency_symbol=f.text("currencySymbol"),
            accounting_date=f.when("accountingDate"),
            first_invoice_creation_date=f.when("firstInvoiceCreationDate"),
            last_payment_date=f.when("lastPaymentDate"),
            last_payment_amount=f.money("lastPaymentAmount"),
            latest_invoice_date=f.when("latestInvoiceDate"),
            details=f.many(InvoiceSummaryDetail, "details"),
            links=f.links(),
            raw=f.raw,
        )


@dataclass(frozen=True, kw_only=True)
class TaxReceipt(Resource):
    id: str | None = None
    pdf_download_link: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> TaxReceipt:
        f = _Fields(data)
        return cls(id=f.text("id"), pdf_download_link=f.text("taxReceiptPdfDownloadLink"), raw=f.raw)


@dataclass(frozen=True, kw_only=True)
class InvoiceDetail(Resource):
    """Which line items an invoice has: their provider and type, and the link that lists them."""

    invoice_line_item_type: InvoiceLineItemType | None = None
    billing_provider: BillingProvider | None = None
    links: Mapping[str, Link] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> InvoiceDetail:
        f = _Fields(data)
        return cls(
            invoice_line_item_type=f.enum(InvoiceLineItemType, "invoiceLineItemType"),
            billing_provider=f.enum(BillingProvider, "billingProvider"),
            links=f.links(),
            raw=f.raw,
        )


@dataclass(frozen=True, kw_only=True)
class Invoice(Resource):
    id: str | None = None
    invoice_date: datetime | None = None
    billing_period_start_date: datetime | None = None
    billing_period_end_date: datetime | None = None
    total_charges: Decimal | None = None
    paid_amount: Decimal | None = None  # negative when a payment was received
    currency_code: str | None = None
    currency_symbol: str | None = None
    pdf_download_link: str | None = None
    tax_receipts: tuple[TaxReceipt, ...] = ()
    invoice_details: tuple[InvoiceDetail, ...] = ()
    amendments: tuple[Invoice, ...] = ()
    amends_of: str | None = None
    document_type: DocumentType | None = None
    invoice_type: InvoiceType | None = None
    status: str | None = None
    links: Mapping[str, Link] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Invoice:
        f = _Fields(data)
        return cls(
            id=f.text("id"),
            invoice_date=f.when("invoiceDate"),
            billing_period_start_date=f.when("billingPeriodStartDate"),
            billing_period_end_date=f.when("billingPeriodEndDate"),
            total_charges=f.money("totalCharges"),
            paid_amount=f.money("paidAmount"),
            currency_code=f.text("currencyCode"),
            currency_symbol=f.text("currencySymbol"),
            pdf_download_link=f.text("pdfDownloadLink"),
            tax_receipts=f.many(TaxReceipt, "taxReceipts"),
            invoice_details=f.many(InvoiceDetail, "invoiceDetails"),
            amendments=f.many(Invoice, "amendments"),
            amends_of=f.text("amendsOf"),
            document_type=f.enum(DocumentType, "documentType"),
            invoice_type=f.enum(InvoiceType, "invoiceType"),
            status=f.text("status"),
            links=f.links(),
            raw=f.raw,
        )


@dataclass(frozen=True, kw_only=True)
class InvoiceLineItem(Resource):
    """A line of any kind. Kinds this client does not know arrive as this class, all fields in `.raw`."""

    invoice_line_item_type: InvoiceLineItemType | None = None
    billing_provider: BillingProvider | None = None

    @classmethod
    def from_json(cls, data: Any) -> InvoiceLineItem:
        f = _Fields(data)
        return cls(**_line_kind(f), raw=f.raw)


def _line_kind(f: _Fields) -> dict[str, Any]:
    return {
        "invoice_line_item_type": f.enum(InvoiceLineItemType, "invoiceLineItemType"),
        "billing_provider": f.enum(BillingProvider, "billingProvider"),
    }


@dataclass(frozen=True, kw_only=True)
class OneTimeInvoiceLineItem(InvoiceLineItem):
    """Where reservations are billed: provider `one_time`, type `billing_line_items`."""

    partner_id: str | None = None
    customer_id: str | None = None
    customer_name: str | None = None
    customer_domain_name: str | None = None
    customer_country: str | None = None
    invoice_number: str | None = None
    mpn_id: str | None = None
    reseller_mpn_id: str | None = None
    order_id: str | None = None
    order_date: datetime | None = None
    product_id: str | None = None
    sku_id: str | None = None
    availability_id: str | None = None
    product_name: str | None = None
    sku_name: str | None = None
    product_qualifiers: tuple[str, ...] = ()
    charge_type: str | None = None
    unit_price: Decimal | None = None
    effective_unit_price: Decimal | None = None
    unit_type: str | None = None
    quantity: Decimal | None = None
    billable_quantity: Decimal | None = None
    subtotal: Decimal | None = None
    tax_total: Decimal | None = None
    total_for_customer: Decimal | None = None
    currency: str | None = None
    pricing_currency: str | None = None
    pc_to_bc_exchange_rate: Decimal | None = None
    pc_to_bc_exchange_rate_date: datetime | None = None
    publisher_name: str | None = None
    publisher_id: str | None = None
    subscription_description: str | None = None
    subscription_id: str | None = None
    subscription_start_date: datetime | None = None
    subscription_end_date: datetime | None = None
    charge_start_date: datetime | None = None
    charge_end_date: datetime | None = None
    term_and_billing_cycle: str | None = None
    alternate_id: str | None = None
    reference_id: str | None = None
    price_adjustment_description: tuple[str, ...] = ()
    meter_description: str | None = None
    billing_frequency: str | None = None
    reservation_order_id: str | None = None  # ties the charge to the Azure reservation order
    promotion_id: str | None = None
    credit_reason_code: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> OneTimeInvoiceLineItem:
        f = _Fields(data)
        return cls(
            **_line_kind(f),
            partner_id=f.text("partnerId"),
            customer_id=f.text("customerId"),
            customer_name=f.text("customerName"),
            customer_domain_name=f.text("customerDomainName"),
            customer_country=f.text("customerCountry"),
            invoice_number=f.text("invoiceNumber"),
            mpn_id=f.text("mpnId"),
            reseller_mpn_id=f.text("resellerMpnId"),
            order_id=f.text("orderId"),
            order_date=f.when("orderDate"),
            product_id=f.text("productId"),
            sku_id=f.text("skuId"),
            availability_id=f.text("availabilityId"),
            product_name=f.text("productName"),
            sku_name=f.text("skuName"),
            product_qualifiers=f.texts("productQualifiers"),
            charge_type=f.text("chargeType"),
            unit_price=f.money("unitPrice"),
            effective_unit_price=f.money("effectiveUnitPrice"),
            unit_type=f.text("unitType") or None,
            quantity=f.money("quantity"),
            billable_quantity=f.money("billableQuantity"),
            subtotal=f.money("subtotal"),
            tax_total=f.money("taxTotal"),
            total_for_customer=f.money("totalForCustomer"),
            currency=f.text("currency"),
            pricing_currency=f.text("pricingCurrency"),
            pc_to_bc_exchange_rate=f.money("pcToBCExchangeRate"),
            pc_to_bc_exchange_rate_date=f.when("pcToBCExchangeRateDate"),
            publisher_name=f.text("publisherName", "providerName"),  # 2019 sample: providerName (§10.14)
            publisher_id=f.text("publisherId", "providerId") or None,
            subscription_description=f.text("subscriptionDescription") or None,
            subscription_id=f.text("subscriptionId"),
            subscription_start_date=f.when("subscriptionStartDate"),
            subscription_end_date=f.when("subscriptionEndDate"),
            charge_start_date=f.when("chargeStartDate"),
            charge_end_date=f.when("chargeEndDate"),
            term_and_billing_cycle=f.text("termAndBillingCycle"),
            alternate_id=f.text("alternateId"),
            reference_id=f.text("referenceId"),
            price_adjustment_description=_json_string_list(f.get("priceAdjustmentDescription")),
            meter_description=f.text("meterDescription") or None,
            billing_frequency=f.text("billingFrequency") or None,
            reservation_order_id=f.text("reservationOrderId") or None,
            promotion_id=f.text("promotionId") or None,
            credit_reason_code=f.text("creditReasonCode") or None,
            raw=f.raw,
        )


def _json_string_list(value: Any) -> tuple[str, ...]:
    """priceAdjustmentDescription is a JSON-encoded string array inside a string; tolerate both forms."""
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    if not isinstance(value, str) or not value.strip():
        return ()
    try:
        decoded = json.loads(value)
    except ValueError:
        return (value,)
    if isinstance(decoded, list):
        return tuple(str(v) for v in decoded)
    return (value,)


@dataclass(frozen=True, kw_only=True)
class LicenseBasedLineItem(InvoiceLineItem):
    """Office (license-based) billing line: provider `office`, type `billing_line_items`."""

    partner_id: str | None = None
    customer_id: str | None = None
    customer_name: str | None = None
    mpn_id: str | None = None
    tier2_mpn_id: str | None = None
    invoice_number: str | None = None
    order_id: str | None = None
    subscription_id: str | None = None
    subscription_name: str | None = None
    offer_id: str | None = None
    offer_name: str | None = None
    domain_name: str | None = None
    billing_cycle_type: str | None = None
    charge_type: str | None = None
    charge_start_date: datetime | None = None
    charge_end_date: datetime | None = None
    unit_price: Decimal | None = None
    quantity: Decimal | None = None
    amount: Decimal | None = None
    total_other_discount: Decimal | None = None
    subtotal: Decimal | None = None
    tax: Decimal | None = None
    total_for_customer: Decimal | None = None
    currency: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> LicenseBasedLineItem:
        f = _Fields(data)
        return cls(
            **_line_kind(f),
            partner_id=f.text("partnerId"),
            customer_id=f.text("customerId"),
            customer_name=f.text("customerName"),
            mpn_id=f.text("mpnId"),
            tier2_mpn_id=f.text("tier2MpnId"),
            invoice_number=f.text("invoiceNumber"),
            order_id=f.text("orderId"),
            subscription_id=f.text("subscriptionId"),
            subscription_name=f.text("subscriptionName"),
            offer_id=f.text("offerId"),
            offer_name=f.text("offerName"),
            domain_name=f.text("domainName"),
            billing_cycle_type=f.text("billingCycleType"),
            charge_type=f.text("chargeType"),
            charge_start_date=f.when("chargeStartDate"),
            charge_end_date=f.when("chargeEndDate"),
            unit_price=f.money("unitPrice"),
            quantity=f.money("quantity"),
            amount=f.money("amount"),
            total_other_discount=f.money("totalOtherDiscount"),
            subtotal=f.money("subtotal"),
            tax=f.money("tax"),
            total_for_customer=f.money("totalForCustomer"),
            currency=f.text("currency"),
            raw=f.raw,
        )


@dataclass(frozen=True, kw_only=True)
class UsageLineItem(InvoiceLineItem):
    """Legacy Azure (MS-AZR-0145P) and marketplace usage: the fields the three usage kinds share."""

    partner_id: str | None = None
    customer_id: str | None = None
    customer_name: str | None = None
    invoice_number: str | None = None
    subscription_id: str | None = None
    subscription_name: str | None = None
    order_id: str | None = None
    service_name: str | None = None
    service_type: str | None = None
    resource_guid: str | None = None
    resource_name: str | None = None
    region: str | None = None
    consumed_quantity: Decimal | None = None
    unit: str | None = None
    charge_start_date: datetime | None = None
    charge_end_date: datetime | None = None
    usage_date: datetime | None = None
    charge_type: str | None = None
    currency: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Self:
        f = _Fields(data)
        return cls(**_line_kind(f), **_usage_fields(f), **cls._extra(f), raw=f.raw)

    @classmethod
    def _extra(cls, f: _Fields) -> dict[str, Any]:
        return {}


def _first_number(*numbers: Decimal | None) -> Decimal | None:
    return next((n for n in numbers if n is not None), None)


def _usage_fields(f: _Fields) -> dict[str, Any]:
    return {
        "partner_id": f.text("partnerId"),
        "customer_id": f.text("customerId"),
        "customer_name": f.text("customerCompanyName", "customerName"),
        "invoice_number": f.text("invoiceNumber"),
        "subscription_id": f.text("subscriptionId"),
        "subscription_name": f.text("subscriptionName"),
        "order_id": f.text("orderId"),
        "service_name": f.text("serviceName", "meterCategory"),
        "service_type": f.text("serviceType", "meterSubCategory"),
        "resource_guid": f.text("resourceGuid", "meterId"),
        "resource_name": f.text("resourceName", "meterName"),
        "region": f.text("region", "meterRegion"),
        "consumed_quantity": _first_number(f.money("consumedQuantity"), f.money("quantity")),
        "unit": f.text("unit", "unitOfMeasure"),
        "charge_start_date": f.when("chargeStartDate"),
        "charge_end_date": f.when("chargeEndDate"),
        "usage_date": f.when("usageDate"),
        "charge_type": f.text("chargeType"),
        "currency": f.text("currency", "billingCurrency"),
    }


@dataclass(frozen=True, kw_only=True)
class UsageBasedLineItem(UsageLineItem):
    """Legacy Azure billing line: provider `azure`, type `billing_line_items`."""

    sku: str | None = None
    included_quantity: Decimal | None = None
    overage_quantity: Decimal | None = None
    list_price: Decimal | None = None
    pretax_charges: Decimal | None = None
    tax_amount: Decimal | None = None
    post_tax_total: Decimal | None = None

    @classmethod
    def _extra(cls, f: _Fields) -> dict[str, Any]:
        return {
            "sku": f.text("sku"),
            "included_quantity": f.money("includedQuantity"),
            "overage_quantity": f.money("overageQuantity"),
            "list_price": f.money("listPrice"),
            "pretax_charges": f.money("pretaxCharges"),
            "tax_amount": f.money("taxAmount"),
            "post_tax_total": f.money("postTaxTotal"),
        }


@dataclass(frozen=True, kw_only=True)
class DailyUsageLineItem(UsageLineItem):
    """Legacy Azure daily usage: provider `azure`, type `usage_line_items`."""


@dataclass(frozen=True, kw_only=True)
class DailyRatedUsageLineItem(UsageLineItem):
    """Marketplace daily rated usage: provider `marketplace`, type `usage_line_items`."""

    product_id: str | None = None
    sku_id: str | None = None
    availability_id: str | None = None
    unit_price: Decimal | None = None
    billing_pre_tax_total: Decimal | None = None
    pricing_pre_tax_total: Decimal | None = None
    pricing_currency: str | None = None

    @classmethod
    def _extra(cls, f: _Fields) -> dict[str, Any]:
        return {
            "product_id": f.text("productId"),
            "sku_id": f.text("skuId"),
            "availability_id": f.text("availabilityId"),
            "unit_price": f.money("unitPrice"),
            "billing_pre_tax_total": f.money("billingPreTaxTotal"),
            "pricing_pre_tax_total": f.money("pricingPreTaxTotal"),
            "pricing_currency": f.text("pricingCurrency"),
        }


_LINE_ITEM_KINDS: dict[tuple[InvoiceLineItemType, BillingProvider], type[InvoiceLineItem]] = {
    (InvoiceLineItemType.BILLING_LINE_ITEMS, BillingProvider.ONE_TIME): OneTimeInvoiceLineItem,
    (InvoiceLineItemType.BILLING_LINE_ITEMS, BillingProvider.OFFICE): LicenseBasedLineItem,
    (InvoiceLineItemType.BILLING_LINE_ITEMS, BillingProvider.AZURE): UsageBasedLineItem,
    (InvoiceLineItemType.USAGE_LINE_ITEMS, BillingProvider.AZURE): DailyUsageLineItem,
    (InvoiceLineItemType.USAGE_LINE_ITEMS, BillingProvider.MARKETPLACE): DailyRatedUsageLineItem,
}

_OBJECT_TYPES = {cls.__name__.lower(): cls for cls in _LINE_ITEM_KINDS.values()}


def parse_invoice_line_item(data: Any) -> InvoiceLineItem:
    """The class for a line, by (invoiceLineItemType, billingProvider), else by attributes.objectType."""
    f = _Fields(data)
    kind = _line_kind(f)
    cls = _LINE_ITEM_KINDS.get((kind["invoice_line_item_type"], kind["billing_provider"]))
    if cls is None:
        object_type = _Fields(f.mapping("attributes")).text("objectType") or ""
        cls = _OBJECT_TYPES.get(object_type.lower(), InvoiceLineItem)
    return cls.from_json(f.raw)
