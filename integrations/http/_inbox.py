"""The web inbox as a channel: it keeps the cards this process has seen close, for the history."""

from __future__ import annotations

import threading
from collections import OrderedDict

from guardrails.channels import Card, CardUpdate

__all__ = ["InboxChannel"]


class InboxChannel:
    """A :class:`~guardrails.channels.Channel` for the web inbox.

    Pending cards are read from the approval store on every request (the truth, shared by all
    processes); this channel remembers the cards that closed, newest last, for ``/api/history``,
    and bumps ``version`` on every change so the page can poll cheaply.

    Example:
        >>> InboxChannel(history=10).history()
        []
    """

    def __init__(self, *, history: int = 200) -> None:
        self._max = history
        self._closed: OrderedDict[str, Card] = OrderedDict()
        self._lock = threading.Lock()
        self.version = 0

    def deliver(self, update: CardUpdate, /) -> None:
        """Remember closed cards; count every change."""
        with self._lock:
            self.version += 1
            card = update.card
            if card.open:
                return
            self._closed.pop(card.request_id, None)
            self._closed[card.request_id] = card
            while len(self._closed) > self._max:
                self._closed.popitem(last=False)

    def history(self, limit: int = 50) -> list[Card]:
        """The most recently closed cards, newest first."""
        with self._lock:
            return list(reversed(self._closed.values()))[:limit]
