"""With REDIS_URL set, Django's cache lives in Redis, shared by every web process."""

from __future__ import annotations

import uuid

import pytest
import redis
from django.conf import settings
from django.core.cache import cache

from tests.conftest import require_service, tcp_reachable

pytestmark = pytest.mark.integration


def test_the_cache_is_shared_through_redis():
    require_service(
        "Redis cache",
        bool(settings.REDIS_URL) and tcp_reachable(settings.REDIS_URL, 6379),
        "REDIS_URL is unset or unreachable; run with REDIS_URL=redis://127.0.0.1:6379/1",
    )
    key = f"test-{uuid.uuid4().hex}"
    cache.set(key, {"market": "FR"}, timeout=30)
    # Another client (another web process) sees it under the portal's prefix.
    raw = redis.Redis.from_url(settings.REDIS_URL)
    assert [k for k in raw.keys(f"portal:*{key}")], "the value is not in Redis"
    assert cache.get(key) == {"market": "FR"}
    cache.delete(key)
