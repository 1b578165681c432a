"""Orders and their provisioning (reference §6.17 to §6.20)."""

from __future__ import annotations

from collections.abc import Iterator

from .auth import TokenProvider
from .enums import BillingCycle
from .models import Order, OrderLineItemProvisioningStatus
from .paging import iter_items, iter_pages
from .transport import Operation, Transport

GET_ORDER = Operation("get_order", "GET", "/customers/{customer_id}/orders/{order_id}")
LIST_ORDERS = Operation("list_orders", "GET", "/customers/{customer_id}/orders")
LIST_ORDERS_BY_BILLING_CYCLE = Operation(
    "list_orders_by_billing_cycle", "GET", "/customers/{customer_id}/orders"
)
GET_ORDER_PROVISIONING_STATUS = Operation(
    "get_order_provisioning_status",
    "GET",
    "/customers/{customer_id}/orders/{order_id}/provisioningstatus",
    app_user_only=True,
)


def get_order(
    transport: Transport,
    customer_id: str,
    order_id: str,
    *,
    include_price: bool | None = None,
    token: TokenProvider | None = None,
) -> Order:
    path = GET_ORDER.path_for(customer_id=customer_id, order_id=order_id)
    response = transport.request(GET_ORDER, path, params=_price(include_price), token=token)
    return Order.from_json(response.data).with_meta(response.meta)


def list_orders(
    transport: Transport,
    customer_id: str,
    *,
    include_price: bool | None = None,
    token: TokenProvider | None = None,
) -> Iterator[Order]:
    """All of a customer's orders. A new order can take up to 15 minutes to appear here."""
    path = LIST_ORDERS.path_for(customer_id=customer_id)
    return iter_items(
        iter_pages(
            transport, LIST_ORDERS, Order.from_json, path=path, params=_price(include_price), token=token
        )
    )


def list_orders_by_billing_cycle(
    transport: Transport,
    customer_id: str,
    billing_type: BillingCycle | str,
    *,
    include_price: bool | None = None,
    token: TokenProvider | None = None,
) -> Iterator[Order]:
    """Orders of one billing cycle type; BillingCycle.ONE_TIME for reservations (sent as `onetime`)."""
    cycle = BillingCycle.parse(billing_type)
    if cycle is None:
        raise ValueError("billing_type is empty")
    params = {"billingType": cycle.query_value, **_price(include_price)}
    path = LIST_ORDERS_BY_BILLING_CYCLE.path_for(customer_id=customer_id)
    return iter_items(
        iter_pages(
            transport, LIST_ORDERS_BY_BILLING_CYCLE, Order.from_json, path=path, params=params, token=token
        )
    )


def get_order_provisioning_status(
    transport: Transport, customer_id: str, order_id: str, *, token: TokenProvider | None = None
) -> tuple[OrderLineItemProvisioningStatus, ...]:
    """Per line: fulfilled (the reservation is usable), unfulfilled, or still pending. App+User only."""
    path = GET_ORDER_PROVISIONING_STATUS.path_for(customer_id=customer_id, order_id=order_id)
    pages = iter_pages(
        transport,
        GET_ORDER_PROVISIONING_STATUS,
        OrderLineItemProvisioningStatus.from_json,
        path=path,
        token=token,
    )
    return tuple(iter_items(pages))


def _price(include_price: bool | None) -> dict[str, str]:
    return {} if include_price is None else {"include_price": "true" if include_price else "false"}
