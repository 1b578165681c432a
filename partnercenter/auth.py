"""Tokens for Partner Center, through MSAL.

App-only (client credentials) tokens come from one `ConfidentialClientApplication` per process and
configuration, whose token cache MSAL keeps in memory. App+User (delegated) tokens come from the
authorization-code flow of the signed-in staff member, in a `SerializableTokenCache` of theirs that the caller
loads before and persists after each call (the portal keeps it server-side).

Every MSAL application here is built with `instance_discovery=False`, so an authority that is not Microsoft's
(a sandbox) works and nothing is asked of login.microsoftonline.com besides the configured authority, and
with an `http_client` that pins the TLS trust (see tls.py). Errors become `AuthenticationError` carrying the
AADSTS code; the client secret never appears in one.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Protocol, runtime_checkable

import msal
import requests

from .config import PartnerCenterConfig
from .errors import AuthenticationError
from .tls import PinnedSession, session_for

APP_SCOPE = "https://api.partnercenter.microsoft.com/.default"
USER_SCOPE = "https://api.partnercenter.microsoft.com/user_impersonation"

# OAuth errors after which the user must sign in again (rather than the call being tried later).
_INTERACTION_REQUIRED = frozenset(
    {"invalid_grant", "interaction_required", "login_required", "consent_required"}
)
_TRANSIENT = frozenset({"temporarily_unavailable", "server_error"})

__all__ = [
    "APP_SCOPE",
    "USER_SCOPE",
    "AppTokenProvider",
    "AuthenticationError",
    "DelegatedToken",
    "SignInResult",
    "TokenProvider",
    "acquire_app_token",
    "delegated_token",
    "finish_sign_in",
    "is_delegated",
    "load_token_cache",
    "sign_out",
    "start_sign_in",
]


@runtime_checkable
class TokenProvider(Protocol):
    """Anything that returns a current bearer token when called.

    A provider with `delegated = True` (like `DelegatedToken`) says its tokens are App+User ones; any other is
    taken for app-only, which is how a 403 on an App+User-only call becomes `AppUserRequired`.
    """

    def __call__(self) -> str: ...


def is_delegated(provider: object) -> bool:
    return getattr(provider, "delegated", False) is True


# --- one MSAL application per process and configuration --------------------------------------------------


class _HttpClient:
    """MSAL's http_client: the pinned session, plus a cache of the authority's discovery document.

    A delegated call builds a short-lived MSAL application around the user's own token cache, and each new
    application would otherwise fetch the authority's OpenID configuration again.
    """

    _DISCOVERY_TTL = 3600.0

    def __init__(self, session: PinnedSession) -> None:
        self.session = session
        self._lock = threading.Lock()
        self._discovery: dict[str, tuple[float, requests.Response]] = {}

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        if "/.well-known/openid-configuration" not in url or kwargs.get("params"):
            return self.session.get(url, **kwargs)
        with self._lock:
            cached = self._discovery.get(url)
        if cached and time.monotonic() - cached[0] < self._DISCOVERY_TTL:
            return cached[1]
        response = self.session.get(url, **kwargs)
        if response.status_code == 200:
            with self._lock:
                self._discovery[url] = (time.monotonic(), response)
        return response

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.session.post(url, **kwargs)

    def close(self) -> None:
        self.session.close()


_lock = threading.Lock()
_http_clients: dict[PartnerCenterConfig, _HttpClient] = {}
_app_only: dict[PartnerCenterConfig, msal.ConfidentialClientApplication] = {}


def _after_fork_in_child() -> None:
    # A forked worker (gunicorn, Celery prefork) must not share the parent's sockets, nor a lock that another
    # of the parent's threads may have held at the fork.
    global _lock
    _lock = threading.Lock()
    _http_clients.clear()
    _app_only.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _http_client(config: PartnerCenterConfig) -> _HttpClient:
    with _lock:
        client = _http_clients.get(config)
        if client is None:
            client = _http_clients[config] = _HttpClient(session_for(config))
        return client


def _new_app(
    config: PartnerCenterConfig, token_cache: msal.TokenCache | None = None
) -> msal.ConfidentialClientApplication:
    if not config.is_configured:
        raise AuthenticationError(
            "Partner Center sign-in is not configured (PARTNER_CENTER_TENANT_ID, _CLIENT_ID, _CLIENT_SECRET)",
            error="not_configured",
        )
    try:
        return msal.ConfidentialClientApplication(
            config.client_id,
            client_credential=config.client_secret,
            authority=config.authority,
            token_cache=token_cache,
            http_client=_http_client(config),
            instance_discovery=False,
        )
    except (ValueError, requests.RequestException) as exc:
        # The authority's discovery document could not be read: down, unreachable, or a wrong tenant.
        raise AuthenticationError(
            f"The authority {config.authority} could not be used: {_scrub(str(exc), config)}",
            error="authority_unavailable",
            retryable=isinstance(exc, requests.RequestException),
        ) from None


def _app_only_app(config: PartnerCenterConfig) -> msal.ConfidentialClientApplication:
    with _lock:
        app = _app_only.get(config)
    if app is not None:
        return app
    app = _new_app(config)  # outside the lock: it reads the authority's discovery document
    with _lock:
        # Two threads may both have built one; keep the first, so there is a single token cache.
        return _app_only.setdefault(config, app)


# --- app-only -------------------------------------------------------------------------------------------


def acquire_app_token(config: PartnerCenterConfig) -> str:
    """An app-only access token, from MSAL's cache while it is valid."""
    app = _app_only_app(config)
    try:
        result = app.acquire_token_for_client(scopes=[APP_SCOPE])
    except requests.RequestException as exc:
        raise AuthenticationError(
            f"The token endpoint could not be reached: {type(exc).__name__}",
            error="token_endpoint_unreachable",
            retryable=True,
        ) from None
    if not result or "access_token" not in result:
        raise _error_from_result(result or {}, config, "App-only token request")
    return str(result["access_token"])


class AppTokenProvider:
    """The app's own (app-only) tokens, as a TokenProvider for the transport."""

    delegated: ClassVar[bool] = False

    def __init__(self, config: PartnerCenterConfig) -> None:
        self.config = config

    def __call__(self) -> str:
        return acquire_app_token(self.config)

    def __repr__(self) -> str:
        return f"AppTokenProvider(client_id={self.config.client_id!r}, authority={self.config.authority!r})"


# --- App+User (delegated) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DelegatedToken:
    """A staff member's App+User access token. Call it to get the token: it is a TokenProvider."""

    delegated: ClassVar[bool] = True

    access_token: str = field(repr=False)
    expires_at: datetime
    account_id: str
    username: str

    def __call__(self) -> str:
        return self.access_token


@dataclass(frozen=True)
class SignInResult:
    """Who signed in (claims of the ID token) and their first App+User token."""

    account_id: str  # MSAL's home account id: pass it to delegated_token() and sign_out()
    object_id: str  # oid
    tenant_id: str  # tid
    name: str
    given_name: str
    family_name: str
    username: str  # preferred_username, else email, else upn
    email: str
    roles: tuple[str, ...]
    amr: tuple[str, ...]
    mfa: bool  # "mfa" among the authentication methods; Partner Center requires it for App+User calls
    expires_at: datetime  # of the access token
    token: DelegatedToken = field(repr=False)


def load_token_cache(serialized: str | None = None) -> msal.SerializableTokenCache:
    """A user's token cache from what the caller stored (empty when None). Persist `cache.serialize()`
    again whenever `cache.has_state_changed` after a call."""
    cache = msal.SerializableTokenCache()
    if serialized:
        cache.deserialize(serialized)
    return cache


def start_sign_in(
    config: PartnerCenterConfig,
    redirect_uri: str,
    cache: msal.SerializableTokenCache,
    *,
    login_hint: str | None = None,
    response_mode: str | None = None,
) -> dict[str, Any]:
    """Begin the authorization-code flow. Keep the returned flow (server-side, e.g. in the session) and send
    the user to `flow["auth_uri"]`.

    The answer comes back in the redirect's query string unless `response_mode="form_post"` (which MSAL
    recommends, but which needs a callback that accepts a cross-site POST and still finds the session).
    """
    app = _new_app(config, cache)
    try:
        return dict(
            app.initiate_auth_code_flow(
                scopes=[USER_SCOPE],
                redirect_uri=redirect_uri,
                prompt="select_account",
                login_hint=login_hint,
                response_mode=response_mode,
            )
        )
    except ValueError as exc:
        raise AuthenticationError(f"The sign-in could not start: {exc}", error="invalid_request") from None


def finish_sign_in(
    config: PartnerCenterConfig,
    flow: Mapping[str, Any],
    auth_response: Mapping[str, Any],
    cache: msal.SerializableTokenCache,
) -> SignInResult:
    """Redeem the authorization code the user came back with; the tokens land in `cache`."""
    app = _new_app(config, cache)
    try:
        result = app.acquire_token_by_auth_code_flow(dict(flow), dict(auth_response), scopes=[USER_SCOPE])
    except (ValueError, RuntimeError):
        # MSAL: state missing or different (a replayed or forged answer), or the ID token's nonce differs.
        raise AuthenticationError(
            "The sign-in answer does not belong to the sign-in that was started", error="invalid_state"
        ) from None
    except requests.RequestException as exc:
        raise AuthenticationError(
            f"The token endpoint could not be reached: {type(exc).__name__}",
            error="token_endpoint_unreachable",
            retryable=True,
        ) from None
    if "access_token" not in result:
        raise _error_from_result(result, config, "Sign-in")
    claims = result.get("id_token_claims") or {}
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if config.client_id not in audiences:
        raise AuthenticationError("The ID token was issued for another application", error="invalid_audience")
    account = _account_for(app, claims)
    amr = tuple(str(v) for v in claims.get("amr") or ())
    username = str(claims.get("preferred_username") or claims.get("email") or claims.get("upn") or "")
    token = DelegatedToken(
        access_token=str(result["access_token"]),
        expires_at=_expires_at(result),
        account_id=str(account.get("home_account_id") or ""),
        username=str(account.get("username") or username),
    )
    return SignInResult(
        account_id=token.account_id,
        object_id=str(claims.get("oid") or ""),
        tenant_id=str(claims.get("tid") or ""),
        name=str(claims.get("name") or ""),
        given_name=str(claims.get("given_name") or ""),
        family_name=str(claims.get("family_name") or ""),
        username=username,
        email=str(claims.get("email") or ""),
        roles=tuple(str(v) for v in claims.get("roles") or ()),
        amr=amr,
        mfa=any(v.lower() == "mfa" for v in amr),
        expires_at=token.expires_at,
        token=token,
    )


def delegated_token(
    config: PartnerCenterConfig, cache: msal.SerializableTokenCache, account: str
) -> DelegatedToken | None:
    """The user's current App+User token (refreshed by MSAL when needed), or None when they must sign in
    again. `account` is the SignInResult's account_id, or a username."""
    app = _new_app(config, cache)
    found = _find_account(app, account)
    if found is None:
        return None
    try:
        result = app.acquire_token_silent_with_error([USER_SCOPE], account=found)
    except requests.RequestException as exc:
        raise AuthenticationError(
            f"The token endpoint could not be reached: {type(exc).__name__}",
            error="token_endpoint_unreachable",
            retryable=True,
        ) from None
    if not result:
        return None
    if "access_token" not in result:
        if result.get("error") in _INTERACTION_REQUIRED:
            return None
        raise _error_from_result(result, config, "Token refresh")
    return DelegatedToken(
        access_token=str(result["access_token"]),
        expires_at=_expires_at(result),
        account_id=str(found.get("home_account_id") or ""),
        username=str(found.get("username") or ""),
    )


def sign_out(config: PartnerCenterConfig, cache: msal.SerializableTokenCache, account: str) -> bool:
    """Forget the user's tokens in `cache` (persist it afterwards). True when there was any to forget."""
    app = _new_app(config, cache)
    found = _find_account(app, account)
    if found is None:
        return False
    app.remove_account(found)
    return True


def _find_account(app: msal.ClientApplication, account: str) -> dict[str, Any] | None:
    if not account:
        return None
    wanted = account.lower()
    for candidate in app.get_accounts():
        if wanted in (
            str(candidate.get("home_account_id", "")).lower(),
            str(candidate.get("username", "")).lower(),
        ):
            return candidate
    return None


def _account_for(app: msal.ClientApplication, claims: Mapping[str, Any]) -> dict[str, Any]:
    accounts = app.get_accounts()
    oid, tid = claims.get("oid"), claims.get("tid")
    for candidate in accounts:
        if candidate.get("local_account_id") == oid and (not tid or candidate.get("realm") == tid):
            return candidate
    return accounts[0] if len(accounts) == 1 else {}


def _expires_at(result: Mapping[str, Any]) -> datetime:
    try:
        seconds = float(result.get("expires_in") or 0)
    except (TypeError, ValueError):
        seconds = 0.0
    return datetime.now(UTC) + timedelta(seconds=seconds)


def _scrub(text: str, config: PartnerCenterConfig) -> str:
    return text.replace(config.client_secret, "***") if config.client_secret else text


def _error_from_result(
    result: Mapping[str, Any], config: PartnerCenterConfig, what: str
) -> AuthenticationError:
    description = _scrub(str(result.get("error_description") or ""), config)
    match = re.search(r"AADSTS\d+", description)
    codes = result.get("error_codes") or []
    code = match.group(0) if match else (f"AADSTS{codes[0]}" if codes else None)
    error = str(result.get("error") or "unknown_error")
    return AuthenticationError(
        f"{what} failed",
        error=error,
        code=code,
        description=description.splitlines()[0][:500] if description else None,
        correlation_id=str(result.get("correlation_id") or "") or None,
        retryable=error in _TRANSIENT,
    )
