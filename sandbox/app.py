"""The sandbox application: its parts, and the pipeline every request goes through.

Pipeline: count it (stats) -> injected faults -> route -> authentication (401), App+User-only and MFA
rules (403) -> per-tenant throttling (429) -> MS-RequestId replay for POST/PUT -> the endpoint -> the
headers every Partner Center response carries (MS-CorrelationId, MS-RequestId, MS-CV, MS-ServerId).
The admin API (/_sandbox/...) is not part of Partner Center; it needs the X-Sandbox-Admin token.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import secrets
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any, Literal

from . import billing, catalog, customers, identity, ids, purchasing
from .billing import Ledger
from .catalog import Catalog
from .faults import FaultRule, Faults
from .identity import Identity
from .options import Options, Settings
from .pki import DataDir
from .store import Clock, Store
from .web import ApiError, Request, Response, Route, Router, error_response, json_response, route
from .world import World

log = logging.getLogger("sandbox")

REPLAYED_METHODS = ("POST", "PUT")
# Statuses a retry must not get back from the replay cache: they say "try again", not "this happened".
_NOT_REPLAYED = {401, 403, 408, 409, 429}


@dataclass
class Outcome:
    response: Response | None
    action: Literal["send", "drop", "lost"] = "send"


class Throttle:
    """A sliding one-minute window of request times per partner tenant (real time, not sandbox time)."""

    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, tenant: str, limit: int) -> int | None:
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(tenant, deque())
            while hits and hits[0] <= now - 60:
                hits.popleft()
            if len(hits) >= limit:
                return max(1, math.ceil(hits[0] + 60 - now))
            hits.append(now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


def throttled(seconds: int) -> Response:
    body = {"statusCode": 429, "message": f"Rate limit is exceeded. Try again in {seconds} seconds."}
    return json_response(body, 429, [("Retry-After", str(seconds))])


class App:
    def __init__(self, options: Options, data: DataDir) -> None:
        self.options = options
        self.data = data
        self.base_url = options.base_url(options.port)
        self.store = Store(data.state_file)
        self.clock = Clock(self.store)
        self._settings = options.startup_settings(self.store.kv_get("settings"))
        self.store.kv_set("settings", self._settings.to_json())
        self.catalog = Catalog(
            data.seed, options.catalog_availabilities, options.bench_market, options.bench_availabilities
        )
        self.world = World(data.seed, options.customers, float(self.store.kv_get("anchor")), self.catalog)
        self.identity = Identity(self)
        self.ledger = Ledger(self)
        self.faults = Faults(self.store)
        self.throttle = Throttle()
        self.stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()
        self.busy_carts: set[str] = set()
        self.busy_lock = threading.Lock()
        self.server_id = str(100000000 + secrets.randbelow(899999999))
        self.router = Router(
            customers.ROUTES
            + catalog.ROUTES
            + purchasing.ROUTES
            + billing.ROUTES
            + ADMIN_ROUTES
            + identity.ROUTES
        )

    # --- settings and the rotation epoch -------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self._settings

    def update_settings(self, settings: Settings) -> None:
        with self.store.lock:
            self._settings = settings
            self.store.kv_set("settings", settings.to_json())

    def epoch(self) -> int:
        """The availability rotation epoch: ids change when it does (or when an admin forces it)."""
        since = self.clock.now() - float(self.store.kv_get("created_at"))
        return math.floor(since / self._settings.availability_rotation) + int(
            self.store.kv_get("rotation_bump", 0)
        )

    # --- the pipeline --------------------------------------------------------------------------------
    def handle(self, req: Request) -> Outcome:
        found, params, allowed = self.router.match(req.method, req.path)
        with self._stats_lock:
            self.stats[found.name if found else f"{req.method} (no route)"] += 1
        req.params = params
        action: Literal["send", "drop", "lost"] = "send"
        if not req.path.startswith("/_sandbox/"):
            for rule in self.faults.pick(req.method, req.path):
                if rule.kind == "latency":
                    time.sleep(rule.latency_ms / 1000)
                elif rule.kind == "lost_response":
                    action = "lost"  # do the work, then close without answering
                elif rule.kind == "drop":
                    return Outcome(None, "drop")
                else:
                    return Outcome(self._finish(req, self._injected(rule)))
        if found is None:
            if allowed:
                response = error_response(
                    405, "405", f"{req.method} is not allowed here; use {', '.join(allowed)}."
                )
            else:
                response = error_response(404, "404", f"No resource matches {req.method} {req.path}.")
            return Outcome(self._finish(req, response), action)
        try:
            response = self._dispatch(found, req)
        except ApiError as error:
            response = error.response()
        except Exception:
            log.exception("unhandled error in %s %s", req.method, req.path)
            response = error_response(500, "800003", "An unexpected error occurred in the sandbox.")
        return Outcome(self._finish(req, response), action)

    @staticmethod
    def _injected(rule: FaultRule) -> Response:
        """The answer of an "error" or "throttle" rule, given without doing the work."""
        if rule.kind == "throttle":
            return throttled(rule.retry_after if rule.retry_after is not None else 2)
        headers = [("Retry-After", str(rule.retry_after))] if rule.retry_after is not None else []
        return error_response(rule.status, rule.code, rule.description, headers=headers)

    def _dispatch(self, found: Route, req: Request) -> Response:
        if found.access == "admin":
            token = req.header("X-Sandbox-Admin") or ""
            if not hmac.compare_digest(token.encode(), self.data.admin_token.encode()):
                return json_response(
                    {"error": "forbidden", "message": "X-Sandbox-Admin token missing or wrong."}, 403
                )
            return found.handler(self, req)
        if found.access == "public":
            return found.handler(self, req)
        principal = self.identity.authenticate(req)
        req.principal = principal
        if found.access == "user" and principal.kind == "app":
            raise ApiError(
                403,
                "600001",
                "This operation requires an App+User (delegated) token; app-only tokens are not accepted.",
            )
        if principal.kind == "user" and not principal.mfa:
            # Partner Center enforces MFA on every App+User call since 2026-04-01.
            raise ApiError(
                403,
                "600002",
                "App+User requests must be made by a user who signed in with "
                "multi-factor authentication (the token's amr claim has no 'mfa').",
            )
        wait = self.throttle.retry_after(principal.tenant_id, self._settings.rate_limit)
        if wait is not None:
            return throttled(wait)
        request_id = req.header("MS-RequestId")
        replayable = req.method in REPLAYED_METHODS and bool(request_id)
        if replayable:
            stored = self.store.replay_get(principal.tenant_id, request_id or "", req.method, req.path)
            if stored is not None:
                status, headers, body = stored
                content_type = next((v for k, v in headers if k == "Content-Type"), None)
                return Response(
                    status, body, content_type, [(k, v) for k, v in headers if k != "Content-Type"]
                )
        try:
            response = found.handler(self, req)
        except ApiError as error:
            response = error.response()
        if replayable and response.status not in _NOT_REPLAYED and response.status < 500:
            headers = list(response.headers)
            if response.content_type:
                headers.append(("Content-Type", response.content_type))
            self.store.replay_put(
                principal.tenant_id,
                request_id or "",
                req.method,
                req.path,
                response.status,
                headers,
                response.body,
            )
        return response

    def _finish(self, req: Request, response: Response) -> Response:
        correlation = (req.header("MS-CorrelationId") or "").split(",")[0].strip() or str(uuid.uuid4())
        request_id = (req.header("MS-RequestId") or "").split(",")[0].strip() or str(uuid.uuid4())
        response.headers += [
            ("MS-CorrelationId", correlation),
            ("MS-RequestId", request_id),
            ("MS-CV", ids.b64url(secrets.token_bytes(12)) + ".0"),
            ("MS-ServerId", self.server_id),
        ]
        if req.path.lower().startswith("/v1/"):
            response.headers.append(("X-Locale", req.header("X-Locale") or "en-US"))
        return response

    # --- admin ---------------------------------------------------------------------------------------
    def reset(self) -> None:
        self.clock.reset()
        self.store.reset_commerce(self.clock.now())
        self.store.kv_set("rotation_bump", 0)
        self.faults.replace([])
        self.update_settings(self.options.reset_settings())
        self.throttle.reset()
        with self._stats_lock:
            self.stats.clear()


def _admin_error(message: str) -> Response:
    return json_response({"error": "bad_request", "message": message}, 400)


def healthz(app: App, req: Request) -> Response:
    return json_response({"status": "ok"})


def get_faults(app: App, req: Request) -> Response:
    return json_response({"rules": app.faults.list()})


def put_faults(app: App, req: Request) -> Response:
    try:
        raw = json.loads(req.body or b"[]")
        if isinstance(raw, dict):
            raw = raw.get("rules", [])
        if not isinstance(raw, list):
            raise ValueError("send a JSON list of rules")
        rules = [FaultRule.parse(r) for r in raw]
    except ValueError as exc:
        return _admin_error(str(exc))
    app.faults.replace(rules)
    return json_response({"rules": app.faults.list()})


def delete_faults(app: App, req: Request) -> Response:
    app.faults.replace([])
    return json_response({"rules": []})


def get_settings(app: App, req: Request) -> Response:
    return json_response(app.settings.to_json())


def put_settings(app: App, req: Request) -> Response:
    try:
        changes = json.loads(req.body or b"{}")
        if not isinstance(changes, dict):
            raise ValueError("send a JSON object of settings")
        settings = app.settings.updated(changes)
    except ValueError as exc:
        return _admin_error(str(exc))
    app.update_settings(settings)
    return json_response(settings.to_json())


def _clock_json(app: App) -> dict[str, Any]:
    now = app.clock.now()
    return {
        "now": ids.iso7(now),
        "epoch_seconds": now,
        "offset_seconds": app.clock.offset,
        "rotation_epoch": app.epoch(),
    }


def get_clock(app: App, req: Request) -> Response:
    return json_response(_clock_json(app))


def advance_clock(app: App, req: Request) -> Response:
    try:
        body = json.loads(req.body or b"{}")
        seconds = body.get("advance_seconds") if isinstance(body, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ValueError("advance_seconds must be a non-negative number (the clock never goes back)")
    except ValueError as exc:
        return _admin_error(str(exc))
    app.clock.advance(float(seconds))
    return json_response(_clock_json(app))


def rotate_availabilities(app: App, req: Request) -> Response:
    with app.store.lock:
        app.store.kv_set("rotation_bump", int(app.store.kv_get("rotation_bump", 0)) + 1)
    return json_response({"rotation_epoch": app.epoch()})


def stats(app: App, req: Request) -> Response:
    db = app.store.connection()
    carts = db.execute("SELECT id, checkout_calls FROM carts ORDER BY created_at").fetchall()
    orders_per_cart = dict(db.execute("SELECT cart_id, COUNT(*) FROM orders GROUP BY cart_id").fetchall())
    with app._stats_lock:
        requests = dict(sorted(app.stats.items()))
    return json_response(
        {
            "requests": requests,
            "total_requests": sum(requests.values()),
            "carts": len(carts),
            "orders": db.execute("SELECT COUNT(*) FROM orders").fetchone()[0],
            "checkouts": {
                row["id"]: {"calls": row["checkout_calls"], "orders": orders_per_cart.get(row["id"], 0)}
                for row in carts
                if row["checkout_calls"]
            },
        }
    )


def reset(app: App, req: Request) -> Response:
    app.reset()
    return json_response({"status": "reset", **_clock_json(app)})


def info(app: App, req: Request) -> Response:
    world = app.world
    return json_response(
        {
            "base_url": app.base_url,
            "tenant_id": world.tenant_id,
            "client_id": world.client_id,
            "authority": f"{app.base_url}/{world.tenant_id}",
            "seed": world.seed,
            "users": [
                {"oid": u.oid, "name": u.display_name, "email": u.email, "role": u.role, "mfa": u.mfa}
                for u in world.users
            ],
            "customers": len(world.customers),
            "big_invoice": {"id": app.ledger.big.id, "line_items": app.ledger.onetime_count(app.ledger.big)},
        }
    )


ADMIN_ROUTES = [
    route("GET", "/healthz", healthz, "public"),
    route("GET", "/_sandbox/faults", get_faults, "admin"),
    route("PUT", "/_sandbox/faults", put_faults, "admin"),
    route("DELETE", "/_sandbox/faults", delete_faults, "admin"),
    route("GET", "/_sandbox/settings", get_settings, "admin"),
    route("PUT", "/_sandbox/settings", put_settings, "admin"),
    route("GET", "/_sandbox/clock", get_clock, "admin"),
    route("POST", "/_sandbox/clock", advance_clock, "admin"),
    route("POST", "/_sandbox/rotate-availabilities", rotate_availabilities, "admin"),
    route("GET", "/_sandbox/stats", stats, "admin"),
    route("POST", "/_sandbox/reset", reset, "admin"),
    route("GET", "/_sandbox/info", info, "admin"),
]
