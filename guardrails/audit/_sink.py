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

__all__ = ["AuditSink", "Builder", "seal_batch"]

# build(seq, prev_hash) -> (body, hash): called by a sink while it holds its append lock.
Builder = Callable[[int, str], tuple[str, str]]

Row = tuple[int, str, str]  # (seq, body, hash) as a sink inserts it


def seal_batch(
    builds: list[Builder], head: tuple[int, str]
) -> tuple[list[Record | Exception], list[Row], tuple[int, str]]:
    """Seal ``builds`` in order after ``head``: one record (or that builder's error) per builder,
    the rows to insert, and the new head. A failing builder takes no seq; the others go on.

    Example:
        >>> out, rows, head = seal_batch([lambda seq, prev: (f"b{seq}", f"h{seq}")], (0, "g"))
        >>> rows, head
        ([(1, 'b1', 'h1')], (1, 'h1'))
    """
    seq, prev = head
    out: list[Record | Exception] = []
    rows: list[Row] = []
    for build in builds:
        try:
            body, digest = build(seq + 1, prev)
        except Exception as exc:  # that caller's error; the others go on
            out.append(exc)
            continue
        seq, prev = seq + 1, digest
        rows.append((seq, body, digest))
        out.append(Record(seq, body, digest))
    return out, rows, (seq, prev)


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
