"""The HTTP vocabulary shared by every endpoint: requests, responses, Partner Center errors, links,
collection envelopes, and a small router (method + path template, matched case-insensitively as the
real service does: `checkInventory` and `checkinventory` are the same path).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

if TYPE_CHECKING:
    from .app import App

Access = Literal["public", "api", "user", "admin"]

JSON_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Principal:
    """Who a verified access token speaks for."""

    tenant_id: str
    app_id: str
    kind: Literal["app", "user"]
    oid: str
    upn: str = ""
    name: str = ""
    mfa: bool = False


@dataclass
class Request:
    method: str
    path: str  # percent-decoded, without the query string
    query: dict[str, str]  # names lower-cased: Partner Center query names are case-insensitive
    headers: dict[str, str]  # names lower-cased
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)
    principal: Principal | None = None
    client_address: str = ""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def q(self, name: str) -> str | None:
        value = self.query.get(name.lower())
        return value if value != "" else None

    def json(self) -> Any:
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, "800002", f"The request body is not valid JSON: {exc}") from None


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = JSON_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)


class ApiError(Exception):
    """A Partner Center error: answered with the documented body {code, description, data, source}."""

    def __init__(
        self,
        status: int,
        code: str,
        description: str,
        data: list[Any] | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {description}")
        self.status = status
        self.code = code
        self.description = description[:1024]
        self.data = data or []
        self.headers = headers or []

    def response(self) -> Response:
        return error_response(self.status, self.code, self.description, self.data, self.headers)


def encode(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def json_response(payload: Any, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, encode(payload), JSON_TYPE, headers or [])


def error_response(
    status: int,
    code: str,
    description: str,
    data: list[Any] | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> Response:
    body = {"code": code, "description": description, "data": data or [], "source": "PartnerFD"}
    return json_response(body, status, headers)


def link(uri: str, headers: list[dict[str, str]] | None = None, method: str = "GET") -> dict[str, Any]:
    return {"uri": uri, "method": method, "headers": headers or []}


def collection(items: list[Any], self_uri: str | None = None, **extra: Any) -> dict[str, Any]:
    """The documented envelope; totalCount is the number of items in this page, as in every sample."""
    body: dict[str, Any] = {"totalCount": len(items), "items": items}
    links = extra.pop("links", {})
    if self_uri is not None:
        links = {"self": link(self_uri), **links}
    if links:
        body["links"] = links
    body.update(extra)
    body["attributes"] = {"objectType": "Collection"}
    return body


def ci(mapping: Any, *names: str) -> Any:
    """Case-insensitive lookup in a request body: the service accepts camelCase and PascalCase keys."""
    if not isinstance(mapping, dict):
        return None
    wanted = {n.lower() for n in names}
    for key, value in mapping.items():
        if isinstance(key, str) and key.lower() in wanted:
            return value
    return None


def qs(**values: str | None) -> str:
    """A query string for links, keeping the given order and skipping empty values."""
    parts = [f"{k}={quote(v, safe='')}" for k, v in values.items() if v]
    return ("?" + "&".join(parts)) if parts else ""


Handler = Callable[["App", Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # e.g. /v1/customers/{customer_id}; also the name used in stats
    handler: Handler
    access: Access
    regex: re.Pattern[str]

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"


def route(method: str, template: str, handler: Handler, access: Access = "api") -> Route:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return Route(method, template, handler, access, re.compile(f"^{pattern}$", re.IGNORECASE))


class Router:
    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], list[str]]:
        """The route and its parameters, or None and the methods the path would accept (for 405)."""
        allowed: list[str] = []
        for candidate in self.routes:
            found = candidate.regex.match(path)
            if found is None:
                continue
            if candidate.method == method:
                return candidate, found.groupdict(), []
            allowed.append(candidate.method)
        return None, {}, allowed
