"""Throttling, injected faults, MS-RequestId replay and the admin API's own rules."""

from __future__ import annotations

import time

import pytest
import requests

from .client import Sandbox, cart_line, find_offer, new_request_id


def test_requests_over_the_rate_limit_get_429_with_retry_after(sb: Sandbox) -> None:
    sb.admin("PUT", "settings", {"rate_limit": 5})
    answers = [sb.get("/v1/customers?size=1") for _ in range(6)]
    assert [a.status_code for a in answers[:5]] == [200] * 5
    throttled = answers[5]
    assert throttled.status_code == 429
    wait = int(throttled.headers["Retry-After"])
    assert 1 <= wait <= 60
    assert throttled.json() == {
        "statusCode": 429,
        "message": f"Rate limit is exceeded. Try again in {wait} seconds.",
    }
    assert sb.http.get(f"{sb.base}/healthz").status_code == 200  # not a Partner Center call


def test_error_faults_answer_without_doing_the_work(sb: Sandbox) -> None:
    offer = find_offer(sb)
    rule = {"method": "POST", "path": r"^/v1/customers/[^/]+/carts$", "kind": "error", "status": 503,
            "code": "800003", "retry_after": 2, "count": 1}  # fmt: skip
    sb.admin("PUT", "faults", [rule])
    failed = sb.post(f"/v1/customers/{offer.customer_id}/carts", json={"lineItems": [cart_line(offer)]})
    assert failed.status_code == 503 and failed.json()["code"] == "800003"
    assert failed.headers["Retry-After"] == "2" and failed.headers["MS-CorrelationId"]
    assert sb.admin("GET", "stats")["carts"] == 0
    succeeded = sb.post(f"/v1/customers/{offer.customer_id}/carts", json={"lineItems": [cart_line(offer)]})
    assert succeeded.status_code == 201
    assert sb.admin("GET", "faults")["rules"][0]["count"] == 0


def test_drop_latency_and_throttle_faults(sb: Sandbox) -> None:
    sb.admin(
        "PUT",
        "faults",
        [
            {"path": "^/v1/invoices$", "kind": "drop", "count": 1},
            {"path": "^/v1/invoices/summary$", "kind": "latency", "latency_ms": 300},
            {"method": "GET", "path": "^/v1/customers$", "kind": "throttle", "retry_after": 7, "count": 1},
        ],
    )
    with pytest.raises(requests.exceptions.ConnectionError):
        sb.get("/v1/invoices")
    assert sb.get("/v1/invoices").status_code == 200
    started = time.monotonic()
    assert sb.get("/v1/invoices/summary").status_code == 200
    assert time.monotonic() - started >= 0.3
    throttled = sb.get("/v1/customers")
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "7")
    listed = sb.admin("GET", "faults")["rules"]
    assert [r["count"] for r in listed] == [0, None, 0]
    sb.http.delete(f"{sb.base}/_sandbox/faults", headers={"X-Sandbox-Admin": sb.admin_token})
    assert sb.admin("GET", "faults") == {"rules": []}


def test_a_repeated_request_id_gets_the_first_answer(sb: Sandbox) -> None:
    offer = find_offer(sb)
    request_id = new_request_id()
    path = f"/v1/customers/{offer.customer_id}/carts"
    first = sb.post(path, json={"lineItems": [cart_line(offer)]}, headers={"MS-RequestId": request_id})
    again = sb.post(path, json={"lineItems": [cart_line(offer)]}, headers={"MS-RequestId": request_id})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert sb.admin("GET", "stats")["carts"] == 1
    other = sb.post(path, json={"lineItems": [cart_line(offer)]}, headers={"MS-RequestId": new_request_id()})
    assert other.json()["id"] != first.json()["id"]


def test_admin_api_needs_its_token(sb: Sandbox) -> None:
    for headers in ({}, {"X-Sandbox-Admin": "wrong"}):
        assert sb.http.get(f"{sb.base}/_sandbox/stats", headers=headers).status_code == 403
    bad = sb.http.put(
        f"{sb.base}/_sandbox/faults", headers={"X-Sandbox-Admin": sb.admin_token}, json=[{"kind": "explode"}]
    )
    assert bad.status_code == 400


def test_clock_only_moves_forward_and_stats_count_routes(sb: Sandbox) -> None:
    before = sb.admin("GET", "clock")
    after = sb.admin("POST", "clock", {"advance_seconds": 3600})
    assert after["offset_seconds"] == before["offset_seconds"] + 3600
    backwards = sb.http.post(
        f"{sb.base}/_sandbox/clock", headers={"X-Sandbox-Admin": sb.admin_token}, json={"advance_seconds": -5}
    )
    assert backwards.status_code == 400
    sb.get("/v1/customers?size=1")
    assert sb.admin("GET", "stats")["requests"]["GET /v1/customers"] == 1
