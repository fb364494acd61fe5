"""An in-process sink for tests and notebooks: not durable, lost when the process exits."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from guardrails.audit._events import GENESIS_HASH, Record
from guardrails.audit._sink import Builder

__all__ = ["MemorySink"]


class MemorySink:
    """Keeps records in a list; thread-safe.

    ``rows`` is exposed on purpose so tests can tamper with the trail and check ``verify``.

    Example:
        >>> from guardrails.audit import AuditLog, MemorySink
        >>> log = AuditLog(MemorySink())
        >>> _ = log.record("tool.executed", tool="search", outcome="ok")
        >>> log.verify().ok
        True
    """

    def __init__(self) -> None:
        self.rows: list[Record] = []
        self._lock = threading.Lock()

    def append(self, build: Builder) -> Record:
        """Build and store the next record under the lock."""
        with self._lock:
            seq, prev = self._head()
            body, digest = build(seq + 1, prev)
            record = Record(seq + 1, body, digest)
            self.rows.append(record)
            return record

    def records(self, start: int = 1) -> Iterator[Record]:
        """Snapshot of the records from ``start`` on, in list order."""
        with self._lock:
            rows = list(self.rows)
        return iter([r for r in rows if r.seq >= start] if start > 1 else rows)

    def head(self) -> tuple[int, str]:
        """Last ``(seq, hash)``."""
        with self._lock:
            return self._head()

    def _head(self) -> tuple[int, str]:
        if not self.rows:
            return 0, GENESIS_HASH
        last = self.rows[-1]
        return last.seq, last.hash

    def close(self) -> None:
        """Nothing to release."""
