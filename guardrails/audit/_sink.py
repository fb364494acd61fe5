"""The storage seam of the audit trail.

A sink stores :class:`~guardrails.audit._events.Record` rows in sequence order. ``append`` is the
only write: the sink reads its head (last seq and hash) and inserts the new record *in one atomic
step* under a lock that also holds across processes (SQLite ``BEGIN IMMEDIATE``, a PostgreSQL
advisory transaction lock, ``flock`` on a JSONL file), calling ``build(seq, prev_hash)`` inside it.
That is what keeps one valid chain when several writers share a trail. ``append`` returns only once
the record is durable (committed / fsynced).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, runtime_checkable

from guardrails.audit._events import Record

__all__ = ["AuditSink", "Builder"]

# build(seq, prev_hash) -> (body, hash): called by a sink while it holds its append lock.
Builder = Callable[[int, str], tuple[str, str]]


@runtime_checkable
class AuditSink(Protocol):
    """Durable, append-only storage for audit records.

    Example:
        >>> from guardrails.audit import MemorySink
        >>> sink = MemorySink()
        >>> sink.append(lambda seq, prev: (f'{{"seq":{seq}}}', "h")).seq
        1
        >>> sink.head()
        (1, 'h')
    """

    def append(self, build: Builder) -> Record:
        """Atomically read the head, build the next record and store it; durable on return."""
        ...

    def records(self, start: int = 1) -> Iterator[Record]:
        """Stored records with storage position >= ``start``, in storage order."""
        ...

    def head(self) -> tuple[int, str]:
        """``(seq, hash)`` of the last record, or ``(0, GENESIS_HASH)`` when empty."""
        ...

    def close(self) -> None:
        """Release connections and file handles."""
        ...
