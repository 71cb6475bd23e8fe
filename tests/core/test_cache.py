"""The shared cache: the database unless Redis is named, with increments no process loses."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connections

from equipage import conf


def test_cache_is_the_database_unless_a_redis_url_is_given(monkeypatch: Any) -> None:
    monkeypatch.delenv("EQUIPAGE_CACHE_URL", raising=False)
    assert conf.caches()["default"]["BACKEND"] == "equipage.core.cache.DatabaseCache"
    monkeypatch.setenv("EQUIPAGE_CACHE_URL", "redis://cache.internal:6379/1")
    assert conf.caches()["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.internal:6379/1",
    }
    monkeypatch.setenv("EQUIPAGE_CACHE_URL", "memcached://x")
    with pytest.raises(conf.ConfigError, match="redis://"):
        conf.caches()


def test_database_cache_stores_and_expires(db: Any) -> None:
    cache.set("k", {"a": 1}, timeout=60)
    assert cache.get("k") == {"a": 1}
    cache.set("gone", 1, timeout=-1)
    assert cache.get("gone") is None
    with pytest.raises(ValueError):
        cache.incr("gone")


@pytest.mark.django_db(transaction=True)
def test_increments_from_many_connections_at_once_are_all_counted() -> None:
    # Django's own DatabaseCache.incr reads then writes: concurrent counters lost hits.
    cache.add("hits", 0, timeout=60)
    barrier = threading.Barrier(8)

    def bump() -> None:
        barrier.wait()
        try:
            for _ in range(25):
                cache.incr("hits")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert cache.get("hits") == 200


def test_housekeeping_deletes_expired_cache_rows(db: Any) -> None:
    from equipage.core.housekeeping import delete_expired_cache_entries
    from equipage.core.models import CacheEntry

    cache.set("old-window", 3, timeout=-1)  # a rate-limit window whose minute is over
    cache.set("live", 1, timeout=60)
    assert delete_expired_cache_entries() == 1
    assert list(CacheEntry.objects.values_list("cache_key", flat=True)) == [":1:live"]
