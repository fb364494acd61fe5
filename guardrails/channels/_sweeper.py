"""A background sweep: expiry and escalation happen on time even when nobody is deciding."""

from __future__ import annotations

import logging
import threading

from guardrails._errors import ConfigurationError
from guardrails.approvals import ApprovalService

__all__ = ["Sweeper"]

logger = logging.getLogger("guardrails.channels")


class Sweeper:
    """Calls :meth:`ApprovalService.tick` every ``interval`` seconds in a daemon thread.

    ``tick`` expires and escalates due requests and syncs changes other processes made, so the
    listeners (and through :class:`~guardrails.channels.FanOut`, every channel) hear about them.

    Example:
        >>> from guardrails.policy import Policy
        >>> with Sweeper(ApprovalService(Policy()), interval=0.05) as sweeper:
        ...     sweeper.running
        True
    """

    def __init__(self, service: ApprovalService, *, interval: float = 5.0) -> None:
        if interval <= 0:
            raise ConfigurationError("Sweeper interval must be positive")
        self.service = service
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """True while the sweep thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Sweeper:
        """Start sweeping (idempotent)."""
        if not self.running:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="guardrails-sweeper", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.service.tick()
            except Exception as exc:  # keep sweeping: a store hiccup must not stop expiry
                logger.warning("approval sweep failed: %s", type(exc).__name__)

    def __enter__(self) -> Sweeper:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
