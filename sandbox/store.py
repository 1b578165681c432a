"""State that survives a restart, in SQLite (`<data-dir>/state.sqlite3`, WAL mode), and the sandbox clock.

Reads use one connection per thread and run concurrently (WAL); every change goes through `write()`,
which holds one process-wide lock around an immediate transaction, so handlers never interleave their
read-modify-write sequences (the check-then-create of a checkout, for instance).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS registrations (
    subscription_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL,
    requested_at REAL NOT NULL, completes_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS carts (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, created_at REAL NOT NULL, status TEXT NOT NULL,
    body TEXT NOT NULL, checkout_calls INTEGER NOT NULL DEFAULT 0, result TEXT);
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, cart_id TEXT, created_at REAL NOT NULL,
    completes_at REAL NOT NULL, listed_at REAL NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS orders_by_customer ON orders (customer_id, created_at);
CREATE INDEX IF NOT EXISTS orders_by_time ON orders (created_at);
CREATE TABLE IF NOT EXISTS replay (
    tenant TEXT NOT NULL, request_id TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL,
    created_at REAL NOT NULL, status INTEGER NOT NULL, headers TEXT NOT NULL, body BLOB NOT NULL,
    PRIMARY KEY (tenant, request_id, method, path));
CREATE TABLE IF NOT EXISTS auth_codes (
    code_hash TEXT PRIMARY KEY, data TEXT NOT NULL, created_at REAL NOT NULL, redeemed_at REAL);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash TEXT PRIMARY KEY, data TEXT NOT NULL, created_at REAL NOT NULL, expires_at REAL NOT NULL);
"""

REPLAY_WINDOW = 24 * 3600.0


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        self._local = threading.local()
        with self.lock:
            self.connection().executescript(_SCHEMA)
        with self.write() as db:
            if self.kv_get("created_at") is None:
                now = time.time()
                self._kv_set(db, "created_at", now)
                # Seeded history is dated relative to this moment, so it stays put across restarts.
                self._kv_set(db, "anchor", now)
                self._kv_set(db, "seeded_at", now)

    def connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=True)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.row_factory = sqlite3.Row
            self._local.db = db
        return db

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            db = self.connection()
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def close_thread_connection(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # Small JSON values: settings, clock offset, fault rules, rotation bump, anchors.
    def kv_get(self, key: str, default: Any = None) -> Any:
        row = self.connection().execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return json.loads(row["value"]) if row else default

    @staticmethod
    def _kv_set(db: sqlite3.Connection, key: str, value: Any) -> None:
        db.execute(
            "INSERT INTO kv (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    def kv_set(self, key: str, value: Any) -> None:
        with self.write() as db:
            self._kv_set(db, key, value)

    # MS-RequestId replay cache: a retried POST/PUT gets the response its first attempt produced.
    def replay_get(
        self, tenant: str, request_id: str, method: str, path: str
    ) -> tuple[int, list, bytes] | None:
        row = (
            self.connection()
            .execute(
                "SELECT status, headers, body, created_at FROM replay"
                " WHERE tenant = ? AND request_id = ? AND method = ? AND path = ?",
                (tenant, request_id.lower(), method, path.lower()),
            )
            .fetchone()
        )
        if row is None or row["created_at"] < time.time() - REPLAY_WINDOW:
            return None
        return row["status"], json.loads(row["headers"]), bytes(row["body"])

    def replay_put(
        self, tenant: str, request_id: str, method: str, path: str, status: int, headers: list, body: bytes
    ) -> None:
        now = time.time()
        with self.write() as db:
            db.execute(
                "INSERT OR REPLACE INTO replay"
                " (tenant, request_id, method, path, created_at, status, headers, body)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (tenant, request_id.lower(), method, path.lower(), now, status, json.dumps(headers), body),
            )
            db.execute("DELETE FROM replay WHERE created_at < ?", (now - REPLAY_WINDOW,))

    def reset_commerce(self, now: float) -> None:
        """Back to the seeded state: no carts, orders, registrations or remembered requests."""
        with self.write() as db:
            for table in ("registrations", "carts", "orders", "replay"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            self._kv_set(db, "seeded_at", now)


class Clock:
    """Sandbox time = real UTC time + an offset kept in state, so tests can jump ahead (never back).

    Business state (registrations, orders, carts, invoices, availability rotation) follows this clock.
    Token lifetimes follow real time: a client's token cache cannot know the sandbox jumped a week.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._offset = float(store.kv_get("clock_offset", 0.0))

    @property
    def offset(self) -> float:
        return self._offset

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        with self._store.lock:
            self._offset += seconds
            self._store.kv_set("clock_offset", self._offset)

    def reset(self) -> None:
        with self._store.lock:
            self._offset = 0.0
            self._store.kv_set("clock_offset", 0.0)
