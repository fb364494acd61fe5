"""Group commit: concurrent writes share one durable commit; none is acknowledged before it.

A commit that must reach the disk costs one fsync (a few ms on a virtual disk), and writes that
must be serialized (an audit chain needs the previous hash; two decisions on one request must see
each other) get at most ~1/fsync commits per second from one writer. When several threads write at
once, the first becomes the *leader*: it takes every item queued so far, writes them in order in
one transaction, commits once, and wakes the others. Every caller still returns only after the
commit that holds its item - PostgreSQL's own group commit applied one level up, never
write-behind batching. Used by the audit sinks (items are record builders) and the approval
stores (items are ``(request_id, change)``).

Example:
    >>> g = GroupCommit(lambda items: [item.upper() for item in items])
    >>> g.submit("r1")
    'R1'
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

__all__ = ["MAX_BATCH", "GroupCommit"]

T = TypeVar("T")
R = TypeVar("R")
MAX_BATCH = 256


class _Pending(Generic[T, R]):
    __slots__ = ("done", "error", "item", "result")

    def __init__(self, item: T) -> None:
        self.item = item
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """Leader/follower batching around ``write_batch(items) -> [result or exception per item]``.

    ``write_batch`` returns one entry per item, in order: the item's result, or the exception
    that fails only that item's caller. ``write_batch`` *raising* means nothing in the batch was
    committed: every caller in it gets that error.
    """

    def __init__(
        self, write_batch: Callable[[list[T]], Sequence[Any]], *, max_batch: int = MAX_BATCH
    ) -> None:
        self._write = write_batch
        self._max = max_batch
        self._cond = threading.Condition()
        self._queue: list[_Pending[T, R]] = []
        self._busy = False

    def submit(self, item: T) -> R:
        """Write one item; returns once the transaction that holds it has committed."""
        me: _Pending[T, R] = _Pending(item)
        with self._cond:
            self._queue.append(me)
        while True:
            with self._cond:
                while not me.done and self._busy:
                    self._cond.wait()
                if me.done:
                    break
                self._busy = True
                batch, self._queue = self._queue[: self._max], self._queue[self._max :]
            self._lead(batch)
        if me.error is not None:
            raise me.error
        return me.result  # type: ignore[return-value]  # set whenever error is None

    def _lead(self, batch: list[_Pending[T, R]]) -> None:
        try:
            results = self._write([p.item for p in batch])
        except BaseException as exc:  # nothing committed: every caller in the batch gets it
            for p in batch:
                p.error = exc
        else:
            for p, r in zip(batch, results, strict=True):
                if isinstance(r, BaseException):
                    p.error = r
                else:
                    p.result = r
        finally:
            with self._cond:
                for p in batch:
                    p.done = True
                self._busy = False
                self._cond.notify_all()
