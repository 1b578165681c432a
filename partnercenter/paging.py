"""Collections, one page at a time.

Every collection answer is the envelope `{"totalCount", "items", "links": {"next"?}, "continuationToken"?}`
(or, for inventory checks, a bare array). The next page is wherever `links.next` says: its uri (normalised),
its method, and each entry of its `headers` array sent as a header; that is how `MS-ContinuationToken`
travels. Where the service gives a continuation token in the body but no next link, a collection that
documents seek paging asks for `seekOperation=Next` with the token. Pages are fetched lazily, as the caller
iterates; only the current one is in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from .auth import TokenProvider
from .models import Link, ResponseMeta
from .transport import Operation, Transport, normalize_path

T = TypeVar("T")

logger = logging.getLogger("partnercenter")

CONTINUATION_HEADER = "MS-ContinuationToken"


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    # Resumes the listing after this page (seek paging): pass it as `continuation_token=` later.
    continuation_token: str | None
    next_link: Link | None
    total_count: int | None  # in every sample, the number of items in this page, not a grand total
    meta: ResponseMeta


@dataclass(frozen=True)
class SeekPaging:
    """Where a seek-paged collection serves its next pages (with the continuation token as a header)."""

    path: str
    params: Mapping[str, str]


@dataclass(frozen=True)
class _Request:
    path: str
    params: Mapping[str, Any] | None
    headers: Mapping[str, str]
    method: str | None = None


def iter_pages(
    transport: Transport,
    op: Operation,
    parse: Callable[[Any], T],
    *,
    path: str | None = None,
    params: Mapping[str, Any] | None = None,
    token: TokenProvider | None = None,
    offset_page_size: int | None = None,
    seek: SeekPaging | None = None,
    continuation_token: str | None = None,
) -> Iterator[Page[T]]:
    """Pages of a collection, fetched one by one as the caller iterates.

    `offset_page_size`: the collection pages by offset with this size; a shorter page is the last one.
    `seek` + `continuation_token`: resume a seek-paged listing where an earlier page left off.
    """
    if continuation_token is not None:
        if seek is None:
            raise ValueError(f"{op.name} cannot resume from a continuation token")
        request: _Request | None = _Request(
            seek.path, seek.params, {CONTINUATION_HEADER: continuation_token}, "GET"
        )
    else:
        request = _Request(path or op.path, params, {})
    seen = {_key(request)}
    while request is not None:
        response = transport.request(
            op,
            request.path,
            method=request.method,
            params=request.params,
            headers=request.headers,
            token=token,
        )
        body = response.data
        raw_items, envelope = (body, {}) if isinstance(body, list) else (_items(body), _mapping(body))
        next_link = _next_link(envelope)
        body_token = _text(envelope.get("continuationToken"))
        link_token = next_link.header(CONTINUATION_HEADER) if next_link else None
        count = envelope.get("totalCount")
        yield Page(
            items=tuple(parse(item) for item in raw_items if isinstance(item, Mapping)),
            continuation_token=(link_token or body_token) if (next_link or seek) else None,
            next_link=next_link,
            total_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
            meta=response.meta,
        )
        request = None
        if not raw_items or (offset_page_size and len(raw_items) < offset_page_size):
            break
        if next_link is not None:
            headers = dict(next_link.headers)
            if body_token and link_token is None and "seekoperation=next" in next_link.uri.lower():
                headers[CONTINUATION_HEADER] = body_token  # a next link that forgot its token header
            request = _Request(next_link.uri, None, headers, next_link.method)
        elif body_token and seek is not None:
            request = _Request(seek.path, seek.params, {CONTINUATION_HEADER: body_token}, "GET")
        if request is not None:
            # A service that hands back the same page address again would otherwise loop for ever.
            key = _key(request)
            if key in seen:
                logger.warning("%s: the next page is one already read (%s); stopping", op.name, key[0])
                break
            seen.add(key)


def _key(request: _Request) -> tuple[str, str | None]:
    query = urlencode(sorted((str(k), str(v)) for k, v in (request.params or {}).items() if v is not None))
    path = normalize_path(request.path)
    address = f"{path}{'&' if '?' in path else '?'}{query}" if query else path
    return address.lower(), request.headers.get(CONTINUATION_HEADER)


def iter_items(pages: Iterable[Page[T]]) -> Iterator[T]:
    for page in pages:
        yield from page.items


def _mapping(body: Any) -> Mapping[str, Any]:
    return body if isinstance(body, Mapping) else {}


def _items(body: Any) -> list[Any]:
    envelope = _mapping(body)
    items = envelope.get("items", envelope.get("Items"))
    return items if isinstance(items, list) else []


def _next_link(envelope: Mapping[str, Any]) -> Link | None:
    links = envelope.get("links")
    if not isinstance(links, Mapping):
        return None
    raw = next((value for key, value in links.items() if str(key).lower() == "next"), None)
    if not isinstance(raw, Mapping):
        return None
    link = Link.from_json(raw)
    return link if link.uri else None


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and str(value) else None
