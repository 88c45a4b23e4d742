"""A bounded, in-process cache of serialized answers (least recently used first out).

The store is immutable between builds, so an answer is fully determined by the
build and the request (query, format, dataset, limits): that pair names it.

>>> cache = ResultCache(max_bytes=10)
>>> cache.put("a", b"12345"); cache.put("b", b"67890"); cache.put("c", b"x")
>>> cache.get("a") is None, cache.get("c")
(True, b'x')
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sized
from threading import Lock
from typing import Generic, TypeVar

#: What is cached: anything with a size (bytes, or a whole response).
V = TypeVar("V", bound=Sized)


class ResultCache(Generic[V]):
    """Least-recently-used answers, bounded by their total size in bytes."""

    def __init__(self, max_bytes: int, max_item_bytes: int | None = None):
        self.max_bytes = max_bytes
        self.max_item_bytes = max_item_bytes or max_bytes
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._size = 0
        self._lock = Lock()

    def get(self, key: Hashable) -> V | None:
        """The cached answer for ``key``, marked as recently used."""
        with self._lock:
            body = self._items.get(key)
            if body is not None:
                self._items.move_to_end(key)
            return body

    def put(self, key: Hashable, body: V) -> None:
        """Keep an answer, evicting the least recently used ones past the bound."""
        if len(body) > self.max_item_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self._size -= len(old) if old is not None else 0
            self._items[key] = body
            self._size += len(body)
            while self._size > self.max_bytes:
                _key, evicted = self._items.popitem(last=False)
                self._size -= len(evicted)

    @property
    def size(self) -> int:
        """Bytes held."""
        return self._size
