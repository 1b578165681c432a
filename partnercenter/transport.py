"""The one place where HTTP happens.

A `Transport` sends one logical call (an `Operation` plus its path and body) and returns the parsed JSON with
the call's metadata, or raises a typed error. Around each call it:

- builds the URL from the base URL and `/v1` (link URIs come with or without `/v1`: both work);
- sends `MS-RequestId` (one per logical call, the same on each retry, so the service can de-duplicate) and
  `MS-CorrelationId` (new on every HTTP request, logged with method, path, status and duration);
- retries connection failures, 429 (waiting at least Retry-After) and 500/502/503/504, with capped
  exponential backoff and full jitter, within a budget of attempts and of total time;
- replays a POST only when its operation declares it safe to: otherwise, once the request may have reached
  the service, a lost answer raises `TransportError(outcome_unknown=True)` instead of buying twice;
- never retries 400, 401, 403, 404, 409 or other 4xx: the same request would get the same answer.
"""

from __future__ import annotations

import json as jsonlib
import logging
import random as random_module
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import quote, urlsplit

import requests
import requests.auth
import urllib3.exceptions

from .auth import AppTokenProvider, TokenProvider, is_delegated
from .config import DEFAULT_TIMEOUTS, PartnerCenterConfig
from .errors import AuthenticationError, PartnerCenterError, TransportError, error_from_response, first_value
from .models import ResponseMeta
from .tls import PinnedSession, session_for

logger = logging.getLogger("partnercenter")

_REPLAYABLE_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_RETRY_STATUSES = frozenset({500, 502, 503, 504})
_NO_BODY = object()


@dataclass(frozen=True)
class Operation:
    """One documented call: its method, path template, and what the transport must know about it.

    `app_user_only`: the service accepts only App+User tokens (reference §2.1); a 403 with an app-only token
    then becomes `AppUserRequired`. `retry_safe`: whether the request may be sent again after its answer was
    lost; by default true for GET/PUT/DELETE and false for POST, which must opt in.
    """

    name: str
    method: str
    path: str
    app_user_only: bool = False
    retry_safe: bool | None = None

    @property
    def replayable(self) -> bool:
        return self.retry_safe if self.retry_safe is not None else self.method in _REPLAYABLE_METHODS

    def path_for(self, **ids: str) -> str:
        """The path with each `{name}` replaced by its id, percent-encoded."""
        for name, value in ids.items():
            if not value:
                raise ValueError(f"{self.name}: {name} is empty")
        return self.path.format(**{name: quote(str(value), safe="") for name, value in ids.items()})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one call tries. The defaults suit background work; pages can pass a tighter policy."""

    max_attempts: int = 4  # the first try and 3 retries, as the official SDK
    backoff_base: float = 0.5  # seconds; the n-th retry waits up to base * 2**(n-1) ...
    backoff_max: float = 8.0  # ... but never more than this
    max_retry_after: float = 60.0  # a longer Retry-After is handed to the caller (Throttled.retry_after)
    max_total_seconds: float = 120.0  # no retry starts if its wait would end past this, from the first try

    def backoff(self, retry_number: int, random: Callable[[], float]) -> float:
        """Full jitter: uniformly between 0 and the capped exponential bound."""
        bound = min(self.backoff_max, self.backoff_base * 2 ** (retry_number - 1))
        return random() * bound


@dataclass(frozen=True)
class ApiResponse:
    status: int
    data: Any  # the parsed JSON; None for an empty body
    headers: Mapping[str, str] = field(repr=False)
    meta: ResponseMeta

    @property
    def location(self) -> str | None:
        value = self.headers.get("Location")
        return normalize_path(value) if value else None


def normalize_path(uri: str) -> str:
    """A path relative to /v1, from a link URI in any of its documented shapes.

    Absolute URIs keep only their path and query: a bearer token never goes to a host it was not configured
    for. `/v1` is removed when present. The documented typos `...&size=2000?seekOperation=Next` and
    `.../billinglineitems&size=2000` are read as the query strings they meant to be.
    """
    parts = urlsplit(uri.strip())
    path, query = parts.path or "/", parts.query
    if "&" in path:
        path, extra = path.split("&", 1)
        query = "&".join(q for q in (extra, query) if q)
    if not path.startswith("/"):
        path = "/" + path
    if path.lower() == "/v1" or path.lower().startswith("/v1/"):
        path = path[3:] or "/"
    query = query.replace("?", "&")
    return f"{path}?{query}" if query else path


class _Bearer(requests.auth.AuthBase):
    # Given as `auth=`, which also stops requests from replacing the header with ~/.netrc credentials.
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class Transport:
    def __init__(
        self,
        api_url: str,
        *,
        token: TokenProvider | None = None,
        session: requests.Session | None = None,
        verify: str | bool = True,
        timeouts: tuple[float, float] = DEFAULT_TIMEOUTS,
        retry: RetryPolicy | None = None,
        application_name: str = "Reservations Portal",
        locale: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        random: Callable[[], float] = random_module.random,
    ) -> None:
        root = api_url.rstrip("/")
        if root.lower().endswith("/v1"):
            root = root[:-3]
        self.api_root = root
        self.token = token
        self.session = session if session is not None else PinnedSession(verify, timeout=timeouts)
        # Passed on every request too: a plain Session's own verify loses to REQUESTS_CA_BUNDLE (tls.py).
        self.verify = getattr(self.session, "pinned_verify", verify)
        self.timeouts = timeouts
        self.retry = retry or RetryPolicy()
        self.application_name = application_name
        self.locale = locale
        self._sleep = sleep
        self._clock = clock
        self._random = random

    @classmethod
    def from_config(
        cls, config: PartnerCenterConfig, *, token: TokenProvider | None = None, **kwargs: Any
    ) -> Transport:
        """A transport for this configuration, using the app's own tokens unless `token` is given."""
        if token is None and config.is_configured:
            token = AppTokenProvider(config)
        kwargs.setdefault("application_name", config.application_name)
        return cls(
            config.api_url, token=token, session=session_for(config), timeouts=config.timeouts, **kwargs
        )

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def url_for(self, path: str) -> str:
        return f"{self.api_root}/v1{normalize_path(path)}"

    def request(
        self,
        op: Operation,
        path: str | None = None,
        *,
        method: str | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = _NO_BODY,
        headers: Mapping[str, str] | None = None,
        token: TokenProvider | None = None,
        accept: str = "application/json",
    ) -> ApiResponse:
        """Send one logical call and return its parsed JSON. Raises a PartnerCenterError subclass."""
        response, meta = self._send(op, path, method, params, json, headers, token, accept, stream=False)
        data = _decode_json(response, meta)
        return ApiResponse(status=response.status_code, data=data, headers=response.headers, meta=meta)

    def open_stream(
        self,
        op: Operation,
        path: str | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        token: TokenProvider | None = None,
        accept: str = "application/octet-stream",
        chunk_size: int = 64 * 1024,
    ) -> StreamedBody:
        """Like request(), for a binary body that is read chunk by chunk, never whole."""
        response, meta = self._send(op, path, None, params, _NO_BODY, None, token, accept, stream=True)
        return StreamedBody(response, meta, chunk_size)

    # --- the retry loop ---------------------------------------------------------------------------------

    def _send(
        self,
        op: Operation,
        path: str | None,
        method: str | None,
        params: Mapping[str, Any] | None,
        json: Any,
        extra_headers: Mapping[str, str] | None,
        token: TokenProvider | None,
        accept: str,
        *,
        stream: bool,
    ) -> tuple[requests.Response, ResponseMeta]:
        method = (method or op.method).upper()
        relative = normalize_path(path or op.path)
        log_path = relative.split("?", 1)[0]
        url = self.url_for(relative)
        provider = token or self.token
        if provider is None:
            raise AuthenticationError(f"{op.name}: no token provider is configured", error="not_configured")
        delegated = is_delegated(provider)
        request_id = str(uuid.uuid4())
        headers = {
            "Accept": accept,
            "MS-RequestId": request_id,
            "MS-Contract-Version": "v1",
            "MS-PartnerCenter-Application": self.application_name,
        }
        if self.locale:
            headers["X-Locale"] = self.locale
        body = None
        if json is not _NO_BODY:
            body = jsonlib.dumps(json).encode("utf-8")
            headers["Content-Type"] = "application/json"
        headers.update(extra_headers or {})

        policy = self.retry
        started = self._clock()
        correlation_ids: list[str] = []
        while True:
            correlation_id = str(uuid.uuid4())
            correlation_ids.append(correlation_id)
            headers["MS-CorrelationId"] = correlation_id
            attempt = _Attempt(
                op, method, log_path, correlation_id, request_id, len(correlation_ids), delegated
            )
            outcome = self._attempt(attempt, url, params, body, headers, provider(), stream)
            if isinstance(outcome, requests.Response):
                meta = ResponseMeta(
                    status=outcome.status_code,
                    method=method,
                    path=log_path,
                    correlation_id=first_value(outcome.headers.get("MS-CorrelationId")) or correlation_id,
                    request_id=request_id,
                    attempts=attempt.number,
                    duration_ms=(self._clock() - started) * 1000,
                    correlation_ids=tuple(correlation_ids),
                )
                return outcome, meta
            error, delay = outcome
            if (
                attempt.number >= policy.max_attempts
                or self._clock() - started + delay > policy.max_total_seconds
            ):
                raise error
            logger.warning(
                "%s %s: retrying in %.2f s (request id %s, attempt %d of %d)",
                method,
                log_path,
                delay,
                request_id,
                attempt.number + 1,
                policy.max_attempts,
            )
            self._sleep(delay)

    def _attempt(
        self,
        attempt: _Attempt,
        url: str,
        params: Mapping[str, Any] | None,
        body: bytes | None,
        headers: Mapping[str, str],
        bearer: str,
        stream: bool,
    ) -> requests.Response | tuple[PartnerCenterError, float]:
        """One HTTP request: a 2xx response, or an error worth retrying with its wait. Other errors raise."""
        op, ids = attempt.op, attempt.ids()
        sent_at = self._clock()
        try:
            response = self.session.request(
                attempt.method,
                url,
                params=params,
                data=body,
                headers=headers,
                auth=_Bearer(bearer),
                timeout=self.timeouts,
                verify=self.verify,
                stream=stream,
                allow_redirects=False,
            )
        except requests.exceptions.SSLError as exc:
            # A certificate problem does not heal by trying again.
            raise TransportError(f"TLS failed: {_reason(exc)}", retryable=False, **ids) from None
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            lost = not _never_sent(exc) and not op.replayable
            logger.warning(
                "%s %s: %s after %.0f ms (correlation id %s, request id %s, attempt %d)",
                attempt.method,
                attempt.path,
                type(exc).__name__,
                (self._clock() - sent_at) * 1000,
                attempt.correlation_id,
                attempt.request_id,
                attempt.number,
            )
            error = TransportError(
                f"No answer from Partner Center ({_reason(exc)})", outcome_unknown=lost, **ids
            )
            if lost:
                raise error from None
            return error, self.retry.backoff(attempt.number, self._random)

        status = response.status_code
        logger.info(
            "%s %s -> %d in %.0f ms (correlation id %s, request id %s, attempt %d)",
            attempt.method,
            attempt.path,
            status,
            (self._clock() - sent_at) * 1000,
            attempt.correlation_id,
            attempt.request_id,
            attempt.number,
        )
        if 200 <= status < 300:
            return response
        content = response.content
        response.close()
        server_error = status in _RETRY_STATUSES
        error = error_from_response(
            status,
            response.headers,
            content,
            app_user_only=op.app_user_only,
            delegated=attempt.delegated,
            # A server error may come after the work was done: for a POST that cannot be replayed, the
            # outcome is then unknown.
            outcome_unknown=server_error and not op.replayable,
            **ids,
        )
        # A throttled request was refused before any work was done, so it is retried whatever its method.
        if status != 429 and not (server_error and op.replayable):
            raise error
        retry_after = error.retry_after or 0.0
        if retry_after > self.retry.max_retry_after:
            raise error  # the caller reschedules (error.retry_after) rather than hold a worker that long
        return error, max(retry_after, self.retry.backoff(attempt.number, self._random))


@dataclass(frozen=True)
class _Attempt:
    op: Operation
    method: str
    path: str
    correlation_id: str
    request_id: str
    number: int
    delegated: bool

    def ids(self) -> dict[str, str]:
        return {
            "method": self.method,
            "path": self.path,
            "correlation_id": self.correlation_id,
            "request_id": self.request_id,
        }


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request certainly did not reach the service (no connection was made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _reason(exc: BaseException) -> str:
    reason = exc.args[0] if exc.args else exc
    reason = getattr(reason, "reason", reason)
    return f"{type(exc).__name__}: {type(reason).__name__}" if reason is not exc else type(exc).__name__


def _decode_json(response: requests.Response, meta: ResponseMeta) -> Any:
    content = response.content
    if not content or not content.strip():
        return None
    try:
        return jsonlib.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise PartnerCenterError(
            "Partner Center answered with a body that is not JSON",
            status=response.status_code,
            method=meta.method,
            path=meta.path,
            correlation_id=meta.correlation_id,
            request_id=meta.request_id,
            # The service did answer 2xx: a POST was applied, but what it made cannot be read.
            outcome_unknown=meta.method != "GET",
        ) from None


class StreamedBody:
    """A binary answer read lazily: iterate for chunks (bytes). Closes itself when read to the end; close it
    (or use `with`) when stopping early. Django's StreamingHttpResponse accepts it as is."""

    def __init__(self, response: requests.Response, meta: ResponseMeta, chunk_size: int) -> None:
        self._response = response
        self._chunk_size = chunk_size
        self.meta = meta
        self.content_type: str = response.headers.get("Content-Type", "application/octet-stream")
        self.filename: str | None = _filename(response.headers.get("Content-Disposition"))
        length = response.headers.get("Content-Length")
        self.content_length: int | None = int(length) if length and length.isdigit() else None

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._response.iter_content(chunk_size=self._chunk_size):
                if chunk:
                    yield chunk
        except requests.RequestException as exc:
            raise TransportError(
                f"The download broke off ({type(exc).__name__})",
                method=self.meta.method,
                path=self.meta.path,
                correlation_id=self.meta.correlation_id,
                request_id=self.meta.request_id,
            ) from None
        finally:
            self.close()

    def close(self) -> None:
        self._response.close()

    def __enter__(self) -> StreamedBody:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _filename(disposition: str | None) -> str | None:
    if not disposition:
        return None
    message = Message()
    message["Content-Disposition"] = disposition
    name = message.get_filename()
    if not name:
        return None
    # Only a base name: it may become a download's name, never a path.
    return name.replace("\\", "/").rsplit("/", 1)[-1].strip() or None
