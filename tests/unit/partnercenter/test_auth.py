"""MSAL against a local HTTPS identity provider: app-only and App+User tokens, and their failures."""

import base64
import json
import socket
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from partnercenter import Operation, PartnerCenterConfig, Transport, auth
from partnercenter.auth import AuthenticationError

from .conftest import Reply

# The portal reads the sign-in answer from the query string (see auth.start_sign_in); MSAL advises form_post.
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended:UserWarning")

TENANT = "7d9f2a10-0c1b-4d3e-8f55-6a7b8c9d0e1f"
CLIENT_ID = "portal-app-id"
SECRET = "never-show-me-0123456789"
OID = "0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d"
PING = Operation("ping", "GET", "/ping")
DISCOVERY = f"/{TENANT}/v2.0/.well-known/openid-configuration"
TOKEN = f"/{TENANT}/oauth2/v2.0/token"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.fixture
def idp(https_server, machine_bundle, sandbox_ca_file):
    """The identity side of a sandbox: discovery and token endpoints, over HTTPS signed by an extra CA."""
    base = https_server.url
    https_server.on(
        "GET",
        DISCOVERY,
        Reply(
            json={
                "issuer": f"{base}/{TENANT}/v2.0",
                "authorization_endpoint": f"{base}/{TENANT}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}{TOKEN}",
            }
        ),
    )
    https_server.config = PartnerCenterConfig(
        api_url=base,
        authority=f"{base}/{TENANT}",
        tenant_id=TENANT,
        client_id=CLIENT_ID,
        client_secret=SECRET,
        ca_bundle=str(sandbox_ca_file),
    )
    return https_server


def _token_requests(server):
    return [parse_qs(s.body.decode()) for s in server.requests_to(TOKEN)]


def test_app_only_tokens_come_from_msal_with_the_partner_center_scope_and_are_cached(idp):
    idp.on(
        "POST", TOKEN, Reply(json={"token_type": "Bearer", "expires_in": 3599, "access_token": "app-at-1"})
    )
    assert auth.acquire_app_token(idp.config) == "app-at-1"
    assert auth.acquire_app_token(idp.config) == "app-at-1"
    (form,) = _token_requests(idp)  # one token request: the second call was served by MSAL's cache
    assert form["grant_type"] == ["client_credentials"]
    assert form["client_id"] == [CLIENT_ID]
    assert "https://api.partnercenter.microsoft.com/.default" in form["scope"][0].split()
    # Only the configured authority was asked: no instance discovery at login.microsoftonline.com.
    assert {s.path for s in idp.seen} == {DISCOVERY, TOKEN}


def test_the_transport_sends_app_only_tokens_by_default(idp):
    idp.on(
        "POST", TOKEN, Reply(json={"token_type": "Bearer", "expires_in": 3599, "access_token": "app-at-2"})
    )
    idp.on("GET", "/v1/ping", Reply(json={}))
    with Transport.from_config(idp.config) as pc:
        pc.request(PING)
        pc.request(PING)
    assert [s.headers["authorization"] for s in idp.requests_to("/v1/ping")] == ["Bearer app-at-2"] * 2
    assert len(idp.requests_to(TOKEN)) == 1


def test_a_refused_client_secret_is_an_authentication_error_with_the_aadsts_code_and_no_secret(idp):
    description = (
        f"AADSTS7000215: Invalid client secret provided ({SECRET}).\r\n"
        "Trace ID: 1\r\nCorrelation ID: 2\r\nTimestamp: 2025-01-01"
    )
    idp.on(
        "POST",
        TOKEN,
        Reply(
            401,
            json={
                "error": "invalid_client",
                "error_description": description,
                "error_codes": [7000215],
                "correlation_id": "aad-correlation",
            },
        ),
    )
    with pytest.raises(AuthenticationError) as caught:
        auth.acquire_app_token(idp.config)
    error = caught.value
    assert error.code == "AADSTS7000215"
    assert error.error == "invalid_client"
    assert error.correlation_id == "aad-correlation"
    assert not error.retryable
    for text in (str(error), repr(error), error.user_message, error.description):
        assert SECRET not in text
    assert "AADSTS7000215" in error.user_message


def test_an_unreachable_authority_is_a_retryable_authentication_error(machine_bundle):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = PartnerCenterConfig(
        authority=f"https://127.0.0.1:{port}/{TENANT}", tenant_id=TENANT, client_id="x", client_secret=SECRET
    )
    with pytest.raises(AuthenticationError) as caught:
        auth.acquire_app_token(config)
    assert caught.value.retryable
    assert SECRET not in str(caught.value)


def test_an_unconfigured_client_cannot_get_tokens():
    with pytest.raises(AuthenticationError, match="not configured"):
        auth.acquire_app_token(PartnerCenterConfig())


def _sign_in(idp, amr=("pwd", "mfa"), expires_in=3600):
    cache = auth.load_token_cache()
    flow = auth.start_sign_in(idp.config, "https://portal.example/signed-in", cache)
    query = parse_qs(urlsplit(flow["auth_uri"]).query)
    claims = {
        "aud": CLIENT_ID,
        "iss": f"{idp.url}/{TENANT}/v2.0",
        "iat": int(time.time()),
        "exp": int(time.time()) + 3600,
        "sub": "subject",
        "oid": OID,
        "tid": TENANT,
        "name": "Ana Ruiz",
        "given_name": "Ana",
        "family_name": "Ruiz",
        "preferred_username": "ana@partner.example",
        "roles": ["Approver"],
        "amr": list(amr),
        "nonce": query["nonce"][0],
    }
    idp.on(
        "POST",
        TOKEN,
        Reply(
            json={
                "token_type": "Bearer",
                "scope": "https://api.partnercenter.microsoft.com/user_impersonation",
                "expires_in": expires_in,
                "access_token": "user-at-1",
                "refresh_token": "user-rt-1",
                "id_token": f"{_b64({'alg': 'none'})}.{_b64(claims)}.",
                "client_info": _b64({"uid": OID, "utid": TENANT}),
            }
        ),
    )
    result = auth.finish_sign_in(idp.config, flow, {"code": "the-code", "state": flow["state"]}, cache)
    return flow, cache, result


def test_sign_in_asks_for_user_impersonation_and_lets_the_user_pick_an_account(idp):
    flow, _, _ = _sign_in(idp)
    assert flow["auth_uri"].startswith(f"{idp.url}/{TENANT}/oauth2/v2.0/authorize?")
    query = parse_qs(urlsplit(flow["auth_uri"]).query)
    assert "https://api.partnercenter.microsoft.com/user_impersonation" in query["scope"][0].split()
    assert query["prompt"] == ["select_account"]
    assert query["redirect_uri"] == ["https://portal.example/signed-in"]


def test_finishing_the_sign_in_reads_who_signed_in_and_whether_with_mfa(idp):
    _, _, result = _sign_in(idp)
    assert result.object_id == OID
    assert result.tenant_id == TENANT
    assert result.username == "ana@partner.example"
    assert (result.name, result.given_name, result.family_name) == ("Ana Ruiz", "Ana", "Ruiz")
    assert result.roles == ("Approver",)
    assert result.amr == ("pwd", "mfa") and result.mfa
    assert result.account_id == f"{OID}.{TENANT}"
    assert result.token.access_token == "user-at-1"
    assert "user-at-1" not in repr(result)
    form = _token_requests(idp)[-1]
    assert form["grant_type"] == ["authorization_code"] and form["code"] == ["the-code"]


def test_a_sign_in_without_mfa_says_so(idp):
    _, _, result = _sign_in(idp, amr=("pwd",))
    assert not result.mfa


def test_the_delegated_token_comes_from_the_persisted_cache(idp):
    _, cache, result = _sign_in(idp)
    token_requests = len(idp.requests_to(TOKEN))
    stored = cache.serialize()  # what the portal keeps server-side

    token = auth.delegated_token(idp.config, auth.load_token_cache(stored), result.account_id)
    assert token is not None
    assert token() == "user-at-1"  # a TokenProvider the transport marks as App+User
    assert auth.is_delegated(token)
    assert token.username == "ana@partner.example"
    assert len(idp.requests_to(TOKEN)) == token_requests  # served from the cache
    assert auth.delegated_token(idp.config, auth.load_token_cache(stored), "ana@partner.example") is not None
    # Each call builds a short-lived MSAL application; the discovery document was read once.
    assert len(idp.requests_to(DISCOVERY)) == 1


def test_an_expiring_delegated_token_is_refreshed_and_the_cache_says_it_changed(idp):
    _, cache, result = _sign_in(idp, expires_in=60)  # MSAL refreshes tokens this close to expiry
    stored = auth.load_token_cache(cache.serialize())
    idp.on(
        "POST",
        TOKEN,
        Reply(
            json={
                "token_type": "Bearer",
                "expires_in": 3600,
                "access_token": "user-at-2",
                "refresh_token": "user-rt-2",
                "client_info": _b64({"uid": OID, "utid": TENANT}),
            }
        ),
    )
    token = auth.delegated_token(idp.config, stored, result.account_id)
    assert token() == "user-at-2"
    assert stored.has_state_changed  # the portal must persist the rotated refresh token
    form = _token_requests(idp)[-1]
    assert form["grant_type"] == ["refresh_token"] and form["refresh_token"] == ["user-rt-1"]


def test_a_refused_refresh_means_a_new_sign_in(idp):
    _, cache, result = _sign_in(idp, expires_in=60)
    idp.on(
        "POST",
        TOKEN,
        Reply(400, json={"error": "invalid_grant", "error_description": "AADSTS700082: expired"}),
    )
    assert auth.delegated_token(idp.config, cache, result.account_id) is None


def test_an_unknown_account_needs_a_new_sign_in(idp):
    _, cache, _ = _sign_in(idp)
    assert auth.delegated_token(idp.config, cache, "someone-else") is None
    assert auth.delegated_token(idp.config, auth.load_token_cache(), "") is None


def test_signing_out_forgets_the_tokens(idp):
    _, cache, result = _sign_in(idp)
    assert auth.sign_out(idp.config, cache, result.account_id)
    assert auth.delegated_token(idp.config, cache, result.account_id) is None
    assert not auth.sign_out(idp.config, cache, result.account_id)


def test_an_answer_that_does_not_match_the_started_sign_in_is_refused(idp):
    cache = auth.load_token_cache()
    flow = auth.start_sign_in(idp.config, "https://portal.example/signed-in", cache)
    with pytest.raises(AuthenticationError, match="does not belong"):
        auth.finish_sign_in(idp.config, flow, {"code": "c", "state": "forged"}, cache)
    assert idp.requests_to(TOKEN) == []


def test_an_error_answer_from_the_authorize_page_is_an_authentication_error(idp):
    cache = auth.load_token_cache()
    flow = auth.start_sign_in(idp.config, "https://portal.example/signed-in", cache)
    answer = {
        "error": "access_denied",
        "error_description": "AADSTS65004: User declined.",
        "state": flow["state"],
    }
    with pytest.raises(AuthenticationError) as caught:
        auth.finish_sign_in(idp.config, flow, answer, cache)
    assert caught.value.code == "AADSTS65004"
