"""The answer cache: an LRU bounded in bytes, and in the size of one item."""

from __future__ import annotations


def test_cache_is_bounded() -> None:
    from wise_kg.api.cache import ResultCache

    cache = ResultCache(max_bytes=100, max_item_bytes=40)
    for i in range(10):
        cache.put(str(i), bytes(30))
    assert cache.size <= 100
    assert cache.get("9") is not None and cache.get("0") is None
    cache.put("big", bytes(41))
    assert cache.get("big") is None
