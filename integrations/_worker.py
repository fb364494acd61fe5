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

__all__ = ["CARD_EVENTS", "MAX_ERRORS", "CallWorker"]

# ``errors`` keeps the latest failures only: a long outage must not grow it without end.
MAX_ERRORS = 1000

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
        self, name: str, logger: logging.Logger, *, errors: list[str] | None = None
    ) -> None:
        # ``errors`` may be shared by several workers of one channel
        self.errors: list[str] = errors if errors is not None else []
        self._logger = logger
        self._queue: queue.Queue[tuple[str, Callable[[], object]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, call: Callable[[], object], *, label: str = "") -> None:
        """Queue ``call``; a failure is recorded as ``label:ExceptionType`` (or the type alone)."""
        self._queue.put((label, call))

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
        self.errors.append(f"{label}:{kind}" if label else kind)
        if len(self.errors) > MAX_ERRORS:
            del self.errors[:-MAX_ERRORS]  # in place: channels hand this list out as ``errors``
        self._logger.warning("%s failed: %s", label or self._thread.name, kind)

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
