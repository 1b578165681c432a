"""Carts, checkout (idempotent, partial success, lost responses, concurrency), orders and entitlements."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import requests

from .client import MEGAN, Sandbox, cart_line, create_cart, find_offer, new_request_id


def _when(stamp: str) -> datetime:
    """Partner Center timestamps carry up to seven fractional digits; Python reads six."""
    return datetime.fromisoformat(stamp.rstrip("Z")[:26] + "+00:00")


def test_a_cart_gets_order_groups_prices_and_a_seven_day_expiry(sb: Sandbox) -> None:
    offer = find_offer(sb)
    cart = create_cart(sb, offer, cart_line(offer, quantity=2), cart_line(offer, line_id=1))
    assert cart["status"] == "Active" and cart["attributes"] == {"objectType": "Cart"}
    assert _when(cart["expirationTimestamp"]) - _when(cart["creationTimestamp"]) == timedelta(days=7)
    first, second = cart["lineItems"]
    assert (first["orderGroup"], second["orderGroup"]) == ("0", "1")
    assert first["currencyCode"] == "USD" and first["billingCycle"] == "one_time"
    assert first["pricing"]["extendedPrice"] == pytest.approx(2 * first["pricing"]["listPrice"])
    assert "error" not in first
    assert cart["links"]["self"]["uri"] == f"/customers/{offer.customer_id}/carts/{cart['id']}"
    assert sb.get("/v1" + cart["links"]["self"]["uri"]).json() == cart


def test_invalid_lines_carry_cart_error_codes(sb: Sandbox) -> None:
    offer = find_offer(sb)
    # The same SKU from the MS-AZR-0145P catalog (no reservationScope): wrong for an Azure plan.
    legacy_item = sb.get(f"/v1/products/{offer.product_id}/skus/{offer.sku_id}/availabilities?country=US")
    legacy_catalog_item = legacy_item.json()["items"][0]["catalogItemId"]
    lines = [
        cart_line(offer, line_id=0, catalogItemId="DZH318Z0NOPE:0001:DZH318Z0NOPE"),
        cart_line(offer, line_id=1, quantity=0),
        cart_line(offer, line_id=2, billingCycle="monthly"),
        cart_line(offer, line_id=3, quantity=600),  # 2 vCPUs x 600 is beyond the 1,000 vCPU quota
        cart_line(
            offer, line_id=4, provisioningContext={"subscriptionId": offer.customer_id, "scope": "shared"}
        ),
        cart_line(offer, line_id=5, catalogItemId=legacy_catalog_item),
    ]
    cart = create_cart(sb, offer, *lines)
    codes = [line.get("error", {}).get("errorCode") for line in cart["lineItems"]]
    assert codes == [
        "CatalogItemIdIsNotValid",
        "InvalidInput",
        "InvalidInput",
        "QuotaNotAvailable",
        "SubscriptionIsNotValid",
        "CatalogItemIdIsNotValid",
    ]
    assert cart["lineItems"][3]["error"]["additionalInformation"]["availableQuantity"] == 500
    assert all("pricing" not in line for line in cart["lineItems"])


def test_unregistered_subscription_is_flagged_and_stops_checkout(sb: Sandbox) -> None:
    offer = find_offer(sb, customer_index=1)  # Northwind Traders: Azure plan not registered
    cart = create_cart(sb, offer)
    assert cart["lineItems"][0]["error"]["errorCode"] == "SubscriptionNotRegistered"
    response = sb.post(f"/v1/customers/{offer.customer_id}/carts/{cart['id']}/checkout")
    assert (response.status_code, response.json()["code"]) == (400, "800030")


def test_update_replaces_lines_and_accepts_pascal_case(sb: Sandbox) -> None:
    offer = find_offer(sb)
    cart = create_cart(sb, offer, cart_line(offer), cart_line(offer, line_id=1))
    body = {
        "Id": cart["id"],
        "LineItems": [
            {
                "Id": 0,
                "CatalogItemId": offer.catalog_item_id,
                "Quantity": 3,
                "BillingCycle": "OneTime",
                "TermDuration": "P1Y",
                "ProvisioningContext": {
                    "SubscriptionId": offer.subscription_id,
                    "Scope": "Shared",
                    "Duration": "1Year",
                },
            }
        ],
    }
    updated = sb.put(f"/v1/customers/{offer.customer_id}/carts/{cart['id']}", json=body)
    assert updated.status_code == 201  # as in the documented sample
    lines = updated.json()["lineItems"]
    assert len(lines) == 1 and lines[0]["quantity"] == 3 and "error" not in lines[0]


def test_expired_carts_are_gone(sb: Sandbox) -> None:
    offer = find_offer(sb)
    cart = create_cart(sb, offer)
    path = f"/v1/customers/{offer.customer_id}/carts/{cart['id']}"
    sb.advance(7 * 86400 + 1)
    for response in (
        sb.get(path),
        sb.post(f"{path}/checkout"),
        sb.put(path, json={"lineItems": [cart_line(offer)]}),
    ):
        assert (response.status_code, response.json()["code"]) == (404, "800008")


def test_checkout_twice_returns_the_same_orders_and_buys_once(sb: Sandbox) -> None:
    offer = find_offer(sb)
    cart = create_cart(sb, offer)
    checkout = f"/v1/customers/{offer.customer_id}/carts/{cart['id']}/checkout"
    first = sb.post(checkout)
    assert first.status_code == 201
    result = first.json()
    assert result["attributes"] == {"objectType": "CartCheckoutResult"} and result["orderErrors"] == []
    order = result["orders"][0]
    assert order["status"] == "pending" and order["billingCycle"] == "one_time"
    assert order["lineItems"][0]["offerId"] == offer.catalog_item_id
    second = sb.post(checkout)
    assert second.status_code == 201 and second.json() == result
    stats = sb.admin("GET", "stats")
    assert stats["orders"] == 1
    assert stats["checkouts"][cart["id"]] == {"calls": 2, "orders": 1}
    assert sb.get(f"/v1/customers/{offer.customer_id}/carts/{cart['id']}").json()["status"] == "Ordered"
    late = sb.put(
        f"/v1/customers/{offer.customer_id}/carts/{cart['id']}", json={"lineItems": [cart_line(offer)]}
    )
    assert late.json()["code"] == "800065"


def test_a_lost_checkout_response_is_safe_to_retry(sb: Sandbox) -> None:
    offer = find_offer(sb)
    cart = create_cart(sb, offer)
    checkout = f"/v1/customers/{offer.customer_id}/carts/{cart['id']}/checkout"
    sb.admin("PUT", "faults", [{"method": "POST", "path": "/checkout$", "kind": "lost_response", "count": 1}])
    request_id = new_request_id()
    with pytest.raises(requests.exceptions.ConnectionError):
        sb.post(checkout, headers={"MS-RequestId": request_id})
    assert sb.admin("GET", "stats")["orders"] == 1  # the work was done before the answer was lost
    retry = sb.post(checkout, headers={"MS-RequestId": request_id})
    assert retry.status_code == 201
    fresh = sb.post(checkout, headers={"MS-RequestId": new_request_id()})
    assert fresh.json()["orders"][0]["id"] == retry.json()["orders"][0]["id"]
    assert sb.admin("GET", "stats")["orders"] == 1
    assert sb.admin("GET", "faults")["rules"][0]["count"] == 0


def test_concurrent_checkouts_of_one_cart_get_409(sb: Sandbox) -> None:
    sb.admin("PUT", "settings", {"checkout_duration_ms": 800})
    offer = find_offer(sb)
    cart = create_cart(sb, offer)
    checkout = f"/v1/customers/{offer.customer_id}/carts/{cart['id']}/checkout"
    token = sb.app_token()
    answers: list[requests.Response] = []
    threads = [
        threading.Thread(target=lambda: answers.append(sb.post(checkout, auth=token))) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [201, 409]
    busy = next(a for a in answers if a.status_code == 409)
    assert busy.json()["code"] == "800064"
    assert sb.admin("GET", "stats")["orders"] == 1


def test_restricted_inventory_fails_only_its_order_group(sb: Sandbox) -> None:
    good = find_offer(sb)
    bad = find_offer(sb, restricted=True)
    cart = create_cart(sb, good, cart_line(good), cart_line(bad, line_id=1))
    result = sb.post(f"/v1/customers/{good.customer_id}/carts/{cart['id']}/checkout").json()
    assert len(result["orders"]) == 1
    assert result["orderErrors"][0]["orderGroupId"] == "1"
    assert result["orderErrors"][0]["code"] == 800010


def test_orders_complete_appear_in_lists_late_and_become_entitlements(sb: Sandbox) -> None:
    offer = find_offer(sb)
    cart = create_cart(sb, offer)
    order = sb.post(f"/v1/customers/{offer.customer_id}/carts/{cart['id']}/checkout").json()["orders"][0]
    customer = f"/v1/customers/{offer.customer_id}"
    user = sb.user_token(MEGAN)

    def listed(query: str = "") -> list[str]:
        return [o["id"] for o in sb.get(f"{customer}/orders{query}").json()["items"]]

    assert sb.get(f"{customer}/orders/{order['id']}").json()["status"] == "pending"
    assert order["id"] not in listed()
    provisioning = sb.get(f"{customer}/orders/{order['id']}/provisioningstatus", auth=user).json()
    assert provisioning["items"][0]["status"] == "PrefulfillmentPending"

    sb.advance(31)
    done = sb.get(f"{customer}/orders/{order['id']}").json()
    assert done["status"] == "completed" and done["lineItems"][0]["subscriptionId"]
    provisioning = sb.get(f"{customer}/orders/{order['id']}/provisioningstatus", auth=user).json()
    assert provisioning["items"][0]["status"] == "fulfilled"
    assert order["id"] not in listed()  # still inside the 15-minute listing delay

    sb.advance(900)
    assert order["id"] in listed() and order["id"] in listed("?billingType=OneTime")
    assert listed("?billingType=monthly") == []

    entitlements = sb.get(
        f"{customer}/entitlements?entitlementType=reservedInstance&showExpiry=true", auth=user
    )
    mine = next(e for e in entitlements.json()["items"] if e["referenceOrder"]["id"] == order["id"])
    assert mine["entitlementType"] == "reservedinstance" and mine["quantity"] == 1
    assert _when(mine["expiryDate"]).year == _when(done["creationDate"]).year + 1
    artifact = mine["entitledArtifacts"][0]
    details = sb.get("/v1" + artifact["link"]["uri"], auth=user).json()
    assert details["type"] == "reservedinstance"
    assert details["reservations"][0]["quantity"] == 1
    assert details["reservations"][0]["provisioningState"] == "Created"

    subscriptions = sb.get(f"{customer}/subscriptions").json()["items"]
    reservation = next(s for s in subscriptions if s["id"] == done["lineItems"][0]["subscriptionId"])
    assert reservation["productOrderId"] == artifact["resourceId"]


def test_orders_of_other_customers_are_not_found(sb: Sandbox) -> None:
    offer = find_offer(sb)
    cart = create_cart(sb, offer)
    order = sb.post(f"/v1/customers/{offer.customer_id}/carts/{cart['id']}/checkout").json()["orders"][0]
    other = sb.get(f"/v1/customers/{sb.customer(3)}/orders/{order['id']}")
    assert (other.status_code, other.json()["code"]) == (404, "20000")


def test_checkout_after_rotation_reports_the_stale_availability(sb: Sandbox) -> None:
    offer = find_offer(sb)
    cart = create_cart(sb, offer)
    sb.admin("POST", "rotate-availabilities")
    response = sb.post(f"/v1/customers/{offer.customer_id}/carts/{cart['id']}/checkout")
    assert (response.status_code, response.json()["code"]) == (404, "400019")
    assert sb.admin("GET", "stats")["orders"] == 0
    assert sb.get(f"/v1/customers/{offer.customer_id}/carts/{cart['id']}").json()["status"] == "Active"


def test_blocked_markets_cannot_buy(sb: Sandbox) -> None:
    offer = find_offer(sb)
    brazil = sb.customer(8)
    response = sb.post(f"/v1/customers/{brazil}/carts", json={"lineItems": [cart_line(offer)]})
    assert (response.status_code, response.json()["code"]) == (400, "800070")
