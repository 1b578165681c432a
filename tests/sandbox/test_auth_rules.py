"""Partner Center's token rules: 401 for missing or bad tokens, 403 where App+User is required or MFA
is missing, and the documented error body everywhere."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .client import LEE, MEGAN, Sandbox

AUDIENCE = "https://api.partnercenter.microsoft.com"


def _forge(sb: Sandbox, key: Any = None, **overrides: Any) -> str:
    """A token like the sandbox issues, signed with its key (or another one), with some claims changed."""
    signing = key or serialization.load_pem_private_key((sb.data_dir / "signing-key.pem").read_bytes(), None)
    real = jwt.get_unverified_header(sb.app_token())
    now = int(time.time())
    claims = {
        "aud": AUDIENCE,
        "iss": f"{sb.env['PARTNER_CENTER_AUTHORITY']}/v2.0",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "tid": sb.tenant,
        "appid": sb.client_id,
        "idtyp": "app",
        "oid": "00000000-0000-4000-8000-000000000001",
    }
    claims.update(overrides)
    return jwt.encode(claims, signing, algorithm="RS256", headers={"kid": real["kid"]})


def _assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["source"] == "PartnerFD" and body["data"] == [] and body["description"]
    return body


def test_a_forged_token_with_the_real_key_is_accepted(sb: Sandbox) -> None:
    assert sb.get("/v1/customers?size=1", auth=_forge(sb)).status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200, "nbf": int(time.time()) - 7200},
        {"aud": "https://graph.microsoft.com"},
        {"tid": "11111111-1111-4111-8111-111111111111"},
    ],
    ids=["expired", "wrong-audience", "other-tenant"],
)
def test_bad_tokens_are_refused_with_401(sb: Sandbox, change: dict[str, Any]) -> None:
    response = sb.get("/v1/customers?size=1", auth=_forge(sb, **change))
    _assert_error(response, 401, "800001")
    assert response.headers["WWW-Authenticate"].startswith("OAuth realm=")


def test_missing_token_and_bad_signature_are_401(sb: Sandbox) -> None:
    missing = sb.get("/v1/customers", auth=None)
    assert "missing" in _assert_error(missing, 401, "800001")["description"]
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _assert_error(sb.get("/v1/customers", auth=_forge(sb, key=stranger)), 401, "800001")
    _assert_error(sb.get("/v1/customers", auth="not-a-jwt"), 401, "800001")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/invoices/summaries",
        "/v1/customers/{c}/entitlements",
        "/v1/customers/{c}/orders/abc/provisioningstatus",
    ],
)
def test_app_plus_user_endpoints_refuse_app_only_tokens(sb: Sandbox, path: str) -> None:
    response = sb.get(path.format(c=sb.customer(0)))
    assert "App+User" in _assert_error(response, 403, "600001")["description"]


def test_app_plus_user_calls_need_mfa(sb: Sandbox) -> None:
    assert sb.get("/v1/invoices/summaries", auth=sb.user_token(MEGAN)).status_code == 200
    no_mfa = sb.get("/v1/invoices/summaries", auth=sb.user_token(LEE))
    assert "multi-factor" in _assert_error(no_mfa, 403, "600002")["description"]


def test_malformed_and_unknown_customer_ids(sb: Sandbox) -> None:
    _assert_error(sb.get("/v1/customers/not-a-guid"), 400, "800002")
    _assert_error(sb.get("/v1/customers/11111111-1111-4111-8111-111111111111"), 404, "900118")


def test_every_response_carries_the_tracing_headers(sb: Sandbox) -> None:
    response = sb.get("/v1/customers?size=1", headers={"MS-CorrelationId": "c-1", "MS-RequestId": "r-1"})
    assert response.headers["MS-CorrelationId"] == "c-1"
    assert response.headers["MS-RequestId"] == "r-1"
    assert response.headers["MS-CV"] and response.headers["MS-ServerId"]
    unauthenticated = sb.get("/v1/customers", auth=None)
    assert unauthenticated.headers["MS-RequestId"] and unauthenticated.headers["MS-CorrelationId"]
