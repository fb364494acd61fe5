"""Time as a dependency: every expiry and audit timestamp goes through a :class:`Clock`.

Example:
    >>> from datetime import timedelta
    >>> clock = FixedClock()
    >>> t0 = clock.now()
    >>> clock.advance(timedelta(minutes=5))
    >>> (clock.now() - t0).total_seconds()
    300.0
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FixedClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Returns the current time as a timezone-aware UTC datetime."""

    def now(self) -> datetime:
        """The current time (aware, UTC)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current time (aware, UTC)."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to; thread-safe. For tests."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The clock's current time."""
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward (or back, with a negative delta, to simulate skew)."""
        with self._lock:
            self._now = self._now + delta

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (aware)."""
        if when.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        with self._lock:
            self._now = when.astimezone(UTC)
