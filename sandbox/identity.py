"""An Entra ID look-alike, enough for MSAL Python to run against it unchanged: OpenID discovery, signing
keys, an authorize page to pick a demo partner user (PKCE, query or form_post response), the token
endpoint (client credentials, authorization code, refresh token; v2.0 and the documented v1 form), and
the checks Partner Center applies to the bearer tokens it receives.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from . import ids
from .web import ApiError, Principal, Request, Response, json_response, route

if TYPE_CHECKING:
    from .app import App
    from .world import PartnerUser

PC_RESOURCE = "https://api.partnercenter.microsoft.com"
PC_APP_ID = "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd"  # the "Microsoft Partner Center" first-party app
OIDC_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})
ACCESS_TOKEN_SECONDS = 3599
ID_TOKEN_SECONDS = 3600
CODE_SECONDS = 600
REFRESH_TOKEN_SECONDS = 90 * 86400
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class EntraError(Exception):
    """An error in the token endpoint's JSON shape (error, error_description with AADSTS code, ...)."""

    def __init__(self, status: int, error: str, code: int, message: str) -> None:
        super().__init__(f"AADSTS{code}: {message}")
        self.status, self.error, self.code, self.message = status, error, code, message


@dataclass(frozen=True)
class Grant:
    """What a successful grant produces, before it is formatted for the v2.0 or v1 endpoint."""

    access_token: str
    scope: str
    refresh_token: str | None = None
    id_token: str | None = None
    client_info: str | None = None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Identity:
    def __init__(self, app: App) -> None:
        self.app = app
        world = app.world
        self.tenant_id = world.tenant_id
        self.client_id = world.client_id
        key = serialization.load_pem_private_key(app.data.signing_key_file.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the signing key must be an RSA key")
        self._key = key
        self.public_key = key.public_key()
        der = self.public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = ids.b64url(hashlib.sha256(der).digest())[:27]
        numbers = self.public_key.public_numbers()
        self.jwk = {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": ids.b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": ids.b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
            "alg": "RS256",
        }

    # --- tokens -------------------------------------------------------------------------------------
    def issuer(self, base: str) -> str:
        return f"{base}/{self.tenant_id}/v2.0"

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid, "x5t": self.kid})

    def _times(self, lifetime: int) -> dict[str, int]:
        now = int(time.time())
        return {"iat": now, "nbf": now, "exp": now + lifetime}

    def app_token(self, base: str) -> str:
        return self._sign(
            {
                "aud": PC_RESOURCE,
                "iss": self.issuer(base),
                **self._times(ACCESS_TOKEN_SECONDS),
                "appid": self.client_id,
                "appidacr": "1",
                "azp": self.client_id,
                "azpacr": "1",
                "idtyp": "app",
                "oid": self.app.world.service_principal_id,
                "sub": self.app.world.service_principal_id,
                "tid": self.tenant_id,
                "uti": secrets.token_urlsafe(16),
                "ver": "2.0",
            }
        )

    @staticmethod
    def amr(user: PartnerUser) -> list[str]:
        return ["pwd", "mfa"] if user.mfa else ["pwd"]

    def user_token(self, base: str, user: PartnerUser, client_address: str) -> str:
        return self._sign(
            {
                "aud": PC_RESOURCE,
                "iss": self.issuer(base),
                **self._times(ACCESS_TOKEN_SECONDS),
                "acr": "1",
                "amr": self.amr(user),
                "appid": self.client_id,
                "appidacr": "1",
                "azp": self.client_id,
                "azpacr": "1",
                "family_name": user.surname,
                "given_name": user.given_name,
                "idtyp": "user",
                "ipaddr": client_address,
                "name": user.display_name,
                "oid": user.oid,
                "scp": "user_impersonation",
                "sub": ids.b64url(ids.digest(user.oid, PC_RESOURCE)[:24]),
                "tid": self.tenant_id,
                "unique_name": user.email,
                "upn": user.email,
                "uti": secrets.token_urlsafe(16),
                "ver": "2.0",
            }
        )

    def id_token(self, base: str, user: PartnerUser, nonce: str | None, auth_time: int) -> str:
        claims: dict[str, Any] = {
            "aud": self.client_id,
            "iss": self.issuer(base),
            **self._times(ID_TOKEN_SECONDS),
            "auth_time": auth_time,
            "amr": self.amr(user),
            "email": user.email,
            "family_name": user.surname,
            "given_name": user.given_name,
            "name": user.display_name,
            "oid": user.oid,
            "preferred_username": user.email,
            "sub": ids.b64url(ids.digest(user.oid, self.client_id)[:24]),
            "tid": self.tenant_id,
            "uti": secrets.token_urlsafe(16),
            "ver": "2.0",
        }
        if user.role:
            claims["roles"] = [user.role]
        if nonce is not None:
            claims["nonce"] = nonce  # echoed verbatim: MSAL sends a hash and compares it as is
        return self._sign(claims)

    def client_info(self, user: PartnerUser) -> str:
        return ids.b64url(json.dumps({"uid": user.oid, "utid": self.tenant_id}).encode())

    def authenticate(self, req: Request) -> Principal:
        """Check a Partner Center bearer token; any failure is a 401 in the documented error shape."""
        header = req.header("authorization")
        if not header:
            raise unauthorized(
                self.tenant_id, "The partner token is missing: send an Authorization: Bearer <token> header."
            )
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized(self.tenant_id, "The Authorization header must use the Bearer scheme.")
        try:
            claims = jwt.decode(
                token.strip(),
                self.public_key,
                algorithms=["RS256"],
                audience=[PC_RESOURCE, PC_APP_ID],
                options={"require": ["exp", "iat", "aud", "iss"]},
                leeway=30,
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized(self.tenant_id, "The partner token has expired.") from None
        except jwt.InvalidAudienceError:
            raise unauthorized(
                self.tenant_id, f"The partner token's audience is not {PC_RESOURCE}."
            ) from None
        except jwt.PyJWTError as exc:
            raise unauthorized(self.tenant_id, f"The partner token is not valid: {exc}.") from None
        tenant = str(claims.get("tid", ""))
        if tenant.lower() != self.tenant_id:
            raise unauthorized(self.tenant_id, "The partner token was issued for another tenant.")
        issuer = str(claims.get("iss", ""))
        if not (issuer.startswith("https://") and issuer.endswith(f"/{self.tenant_id}/v2.0")):
            raise unauthorized(self.tenant_id, "The partner token was issued by an unknown issuer.")
        app_id = str(claims.get("appid") or claims.get("azp") or "")
        if claims.get("idtyp") == "user" or "scp" in claims:
            return Principal(
                tenant,
                app_id,
                "user",
                str(claims.get("oid", "")),
                str(claims.get("upn", "")),
                str(claims.get("name", "")),
                "mfa" in (claims.get("amr") or []),
            )
        return Principal(tenant, app_id, "app", str(claims.get("oid", "")))

    # --- helpers for the endpoints ------------------------------------------------------------------
    def tenant_ok(self, tenant: str) -> bool:
        return tenant.lower() in (
            self.tenant_id,
            "organizations",
            "common",
            "contoso-partner.onmicrosoft.com",
        )

    def parse_scopes(self, raw: str | None) -> tuple[set[str], set[str]]:
        """(resource scopes, OIDC scopes); raises EntraError on scopes this directory does not know."""
        resource, oidc = set(), set()
        for scope in (raw or "").split():
            if scope in OIDC_SCOPES:
                oidc.add(scope)
                continue
            base, _, name = scope.rpartition("/")
            if base.rstrip("/") in (PC_RESOURCE, PC_APP_ID, f"api://{PC_APP_ID}") and name in (
                "user_impersonation",
                ".default",
            ):
                resource.add(f"{PC_RESOURCE}/{name}")
                continue
            raise EntraError(
                400,
                "invalid_scope",
                70011,
                f"The provided value for the input parameter 'scope' is not valid. "
                f"The scope '{scope}' does not exist or is not granted to application '{self.client_id}'.",
            )
        return resource, oidc


def unauthorized(tenant_id: str, description: str) -> ApiError:
    challenge = f"OAuth realm=urn:cpsvc:cpid:{tenant_id}"
    return ApiError(401, "800001", description, headers=[("WWW-Authenticate", challenge)])


def request_base(app: App, req: Request) -> str:
    """The origin the client used (the issuer and endpoint URLs follow it, as a proxy would keep them)."""
    host = req.header("host")
    return f"https://{host}" if host else app.base_url


def _entra_error_response(req: Request, error: EntraError) -> Response:
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    trace, correlation = str(uuid.uuid4()), req.header("client-request-id") or str(uuid.uuid4())
    description = (
        f"AADSTS{error.code}: {error.message} Trace ID: {trace} Correlation ID: {correlation} "
        f"Timestamp: {stamp}"
    )
    body = {
        "error": error.error,
        "error_description": description,
        "error_codes": [error.code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={error.code}",
    }
    return json_response(body, error.status, [("Cache-Control", "no-store"), ("Pragma", "no-cache")])


def _tenant_error(req: Request, tenant: str) -> Response:
    return _entra_error_response(
        req,
        EntraError(
            400,
            "invalid_tenant",
            90002,
            f"Tenant '{tenant}' not found. Check to make sure you have "
            "the correct tenant ID and are signing into the correct cloud.",
        ),
    )


# --- discovery -------------------------------------------------------------------------------------


def openid_configuration(app: App, req: Request) -> Response:
    tenant = req.params["tenant"]
    if not app.identity.tenant_ok(tenant):
        return _tenant_error(req, tenant)
    base = request_base(app, req)
    specific = tenant.lower() not in ("organizations", "common")
    issuer_tenant = app.identity.tenant_id if specific else "{tenantid}"
    return json_response(
        {
            "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/{issuer_tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
            "end_session_endpoint": f"{base}/{tenant}/oauth2/v2.0/logout",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "amr",
                "nonce",
                "name",
                "preferred_username",
                "email",
                "oid",
                "tid",
                "roles",
            ],
            "tenant_region_scope": "WW",
            "cloud_instance_name": "sandbox.local",
        },
        headers=[("Cache-Control", "max-age=86400, private")],
    )


def jwks(app: App, req: Request) -> Response:
    tenant = req.params["tenant"]
    if not app.identity.tenant_ok(tenant):
        return _tenant_error(req, tenant)
    key = dict(app.identity.jwk, issuer=app.identity.issuer(request_base(app, req)))
    return json_response({"keys": [key]}, headers=[("Cache-Control", "max-age=86400, private")])


# --- authorize -------------------------------------------------------------------------------------


def _page(title: str, body: str, status: int = 200) -> Response:
    document = f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} - Partner Center sandbox</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; }}
fieldset {{ border: 1px solid #888; padding: 1rem; }}
label {{ display: block; padding: .5rem; margin: .25rem 0; border: 1px solid #ccc; border-radius: 4px;
        cursor: pointer; }}
.meta {{ display: block; color: #444; font-size: .9rem; }}
button {{ margin-top: 1rem; padding: .5rem 1.5rem; font-size: 1rem; }}
.error {{ color: #a00; }}
</style></head>
<body><main>
{body}
</main></body></html>
"""
    return Response(status, document.encode(), "text/html; charset=utf-8", [("Cache-Control", "no-store")])


def _error_page(code: int, message: str) -> Response:
    return _page(
        "Sign-in error",
        f"<h1>Sorry, but we're having trouble signing you in.</h1>"
        f'<p class="error" role="alert">AADSTS{code}: {html.escape(message)}</p>',
        400,
    )


@dataclass(frozen=True)
class AuthorizeRequest:
    query: dict[str, str]
    redirect_uri: str
    response_mode: str


class _Redirect(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


def _loopback(uri: str) -> bool:
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and (parts.hostname or "").lower() in LOOPBACK_HOSTS


def _validate_authorize(app: App, tenant: str, query: dict[str, str]) -> AuthorizeRequest | Response:
    """Check an authorize request. Errors before the redirect URI is trusted are pages; later ones
    travel back to the client in the redirect (as Entra does)."""
    if not app.identity.tenant_ok(tenant):
        return _error_page(90002, f"Tenant '{tenant}' not found.")
    client_id = query.get("client_id", "")
    if client_id.lower() != app.identity.client_id:
        return _error_page(
            700016,
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{app.identity.tenant_id}'.",
        )
    redirect_uri = query.get("redirect_uri", "")
    if not _loopback(redirect_uri):
        return _error_page(
            50011,
            f"The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs "
            "configured for the application. This sandbox app accepts http(s) redirect URIs on loopback "
            "hosts (127.0.0.1, localhost, [::1]) on any port.",
        )
    return AuthorizeRequest(query, redirect_uri, query.get("response_mode", "query") or "query")


def _check_protocol(app: App, request: AuthorizeRequest) -> None:
    query = request.query
    if query.get("response_type", "") != "code":
        raise _Redirect(
            "unsupported_response_type", "AADSTS700054: response_type must be 'code' for this app."
        )
    if request.response_mode not in ("query", "fragment", "form_post"):
        raise _Redirect(
            "invalid_request", f"AADSTS900144: unsupported response_mode '{request.response_mode}'."
        )
    if not query.get("scope"):
        raise _Redirect(
            "invalid_request", "AADSTS900144: The request body must contain the parameter 'scope'."
        )
    try:
        app.identity.parse_scopes(query["scope"])
    except EntraError as exc:
        raise _Redirect(exc.error, f"AADSTS{exc.code}: {exc.message}") from None
    challenge = query.get("code_challenge")
    if challenge is not None:
        if query.get("code_challenge_method", "plain") != "S256":
            raise _Redirect("invalid_request", "AADSTS501491: code_challenge_method must be S256.")
        if not 43 <= len(challenge) <= 128:
            raise _Redirect("invalid_request", "AADSTS501491: code_challenge has an invalid length.")


def _respond(request: AuthorizeRequest, values: dict[str, str]) -> Response:
    """Send the result back to the client: redirect (query or fragment) or an auto-submitting form."""
    if "state" in request.query:
        values = {**values, "state": request.query["state"]}
    if request.response_mode == "form_post":
        fields = "\n".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in values.items()
        )
        return _page(
            "Signing in",
            f'<h1>Signing in…</h1><form method="post" action="{html.escape(request.redirect_uri)}" id="f">'
            f'{fields}<noscript><button type="submit">Continue</button></noscript></form>'
            '<script>document.getElementById("f").submit()</script>',
        )
    separator = "#" if request.response_mode == "fragment" else ("&" if "?" in request.redirect_uri else "?")
    return Response(302, b"", None, [("Location", request.redirect_uri + separator + urlencode(values))])


def _issue_code(app: App, request: AuthorizeRequest, user: PartnerUser) -> Response:
    code = "1.Sbx" + secrets.token_urlsafe(48)
    query = request.query
    data = {
        "client_id": app.identity.client_id,
        "redirect_uri": request.redirect_uri,
        "scope": query.get("scope", ""),
        "code_challenge": query.get("code_challenge"),
        "nonce": query.get("nonce"),
        "user": user.oid,
        "auth_time": int(time.time()),
    }
    with app.store.write() as db:
        db.execute(
            "INSERT INTO auth_codes (code_hash, data, created_at) VALUES (?, ?, ?)",
            (_hash(code), json.dumps(data), time.time()),
        )
        db.execute("DELETE FROM auth_codes WHERE created_at < ?", (time.time() - 86400,))
    values = {"code": code, "session_state": str(uuid.uuid4())}
    if query.get("client_info") == "1":
        values["client_info"] = app.identity.client_info(user)
    return _respond(request, values)


def _picker(app: App, request: AuthorizeRequest, error: str = "") -> Response:
    hint = request.query.get("login_hint", "").lower()
    options = []
    for n, user in enumerate(app.world.users):
        checked = " checked" if user.email.lower() == hint or (not hint and n == 0) else ""
        role = user.role or "no portal role"
        mfa = "MFA registered" if user.mfa else "no MFA"
        options.append(
            f'<label for="u{n}"><input type="radio" id="u{n}" name="user" value="{user.oid}"{checked}> '
            f"<strong>{html.escape(user.display_name)}</strong>"
            f'<span class="meta">{html.escape(user.email)} · Role: {html.escape(role)} · {mfa}</span></label>'
        )
    raw = urlencode(request.query)
    alert = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    body = (
        "<h1>Sign in to Contoso Partner Ltd</h1>"
        "<p>Partner Center sandbox: choose a demo partner user. No password is needed.</p>"
        f'{alert}<form method="post"><input type="hidden" name="request" value="{html.escape(raw)}">'
        f"<fieldset><legend>Demo accounts</legend>{''.join(options)}</fieldset>"
        '<button type="submit">Sign in</button></form>'
    )
    return _page("Sign in", body, 400 if error else 200)


def authorize(app: App, req: Request) -> Response:
    if req.method == "POST":
        form = dict(parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True))
        query = dict(parse_qsl(form.get("request", ""), keep_blank_values=True))
    else:
        form, query = {}, dict(req.query)
    checked = _validate_authorize(app, req.params["tenant"], query)
    if isinstance(checked, Response):
        return checked
    try:
        _check_protocol(app, checked)
    except _Redirect as redirect:
        return _respond(checked, {"error": redirect.error, "error_description": redirect.description})
    if req.method == "POST":
        user = app.world.user(form.get("user", ""))
        if user is None:
            return _picker(app, checked, "Choose one of the demo accounts.")
        return _issue_code(app, checked, user)
    if query.get("prompt") == "none":
        user = app.world.user(query.get("login_hint", ""))
        if user is None:
            return _respond(
                checked,
                {
                    "error": "login_required",
                    "error_description": "AADSTS50058: A silent sign-in request was sent "
                    "but no user is signed in (give login_hint with a demo user's email).",
                },
            )
        return _issue_code(app, checked, user)
    return _picker(app, checked)


def logout(app: App, req: Request) -> Response:
    target = req.q("post_logout_redirect_uri")
    if target and _loopback(target):
        return Response(302, b"", None, [("Location", target)])
    return _page(
        "Signed out",
        "<h1>You signed out of your account</h1><p>It's a good idea to close all browser windows.</p>",
    )


# --- token -----------------------------------------------------------------------------------------


def _client_credentials_of(req: Request, form: dict[str, str]) -> tuple[str, str | None]:
    client_id, secret = form.get("client_id", ""), form.get("client_secret")
    header = req.header("authorization") or ""
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except (ValueError, UnicodeDecodeError):
            decoded = ""
        basic_id, _, basic_secret = decoded.partition(":")
        client_id = client_id or unquote_plus(basic_id)
        secret = secret if secret is not None else unquote_plus(basic_secret)
    return client_id, secret


def _authenticate_client(app: App, req: Request, form: dict[str, str]) -> None:
    client_id, secret = _client_credentials_of(req, form)
    if not client_id:
        raise EntraError(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        )
    if client_id.lower() != app.identity.client_id:
        raise EntraError(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not "
            f"found in the directory '{app.identity.tenant_id}'.",
        )
    if not secret:
        raise EntraError(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )
    if not secrets.compare_digest(secret.encode(), app.data.client_secret.encode()):
        raise EntraError(
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being "
            f"sent in the request is the client secret value, not the client secret ID, for a secret "
            f"added to app '{app.identity.client_id}'.",
        )


def _new_refresh_token(app: App, user: PartnerUser, scope: str) -> str:
    token = "1.Sbx" + secrets.token_urlsafe(64)
    now = time.time()
    data = {"client_id": app.identity.client_id, "user": user.oid, "scope": scope}
    with app.store.write() as db:
        db.execute(
            "INSERT INTO refresh_tokens (token_hash, data, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (_hash(token), json.dumps(data), now, now + REFRESH_TOKEN_SECONDS),
        )
        db.execute("DELETE FROM refresh_tokens WHERE expires_at < ?", (now,))
    return token


def _user_grant(
    app: App, req: Request, user: PartnerUser, scopes: str, nonce: str | None, auth_time: int
) -> Grant:
    base = request_base(app, req)
    identity = app.identity
    resource, oidc = identity.parse_scopes(scopes)
    granted = sorted(resource) or [f"{PC_RESOURCE}/user_impersonation"]
    refresh = _new_refresh_token(app, user, scopes) if "offline_access" in oidc else None
    return Grant(
        access_token=identity.user_token(base, user, req.client_address),
        scope=" ".join(granted + sorted(oidc)),
        refresh_token=refresh,
        id_token=identity.id_token(base, user, nonce, auth_time) if "openid" in oidc else None,
        client_info=identity.client_info(user),
    )


def _grant(app: App, req: Request, form: dict[str, str], v1: bool) -> Grant:
    grant_type = form.get("grant_type")
    if not grant_type:
        raise EntraError(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        )
    if grant_type not in ("client_credentials", "authorization_code", "refresh_token"):
        raise EntraError(
            400,
            "unsupported_grant_type",
            70003,
            f"The app requested an unsupported grant type '{grant_type}'.",
        )
    _authenticate_client(app, req, form)
    identity = app.identity
    if v1:
        resource = form.get("resource", "").rstrip("/")
        if resource not in (PC_RESOURCE, PC_APP_ID):
            raise EntraError(
                400,
                "invalid_resource",
                500011,
                f"The resource principal named {resource} was not "
                f"found in the tenant named {identity.tenant_id}.",
            )
        scope = f"{PC_RESOURCE}/user_impersonation openid offline_access"
    else:
        scope = form.get("scope", "")
    if grant_type == "client_credentials":
        if not v1:
            resource_scopes, _ = identity.parse_scopes(scope)
            if resource_scopes != {f"{PC_RESOURCE}/.default"} or len(scope.split()) != 1:
                raise EntraError(
                    400,
                    "invalid_scope",
                    1002012,
                    f"The provided value for scope {scope or '(none)'} is "
                    "not valid. Client credential flows must have a scope value with /.default suffixed "
                    "to the resource identifier (application ID URI).",
                )
        return Grant(identity.app_token(request_base(app, req)), f"{PC_RESOURCE}/.default")
    if grant_type == "authorization_code":
        return _redeem_code(app, req, form, None if v1 else scope)
    return _redeem_refresh_token(app, req, form, scope)


def _redeem_code(app: App, req: Request, form: dict[str, str], scope: str | None) -> Grant:
    code = form.get("code")
    if not code:
        raise EntraError(
            400, "invalid_request", 900144, "The request body must contain the following parameter: 'code'."
        )
    with app.store.write() as db:
        row = db.execute(
            "SELECT data, created_at, redeemed_at FROM auth_codes WHERE code_hash = ?", (_hash(code),)
        ).fetchone()
        if row is None:
            raise EntraError(
                400,
                "invalid_grant",
                9002313,
                "Invalid request. Request is malformed or invalid: the authorization code is not valid.",
            )
        if row["redeemed_at"] is not None:
            raise EntraError(
                400,
                "invalid_grant",
                54005,
                "OAuth2 Authorization code was already redeemed, please "
                "retry with a new valid code or use an existing refresh token.",
            )
        if row["created_at"] + CODE_SECONDS < time.time():
            raise EntraError(
                400,
                "invalid_grant",
                70008,
                "The provided authorization code or refresh token has "
                "expired due to inactivity. Send a new interactive authorization request.",
            )
        data = json.loads(row["data"])
        if form.get("redirect_uri", "") != data["redirect_uri"]:
            raise EntraError(
                400,
                "invalid_grant",
                50011,
                "The redirect URI specified in the token request does not "
                "match the redirect URI used when acquiring the authorization code.",
            )
        challenge = data.get("code_challenge")
        if challenge is not None:
            verifier = form.get("code_verifier", "")
            if not verifier or ids.b64url(hashlib.sha256(verifier.encode()).digest()) != challenge:
                raise EntraError(
                    400,
                    "invalid_grant",
                    501481,
                    "The Code_Verifier does not match the code_challenge "
                    "supplied in the authorization request.",
                )
        db.execute("UPDATE auth_codes SET redeemed_at = ? WHERE code_hash = ?", (time.time(), _hash(code)))
    user = app.world.user(data["user"])
    if user is None:
        raise EntraError(400, "invalid_grant", 50034, "The user account does not exist in the directory.")
    return _user_grant(app, req, user, scope or data["scope"], data.get("nonce"), data["auth_time"])


def _redeem_refresh_token(app: App, req: Request, form: dict[str, str], scope: str) -> Grant:
    token = form.get("refresh_token")
    if not token:
        raise EntraError(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'refresh_token'.",
        )
    row = (
        app.store.connection()
        .execute("SELECT data, expires_at FROM refresh_tokens WHERE token_hash = ?", (_hash(token),))
        .fetchone()
    )
    if row is None:
        raise EntraError(
            400,
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid: the refresh token is not valid.",
        )
    if row["expires_at"] < time.time():
        raise EntraError(
            400,
            "invalid_grant",
            700082,
            "The refresh token has expired due to inactivity. The token "
            "was issued and was inactive for 90.00:00:00.",
        )
    data = json.loads(row["data"])
    user = app.world.user(data["user"])
    if user is None:
        raise EntraError(400, "invalid_grant", 50034, "The user account does not exist in the directory.")
    # A rotated refresh token comes back with every use; the old one stays valid until it expires, as in
    # Entra ID, so two workers refreshing at once do not lock each other out.
    return _user_grant(app, req, user, scope or data["scope"], None, int(time.time()))


def _form(req: Request) -> dict[str, str]:
    content_type = (req.header("content-type") or "").lower()
    if content_type and "application/x-www-form-urlencoded" not in content_type:
        raise EntraError(
            400, "invalid_request", 900144, "The request body must be application/x-www-form-urlencoded."
        )
    return dict(parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True))


def token(app: App, req: Request) -> Response:
    tenant = req.params["tenant"]
    if not app.identity.tenant_ok(tenant):
        return _tenant_error(req, tenant)
    try:
        grant = _grant(app, req, _form(req), v1=False)
    except EntraError as error:
        return _entra_error_response(req, error)
    body: dict[str, Any] = {
        "token_type": "Bearer",
        "scope": grant.scope,
        "expires_in": ACCESS_TOKEN_SECONDS,
        "ext_expires_in": ACCESS_TOKEN_SECONDS,
        "access_token": grant.access_token,
    }
    if grant.refresh_token:
        body["refresh_token"] = grant.refresh_token
    if grant.id_token:
        body["id_token"] = grant.id_token
    if grant.client_info:
        body["client_info"] = grant.client_info
    return json_response(body, headers=[("Cache-Control", "no-store"), ("Pragma", "no-cache")])


def token_v1(app: App, req: Request) -> Response:
    """The AAD v1 endpoint the Partner Center docs show (resource=..., values as strings)."""
    tenant = req.params["tenant"]
    if not app.identity.tenant_ok(tenant):
        return _tenant_error(req, tenant)
    try:
        grant = _grant(app, req, _form(req), v1=True)
    except EntraError as error:
        return _entra_error_response(req, error)
    now = int(time.time())
    body: dict[str, Any] = {
        "token_type": "Bearer",
        "expires_in": str(ACCESS_TOKEN_SECONDS),
        "ext_expires_in": str(ACCESS_TOKEN_SECONDS),
        "expires_on": str(now + ACCESS_TOKEN_SECONDS),
        "not_before": str(now),
        "resource": PC_RESOURCE,
        "access_token": grant.access_token,
    }
    if grant.refresh_token:
        body |= {"scope": "user_impersonation", "refresh_token": grant.refresh_token}
    if grant.id_token:
        body["id_token"] = grant.id_token
    return json_response(body, headers=[("Cache-Control", "no-store"), ("Pragma", "no-cache")])


ROUTES = [
    route("GET", "/{tenant}/v2.0/.well-known/openid-configuration", openid_configuration, "public"),
    route("GET", "/{tenant}/discovery/v2.0/keys", jwks, "public"),
    route("GET", "/{tenant}/discovery/keys", jwks, "public"),
    route("GET", "/{tenant}/oauth2/v2.0/authorize", authorize, "public"),
    route("POST", "/{tenant}/oauth2/v2.0/authorize", authorize, "public"),
    route("POST", "/{tenant}/oauth2/v2.0/token", token, "public"),
    route("POST", "/{tenant}/oauth2/token", token_v1, "public"),
    route("GET", "/{tenant}/oauth2/v2.0/logout", logout, "public"),
]
