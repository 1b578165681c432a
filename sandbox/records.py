"""Lookups over stored state that several endpoint groups share: a customer's orders (seeded history
plus orders placed through the API) and a subscription's registration status.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import App
    from .world import Customer, Subscription


def stored_orders(app: App, customer_id: str) -> list[dict[str, Any]]:
    rows = (
        app.store.connection()
        .execute("SELECT body FROM orders WHERE customer_id = ? ORDER BY created_at", (customer_id,))
        .fetchall()
    )
    return [json.loads(row["body"]) for row in rows]


def customer_orders(app: App, customer: Customer) -> list[dict[str, Any]]:
    """Seeded history and orders placed through the API, oldest first."""
    return app.world.historic_orders(customer) + stored_orders(app, customer.id)


def find_order(app: App, customer: Customer, order_id: str) -> dict[str, Any] | None:
    wanted = order_id.lower()
    return next((o for o in customer_orders(app, customer) if o["id"] == wanted), None)


def completed(record: dict[str, Any], now: float) -> bool:
    return now >= record["completesAt"]


def registration_status(app: App, sub: Subscription) -> str:
    now = app.clock.now()
    row = (
        app.store.connection()
        .execute("SELECT completes_at FROM registrations WHERE subscription_id = ?", (sub.id,))
        .fetchone()
    )
    if row is not None:
        return "Registered" if now >= row["completes_at"] else "Registering"
    if sub.seeded_registration == "Registering":
        # Seeded registrations in flight started when the state was created (or last reset).
        started = float(app.store.kv_get("seeded_at", now))
        return "Registered" if now >= started + app.settings.registration_delay else "Registering"
    return sub.seeded_registration
