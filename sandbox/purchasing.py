"""Carts, checkout, orders, provisioning status, entitlements and reservation details.

Documented behaviours kept here: carts expire 7 days after creation and only Active carts can change;
every reservation line gets its own order group (each becomes its own Azure reservation order), so a
checkout can partly succeed; checkout is idempotent per cart (a second call returns the first result
and never orders again); orders are `pending` then `completed`, visible by id at once but missing from
the order lists for the listing delay; entitlements appear once an order completes.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import ids
from .catalog import MAX_QUANTITY, TERMS, SkuKey
from .markets import REGIONS
from .records import completed, customer_orders, find_order, registration_status
from .web import ApiError, Request, Response, ci, collection, json_response, link, qs, route
from .world import Customer, build_order_record, market_price

if TYPE_CHECKING:
    from .app import App

CART_LIFETIME = 7 * 86400.0
VM_CORE_QUOTA = 1000  # reserved vCPUs per subscription and region, beyond which QuotaNotAvailable


# --- orders ----------------------------------------------------------------------------------------


def render_order(app: App, record: dict[str, Any], include_price: bool = False) -> dict[str, Any]:
    now = app.clock.now()
    done = completed(record, now)
    customer_path = f"/customers/{record['customerId']}"
    country = record["country"]
    lines = []
    total = 0.0
    for line in record["lines"]:
        pid, sid, aid = line["productId"], line["skuId"], line["availabilityId"]
        links = {
            "product": link(f"/products/{pid}?country={country}"),
            "sku": link(f"/products/{pid}/skus/{sid}?country={country}"),
            "availability": link(f"/products/{pid}/skus/{sid}/availabilities/{aid}?country={country}"),
        }
        item: dict[str, Any] = {"lineItemNumber": line["lineItemNumber"], "offerId": line["catalogItemId"]}
        if done:
            item["subscriptionId"] = line["subscriptionId"]
            links["subscription"] = link(f"{customer_path}/subscriptions/{line['subscriptionId']}")
        item |= {
            "termDuration": line["termDuration"],
            "transactionType": "New",
            "friendlyName": line["friendlyName"],
            "quantity": line["quantity"],
            "provisioningContext": line["provisioningContext"],
            "links": links,
        }
        if include_price:
            extended = round(line["unitPrice"] * line["quantity"], 2)
            total += extended
            item["pricing"] = {"listPrice": line["unitPrice"], "extendedPrice": extended}
        lines.append(item)
    order_path = f"{customer_path}/orders/{record['id']}"
    body: dict[str, Any] = {
        "id": record["id"],
        "alternateId": record["id"],
        "referenceCustomerId": record["customerId"],
        "billingCycle": "one_time",
        "currencyCode": record["currencyCode"],
        "currencySymbol": record["currencySymbol"],
        "lineItems": lines,
        "creationDate": ids.iso7(record["createdAt"]),
        "status": "completed" if done else "pending",
        "transactionType": "UserPurchase",
        "links": {
            "provisioningStatus": link(f"{order_path}/provisioningstatus"),
            "self": link(order_path),
        },
        "attributes": {"objectType": "Order"},
    }
    if include_price:
        body["totalPrice"] = round(total, 2)
    return body


def _include_price(req: Request) -> bool:
    return (req.q("include_price") or "").lower() == "true"


def get_order(app: App, req: Request) -> Response:
    customer = app.world.customer_or_404(req.params["customer_id"])
    record = find_order(app, customer, req.params["order_id"])
    if record is None:
        raise ApiError(404, "20000", f"Order {req.params['order_id']} was not found for this customer.")
    return json_response(render_order(app, record, _include_price(req)))


_BILLING_TYPES = {
    "onetime": "one_time",
    "monthly": "monthly",
    "annual": "annual",
    "none": "none",
    "triennial": "triennial",
    "biennial": "biennial",
    "unknown": "unknown",
}


def list_orders(app: App, req: Request) -> Response:
    customer = app.world.customer_or_404(req.params["customer_id"])
    billing = req.q("billingType")
    if billing is not None:
        wanted = _BILLING_TYPES.get(billing.replace("_", "").lower())
        if wanted is None:
            raise ApiError(400, "800002", f"'{billing}' is not a valid billingType.")
    now = app.clock.now()
    items = []
    if billing is None or wanted == "one_time":
        # Documented lag: a new order can take up to 15 minutes to show in the lists.
        items = [
            render_order(app, o, _include_price(req))
            for o in customer_orders(app, customer)
            if o["listedAt"] <= now
        ]
    self_uri = f"/customers/{customer.id}/orders{qs(billingType=billing)}"
    return json_response(collection(items, self_uri))


def provisioning_status(app: App, req: Request) -> Response:
    customer = app.world.customer_or_404(req.params["customer_id"])
    record = find_order(app, customer, req.params["order_id"])
    if record is None:
        raise ApiError(404, "20000", f"Order {req.params['order_id']} was not found for this customer.")
    status = "fulfilled" if completed(record, app.clock.now()) else "PrefulfillmentPending"
    items = [
        {
            "orderLineItemId": line["lineItemNumber"],
            "lineItemNumber": line["lineItemNumber"],
            "status": status,
            "quantityProvisioningInformation": [{"quantity": line["quantity"], "status": status}],
        }
        for line in record["lines"]
    ]
    return json_response(collection(items))


# --- entitlements ----------------------------------------------------------------------------------


def _expiry(record: dict[str, Any], line: dict[str, Any]) -> float:
    start = ids.utc(record["completesAt"]).replace(hour=0, minute=0, second=0, microsecond=0)
    return ids.add_years(start, line["termYears"]).timestamp()


def _artifact_link(customer_id: str, line: dict[str, Any], kind: str = "reservedinstance") -> str:
    return (
        f"/customers/{customer_id}/artifacts/{kind}/groups/{line['artifactGroupId']}"
        f"/lineitems/{line['artifactLineItemId']}/resource/{line['reservationOrderId']}"
    )


def list_entitlements(app: App, req: Request) -> Response:
    customer = app.world.customer_or_404(req.params["customer_id"])
    wanted = (req.q("entitlementType") or "").lower()
    if wanted not in ("", "software", "reservedinstance", "virtualmachinereservedinstance"):
        raise ApiError(400, "800002", f"'{req.q('entitlementType')}' is not a valid entitlementType.")
    show_expiry = (req.q("showExpiry") or "").lower() == "true"
    legacy = wanted == "virtualmachinereservedinstance"
    now = app.clock.now()
    items = []
    for record in customer_orders(app, customer):
        if wanted == "software" or not completed(record, now):
            continue
        for line in record["lines"]:
            if legacy and line["reservationType"] != "virtualmachines":
                continue
            kind = "virtualmachinereservedinstance" if legacy else "reservedinstance"
            entitlement: dict[str, Any] = {
                "includedEntitlements": [],
                "referenceOrder": {
                    "id": record["id"],
                    "lineItemId": str(line["lineItemNumber"]),
                    "alternateId": record["id"],
                },
                "productId": line["productId"],
                "skuId": line["skuId"],
                "quantity": line["quantity"],
                "quantityDetails": [{"quantity": line["quantity"], "status": "Active"}],
                "entitledArtifacts": [
                    {
                        "link": link(_artifact_link(customer.id, line, kind)),
                        "resourceId": line["reservationOrderId"],
                        "artifactType": kind,
                        "dynamicAttributes": {"reservationType": line["reservationType"]},
                    }
                ],
                "entitlementType": kind,
                "fulfillmentState": "Fulfilled",
            }
            if show_expiry:
                entitlement["expiryDate"] = ids.iso_z(_expiry(record, line))
            entitlement["attributes"] = {"objectType": "Entitlement"}
            items.append(entitlement)
    return json_response(collection(items))


def artifact_details(app: App, req: Request) -> Response:
    customer = app.world.customer_or_404(req.params["customer_id"])
    kind = req.params["artifact_type"].lower()
    if kind not in ("reservedinstance", "virtualmachinereservedinstance"):
        raise ApiError(404, "800002", f"Unknown artifact type '{req.params['artifact_type']}'.")
    now = app.clock.now()
    for record in customer_orders(app, customer):
        for line in record["lines"]:
            if (
                line["reservationOrderId"] == req.params["resource_id"].lower()
                and line["artifactGroupId"] == req.params["group_id"].lower()
                and line["artifactLineItemId"] == req.params["line_item_id"].lower()
                and completed(record, now)
            ):
                return json_response(_reservation_details(app, customer, record, line, kind))
    raise ApiError(404, "800002", "No reservation was found behind this entitlement artifact.")


def _reservation_details(
    app: App, customer: Customer, record: dict[str, Any], line: dict[str, Any], kind: str
) -> dict[str, Any]:
    context = line["provisioningContext"]
    single = str(context.get("scope", "")).lower() == "single"
    applied = []
    if single:
        target = app.world.find_azure_target(customer, context["subscriptionId"])
        if target is not None and target[1] is not None:
            applied = [f"/subscriptions/{target[1].id}"]
    reservation = {
        "reservationId": line["reservationId"],
        "displayName": f"RI_{line['armSkuName']}_{line['armRegionName']}",
        "scopeType": "Single" if single else "Shared",
        "appliedScopes": applied,
        "quantity": line["quantity"],
        "expiryDateTime": ids.iso_plain(_expiry(record, line)),
        "effectiveDateTime": ids.iso7(record["completesAt"]),
        "provisioningState": "Created",
    }
    if kind == "virtualmachinereservedinstance":  # the SDK v1.8 shape, kept for the legacy path
        return {"type": "virtual_machine_reserved_instance", "virtualMachineReservations": [reservation]}
    return {
        "type": "reservedinstance",
        "reservations": [reservation],
        "attributes": {"objectType": "ReservedInstanceArtifactDetails"},
    }


# --- carts -----------------------------------------------------------------------------------------


@dataclass
class CheckedLine:
    """A cart line as validated: what to show, and what checkout needs to order it."""

    shown: dict[str, Any]
    key: SkuKey | None = None
    availability: str = ""
    subscription_id: str = ""  # the Partner Center subscription the reservation is billed to
    scope: str = ""
    error: str | None = None


def _line_error(
    shown: dict[str, Any], code: str, description: str, extra: dict[str, Any] | None = None
) -> None:
    error: dict[str, Any] = {"errorCode": code, "errorDescription": description}
    if extra:
        error["additionalInformation"] = extra
    shown["error"] = error


def _parse_catalog_item(
    app: App, customer: Customer, value: Any, epoch: int
) -> tuple[SkuKey, str, str | None] | str:
    """(sku, availability id, scope) for a current catalog item id, or a CartErrorCode description.

    A well-formed id whose availability is not the current one is a stale id: 404/400019 for the whole
    request, as the service answers when availability ids have rotated."""
    if not isinstance(value, str) or value.count(":") != 2:
        return "catalogItemId must be productId:skuId:availabilityId (from an availability of this market)."
    product_id, sku_id, availability = (part.upper() for part in value.split(":"))
    catalog = app.catalog
    family = catalog.family_by_product.get(product_id)
    key = catalog.decode_sku(family, sku_id) if family is not None else None
    if key is None or not catalog.sells(customer.country, key):
        return f"The catalog item {value} is not sold in the customer's market ({customer.country})."
    for scope in (None, "AzurePlan"):
        if catalog.availability_id(customer.country, scope, key, epoch) == availability:
            return key, availability, scope
    raise ApiError(
        404, "400019", f"Availability {availability} was not found; availability ids rotate, re-read them."
    )


def _reserved_cores(app: App, customer: Customer, subscription_id: str, region: str) -> int:
    total = 0
    for record in customer_orders(app, customer):
        for line in record["lines"]:
            if (
                line["provisioningContext"].get("subscriptionId", "").lower() == subscription_id
                and line["armRegionName"] == region
            ):
                total += (line["cores"] or 0) * line["quantity"]
    return total


def check_lines(app: App, customer: Customer, raw_lines: list[Any], epoch: int) -> list[CheckedLine]:
    if not customer.market.reservations_available:
        raise ApiError(
            400,
            "800070",
            f"The offer is not available in the customer's country/region ({customer.country}).",
        )
    catalog = app.catalog
    checked: list[CheckedLine] = []
    cores_in_cart: dict[tuple[str, str], int] = {}
    for position, raw in enumerate(raw_lines):
        if not isinstance(raw, dict):
            raise ApiError(400, "800002", "Each entry of lineItems must be an object.")
        line_id = ci(raw, "id")
        shown: dict[str, Any] = {
            "id": line_id if isinstance(line_id, int) and not isinstance(line_id, bool) else position,
            "catalogItemId": ci(raw, "catalogItemId"),
        }
        if ci(raw, "friendlyName") is not None:
            shown["friendlyName"] = ci(raw, "friendlyName")
        quantity = ci(raw, "quantity")
        shown |= {
            "quantity": quantity,
            "currencyCode": customer.market.currency,
            "billingCycle": ci(raw, "billingCycle"),
        }
        if ci(raw, "termDuration") is not None:
            shown["termDuration"] = ci(raw, "termDuration")
        context_in = ci(raw, "provisioningContext")
        context = {}
        if isinstance(context_in, dict):
            names = {"subscriptionid": "subscriptionId", "scope": "scope", "duration": "duration"}
            context = {names.get(str(k).lower(), k): v for k, v in context_in.items()}
        shown["provisioningContext"] = context
        shown["orderGroup"] = str(position)
        line = CheckedLine(shown)
        checked.append(line)

        parsed = _parse_catalog_item(app, customer, ci(raw, "catalogItemId"), epoch)
        if isinstance(parsed, str):
            _line_error(shown, "CatalogItemIdIsNotValid", parsed)
            continue
        key, availability, scope = parsed
        line.key, line.availability, line.scope = key, availability, scope or ""
        duration, years_word, _, _ = TERMS[key.term]
        currency = ci(raw, "currencyCode")
        if isinstance(currency, str) and currency.upper() != customer.market.currency:
            _line_error(
                shown, "CurrencyIsNotSupported", f"The market currency is {customer.market.currency}."
            )
            continue
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
            _line_error(shown, "InvalidInput", f"quantity must be a whole number from 1 to {MAX_QUANTITY}.")
            continue
        cycle = str(ci(raw, "billingCycle") or "").replace("_", "").lower()
        if cycle != "onetime":
            _line_error(shown, "InvalidInput", "Reservations are bought with billingCycle one_time.")
            continue
        shown["billingCycle"] = "one_time"
        term = ci(raw, "termDuration")
        if term is not None and str(term).upper() != duration:
            _line_error(shown, "InvalidInput", f"termDuration must be {duration} for this SKU.")
            continue
        shown["termDuration"] = duration
        scope_value = str(context.get("scope", "")).lower()
        if scope_value not in ("single", "shared"):
            _line_error(shown, "InvalidInput", "provisioningContext.scope must be single or shared.")
            continue
        given_duration = context.get("duration")
        if given_duration is not None and str(given_duration).lower().rstrip("s") != years_word.lower():
            _line_error(
                shown, "InvalidInput", f"provisioningContext.duration must be {years_word} for this SKU."
            )
            continue
        subscription_id = context.get("subscriptionId")
        target = (
            app.world.find_azure_target(customer, subscription_id)
            if isinstance(subscription_id, str)
            else None
        )
        if target is None:
            _line_error(
                shown,
                "SubscriptionIsNotValid",
                "provisioningContext.subscriptionId is not an Azure plan, MS-AZR-0145P or Azure "
                "subscription of this customer.",
            )
            continue
        subscription = target[0]
        line.subscription_id = subscription.id
        if subscription.status != "active":
            _line_error(shown, "SubscriptionIsNotValid", f"The subscription {subscription.id} is not active.")
            continue
        if subscription.scope != scope:
            wanted = "reservationScope=AzurePlan" if subscription.scope else "no reservationScope"
            _line_error(
                shown,
                "CatalogItemIdIsNotValid",
                f"This catalog item does not match the subscription's offer; read the catalog with {wanted}.",
            )
            continue
        if registration_status(app, subscription) != "Registered":
            _line_error(
                shown,
                "SubscriptionNotRegistered",
                f"The subscription {subscription.id} is not registered for reservation purchases.",
            )
            continue
        family = catalog.families[key.family]
        size = family.sizes[key.size]
        if size.cores:
            region = REGIONS[key.region][0] if family.regional else "global"
            slot = (subscription.id, region)
            reserved = _reserved_cores(app, customer, subscription.id, region) + cores_in_cart.get(slot, 0)
            if reserved + size.cores * quantity > VM_CORE_QUOTA:
                available = max(0, (VM_CORE_QUOTA - reserved) // size.cores)
                _line_error(
                    shown,
                    "QuotaNotAvailable",
                    f"Only {available} more instances fit the subscription's reserved vCPU quota in "
                    f"{region}.",
                    {"availableQuantity": available, "purchasedQuantity": reserved // size.cores},
                )
                continue
            cores_in_cart[slot] = cores_in_cart.get(slot, 0) + size.cores * quantity
        unit = market_price(catalog.unit_price_usd(key), customer.market)
        shown["pricing"] = {
            "listPrice": unit,
            "discountedPrice": unit,
            "proratedPrice": unit,
            "price": unit,
            "extendedPrice": round(unit * quantity, 2),
        }
    return checked


def _cart_json(customer_id: str, cart: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": cart["id"],
        "creationTimestamp": ids.iso7(cart["createdAt"]),
        "lastModifiedTimestamp": ids.iso7(cart["modifiedAt"]),
        "expirationTimestamp": ids.iso7(cart["createdAt"] + CART_LIFETIME),
        "lastModifiedUser": cart["lastModifiedUser"],
        "status": cart["status"],
        "lineItems": cart["shownLines"],
        "links": {"self": link(f"/customers/{customer_id}/carts/{cart['id']}")},
        "attributes": {"objectType": "Cart"},
    }


def _raw_lines(req: Request) -> list[Any]:
    body = req.json()
    lines = ci(body, "lineItems")
    if not isinstance(body, dict) or not isinstance(lines, list) or not lines:
        raise ApiError(400, "800002", "The cart must have a non-empty lineItems list.")
    return lines


def _who(req: Request) -> str:
    return req.principal.oid if req.principal else ""


def create_cart(app: App, req: Request) -> Response:
    customer = app.world.customer_or_404(req.params["customer_id"])
    raw_lines = _raw_lines(req)
    checked = check_lines(app, customer, raw_lines, app.epoch())
    now = app.clock.now()
    cart = {
        "id": str(uuid.uuid4()),
        "createdAt": now,
        "modifiedAt": now,
        "lastModifiedUser": _who(req),
        "status": "Active",
        "rawLines": raw_lines,
        "shownLines": [line.shown for line in checked],
    }
    with app.store.write() as db:
        db.execute(
            "INSERT INTO carts (id, customer_id, created_at, status, body) VALUES (?, ?, ?, ?, ?)",
            (cart["id"], customer.id, now, "Active", json.dumps(cart)),
        )
    return json_response(_cart_json(customer.id, cart), 201)


def _load_cart(app: App, customer: Customer, cart_id: str) -> tuple[dict[str, Any], Any]:
    if not ids.is_guid(cart_id):
        raise ApiError(400, "800002", f"The cart id '{cart_id}' is not a valid GUID.")
    row = (
        app.store.connection()
        .execute("SELECT * FROM carts WHERE id = ? AND customer_id = ?", (cart_id.lower(), customer.id))
        .fetchone()
    )
    if row is None:
        raise ApiError(404, "800008", f"Cart {cart_id} was not found for this customer.")
    cart = json.loads(row["body"])
    # An Active cart is gone once it expires; an Ordered one stays so checkout remains idempotent.
    if cart["status"] == "Active" and app.clock.now() >= cart["createdAt"] + CART_LIFETIME:
        raise ApiError(404, "800008", f"Cart {cart_id} has expired (carts expire 7 days after creation).")
    return cart, row


def get_cart(app: App, req: Request) -> Response:
    customer = app.world.customer_or_404(req.params["customer_id"])
    cart, _ = _load_cart(app, customer, req.params["cart_id"])
    return json_response(_cart_json(customer.id, cart))


def update_cart(app: App, req: Request) -> Response:
    customer = app.world.customer_or_404(req.params["customer_id"])
    raw_lines = _raw_lines(req)
    cart, _ = _load_cart(app, customer, req.params["cart_id"])
    if cart["status"] != "Active":
        raise ApiError(
            400, "800065", "The cart was already submitted (checked out); it can no longer change."
        )
    checked = check_lines(app, customer, raw_lines, app.epoch())
    with app.store.write() as db:
        current, _ = _load_cart(app, customer, req.params["cart_id"])
        if current["status"] != "Active":
            raise ApiError(
                400, "800065", "The cart was already submitted (checked out); it can no longer change."
            )
        cart = current | {
            "modifiedAt": app.clock.now(),
            "lastModifiedUser": _who(req),
            "rawLines": raw_lines,
            "shownLines": [line.shown for line in checked],
        }
        db.execute("UPDATE carts SET body = ? WHERE id = ?", (json.dumps(cart), cart["id"]))
    # The documented sample answers a cart update with 201 Created.
    return json_response(_cart_json(customer.id, cart), 201)


_CHECKOUT_ERRORS = {
    "SubscriptionNotRegistered": (400, "800030"),
    "SubscriptionIsNotValid": (400, "800011"),
    "QuotaNotAvailable": (400, "800017"),
}


def _refuse_checkout(checked: list[CheckedLine]) -> None:
    """A checkout re-validates the cart; a line that is no longer valid stops it with the matching code."""
    problems = [line for line in checked if "error" in line.shown]
    if not problems:
        return
    first = problems[0].shown["error"]
    status, code = _CHECKOUT_ERRORS.get(first["errorCode"], (400, "800009"))
    data = [
        {
            "lineItemId": line.shown["id"],
            "errorCode": line.shown["error"]["errorCode"],
            "errorDescription": line.shown["error"]["errorDescription"],
        }
        for line in problems
    ]
    raise ApiError(
        status, code, f"The cart has line items that cannot be ordered: {first['errorDescription']}", data
    )


def checkout(app: App, req: Request) -> Response:
    customer = app.world.customer_or_404(req.params["customer_id"])
    cart_id = req.params["cart_id"].lower()
    if not ids.is_guid(cart_id):
        raise ApiError(400, "800002", f"The cart id '{cart_id}' is not a valid GUID.")
    with app.store.write() as db:
        db.execute("UPDATE carts SET checkout_calls = checkout_calls + 1 WHERE id = ?", (cart_id,))
    _, row = _load_cart(app, customer, cart_id)
    if row["result"] is not None:
        return json_response(json.loads(row["result"]), 201)  # idempotent: the original result again
    with app.busy_lock:
        if cart_id in app.busy_carts:
            raise ApiError(409, "800064", "The cart is being processed by another request; retry later.")
        app.busy_carts.add(cart_id)
    try:
        # Ordering takes a while; holding the cart this long is what a concurrent checkout runs into.
        time.sleep(app.settings.checkout_duration_ms / 1000)
        return _place_orders(app, customer, cart_id)
    finally:
        with app.busy_lock:
            app.busy_carts.discard(cart_id)


def _place_orders(app: App, customer: Customer, cart_id: str) -> Response:
    settings = app.settings
    with app.store.write() as db:
        cart, row = _load_cart(app, customer, cart_id)
        if row["result"] is not None:
            return json_response(json.loads(row["result"]), 201)
        checked = check_lines(app, customer, cart["rawLines"], app.epoch())
        _refuse_checkout(checked)
        now = app.clock.now()
        orders: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for line in checked:
            assert line.key is not None  # noqa: S101 - checked lines without errors always have a SKU
            group = line.shown["orderGroup"]
            region = app.catalog.restricted_region(line.key, line.subscription_id)
            if region is not None:
                errors.append(
                    {
                        "orderGroupId": group,
                        "code": 800010,
                        "description": "Inventory is not available for this catalog item (restricted for "
                        f"location '{region}').",
                    }
                )
                continue
            record = build_order_record(
                app.world,
                customer,
                secrets.token_hex(6),
                cart_id,
                now,
                now + settings.order_completion_delay,
                now + settings.listing_delay,
                [
                    (
                        line.key,
                        line.availability,
                        line.shown["quantity"],
                        line.subscription_id,
                        str(line.shown["provisioningContext"]["scope"]).lower(),
                        line.shown.get("friendlyName"),
                    )
                ],
            )
            db.execute(
                "INSERT INTO orders (id, customer_id, cart_id, created_at, completes_at, listed_at, body)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record["id"],
                    customer.id,
                    cart_id,
                    now,
                    record["completesAt"],
                    record["listedAt"],
                    json.dumps(record),
                ),
            )
            orders.append(record)
        result = {
            "orders": [render_order(app, record) for record in orders],
            "orderErrors": errors,
            "attributes": {"objectType": "CartCheckoutResult"},
        }
        if orders:
            # Once something was ordered the cart is Ordered and the result final; a checkout where every
            # group failed leaves the cart Active so it can be re-attempted (documented behaviour).
            cart |= {"status": "Ordered", "modifiedAt": now}
            db.execute(
                "UPDATE carts SET status = 'Ordered', body = ?, result = ? WHERE id = ?",
                (json.dumps(cart), json.dumps(result), cart_id),
            )
    return json_response(result, 201)


ROUTES = [
    route("POST", "/v1/customers/{customer_id}/carts", create_cart),
    route("GET", "/v1/customers/{customer_id}/carts/{cart_id}", get_cart),
    route("PUT", "/v1/customers/{customer_id}/carts/{cart_id}", update_cart),
    route("POST", "/v1/customers/{customer_id}/carts/{cart_id}/checkout", checkout),
    route("GET", "/v1/customers/{customer_id}/orders", list_orders),
    route("GET", "/v1/customers/{customer_id}/orders/{order_id}", get_order),
    route(
        "GET", "/v1/customers/{customer_id}/orders/{order_id}/provisioningstatus", provisioning_status, "user"
    ),
    route("GET", "/v1/customers/{customer_id}/entitlements", list_entitlements, "user"),
    route(
        "GET",
        "/v1/customers/{customer_id}/artifacts/{artifact_type}/groups/{group_id}/lineitems/{line_item_id}"
        "/resource/{resource_id}",
        artifact_details,
        "user",
    ),
]
