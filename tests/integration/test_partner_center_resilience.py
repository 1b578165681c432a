"""The client's retry rules against the sandbox's injected faults (sandbox/README.md, "Fault rule").

What is at stake for the portal: a throttled or failing Partner Center must not lose a member of staff's
call, and an answer lost on the way back must never buy a reservation twice. The sandbox's statistics say
what really reached it; the transport's `sleep` records the waits it asks for instead of sleeping (and its
jitter is pinned to the top of its range), so the waits can be checked exactly and the tests stay fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from partnercenter import (
    BadRequest,
    Cart,
    Conflict,
    Customer,
    NotFound,
    Operation,
    PartnerCenterError,
    RetryPolicy,
    ServerError,
    Throttled,
    Transport,
    TransportError,
    carts,
    customers,
    orders,
)
from tests.integration.test_partner_center_contract import (
    FABRIKAM,
    catch,
    find_offer,
    hits,
    seeded_customer,
)
from tests.sandbox_process import Sandbox

pytestmark = [pytest.mark.integration]

# Fault rules match the path without the query; these name one route each, and never the sign-in's.
CUSTOMER = r"^/v1/customers/[^/]+$"
CARTS = r"^/v1/customers/[^/]+/carts$"
CHECKOUT = r"^/v1/customers/[^/]+/carts/[^/]+/checkout$"
# The same routes as the sandbox's statistics name them.
GET_CUSTOMER = "GET /v1/customers/{customer_id}"
CREATE_CART = "POST /v1/customers/{customer_id}/carts"
CHECKOUT_CART = "POST /v1/customers/{customer_id}/carts/{cart_id}/checkout"

POLICY = RetryPolicy()  # what Transport.from_config uses
BACKOFFS = [0.5, 1.0, 2.0]  # the capped exponential bounds of the retries, reached with jitter pinned at 1.0


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def pc(partner_center: Sandbox, waits: list[float]) -> Iterator[Transport]:
    """An app-only transport to the freshly reset sandbox whose waits are recorded, not slept."""
    with Transport.from_config(partner_center.config, sleep=waits.append, random=lambda: 1.0) as transport:
        yield transport


@pytest.fixture(autouse=True)
def _no_faults_left_behind(sandbox: Sandbox) -> Iterator[None]:
    # A rule without a count would go on failing requests of tests that do not reset the sandbox.
    yield
    sandbox.admin("DELETE", "faults")


@pytest.fixture
def fabrikam(pc: Transport) -> Customer:
    return seeded_customer(pc, FABRIKAM)


@dataclass(frozen=True)
class Exchange:
    """One HTTP request of the transport that got an answer, as it went and as the sandbox answered it."""

    status: int
    sent_request_id: str | None
    answered_request_id: str | None  # the sandbox echoes the MS-RequestId it received
    answered_correlation_id: str | None


def record_exchanges(transport: Transport) -> list[Exchange]:
    exchanges: list[Exchange] = []

    def record(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        exchanges.append(
            Exchange(
                response.status_code,
                response.request.headers.get("MS-RequestId"),
                response.headers.get("MS-RequestId"),
                response.headers.get("MS-CorrelationId"),
            )
        )

    transport.session.hooks["response"].append(record)
    return exchanges


def rules_left(sandbox: Sandbox) -> list[int | None]:
    """The remaining count of each fault rule: 0 once a counted rule has fired as often as it was told."""
    return [rule["count"] for rule in sandbox.admin("GET", "faults")["rules"]]


# --- throttling and server errors ---------------------------------------------------------------------------


def test_a_throttled_call_waits_at_least_retry_after_and_then_succeeds(pc, partner_center, waits, fabrikam):
    partner_center.faults(
        {"method": "GET", "path": CUSTOMER, "kind": "throttle", "retry_after": 3, "count": 2}
    )
    before = hits(partner_center, GET_CUSTOMER)

    customer = customers.get_customer(pc, str(fabrikam.id))

    assert (customer.id, customer.country) == (fabrikam.id, "US")
    assert len(waits) == 2 and all(wait >= 3 for wait in waits)
    assert hits(partner_center, GET_CUSTOMER) - before == 3
    assert customer.meta is not None and customer.meta.attempts == 3
    assert rules_left(partner_center) == [0]


def test_a_retry_after_beyond_the_policy_is_handed_to_the_caller(pc, partner_center, waits, fabrikam):
    # Documented policy (RetryPolicy.max_retry_after, 60 s): a longer wait is the caller's to schedule, not
    # a worker's to hold. 90 s still fits the 120 s budget of a call, so only that rule can refuse it.
    retry_after = 90
    assert POLICY.max_retry_after < retry_after < POLICY.max_total_seconds
    partner_center.faults(
        {"method": "GET", "path": CUSTOMER, "kind": "throttle", "retry_after": retry_after, "count": 1}
    )
    before = hits(partner_center, GET_CUSTOMER)

    error = catch(lambda: customers.get_customer(pc, str(fabrikam.id)))

    assert isinstance(error, Throttled)
    assert (error.status, error.retry_after, error.retryable) == (429, retry_after, True)
    assert waits == []
    assert hits(partner_center, GET_CUSTOMER) - before == 1


def test_a_503_is_retried_with_the_same_request_id_on_every_attempt(pc, partner_center, waits, fabrikam):
    partner_center.faults({"method": "GET", "path": CUSTOMER, "kind": "error", "status": 503, "count": 2})
    exchanges = record_exchanges(pc)

    customer = customers.get_customer(pc, str(fabrikam.id))

    meta = customer.meta
    assert meta is not None and customer.id == fabrikam.id
    assert [e.status for e in exchanges] == [503, 503, 200]
    # One logical call, one request id: sent on each attempt, and received by the sandbox each time...
    assert (
        {e.sent_request_id for e in exchanges}
        == {e.answered_request_id for e in exchanges}
        == {meta.request_id}
    )
    # ...while every attempt has its own correlation id, all of them kept for support.
    assert [e.answered_correlation_id for e in exchanges] == list(meta.correlation_ids)
    assert len(set(meta.correlation_ids)) == meta.attempts == 3
    assert meta.correlation_id == meta.correlation_ids[-1]
    assert waits == BACKOFFS[:2]
    assert hits(partner_center, GET_CUSTOMER) == 1 + 3  # the look-up of Fabrikam, then the three attempts


@pytest.mark.parametrize(
    ("status", "code", "raised"),
    [(400, "800002", BadRequest), (404, "900118", NotFound), (409, "800064", Conflict)],
)
def test_client_errors_are_not_retried(pc, partner_center, waits, fabrikam, status, code, raised):
    partner_center.faults(
        {"method": "GET", "path": CUSTOMER, "kind": "error", "status": status, "code": code, "count": 3}
    )
    before = hits(partner_center, GET_CUSTOMER)

    error = catch(lambda: customers.get_customer(pc, str(fabrikam.id)))

    assert type(error) is raised
    assert (error.status, error.code) == (status, code)
    assert waits == []
    assert hits(partner_center, GET_CUSTOMER) - before == 1
    assert rules_left(partner_center) == [2]


def test_a_persistent_503_stops_at_the_retry_budget(pc, partner_center, waits, fabrikam):
    partner_center.faults({"method": "GET", "path": CUSTOMER, "kind": "error", "status": 503})
    exchanges = record_exchanges(pc)
    before = hits(partner_center, GET_CUSTOMER)

    error = catch(lambda: customers.get_customer(pc, str(fabrikam.id)))

    assert isinstance(error, ServerError)
    assert (error.status, error.code, error.retryable) == (503, "800003", True)
    assert hits(partner_center, GET_CUSTOMER) - before == POLICY.max_attempts == 4
    assert waits == BACKOFFS[: POLICY.max_attempts - 1]
    # The error names the last attempt, under the request id all the attempts shared.
    assert {e.sent_request_id for e in exchanges} == {error.request_id}
    assert error.correlation_id == exchanges[-1].answered_correlation_id


def test_a_dropped_get_is_retried(pc, partner_center, waits, fabrikam):
    partner_center.faults({"method": "GET", "path": CUSTOMER, "kind": "drop", "count": 1})
    before = hits(partner_center, GET_CUSTOMER)

    customer = customers.get_customer(pc, str(fabrikam.id))

    assert (customer.id, customer.company_name) == (fabrikam.id, FABRIKAM)
    assert customer.meta is not None and customer.meta.attempts == 2
    assert waits == BACKOFFS[:1]
    assert hits(partner_center, GET_CUSTOMER) - before == 2
    assert rules_left(partner_center) == [0]


# --- lost answers: buying once ------------------------------------------------------------------------------


def test_a_lost_checkout_response_buys_once(pc, partner_center, fabrikam):
    offer = find_offer(pc, fabrikam)
    customer_id = str(fabrikam.id)
    cart = carts.create_cart(pc, customer_id, [offer.line(2)])
    # The sandbox places the order, commits it, then closes the connection without answering.
    partner_center.faults({"method": "POST", "path": CHECKOUT, "kind": "lost_response", "count": 1})

    result = carts.checkout_cart(pc, customer_id, str(cart.id))

    assert result.meta is not None and result.meta.attempts == 2
    [order] = result.orders
    assert [(line.offer_id, line.quantity) for line in order.line_items] == [
        (offer.availability.catalog_item_id, 2)
    ]
    assert rules_left(partner_center) == [0]
    assert hits(partner_center, CHECKOUT_CART) == 2
    stats = partner_center.stats()
    assert stats["checkouts"][cart.id]["orders"] == 1
    assert stats["orders"] == 1
    assert orders.get_order(pc, customer_id, str(order.id)).id == order.id
    # Asked again later (the portal checking on it), checkout still gives that one order.
    assert [o.id for o in carts.checkout_cart(pc, customer_id, str(cart.id)).orders] == [order.id]
    assert partner_center.stats()["orders"] == 1


def test_a_lost_create_cart_response_makes_one_cart(pc, partner_center, fabrikam):
    offer = find_offer(pc, fabrikam)
    customer_id = str(fabrikam.id)
    partner_center.faults({"method": "POST", "path": CARTS, "kind": "lost_response", "count": 1})

    cart = carts.create_cart(pc, customer_id, [offer.line(3)])

    # The retry carried the same MS-RequestId, so the sandbox answered with the cart it had made.
    assert cart.meta is not None and cart.meta.attempts == 2 and cart.meta.status == 201
    assert rules_left(partner_center) == [0]
    assert hits(partner_center, CREATE_CART) == 2
    assert partner_center.stats()["carts"] == 1
    read = carts.get_cart(pc, customer_id, str(cart.id))
    assert [(line.catalog_item_id, line.quantity) for line in read.line_items] == [
        (offer.availability.catalog_item_id, 3)
    ]


def test_a_503_on_checkout_is_retried_and_orders_once(pc, partner_center, waits, fabrikam):
    # Checkout is declared safe to send again (idempotent per cart, §6.16), so a server error is retried.
    offer = find_offer(pc, fabrikam)
    cart = carts.create_cart(pc, str(fabrikam.id), [offer.line()])
    partner_center.faults({"method": "POST", "path": CHECKOUT, "kind": "error", "status": 503, "count": 1})

    result = carts.checkout_cart(pc, str(fabrikam.id), str(cart.id))

    assert len(result.orders) == 1 and result.order_errors == ()
    assert waits == BACKOFFS[:1]
    assert hits(partner_center, CHECKOUT_CART) == 2
    assert partner_center.stats()["checkouts"][cart.id]["orders"] == 1


# Every POST this client makes is declared safe to send again (check inventory is read-only; create cart and
# checkout are de-duplicated by request id and by cart; registering is idempotent), so the rule for the others
# is shown with an operation of our own on a route that does work: creating a cart.
UNSAFE_CREATE_CART = Operation("create_cart_without_replay", "POST", carts.CREATE_CART.path)


def test_a_lost_answer_to_a_post_the_client_cannot_replay_is_reported_not_retried(
    pc, partner_center, waits, fabrikam
):
    assert not UNSAFE_CREATE_CART.replayable
    offer = find_offer(pc, fabrikam)
    body = Cart(line_items=(offer.line(),)).to_json()
    partner_center.faults({"method": "POST", "path": CARTS, "kind": "lost_response", "count": 1})

    error = catch(
        lambda: pc.request(
            UNSAFE_CREATE_CART, UNSAFE_CREATE_CART.path_for(customer_id=str(fabrikam.id)), json=body
        )
    )

    assert isinstance(error, TransportError)
    assert error.outcome_unknown and not error.retryable
    assert "not known whether the request was applied" in error.user_message
    assert waits == []
    assert hits(partner_center, CREATE_CART) == 1
    # It was applied: exactly why it must not have been sent again.
    assert partner_center.stats()["carts"] == 1


def test_a_server_error_on_a_post_the_client_cannot_replay_is_reported_not_retried(
    pc, partner_center, waits, fabrikam
):
    offer = find_offer(pc, fabrikam)
    body = Cart(line_items=(offer.line(),)).to_json()
    partner_center.faults({"method": "POST", "path": CARTS, "kind": "error", "status": 500, "count": 1})

    error = catch(
        lambda: pc.request(
            UNSAFE_CREATE_CART, UNSAFE_CREATE_CART.path_for(customer_id=str(fabrikam.id)), json=body
        )
    )

    # A 5xx may come after the work was done: for such a POST the outcome is unknown.
    assert isinstance(error, ServerError)
    assert (error.status, error.outcome_unknown, error.retryable) == (500, True, False)
    assert waits == []
    assert hits(partner_center, CREATE_CART) == 1


# --- a storm of 429s ----------------------------------------------------------------------------------------


def test_a_429_storm_loses_no_call(pc, partner_center, waits, fabrikam):
    customer_id = str(fabrikam.id)
    settings = partner_center.admin("GET", "settings")
    # The throttle counts every API request of the last minute: start from an empty window (the seeded ids
    # found above stay valid), then allow 20 a minute.
    partner_center.reset()
    partner_center.admin("PUT", "settings", {"rate_limit": 20})
    outcomes: list[Customer | PartnerCenterError] = []
    try:
        for _ in range(40):
            try:
                outcomes.append(customers.get_customer(pc, customer_id))
            except Throttled as error:
                outcomes.append(error)
    finally:
        partner_center.admin("PUT", "settings", {"rate_limit": settings["rate_limit"]})
    assert partner_center.admin("GET", "settings") == settings

    answered, throttled = outcomes[:20], outcomes[20:]
    assert len(outcomes) == 40
    assert all(isinstance(o, Customer) and o.id == customer_id for o in answered)
    # The sandbox asks for at most a minute, which the client's policy waits for (up to its attempts) rather
    # than hand back at once; past its attempts, the call says when to try again.
    assert all(isinstance(e, Throttled) for e in throttled)
    for error in throttled:
        assert isinstance(error, Throttled) and error.status == 429 and error.retryable
        assert error.retry_after is not None and 0 < error.retry_after <= POLICY.max_retry_after
    assert len(waits) == len(throttled) * (POLICY.max_attempts - 1)
    assert all(1 <= wait <= POLICY.max_retry_after for wait in waits)
    assert hits(partner_center, GET_CUSTOMER) == len(answered) + len(throttled) * POLICY.max_attempts
    # Rescheduled as told (here, once the limit is back up), every throttled call gets its answer.
    assert [customers.get_customer(pc, customer_id).id for _ in throttled] == [customer_id] * len(throttled)
