"""The bot posting its own cards: Bot Connector REST (proactive message, then update in place).

``POST {serviceUrl}/v3/conversations/{conversationId}/activities`` sends the card;
``PUT .../activities/{activityId}`` replaces it when the request is decided anywhere or expires.
The bearer token for these calls comes from a one-method provider (in production: the client
credentials flow for the bot's app registration, e.g. ``msal``); it is never logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from guardrails.channels import Card, CardUpdate
from integrations._worker import CARD_EVENTS, FINAL, MAX_QUEUE, CallWorker
from integrations.teams._cards import request_card

__all__ = ["TeamsBotChannel"]

logger = logging.getLogger("guardrails.teams")


class TeamsBotChannel:
    """A :class:`~guardrails.channels.Channel` that posts bot cards to one Teams conversation.

    Args:
        service_url: the conversation's ``serviceUrl`` (from an earlier activity).
        conversation_id: the channel/chat conversation id.
        token: returns a current Bot Connector access token.
        inbox_url: optional web inbox link on the cards.
        client: an ``httpx.Client`` (default: a new one with a 10 s timeout).
        max_queue: posts/updates that may wait while Teams hangs; further ones are dropped
            and counted in ``errors`` as ``card:queue_full``.

    Example:
        >>> ch = TeamsBotChannel(service_url="https://smba.example/", conversation_id="19:x",
        ...                      token=lambda: "t")
        >>> ch.activity_id("apr_1") is None
        True
        >>> ch.close()
    """

    def __init__(
        self,
        *,
        service_url: str,
        conversation_id: str,
        token: Callable[[], str],
        inbox_url: str | None = None,
        client: Any = None,
        max_queue: int = MAX_QUEUE,
    ) -> None:
        import httpx

        self.base = service_url.rstrip("/") + f"/v3/conversations/{quote(conversation_id, safe='')}"
        self.token = token
        self.inbox_url = inbox_url
        self.client = client or httpx.Client(timeout=10)
        self._ids: dict[str, str] = {}
        self._lock = threading.Lock()
        self._worker = CallWorker("guardrails-teams-bot", logger, max_queue=max_queue)
        self.errors = self._worker.errors  # failed posts/updates, by exception type

    def deliver(self, update: CardUpdate, /) -> None:
        """Queue the post (``update.new``) or the in-place update of the card."""
        if update.kind not in CARD_EVENTS:
            return
        card = update.card
        self._worker.submit(lambda: self._send(card, new=update.new), label="card")

    def activity_id(self, request_id: str) -> str | None:
        """The id of the activity that shows ``request_id``, if posted."""
        with self._lock:
            return self._ids.get(request_id)

    def drain(self) -> None:
        """Wait until every queued call has run (tests, shutdown)."""
        self._worker.drain()

    def close(self) -> None:
        """Finish queued calls and stop the worker."""
        self._worker.close()

    def _send(self, card: Card, *, new: bool) -> None:
        activity = {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "content": request_card(card, inbox_url=self.inbox_url),
                }
            ],
        }
        headers = {"Authorization": f"Bearer {self.token()}"}
        existing = self.activity_id(card.request_id)
        if existing is None:
            if not new:
                return  # never shown here
            res = self.client.post(f"{self.base}/activities", json=activity, headers=headers)
            res.raise_for_status()
            with self._lock:
                self._ids[card.request_id] = str(res.json()["id"])
        else:
            url = f"{self.base}/activities/{quote(existing, safe='')}"
            self.client.put(
                url, json={**activity, "id": existing}, headers=headers
            ).raise_for_status()
            if card.status in FINAL:  # nothing will change this card again
                with self._lock:
                    self._ids.pop(card.request_id, None)
