"""The Entra ID look-alike: TLS with the generated CA, discovery, MSAL flows, token endpoint errors."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import jwt
import pytest
import requests

from .client import LEE, MEGAN, PC_SCOPE, REDIRECT_URI, USER_SCOPE, Sandbox, posted_fields, sign_in


def test_tls_is_trusted_only_through_the_generated_ca(sb: Sandbox) -> None:
    assert sb.http.get(f"{sb.base}/healthz").json() == {"status": "ok"}
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{sb.base}/healthz", verify=True, timeout=10)


def test_discovery_document_points_at_this_tenant(sb: Sandbox) -> None:
    authority = sb.env["PARTNER_CENTER_AUTHORITY"]
    config = sb.http.get(f"{authority}/v2.0/.well-known/openid-configuration").json()
    assert config["issuer"] == f"{authority}/v2.0"
    assert config["token_endpoint"] == f"{authority}/oauth2/v2.0/token"
    assert config["authorization_endpoint"] == f"{authority}/oauth2/v2.0/authorize"
    assert "form_post" in config["response_modes_supported"]
    unknown = sb.http.get(
        f"{sb.base}/00000000-0000-4000-8000-000000000000/v2.0/.well-known/openid-configuration"
    )
    assert unknown.status_code == 400
    assert unknown.json()["error_codes"] == [90002]


def test_app_only_token_through_msal_is_signed_by_the_published_key(sb: Sandbox) -> None:
    result = sb.msal_app().acquire_token_for_client([PC_SCOPE])
    token = result["access_token"]
    keys = sb.http.get(f"{sb.env['PARTNER_CENTER_AUTHORITY']}/discovery/v2.0/keys").json()["keys"]
    header = jwt.get_unverified_header(token)
    key = next(k for k in keys if k["kid"] == header["kid"])
    claims = jwt.decode(
        token, jwt.PyJWK(key).key, algorithms=["RS256"], audience="https://api.partnercenter.microsoft.com"
    )
    assert claims["tid"] == sb.tenant
    assert claims["appid"] == claims["azp"] == sb.client_id
    assert claims["idtyp"] == "app"
    assert claims["exp"] - claims["iat"] <= 3600


def test_authorization_code_flow_gives_roles_mfa_and_the_nonce(sb: Sandbox) -> None:
    result = sign_in(sb, MEGAN)
    claims = result["id_token_claims"]
    assert claims["roles"] == ["Sales"]
    assert claims["amr"] == ["pwd", "mfa"]
    assert claims["preferred_username"] == MEGAN
    assert claims["aud"] == sb.client_id
    assert claims["nonce"]  # MSAL compared it with the hash it sent; a mismatch would have raised
    access = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert access["scp"] == "user_impersonation"
    assert access["upn"] == MEGAN
    assert "refresh_token" in result


def test_user_without_mfa_gets_password_only_amr(sb: Sandbox) -> None:
    claims = sign_in(sb, LEE)["id_token_claims"]
    assert claims["amr"] == ["pwd"]
    assert claims["roles"] == ["Support"]


def test_picker_page_posts_back_and_form_post_mode_auto_submits(sb: Sandbox) -> None:
    app = sb.msal_app()
    flow = app.initiate_auth_code_flow([USER_SCOPE], redirect_uri=REDIRECT_URI, response_mode="form_post")
    page = sb.http.get(flow["auth_uri"])
    assert page.status_code == 200
    assert "Adele Vance" in page.text and "Lee Gu" in page.text and "no MFA" in page.text
    assert '<label for="u0">' in page.text  # every choice is a labelled control
    hidden = re.search(r'name="request" value="([^"]+)"', page.text)
    assert hidden is not None
    alex = next(u for u in sb.admin("GET", "info")["users"] if u["name"] == "Alex Wilber")
    answer = sb.http.post(
        page.url, data={"request": hidden.group(1).replace("&amp;", "&"), "user": alex["oid"]}
    )
    assert answer.status_code == 200
    assert f'action="{REDIRECT_URI}"' in answer.text
    result = app.acquire_token_by_auth_code_flow(flow, posted_fields(answer))
    assert result["id_token_claims"]["roles"] == ["Approver"]


def test_refresh_token_works_and_is_rotated(sb: Sandbox) -> None:
    app = sb.msal_app()
    first = sign_in(sb, MEGAN, app)
    account = app.get_accounts(username=MEGAN)[0]
    refreshed = app.acquire_token_silent([USER_SCOPE], account=account, force_refresh=True)
    assert refreshed is not None and refreshed["access_token"] != first["access_token"]
    assert refreshed["refresh_token"] != first["refresh_token"]
    again = app.acquire_token_by_refresh_token(first["refresh_token"], [USER_SCOPE])
    assert "access_token" in again


def _token_call(sb: Sandbox, **form: str) -> requests.Response:
    return sb.http.post(f"{sb.env['PARTNER_CENTER_AUTHORITY']}/oauth2/v2.0/token", data=form)


def test_token_endpoint_errors_have_entra_shape(sb: Sandbox) -> None:
    bad_secret = _token_call(
        sb, grant_type="client_credentials", client_id=sb.client_id, client_secret="nope", scope=PC_SCOPE
    )
    assert bad_secret.status_code == 401
    body = bad_secret.json()
    assert body["error"] == "invalid_client"
    assert body["error_codes"] == [7000215]
    assert body["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")
    assert {"timestamp", "trace_id", "correlation_id"} <= body.keys()

    wrong_scope = _token_call(
        sb, grant_type="client_credentials", client_id=sb.client_id, client_secret=sb.secret, scope=USER_SCOPE
    )
    assert (wrong_scope.status_code, wrong_scope.json()["error"]) == (400, "invalid_scope")

    grant = _token_call(sb, grant_type="password", client_id=sb.client_id, client_secret=sb.secret)
    assert grant.json()["error"] == "unsupported_grant_type"

    refresh = _token_call(
        sb,
        grant_type="refresh_token",
        client_id=sb.client_id,
        client_secret=sb.secret,
        refresh_token="made-up",
    )
    assert (refresh.status_code, refresh.json()["error"]) == (400, "invalid_grant")


def test_codes_are_single_use_and_bound_to_the_pkce_verifier(sb: Sandbox) -> None:
    app = sb.msal_app()
    flow = app.initiate_auth_code_flow(
        [USER_SCOPE], redirect_uri=REDIRECT_URI, login_hint=MEGAN, prompt="none", response_mode="form_post"
    )
    code = posted_fields(sb.http.get(flow["auth_uri"]))["code"]
    form = {
        "grant_type": "authorization_code",
        "client_id": sb.client_id,
        "client_secret": sb.secret,
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "scope": USER_SCOPE,
    }
    wrong_verifier = _token_call(sb, **form, code_verifier="x" * 43)
    assert wrong_verifier.json()["error_codes"] == [501481]
    assert _token_call(sb, **form, code_verifier=flow["code_verifier"]).status_code == 200
    reused = _token_call(sb, **form, code_verifier=flow["code_verifier"])
    assert (reused.json()["error"], reused.json()["error_codes"]) == ("invalid_grant", [54005])


def test_query_response_mode_redirects_with_code_state_and_client_info(sb: Sandbox) -> None:
    authorize = f"{sb.env['PARTNER_CENTER_AUTHORITY']}/oauth2/v2.0/authorize"
    answer = sb.http.get(
        authorize,
        params={
            "client_id": sb.client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "scope": f"openid {USER_SCOPE}",
            "state": "xyz",
            "login_hint": MEGAN,
            "prompt": "none",
            "client_info": "1",
        },
        allow_redirects=False,
    )
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    values = dict(parse_qsl(location.query))
    assert values["state"] == "xyz" and values["code"] and values["client_info"]


def test_authorize_refuses_foreign_redirect_uris_and_reports_silent_failures(sb: Sandbox) -> None:
    authorize = f"{sb.env['PARTNER_CENTER_AUTHORITY']}/oauth2/v2.0/authorize"
    foreign = sb.http.get(
        authorize,
        params={
            "client_id": sb.client_id,
            "response_type": "code",
            "redirect_uri": "https://evil.example/cb",
            "scope": "openid",
        },
    )
    assert foreign.status_code == 400 and "AADSTS50011" in foreign.text
    silent = sb.http.get(
        authorize,
        params={
            "client_id": sb.client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "scope": "openid",
            "state": "s1",
            "prompt": "none",
        },
        allow_redirects=False,
    )
    answer = dict(parse_qsl(urlsplit(silent.headers["Location"]).query))
    assert answer["error"] == "login_required" and answer["state"] == "s1"


def test_logout_redirects_to_a_loopback_uri(sb: Sandbox) -> None:
    response = sb.http.get(
        f"{sb.env['PARTNER_CENTER_AUTHORITY']}/oauth2/v2.0/logout",
        params={"post_logout_redirect_uri": "http://127.0.0.1:8000/"},
        allow_redirects=False,
    )
    assert response.status_code == 302 and response.headers["Location"] == "http://127.0.0.1:8000/"
