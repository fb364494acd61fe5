"""One background thread that runs a channel's outgoing calls in order.

Slack, the Teams bot and the Teams webhook post and update cards off the request path: a decision,
recorded by the approval service, never waits on a chat service, and a card is posted before it
is updated. A failed call is counted in ``errors`` and logged by exception type only (never the
payload, which may hold masked arguments); it never undoes a decision.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

__all__ = ["CARD_EVENTS", "FINAL", "MAX_ERRORS", "MAX_QUEUE", "CallWorker"]

# Request statuses after which no event changes a card: channels may forget its message id.
FINAL = frozenset({"rejected", "expired", "superseded", "executed"})

# ``errors`` keeps the latest failures only: a long outage must not grow it without end.
MAX_ERRORS = 1000
# Calls waiting while the chat service hangs: beyond this they are dropped and counted.
MAX_QUEUE = 10_000

# Events that change what an interactive card shows (a refusal does not: the clicker is told
# privately).
CARD_EVENTS = frozenset(
    {"requested", "vote", "decided", "expired", "escalated", "consumed", "executed"}
)


class CallWorker:
    """Runs submitted calls one at a time on a daemon thread named ``name``.

    Example:
        >>> w = CallWorker("demo", logging.getLogger("demo"))
        >>> w.submit(lambda: None)
        >>> w.drain(); w.errors
        []
        >>> w.close()
    """

    def __init__(
        self,
        name: str,
        logger: logging.Logger,
        *,
        errors: list[str] | None = None,
        max_queue: int = MAX_QUEUE,
    ) -> None:
        # ``errors`` may be shared by several workers of one channel
        self.errors: list[str] = errors if errors is not None else []
        self._logger = logger
        self._max = max_queue
        self._dropping = False
        self._queue: queue.Queue[tuple[str, Callable[[], object]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, call: Callable[[], object], *, label: str = "") -> None:
        """Queue ``call``; a failure is recorded as ``label:ExceptionType`` (or the type alone).

        While ``max_queue`` calls already wait (the chat service hangs), ``call`` is dropped and
        counted as ``label:queue_full``: memory stays bounded, and the decision never depended
        on the card (the service refuses a click on a stale one).
        """
        if self._queue.qsize() >= self._max:
            self._note(f"{label}:queue_full" if label else "queue_full")
            if not self._dropping:
                self._dropping = True
                self._logger.warning("%s: queue full, dropping calls", self._thread.name)
            return
        self._dropping = False
        self._queue.put((label, call))

    def queued(self) -> int:
        """How many calls wait to run (approximately: the worker runs concurrently)."""
        return self._queue.qsize()

    def drain(self) -> None:
        """Wait until every queued call has run (tests, shutdown)."""
        self._queue.join()

    def close(self) -> None:
        """Finish queued calls and stop the thread."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=30)

    def record(self, label: str, exc: BaseException) -> None:
        """Count a failed call as ``label:ExceptionType`` and log its type, never its payload.

        Only the latest :data:`MAX_ERRORS` are kept.
        """
        kind = type(exc).__name__
        self._note(f"{label}:{kind}" if label else kind)
        self._logger.warning("%s failed: %s", label or self._thread.name, kind)

    def _note(self, entry: str) -> None:
        self.errors.append(entry)
        if len(self.errors) > MAX_ERRORS:
            del self.errors[:-MAX_ERRORS]  # in place: channels hand this list out as ``errors``

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                label, call = job
                try:
                    call()
                except Exception as exc:  # network, API error: count it, log the type only
                    self.record(label, exc)
            finally:
                self._queue.task_done()
