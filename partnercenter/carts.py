"""Carts: create, update, read, check out (reference §6.13 to §6.16)."""

from __future__ import annotations

from collections.abc import Sequence

from .auth import TokenProvider
from .models import Cart, CartCheckoutResult, CartLineItem
from .transport import Operation, Transport

# Safe to send again after a lost answer: the service de-duplicates on the same MS-RequestId (§3.1).
CREATE_CART = Operation("create_cart", "POST", "/customers/{customer_id}/carts", retry_safe=True)
UPDATE_CART = Operation("update_cart", "PUT", "/customers/{customer_id}/carts/{cart_id}")
GET_CART = Operation("get_cart", "GET", "/customers/{customer_id}/carts/{cart_id}")
# Idempotent per cart (§6.16): a second checkout returns the first one's result.
CHECKOUT_CART = Operation(
    "checkout_cart", "POST", "/customers/{customer_id}/carts/{cart_id}/checkout", retry_safe=True
)


def create_cart(
    transport: Transport,
    customer_id: str,
    line_items: Sequence[CartLineItem],
    *,
    partner_on_record_attestation_accepted: bool | None = None,
    token: TokenProvider | None = None,
) -> Cart:
    """A new cart. Check `cart.line_errors` before checking it out: a bad line is reported, not refused."""
    if not line_items:
        raise ValueError("a cart needs at least one line item")
    body = Cart(
        line_items=tuple(line_items),
        partner_on_record_attestation_accepted=partner_on_record_attestation_accepted,
    ).to_json()
    response = transport.request(
        CREATE_CART, CREATE_CART.path_for(customer_id=customer_id), json=body, token=token
    )
    return Cart.from_json(response.data).with_meta(response.meta)


def update_cart(
    transport: Transport, customer_id: str, cart: Cart, *, token: TokenProvider | None = None
) -> Cart:
    """Replace an Active cart's content with `cart` (as read, with changed lines: dataclasses.replace)."""
    if not cart.id:
        raise ValueError("update_cart needs a cart that has an id (one returned by create_cart or get_cart)")
    path = UPDATE_CART.path_for(customer_id=customer_id, cart_id=cart.id)
    response = transport.request(UPDATE_CART, path, json=cart.to_json(), token=token)
    return Cart.from_json(response.data).with_meta(response.meta)


def get_cart(
    transport: Transport, customer_id: str, cart_id: str, *, token: TokenProvider | None = None
) -> Cart:
    response = transport.request(
        GET_CART, GET_CART.path_for(customer_id=customer_id, cart_id=cart_id), token=token
    )
    return Cart.from_json(response.data).with_meta(response.meta)


def checkout_cart(
    transport: Transport, customer_id: str, cart_id: str, *, token: TokenProvider | None = None
) -> CartCheckoutResult:
    """Turn the cart into orders, one per order group. Some groups may fail (`order_errors`) while others
    succeed. Worth handling: AVAILABILITY_NOT_FOUND (rebuild the cart), CART_BUSY, CART_ALREADY_SUBMITTED."""
    path = CHECKOUT_CART.path_for(customer_id=customer_id, cart_id=cart_id)
    response = transport.request(CHECKOUT_CART, path, token=token)  # no body, as documented
    return CartCheckoutResult.from_json(response.data).with_meta(response.meta)
