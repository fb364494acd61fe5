"""A budget for audit events that anyone on the internet can cause.

The Slack and Teams endpoints must be reachable by Slack and Microsoft, so anyone can send them
requests that fail authentication. Each failure is worth an audit event, but an event per forged
request would let an unauthenticated flood fill the trail (a durable, hash-chained append each)
and compete with real decisions for it. :class:`AuditBudget` admits a fixed number per window;
the rest are counted, and the next admitted event says how many were left out (``suppressed``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from guardrails import ConfigurationError

__all__ = ["AuditBudget"]


class AuditBudget:
    """At most ``limit`` admitted events per ``per`` seconds (fixed windows); the rest counted.

    Example:
        >>> budget = AuditBudget(2, now=lambda: 0.0)
        >>> [budget.admit() for _ in range(4)]
        [0, 0, None, None]
        >>> budget = AuditBudget(1, per=60, now=iter([0.0, 1.0, 61.0]).__next__)
        >>> budget.admit(), budget.admit(), budget.admit()
        (0, None, 1)
    """

    def __init__(
        self, limit: int, *, per: float = 60.0, now: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or per <= 0:
            raise ConfigurationError("an audit budget needs limit >= 1 and a positive window")
        self.limit = limit
        self.per = per
        self._now = now
        self._lock = threading.Lock()
        self._start = -float("inf")
        self._used = 0
        self._suppressed = 0

    def admit(self) -> int | None:
        """``None``: do not record this event (it is counted). Otherwise record it, noting the
        returned number of events left out since the last one recorded."""
        now = self._now()
        with self._lock:
            if now - self._start >= self.per:
                self._start, self._used = now, 0
            if self._used >= self.limit:
                self._suppressed += 1
                return None
            self._used += 1
            left_out, self._suppressed = self._suppressed, 0
            return left_out
