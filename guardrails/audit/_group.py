"""Group commit: concurrent appends share one durable commit; none is acknowledged before it.

A commit that must reach the disk costs one fsync (a few ms on a virtual disk), and appends to one
chain are serialized (each needs the previous hash), so one writer gets at most ~1/fsync records
per second. When several threads append at once, the first becomes the *leader*: it takes every
record queued so far, writes them in order in one transaction, commits once, and wakes the
others. Every caller still returns only after the commit that holds its record - this is
PostgreSQL's own group commit applied one level up, not write-behind batching.

Example:
    >>> from guardrails.audit._events import Record
    >>> g = GroupCommit(lambda builds: [Record(i, *b(i, "h")) for i, b in enumerate(builds, 1)])
    >>> g.submit(lambda seq, prev: ("{}", "x")).seq
    1
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from guardrails.audit._events import Record
from guardrails.audit._sink import Builder

__all__ = ["GroupCommit"]

# Writes a batch in one transaction; per record, the stored Record or the builder's exception.
# Raising means nothing in the batch was committed.
WriteBatch = Callable[[list[Builder]], list[Record | Exception]]
MAX_BATCH = 256


class _Pending:
    __slots__ = ("build", "done", "error", "record")

    def __init__(self, build: Builder) -> None:
        self.build = build
        self.done = False
        self.record: Record | None = None
        self.error: BaseException | None = None


class GroupCommit:
    """Leader/follower group commit around a sink's ``write_batch``."""

    def __init__(self, write_batch: WriteBatch, *, max_batch: int = MAX_BATCH) -> None:
        self._write = write_batch
        self._max = max_batch
        self._cond = threading.Condition()
        self._queue: list[_Pending] = []
        self._busy = False

    def submit(self, build: Builder) -> Record:
        """Append one record; returns once the transaction that holds it has committed."""
        me = _Pending(build)
        with self._cond:
            self._queue.append(me)
        while True:
            with self._cond:
                while not me.done and self._busy:
                    self._cond.wait()
                if me.done:
                    return _result(me)
                self._busy = True
                batch, self._queue = self._queue[: self._max], self._queue[self._max :]
            self._lead(batch)

    def _lead(self, batch: list[_Pending]) -> None:
        try:
            results = self._write([p.build for p in batch])
        except BaseException as exc:  # nothing committed: every caller in the batch gets it
            for p in batch:
                p.error = exc
        else:
            for p, r in zip(batch, results, strict=True):
                if isinstance(r, Record):
                    p.record = r
                else:
                    p.error = r
        finally:
            with self._cond:
                for p in batch:
                    p.done = True
                self._busy = False
                self._cond.notify_all()


def _result(p: _Pending) -> Record:
    if p.error is not None:
        raise p.error
    assert p.record is not None
    return p.record
