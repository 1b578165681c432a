"""Retries, request ids, replay safety and headers, against a real local HTTP server."""

import socket

import pytest

from partnercenter import (
    AppUserRequired,
    BadRequest,
    CartLineItem,
    Conflict,
    DelegatedAccessRefused,
    DelegatedToken,
    Forbidden,
    NotFound,
    Operation,
    RetryPolicy,
    ServerError,
    Throttled,
    TransportError,
    Unauthorized,
    carts,
    errors,
)
from partnercenter.transport import normalize_path

from .conftest import DROP, Reply, make_transport

GET_THING = Operation("get_thing", "GET", "/things/{thing_id}")
MAKE_THING = Operation("make_thing", "POST", "/things")  # a POST nobody declared safe to replay
APP_USER_THING = Operation("secret_thing", "GET", "/secrets", app_user_only=True)
CHECKOUT_PATH = "/v1/customers/c1/carts/k1/checkout"
CHECKOUT_RESULT = {"orders": [{"id": "o1", "status": "pending"}], "orderErrors": []}


def test_a_call_sends_the_documented_headers(server, pc):
    server.on("GET", "/v1/things/t1", Reply(json={"id": "t1"}))
    response = pc.request(GET_THING, GET_THING.path_for(thing_id="t1"))
    assert response.data == {"id": "t1"}
    seen = server.seen[0].headers
    assert seen["authorization"] == "Bearer app-token"
    assert seen["accept"] == "application/json"
    assert seen["ms-contract-version"] == "v1"
    assert seen["ms-partnercenter-application"] == "Reservations Portal"
    assert seen["ms-requestid"] and seen["ms-correlationid"]
    assert response.meta.status == 200
    assert response.meta.correlation_id == seen["ms-correlationid"]
    assert response.meta.request_id == seen["ms-requestid"]


def test_a_json_body_is_sent_as_json(server, pc):
    server.on("POST", "/v1/things", Reply(201, json={"id": "new"}))
    pc.request(MAKE_THING, json={"lineItems": [{"catalogItemId": "x"}]})
    assert server.seen[0].headers["content-type"] == "application/json"
    assert server.seen[0].json() == {"lineItems": [{"catalogItemId": "x"}]}


def test_retries_wait_as_long_as_retry_after_says(server, clock, pc):
    server.on(
        "GET",
        "/v1/things/t1",
        Reply(
            429, json={"statusCode": 429, "message": "Rate limit is exceeded."}, headers={"Retry-After": "3"}
        ),
        Reply(json={"id": "t1"}),
    )
    response = pc.request(GET_THING, "/things/t1")
    assert response.data == {"id": "t1"}
    assert clock.waits == [3.0]
    assert response.meta.attempts == 2


def test_a_retry_after_beyond_the_cap_is_handed_back_to_the_caller(server, clock, pc):
    server.on("GET", "/v1/things/t1", Reply(429, headers={"Retry-After": "600"}))
    with pytest.raises(Throttled) as caught:
        pc.request(GET_THING, "/things/t1")
    assert caught.value.retry_after == 600
    assert clock.waits == []
    assert len(server.seen) == 1


def test_every_retry_keeps_the_request_id_and_gets_a_new_correlation_id(server, pc):
    server.on("GET", "/v1/things/t1", Reply(503), Reply(500), Reply(json={}))
    response = pc.request(GET_THING, "/things/t1")
    request_ids = {s.headers["ms-requestid"] for s in server.seen}
    correlation_ids = [s.headers["ms-correlationid"] for s in server.seen]
    assert len(server.seen) == 3
    assert request_ids == {response.meta.request_id}
    assert len(set(correlation_ids)) == 3
    assert response.meta.correlation_ids == tuple(correlation_ids)

    pc.request(GET_THING, "/things/t1")
    assert server.seen[-1].headers["ms-requestid"] not in request_ids  # a new logical call, a new id


def test_server_errors_back_off_exponentially_up_to_the_cap(server, clock):
    pc = make_transport(
        server.url, clock, retry=RetryPolicy(max_attempts=5, backoff_base=0.5, backoff_max=1.5)
    )
    server.on("GET", "/v1/things/t1", Reply(502), Reply(504), Reply(503), Reply(500), Reply(json={}))
    pc.request(GET_THING, "/things/t1")
    assert clock.waits == [0.5, 1.0, 1.5, 1.5]


def test_the_jitter_spreads_waits_below_the_bound(server, clock):
    pc = make_transport(server.url, clock, random=lambda: 0.25)
    server.on("GET", "/v1/things/t1", Reply(503), Reply(503), Reply(json={}))
    pc.request(GET_THING, "/things/t1")
    assert clock.waits == [0.125, 0.25]


def test_the_retry_budget_stops_after_the_maximum_attempts(server, clock):
    pc = make_transport(server.url, clock, retry=RetryPolicy(max_attempts=3))
    server.on("GET", "/v1/things/t1", Reply(503, json={"code": "800003", "description": "boom"}))
    with pytest.raises(ServerError) as caught:
        pc.request(GET_THING, "/things/t1")
    assert len(server.seen) == 3
    assert len(clock.waits) == 2
    assert caught.value.code == errors.UNEXPECTED_SERVICE_ERROR


def test_the_retry_budget_stops_when_the_next_wait_would_run_past_the_time_limit(server, clock):
    pc = make_transport(server.url, clock, retry=RetryPolicy(max_attempts=10, max_total_seconds=10))
    server.on("GET", "/v1/things/t1", Reply(429, headers={"Retry-After": "4"}))
    with pytest.raises(Throttled):
        pc.request(GET_THING, "/things/t1")
    assert clock.waits == [4.0, 4.0]  # a third wait would end at 12 s
    assert len(server.seen) == 3


@pytest.mark.parametrize(
    ("status", "cls"),
    [(400, BadRequest), (401, Unauthorized), (403, Forbidden), (404, NotFound), (409, Conflict)],
)
def test_client_errors_are_never_retried(server, clock, pc, status, cls):
    server.on("GET", "/v1/things/t1", Reply(status, json={"code": "1", "description": "no"}), Reply(json={}))
    with pytest.raises(cls):
        pc.request(GET_THING, "/things/t1")
    assert len(server.seen) == 1
    assert clock.waits == []


def test_a_post_not_declared_safe_is_not_replayed_after_a_dropped_connection(server, clock, pc):
    server.on("POST", "/v1/things", DROP, Reply(201, json={"id": "second"}))
    with pytest.raises(TransportError) as caught:
        pc.request(MAKE_THING, json={"name": "x"})
    assert caught.value.outcome_unknown
    assert not caught.value.retryable
    assert len(server.seen) == 1
    assert "not known whether" in caught.value.user_message


def test_a_post_not_declared_safe_is_not_replayed_after_a_server_error(server, clock, pc):
    server.on("POST", "/v1/things", Reply(500), Reply(201, json={"id": "second"}))
    with pytest.raises(ServerError) as caught:
        pc.request(MAKE_THING, json={"name": "x"})
    assert caught.value.outcome_unknown
    assert len(server.seen) == 1


def test_a_post_not_declared_safe_is_retried_when_throttled(server, clock, pc):
    # A 429 means the service refused the request before doing anything.
    server.on("POST", "/v1/things", Reply(429, headers={"Retry-After": "1"}), Reply(201, json={"id": "new"}))
    assert pc.request(MAKE_THING, json={}).data == {"id": "new"}
    assert len(server.seen) == 2


def test_a_post_not_declared_safe_is_retried_when_it_never_left(clock):
    with socket.socket() as probe:  # a port where nothing listens: the connection is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pc = make_transport(f"http://127.0.0.1:{port}", clock, retry=RetryPolicy(max_attempts=3))
    with pytest.raises(TransportError) as caught:
        pc.request(MAKE_THING, json={})
    assert not caught.value.outcome_unknown
    assert caught.value.retryable
    assert len(clock.waits) == 2


def test_a_read_timeout_on_a_post_not_declared_safe_leaves_the_outcome_unknown(server, clock):
    pc = make_transport(server.url, clock, timeouts=(2.0, 0.2))
    server.on("POST", "/v1/things", Reply(201, json={}, delay=0.6))
    with pytest.raises(TransportError) as caught:
        pc.request(MAKE_THING, json={})
    assert caught.value.outcome_unknown
    assert len(server.seen) == 1


def test_a_get_is_retried_after_a_read_timeout(server, clock):
    pc = make_transport(server.url, clock, timeouts=(2.0, 0.2))
    server.on("GET", "/v1/things/t1", Reply(json={}, delay=0.6), Reply(json={"id": "t1"}))
    assert pc.request(GET_THING, "/things/t1").data == {"id": "t1"}
    assert len(server.seen) == 2


def test_checkout_is_replayed_after_a_dropped_connection_with_the_same_request_id(server, clock, pc):
    server.on("POST", CHECKOUT_PATH, DROP, Reply(201, json=CHECKOUT_RESULT))
    result = carts.checkout_cart(pc, "c1", "k1")
    assert result.orders[0].id == "o1"
    assert len(server.seen) == 2
    assert server.seen[0].headers["ms-requestid"] == server.seen[1].headers["ms-requestid"]
    assert result.meta.attempts == 2


def test_create_cart_is_replayed_after_a_dropped_connection(server, clock, pc):
    server.on("POST", "/v1/customers/c1/carts", DROP, Reply(201, json={"id": "k1", "status": "Active"}))
    line = CartLineItem(id=0, catalog_item_id="p:s:a", quantity=1, billing_cycle="one_time")
    assert carts.create_cart(pc, "c1", [line]).id == "k1"
    assert server.seen[0].headers["ms-requestid"] == server.seen[1].headers["ms-requestid"]


def test_a_403_on_an_app_user_only_call_depends_on_the_token_used(server, clock):
    server.on("GET", "/v1/secrets", Reply(403, json={"code": "403", "description": "App+User required"}))
    app_only = make_transport(server.url, clock)
    with pytest.raises(AppUserRequired):
        app_only.request(APP_USER_THING)
    user = DelegatedToken(access_token="user-token", expires_at=None, account_id="a", username="u@x")
    with pytest.raises(DelegatedAccessRefused) as caught:
        app_only.request(APP_USER_THING, token=user)
    assert not isinstance(caught.value, AppUserRequired)  # signed in, but refused: no MFA, or no role
    assert server.seen[-1].headers["authorization"] == "Bearer user-token"


def test_the_token_is_asked_for_on_every_attempt(server, clock):
    tokens = iter(["first", "second"])
    pc = make_transport(server.url, clock, token=lambda: next(tokens))
    server.on("GET", "/v1/things/t1", Reply(503), Reply(json={}))
    pc.request(GET_THING, "/things/t1")
    assert [s.headers["authorization"] for s in server.seen] == ["Bearer first", "Bearer second"]


def test_the_base_url_may_carry_v1_and_links_may_or_may_not(server, clock):
    pc = make_transport(server.url + "/v1/", clock)
    server.on("GET", "/v1/products/P1", Reply(json={}))
    pc.request(GET_THING, "/products/P1?country=US")
    pc.request(GET_THING, "/v1/products/P1?country=US")
    assert [s.url for s in server.seen] == ["/v1/products/P1?country=US"] * 2


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        ("/products/P1?country=US", "/products/P1?country=US"),
        ("/v1/customers?size=500&seekOperation=Next", "/customers?size=500&seekOperation=Next"),
        ("https://api.partnercenter.microsoft.com/v1/invoices", "/invoices"),
        ("https://elsewhere.example/v1/invoices?x=1", "/invoices?x=1"),  # the token never leaves the host
        ("/invoices/I/lineitems?provider=onetime&size=2000?seekOperation=Next", None),
        ("/invoices/I/lineitems/onetime/billinglineitems&size=2000?seekOperation=Next", None),
        ("customers", "/customers"),
    ],
)
def test_link_uris_are_normalised(uri, path):
    normalised = normalize_path(uri)
    if path is not None:
        assert normalised == path
    else:
        assert normalised.count("?") == 1 and "&" in normalised and "seekOperation=Next" in normalised


def test_a_2xx_body_that_is_not_json_is_an_error(server, pc):
    server.on("GET", "/v1/things/t1", Reply(200, body=b"<html>proxy login</html>"))
    with pytest.raises(errors.PartnerCenterError, match="not JSON"):
        pc.request(GET_THING, "/things/t1")


def test_an_empty_2xx_body_is_none(server, pc):
    server.on("POST", "/v1/things", Reply(202, headers={"Location": "/things/1/status"}))
    response = pc.request(MAKE_THING)
    assert response.data is None
    assert response.location == "/things/1/status"
    assert server.seen[0].headers.get("content-length") == "0"
