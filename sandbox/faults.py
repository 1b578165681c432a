"""Fault injection rules, set through the admin API and kept in the state database.

A rule matches requests by method and a regular expression on the path (without the query) and does
one of: add latency, drop the connection before doing anything, answer an error without doing the work,
answer 429, or do the work and then close the connection without answering ("lost_response": the case
that makes retries with the same MS-RequestId, and idempotent checkout, matter). `rate` makes a rule
probabilistic; `count` limits it to the next N matching requests.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from .store import Store

KINDS = ("error", "latency", "drop", "lost_response", "throttle")


@dataclass
class FaultRule:
    path: str
    kind: str
    method: str = "*"
    status: int = 503
    code: str = "800003"
    description: str = "The service is temporarily unavailable (injected fault)."
    retry_after: int | None = None
    latency_ms: int = 200
    rate: float = 1.0
    count: int | None = None  # remaining applications; None means unlimited
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.regex = re.compile(self.path)

    @classmethod
    def parse(cls, raw: Any) -> FaultRule:
        if not isinstance(raw, dict):
            raise ValueError("each rule must be a JSON object")
        known = {f for f in cls.__dataclass_fields__ if f != "regex"}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown rule fields: {', '.join(sorted(unknown))}")
        if raw.get("kind") not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        if not isinstance(raw.get("path"), str):
            raise ValueError("path (a regular expression) is required")
        try:
            rule = cls(**raw)
        except re.error as exc:
            raise ValueError(f"path is not a valid regular expression: {exc}") from None
        except TypeError as exc:
            raise ValueError(str(exc)) from None
        rule.method = rule.method.upper()
        if not isinstance(rule.status, int) or not 100 <= rule.status <= 599:
            raise ValueError("status must be an HTTP status code")
        if not isinstance(rule.rate, int | float) or not 0 <= rule.rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        if rule.count is not None and (not isinstance(rule.count, int) or rule.count < 1):
            raise ValueError("count must be a positive whole number")
        if rule.retry_after is not None and (not isinstance(rule.retry_after, int) or rule.retry_after < 0):
            raise ValueError("retry_after must be a whole number of seconds")
        if not isinstance(rule.latency_ms, int) or rule.latency_ms < 0:
            raise ValueError("latency_ms must be a whole number of milliseconds")
        rule.code = str(rule.code)
        return rule

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("regex", None)
        return out


class Faults:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        # Not seeded and not for secrets: rates model chance; tests use rate 1.0 or a count.
        self._random = random.Random()  # noqa: S311
        self._rules = [FaultRule.parse(r) for r in store.kv_get("faults", [])]

    def _save(self) -> None:
        self._store.kv_set("faults", [r.to_json() for r in self._rules])

    def replace(self, rules: list[FaultRule]) -> None:
        with self._lock:
            self._rules = rules
            self._save()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_json() for r in self._rules]

    def pick(self, method: str, path: str) -> list[FaultRule]:
        """The rules to apply to this request: every matching latency rule, then at most one other."""
        chosen: list[FaultRule] = []
        with self._lock:
            if not self._rules:
                return chosen
            changed = False
            for rule in self._rules:
                if rule.count == 0 or rule.method not in ("*", method) or not rule.regex.search(path):
                    continue
                if rule.rate < 1 and self._random.random() >= rule.rate:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                    changed = True
                chosen.append(rule)
                if rule.kind != "latency":
                    break
            if changed:
                self._save()  # used-up rules stay listed with count 0
        return chosen
