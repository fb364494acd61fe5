"""Group commit for decisions: concurrent ``update`` calls in one process share one durable commit.

A durable commit costs one fsync, so one thread deciding alone gets at most ~1/fsync decisions per
second. When several threads decide at once, the first becomes the *leader*: it takes every update
queued so far, applies them in order inside one transaction and commits once; the others wait. No
caller returns before the commit holding its update (never write-behind), and the updates in a
batch run one after another in that transaction, each reading what the previous one wrote, so two
decisions on one request still get exactly one outcome. The same scheme as the audit sinks'
``guardrails.audit._group``, for ``(request_id, change)`` items.

Example:
    >>> g = GroupCommit(lambda items: [change(rid) for rid, change in items])
    >>> g.submit(("r1", str.upper))
    'R1'
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["GroupCommit"]

T = TypeVar("T")
R = TypeVar("R")
MAX_BATCH = 128


class _Pending(Generic[T, R]):
    __slots__ = ("done", "error", "item", "result")

    def __init__(self, item: T) -> None:
        self.item = item
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """Leader/follower batching around ``write_batch(items) -> [result or exception per item]``.

    ``write_batch`` raising means nothing in the batch was committed: every caller gets the error.
    """

    def __init__(
        self, write_batch: Callable[[list[T]], list[Any]], *, max_batch: int = MAX_BATCH
    ) -> None:
        self._write = write_batch
        self._max = max_batch
        self._cond = threading.Condition()
        self._queue: list[_Pending[T, R]] = []
        self._busy = False

    def submit(self, item: T) -> R:
        """Apply one item; returns once the transaction that holds it has committed."""
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
