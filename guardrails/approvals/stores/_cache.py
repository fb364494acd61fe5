"""The versions of requests this process last wrote or read, for one-round-trip updates.

A PostgreSQL update is a compare-and-set on the row's ``version``. When the process already knows
the version (it created the request, read it, or wrote it last), the update needs no read first;
if another process changed the row since, the compare-and-set matches nothing and the store reads
the fresh row and runs the change again. A stale entry costs a round trip, never correctness.

Example:
    >>> cache = VersionCache(limit=2)
    >>> cache.put("a", 0, "A"); cache.put("b", 1, "B"); cache.put("c", 2, "C")
    >>> cache.get("a"), cache.get("c")
    (None, (2, 'C'))
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

__all__ = ["VersionCache"]


class VersionCache:
    """A bounded, thread-safe LRU map ``request id -> (version, request)``."""

    def __init__(self, *, limit: int = 4096) -> None:
        self._limit = limit
        self._items: OrderedDict[str, tuple[int, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[int, Any] | None:
        """The cached ``(version, request)``, or ``None``."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: str, version: int, value: Any) -> None:
        """Remember ``value`` at ``version`` (evicting the least recently used past the limit)."""
        with self._lock:
            self._items[key] = (version, value)
            self._items.move_to_end(key)
            if len(self._items) > self._limit:
                self._items.popitem(last=False)

    def drop(self, key: str) -> None:
        """Forget ``key`` (its row changed elsewhere)."""
        with self._lock:
            self._items.pop(key, None)
