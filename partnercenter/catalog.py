"""The reservation catalog: products, SKUs, availabilities, and inventory checks (reference §6.6 to §6.12)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from .auth import TokenProvider
from .models import Availability, InventoryItem, InventoryTarget, Product, Sku
from .paging import iter_items, iter_pages
from .transport import Operation, Transport

# The only documented reservationScope: reservations for Azure plans. Omit it for MS-AZR-0145P subscriptions.
AZURE_PLAN = "AzurePlan"

LIST_PRODUCTS = Operation("list_products", "GET", "/products")
GET_PRODUCT = Operation("get_product", "GET", "/products/{product_id}")
LIST_SKUS = Operation("list_skus", "GET", "/products/{product_id}/skus")
GET_SKU = Operation("get_sku", "GET", "/products/{product_id}/skus/{sku_id}")
LIST_AVAILABILITIES = Operation(
    "list_availabilities", "GET", "/products/{product_id}/skus/{sku_id}/availabilities"
)
GET_AVAILABILITY = Operation(
    "get_availability", "GET", "/products/{product_id}/skus/{sku_id}/availabilities/{availability_id}"
)
# Read-only despite the POST, so it may be sent again. The docs' sample and the SDK spell it in lowercase.
CHECK_INVENTORY = Operation("check_inventory", "POST", "/extensions/product/checkinventory", retry_safe=True)


def list_products(
    transport: Transport,
    *,
    country: str,
    target_view: str,
    target_segment: str | None = None,
    reservation_scope: str | None = None,
    token: TokenProvider | None = None,
) -> Iterator[Product]:
    """Products of a catalog view (e.g. TargetView.AZURE_RESERVATIONS_VM) in a country."""
    params = {
        "country": country,
        "targetView": str(target_view),
        "targetSegment": _opt(target_segment),
        "reservationScope": _opt(reservation_scope),
    }
    return iter_items(iter_pages(transport, LIST_PRODUCTS, Product.from_json, params=params, token=token))


def get_product(
    transport: Transport,
    product_id: str,
    *,
    country: str,
    reservation_scope: str | None = None,
    token: TokenProvider | None = None,
) -> Product:
    params = {"country": country, "reservationScope": _opt(reservation_scope)}
    response = transport.request(
        GET_PRODUCT, GET_PRODUCT.path_for(product_id=product_id), params=params, token=token
    )
    return Product.from_json(response.data).with_meta(response.meta)


def list_skus(
    transport: Transport,
    product_id: str,
    *,
    country: str,
    target_segment: str | None = None,
    reservation_scope: str | None = None,
    token: TokenProvider | None = None,
) -> Iterator[Sku]:
    params = {
        "country": country,
        "targetSegment": _opt(target_segment),
        "reservationScope": _opt(reservation_scope),
    }
    path = LIST_SKUS.path_for(product_id=product_id)
    return iter_items(iter_pages(transport, LIST_SKUS, Sku.from_json, path=path, params=params, token=token))


def get_sku(
    transport: Transport,
    product_id: str,
    sku_id: str,
    *,
    country: str,
    reservation_scope: str | None = None,
    token: TokenProvider | None = None,
) -> Sku:
    params = {"country": country, "reservationScope": _opt(reservation_scope)}
    path = GET_SKU.path_for(product_id=product_id, sku_id=sku_id)
    response = transport.request(GET_SKU, path, params=params, token=token)
    return Sku.from_json(response.data).with_meta(response.meta)


def list_availabilities(
    transport: Transport,
    product_id: str,
    sku_id: str,
    *,
    country: str,
    target_segment: str | None = None,
    reservation_scope: str | None = None,
    token: TokenProvider | None = None,
) -> Iterator[Availability]:
    """Availabilities of a SKU. Without target_segment the service leaves out nonprofit ones (§6.11)."""
    params = {
        "country": country,
        "targetSegment": _opt(target_segment),
        "reservationScope": _opt(reservation_scope),
    }
    path = LIST_AVAILABILITIES.path_for(product_id=product_id, sku_id=sku_id)
    return iter_items(
        iter_pages(
            transport, LIST_AVAILABILITIES, Availability.from_json, path=path, params=params, token=token
        )
    )


def get_availability(
    transport: Transport,
    product_id: str,
    sku_id: str,
    availability_id: str,
    *,
    country: str,
    reservation_scope: str | None = None,
    token: TokenProvider | None = None,
) -> Availability:
    """One availability. Pass the reservation_scope it was listed with: Azure-plan availabilities are a
    different set (the docs list only `country` here; the scope is sent only when given)."""
    params = {"country": country, "reservationScope": _opt(reservation_scope)}
    path = GET_AVAILABILITY.path_for(product_id=product_id, sku_id=sku_id, availability_id=availability_id)
    response = transport.request(GET_AVAILABILITY, path, params=params, token=token)
    return Availability.from_json(response.data).with_meta(response.meta)


def check_inventory(
    transport: Transport,
    *,
    country: str,
    targets: Iterable[InventoryTarget],
    customer_id: str,
    azure_subscription_id: str | None = None,
    arm_region_name: str | None = None,
    extra_context: Mapping[str, str] | None = None,
    token: TokenProvider | None = None,
) -> tuple[InventoryItem, ...]:
    """Whether SKUs can be bought for this customer, subscription and region.

    The context keys are the SKU's inventoryVariables, camelCased. Items unknown to the catalog are left out
    of the answer by the service.
    """
    context = {
        "customerId": customer_id,
        "azureSubscriptionId": azure_subscription_id,
        "armRegionName": arm_region_name,
    }
    body = {
        "targetItems": [target.to_json() for target in targets],
        "inventoryContext": {**{k: v for k, v in context.items() if v}, **(extra_context or {})},
    }
    if not body["targetItems"]:
        raise ValueError("check_inventory needs at least one target")
    response = transport.request(CHECK_INVENTORY, params={"country": country}, json=body, token=token)
    data = response.data
    if isinstance(data, Mapping):  # tolerated: the answer wrapped in a collection envelope
        data = data.get("items")
    items = data if isinstance(data, list) else []
    return tuple(InventoryItem.from_json(item).with_meta(response.meta) for item in items)


def _opt(value: str | None) -> str | None:
    return str(value) if value else None
