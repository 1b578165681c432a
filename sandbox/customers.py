"""Customers (seek paging, name/domain filter), subscriptions, Azure entitlements, and the asynchronous
registration of a subscription for reservation purchases (202 now, `Registered` after a delay).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from . import ids
from .catalog import AZURE_PLAN
from .records import completed, customer_orders, registration_status
from .web import ApiError, Request, Response, ci, collection, json_response, link, route
from .world import Customer, Subscription, azure_plan_offer_id

if TYPE_CHECKING:
    from .app import App

DEFAULT_PAGE = 100
MAX_PAGE = 500
FAR_FUTURE = "9999-12-14T00:00:00Z"


# --- customers -------------------------------------------------------------------------------------


def customer_summary(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "commerceId": customer.commerce_id,
        "companyProfile": {
            "tenantId": customer.id,
            "domain": customer.domain,
            "companyName": customer.name,
            "attributes": {"objectType": "CustomerCompanyProfile"},
        },
        "relationshipToPartner": "reseller",
        "attributes": {"objectType": "Customer"},
    }


def customer_detail(customer: Customer) -> dict[str, Any]:
    m = customer.market
    address = {
        "country": customer.country,
        "region": m.state.lower(),
        "city": m.city,
        "addressLine1": customer.address_line,
        "postalCode": m.postal_code,
        "phoneNumber": m.phone,
    }
    path = f"/customers/{customer.id}"
    return {
        "id": customer.id,
        "commerceId": customer.commerce_id,
        "companyProfile": {
            "tenantId": customer.id,
            "domain": customer.domain,
            "companyName": customer.name,
            "address": address,
            "email": customer.email,
            "links": {"self": link(f"{path}/profiles/company")},
            "attributes": {"objectType": "CustomerCompanyProfile"},
        },
        "billingProfile": {
            "id": ids.guid("billing-profile", customer.id),
            "firstName": customer.contact_first,
            "lastName": customer.contact_last,
            "email": customer.email,
            "culture": m.language,
            "language": m.language.split("-")[0],
            "companyName": customer.name,
            "defaultAddress": {
                "country": customer.country,
                "city": m.city,
                "state": m.state,
                "addressLine1": customer.address_line,
                "postalCode": m.postal_code,
                "firstName": customer.contact_first,
                "lastName": customer.contact_last,
                "phoneNumber": m.phone,
            },
            "links": {"self": link(f"{path}/profiles/billing")},
            "attributes": {
                "etag": str(ids.number("etag", customer.id) % 10**18),
                "objectType": "CustomerBillingProfile",
            },
        },
        "relationshipToPartner": "reseller",
        "allowDelegatedAccess": True,
        "customDomains": [customer.domain],
        "links": {"self": link(path)},
        "attributes": {"objectType": "Customer"},
    }


def _filter(raw: str | None) -> tuple[str, str] | None:
    if raw is None:
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise ApiError(400, "800002", "filter must be URL-encoded JSON {Field, Value, Operator}.") from None
    field, value, operator = (ci(parsed, name) for name in ("Field", "Value", "Operator"))
    if not isinstance(field, str) or not isinstance(value, str):
        raise ApiError(400, "800002", "filter needs string Field and Value.")
    if str(operator or "starts_with").lower() != "starts_with":
        raise ApiError(400, "800002", f"Unsupported filter operator '{operator}'; use starts_with.")
    if field.lower() not in ("companyname", "domain", "indirectreseller"):
        raise ApiError(400, "800002", f"Unsupported filter field '{field}'.")
    return field.lower(), value.lower()


def _matches(customer: Customer, wanted: tuple[str, str] | None) -> bool:
    if wanted is None:
        return True
    field, value = wanted
    if field == "companyname":
        return customer.name.lower().startswith(value)
    if field == "domain":
        return customer.domain.lower().startswith(value)
    return False  # no seeded customer is served through an indirect reseller


def _page_size(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE
    try:
        size = int(raw)
    except ValueError:
        raise ApiError(400, "800002", f"size must be a whole number, not '{raw}'.") from None
    if size < 1:
        raise ApiError(400, "800002", "size must be at least 1.")
    return min(size, MAX_PAGE)


def encode_token(state: dict[str, Any]) -> str:
    return ids.b64url(json.dumps(state, separators=(",", ":")).encode())


def decode_token(token: str | None, kind: str) -> dict[str, Any]:
    if not token:
        raise ApiError(400, "800002", "seekOperation=Next needs the MS-ContinuationToken header.")
    try:
        state = json.loads(ids.b64url_decode(token.strip()))
    except (ValueError, UnicodeDecodeError):
        state = None
    if not isinstance(state, dict) or state.get("k") != kind:
        raise ApiError(400, "800002", "The continuation token is not valid for this request.")
    return state


def list_customers(app: App, req: Request) -> Response:
    seek = req.q("seekOperation")
    if seek is not None:
        if seek.lower() != "next":
            raise ApiError(400, "800002", f"Unsupported seekOperation '{seek}'.")
        state = decode_token(req.header("MS-ContinuationToken"), "customers")
        offset, size, wanted = int(state["o"]), int(state["s"]), state.get("f")
        wanted = tuple(wanted) if wanted else None
    else:
        offset, size, wanted = 0, _page_size(req.q("size")), _filter(req.q("filter"))
    matching = [c for c in app.world.customers if _matches(c, wanted)]
    page = matching[offset : offset + size]
    extra: dict[str, Any] = {}
    if offset + size < len(matching):
        token = encode_token(
            {"k": "customers", "o": offset + size, "s": size, "f": list(wanted) if wanted else None}
        )
        extra["continuationToken"] = token
        # Observed next link (Partner-Center-PowerShell#379) keeps the /v1 prefix, unlike other links.
        extra["links"] = {
            "next": link(
                f"/v1/customers?size={size}&seekOperation=Next",
                [{"key": "MS-ContinuationToken", "value": token}],
            )
        }
    body = collection([customer_summary(c) for c in page], f"/v1/customers?size={size}", **extra)
    return json_response(body)


def get_customer(app: App, req: Request) -> Response:
    return json_response(customer_detail(app.world.customer_or_404(req.params["customer_id"])))


# --- subscriptions ---------------------------------------------------------------------------------


def _base_subscription(customer: Customer, sub: Subscription) -> dict[str, Any]:
    created = ids.iso_z(sub.created)
    start = ids.utc(sub.created).strftime("%Y-%m-%dT00:00:00Z")
    common = {
        "id": sub.id,
        "quantity": sub.quantity,
        "hasPurchasableAddons": False,
        "creationDate": created,
        "effectiveStartDate": start,
        "status": sub.status,
        "isTrial": False,
        "isMicrosoftProduct": True,
        "partnerId": "",
        "attentionNeeded": False,
        "actionTaken": False,
        "contractType": "subscription",
        "publisherName": "Microsoft",
        "orderId": ids.hex_id(12, "subscription-order", sub.id),
    }
    if sub.status == "suspended":
        common["suspensionReasons"] = ["PartnerInitiated"]
    self_link = link(f"/customers/{customer.id}/subscriptions/{sub.id}")
    country = customer.country
    if sub.kind == "azure_plan":
        p, s, a = AZURE_PLAN["product"], AZURE_PLAN["sku"], AZURE_PLAN["availability"]
        return common | {
            "offerId": azure_plan_offer_id(),
            "offerName": "Azure plan",
            "friendlyName": "Azure plan",
            "productType": {"id": "Azure", "displayName": "Azure"},
            "unitType": "Usage-based",
            "commitmentEndDate": FAR_FUTURE,
            "autoRenewEnabled": False,
            "billingType": "usage",
            "billingCycle": "monthly",
            "termDuration": "",
            "renewalTermDuration": "",
            "links": {
                "product": link(f"/products/{p}?country={country}"),
                "sku": link(f"/products/{p}/skus/{s}?country={country}"),
                "availability": link(f"/products/{p}/skus/{s}/availabilities/{a}?country={country}"),
                "self": self_link,
            },
        }
    if sub.kind == "legacy":
        return common | {
            "offerId": "MS-AZR-0145P",
            "offerName": "Microsoft Azure",
            "friendlyName": "Microsoft Azure",
            "productType": {"id": "Azure", "displayName": "Azure"},
            "unitType": "Usage-based",
            "commitmentEndDate": FAR_FUTURE,
            "autoRenewEnabled": False,
            "billingType": "usage",
            "billingCycle": "monthly",
            "termDuration": "",
            "renewalTermDuration": "",
            "links": {"offer": link(f"/offers/MS-AZR-0145P?country={country}"), "self": self_link},
        }
    return common | {
        "offerId": "CFQ7TTC0LDPB:0001:CFQ7TTC0KDLS",
        "offerName": "Microsoft 365 Business Standard",
        "friendlyName": "Microsoft 365 Business Standard",
        "productType": {"id": "OnlineServicesNCE", "displayName": "OnlineServicesNCE"},
        "unitType": "Licenses",
        "commitmentEndDate": ids.iso_z(sub.created + 365 * 86400),
        "autoRenewEnabled": True,
        "billingType": "license",
        "billingCycle": "monthly",
        "termDuration": "P1Y",
        "renewalTermDuration": "P1Y",
        "links": {"self": self_link},
    }


def _etagged(body: dict[str, Any]) -> dict[str, Any]:
    body["attributes"] = {
        "etag": ids.b64url(ids.digest("etag", body["id"])[:12]),
        "objectType": "Subscription",
    }
    return body


def reservation_subscriptions(app: App, customer: Customer) -> list[dict[str, Any]]:
    """Each completed reservation order line is also a subscription (billing type "benefit")."""
    now = app.clock.now()
    out = []
    for record in customer_orders(app, customer):
        if not completed(record, now):
            continue
        for line in record["lines"]:
            start = ids.utc(record["completesAt"])
            end = ids.add_years(start, line["termYears"])
            pid, sid, aid, country = (
                line["productId"],
                line["skuId"],
                line["availabilityId"],
                record["country"],
            )
            out.append(
                _etagged(
                    {
                        "id": line["subscriptionId"],
                        "offerId": line["catalogItemId"],
                        "offerName": line["skuTitle"],
                        "friendlyName": line["friendlyName"],
                        "productType": {"id": "Azure", "displayName": "Azure"},
                        "quantity": line["quantity"],
                        "unitType": "Benefit",
                        "hasPurchasableAddons": False,
                        "creationDate": ids.iso_z(record["completesAt"]),
                        "effectiveStartDate": start.strftime("%Y-%m-%dT00:00:00Z"),
                        "commitmentEndDate": end.strftime("%Y-%m-%dT00:00:00Z"),
                        "status": "active",
                        "autoRenewEnabled": False,
                        "isTrial": False,
                        "billingType": "benefit",
                        "billingCycle": "one_time",
                        "termDuration": line["termDuration"],
                        "renewalTermDuration": "",
                        "isMicrosoftProduct": True,
                        "partnerId": "",
                        "attentionNeeded": False,
                        "actionTaken": False,
                        "contractType": "subscription",
                        "publisherName": "Microsoft",
                        "orderId": record["id"],
                        "productOrderId": line["reservationOrderId"],
                        "links": {
                            "product": link(f"/products/{pid}?country={country}"),
                            "sku": link(f"/products/{pid}/skus/{sid}?country={country}"),
                            "availability": link(
                                f"/products/{pid}/skus/{sid}/availabilities/{aid}?country={country}"
                            ),
                            "self": link(f"/customers/{customer.id}/subscriptions/{line['subscriptionId']}"),
                        },
                    }
                )
            )
    return out


def all_subscriptions(app: App, customer: Customer) -> list[dict[str, Any]]:
    seeded = [_etagged(_base_subscription(customer, s)) for s in app.world.subscriptions(customer)]
    return seeded + reservation_subscriptions(app, customer)


def list_subscriptions(app: App, req: Request) -> Response:
    customer = app.world.customer_or_404(req.params["customer_id"])
    return json_response(
        collection(all_subscriptions(app, customer), f"/customers/{customer.id}/subscriptions")
    )


def get_subscription(app: App, req: Request) -> Response:
    customer = app.world.customer_or_404(req.params["customer_id"])
    wanted = req.params["subscription_id"].lower()
    if not ids.is_guid(wanted):
        raise ApiError(400, "800002", f"The subscription id '{wanted}' is not a valid GUID.")
    for body in all_subscriptions(app, customer):
        if body["id"] == wanted:
            return json_response(body)
    raise ApiError(404, "800011", f"Subscription {wanted} was not found for this customer.")


def _registrable(app: App, req: Request) -> tuple[Customer, Subscription]:
    customer = app.world.customer_or_404(req.params["customer_id"])
    sub_id = req.params["subscription_id"]
    if not ids.is_guid(sub_id):
        raise ApiError(400, "800002", f"The subscription id '{sub_id}' is not a valid GUID.")
    sub = app.world.subscription(customer, sub_id)
    if sub is None:
        raise ApiError(404, "800011", f"Subscription {sub_id} was not found for this customer.")
    if not sub.registrable:
        raise ApiError(400, "800011", f"Subscription {sub_id} is not an Azure plan or Azure subscription.")
    return customer, sub


def azure_entitlements(app: App, req: Request) -> Response:
    _, sub = _registrable(app, req)
    items = [
        {"id": a.id, "friendlyName": a.friendly_name, "status": "active", "subscriptionId": sub.id}
        for a in sub.azure_subscriptions
    ]
    return json_response(collection(items))


# --- registration ----------------------------------------------------------------------------------


def register(app: App, req: Request) -> Response:
    customer, sub = _registrable(app, req)
    if sub.status != "active":
        raise ApiError(400, "800012", f"Subscription {sub.id} is not active.")
    with app.store.write():
        if registration_status(app, sub) == "NotRegistered":
            now = app.clock.now()
            app.store.connection().execute(
                "INSERT OR REPLACE INTO registrations"
                " (subscription_id, customer_id, requested_at, completes_at) VALUES (?, ?, ?, ?)",
                (sub.id, customer.id, now, now + app.settings.registration_delay),
            )
    # Documented: 202 with an empty body and a relative Location without the /v1 prefix.
    location = f"/customers/{customer.id}/subscriptions/{sub.id}/registrationstatus"
    return Response(202, b"", None, [("Location", location)])


def get_registration_status(app: App, req: Request) -> Response:
    _, sub = _registrable(app, req)
    body = {
        "subscriptionId": sub.id,
        "status": registration_status(app, sub),
        "attributes": {"objectType": "SubscriptionRegistrationStatus"},
    }
    return json_response(body)


ROUTES = [
    route("GET", "/v1/customers", list_customers),
    route("GET", "/v1/customers/{customer_id}", get_customer),
    route("GET", "/v1/customers/{customer_id}/subscriptions", list_subscriptions),
    route("GET", "/v1/customers/{customer_id}/subscriptions/{subscription_id}", get_subscription),
    route(
        "GET",
        "/v1/customers/{customer_id}/subscriptions/{subscription_id}/azureEntitlements",
        azure_entitlements,
    ),
    route("POST", "/v1/customers/{customer_id}/subscriptions/{subscription_id}/registrations", register),
    route(
        "GET",
        "/v1/customers/{customer_id}/subscriptions/{subscription_id}/registrationstatus",
        get_registration_status,
    ),
]
