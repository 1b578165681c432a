"""Products, SKUs, availabilities (per market, per reservation scope, rotating) and inventory checks."""

from __future__ import annotations

import pytest

from .client import Sandbox, cart_line, find_offer


def test_views_select_product_families(sb: Sandbox) -> None:
    def titles(view: str) -> list[str]:
        body = sb.get(f"/v1/products?country=US&targetView={view}").json()
        assert body["attributes"] == {"objectType": "Collection"}
        return [p["title"] for p in body["items"]]

    vm, sql, cosmos, everything = (
        titles(v)
        for v in (
            "AzureReservationsVM",
            "AzureReservationsSQL",
            "AzureReservationsCosmosDb",
            "AzureReservations",
        )
    )
    assert "Virtual Machines Dsv5 Series" in vm and all(t.startswith("Virtual Machines") for t in vm)
    assert sql == ["SQL Database"] and cosmos == ["Azure Cosmos DB"]
    assert set(vm + sql + cosmos) < set(everything)
    assert {"App Service", "Storage", "Azure Databricks", "Azure Cache for Redis"} <= set(everything)


def test_unknown_view_and_segment_are_refused(sb: Sandbox) -> None:
    view = sb.get("/v1/products?country=US&targetView=Nope")
    assert (view.status_code, view.json()["code"]) == (403, "400036")
    segment = sb.get("/v1/products?country=US&targetView=AzureReservations&targetSegment=nope")
    assert (segment.status_code, segment.json()["code"]) == (403, "400030")


def test_blocked_markets_have_no_reservations(sb: Sandbox) -> None:
    for country in ("BR", "CN", "RU"):
        body = sb.get(f"/v1/products?country={country}&targetView=AzureReservations").json()
        assert body["totalCount"] == 0 and body["items"] == []
    product = sb.get("/v1/products?country=US&targetView=AzureReservationsVM").json()["items"][0]["id"]
    assert sb.get(f"/v1/products/{product}?country=BR").json()["code"] == "400013"


def test_sku_and_availability_shapes(sb: Sandbox) -> None:
    product = sb.get("/v1/products?country=FR&targetView=AzureReservationsVM").json()["items"][0]
    assert product["links"]["skus"]["uri"] == f"/products/{product['id']}/skus?country=FR"
    skus = sb.get("/v1" + product["links"]["skus"]["uri"]).json()["items"]
    sku = skus[0]
    assert sku["supportedBillingCycles"] == ["one_time"]
    assert sku["purchasePrerequisites"] == ["AzureSubscriptionRegistration", "InventoryCheck"]
    attributes = sku["dynamicAttributes"]
    assert {
        "armSkuName",
        "cores",
        "ram",
        "skuDisplayName",
        "category",
        "armRegionName",
        "region",
        "duration",
    } <= set(attributes)
    assert attributes["armRegionName"] == "francecentral"  # nearest region first
    assert {s["dynamicAttributes"]["duration"] for s in skus} == {"1Year", "3Year"}
    availability = sb.get(f"/v1/products/{product['id']}/skus/{sku['id']}/availabilities?country=FR").json()[
        "items"
    ][0]
    assert availability["catalogItemId"] == f"{product['id']}:{sku['id']}:{availability['id']}"
    assert availability["defaultCurrency"] == {"code": "EUR", "symbol": "€"}
    assert availability["segment"] == "commercial"
    assert availability["terms"][0]["duration"] in ("P1Y", "P3Y")
    by_id = sb.get(
        f"/v1/products/{product['id']}/skus/{sku['id']}/availabilities/{availability['id']}?country=FR"
    )
    assert by_id.json()["id"] == availability["id"]
    assert sb.get(f"/v1/products/{product['id']}/skus/ZZZZ?country=FR").json()["code"] == "400018"


def test_azure_plan_scope_has_its_own_availabilities(sb: Sandbox) -> None:
    product = sb.get("/v1/products?country=US&targetView=AzureReservationsVM").json()["items"][0]["id"]
    base = f"/v1/products/{product}/skus/0001/availabilities?country=US"
    legacy = sb.get(base).json()["items"][0]
    plan = sb.get(base + "&reservationScope=AzurePlan").json()["items"][0]
    assert legacy["id"] != plan["id"] and legacy["catalogItemId"] != plan["catalogItemId"]


def test_rotation_makes_old_availability_ids_stale(sb: Sandbox) -> None:
    offer = find_offer(sb)
    product, sku, availability = offer.catalog_item_id.split(":")
    query = "?country=US&reservationScope=AzurePlan"
    path = f"/v1/products/{product}/skus/{sku}/availabilities/{availability}{query}"
    assert sb.get(path).status_code == 200
    sb.admin("POST", "rotate-availabilities")
    stale = sb.get(path)
    assert (stale.status_code, stale.json()["code"]) == (404, "400019")
    cart = sb.post(f"/v1/customers/{offer.customer_id}/carts", json={"lineItems": [cart_line(offer)]})
    assert (cart.status_code, cart.json()["code"]) == (404, "400019")
    fresh = sb.get(f"/v1/products/{product}/skus/{sku}/availabilities{query}")
    assert fresh.json()["items"][0]["id"] != availability


def test_rotation_also_follows_the_clock(sb: Sandbox) -> None:
    offer = find_offer(sb)
    sb.advance(86400)
    response = sb.post(f"/v1/customers/{offer.customer_id}/carts", json={"lineItems": [cart_line(offer)]})
    assert response.json()["code"] == "400019"


@pytest.mark.parametrize("path", ["checkInventory", "checkinventory"])
def test_inventory_check_answers_a_bare_array_with_restrictions(sb: Sandbox, path: str) -> None:
    customer = sb.customer(0)
    plan = sb.get(f"/v1/customers/{customer}/subscriptions").json()["items"][0]["id"]
    products = sb.get("/v1/products?country=US&targetView=AzureReservationsVM").json()["items"]
    request = {  # PascalCase, as the SDK sends it
        "TargetItems": [{"ProductId": p["id"]} for p in products],
        "InventoryContext": {"CustomerId": customer, "AzureSubscriptionId": plan, "ArmRegionName": "eastus"},
    }
    items = sb.post(f"/v1/extensions/product/{path}?country=US", json=request).json()
    assert isinstance(items, list) and items
    assert {"productId", "skuId", "isRestricted", "restrictions"} <= set(items[0])
    restricted = [i for i in items if i["isRestricted"]]
    assert restricted and any(not i["isRestricted"] for i in items)
    reason = restricted[0]["restrictions"][0]
    assert reason["reasonCode"] == "NotAvailableForSubscription"
    assert reason["properties"] == {"type": "Location", "values": "eastus"}
    again = sb.post(f"/v1/extensions/product/{path}?country=US", json=request).json()
    assert again == items  # deterministic


def test_inventory_drops_unknown_items(sb: Sandbox) -> None:
    customer = sb.customer(0)
    plan = sb.get(f"/v1/customers/{customer}/subscriptions").json()["items"][0]["id"]
    body = {
        "targetItems": [{"productId": "DZH318Z0NOPE"}],
        "inventoryContext": {"customerId": customer, "azureSubscriptionId": plan},
    }
    assert sb.post("/v1/extensions/product/checkinventory?country=US", json=body).json() == []
