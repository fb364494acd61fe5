"""The notify-only Teams tier: an incoming-webhook / Workflows card that links to the web inbox.

Webhook cards cannot call back, so nobody decides here; reviewers open the inbox (which
authenticates them). Posts run on one worker thread so the approval service never waits on Teams.
"""

from __future__ import annotations

import logging
from typing import Any

from guardrails import ConfigurationError
from guardrails.channels import CardUpdate
from integrations._worker import MAX_QUEUE, CallWorker
from integrations.teams._cards import notify_card

__all__ = ["TeamsWebhookChannel"]

logger = logging.getLogger("guardrails.teams")
logger.addHandler(logging.NullHandler())


class TeamsWebhookChannel:
    """A :class:`~guardrails.channels.Channel` posting notify cards to a webhook URL.

    Posts when a request opens or escalates, and a closing card when it is decided or expires
    (webhook messages cannot be edited). The body is the Workflows "post card" shape: a message
    with one ``application/vnd.microsoft.card.adaptive`` attachment.

    Args:
        url: the incoming webhook / Workflows trigger URL (a secret: never logged).
        inbox_url: the web inbox reviewers open to decide.
        client: an ``httpx.Client`` (default: a new one with a 10 s timeout).
        max_queue: posts that may wait while the webhook hangs; further ones are dropped and
            counted in ``errors`` as ``post:queue_full``.

    Example:
        >>> ch = TeamsWebhookChannel("https://example.invalid/hook", inbox_url="https://inbox/")
        >>> ch.close()
    """

    def __init__(
        self, url: str, *, inbox_url: str, client: Any = None, max_queue: int = MAX_QUEUE
    ) -> None:
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ConfigurationError("the Teams webhook URL must be https")
        import httpx

        self.url = url
        self.inbox_url = inbox_url
        self.client = client or httpx.Client(timeout=10)
        self._worker = CallWorker("guardrails-teams", logger, max_queue=max_queue)
        self.errors = self._worker.errors  # failed posts, by exception type

    def deliver(self, update: CardUpdate, /) -> None:
        """Queue a notify card for openings, escalations and the final outcome."""
        if update.kind not in ("requested", "escalated", "decided", "expired"):
            return
        card = notify_card(update.card, inbox_url=self.inbox_url)
        message = {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
            ],
        }
        self._worker.submit(
            lambda: self.client.post(self.url, json=message).raise_for_status(), label="post"
        )

    def drain(self) -> None:
        """Wait until every queued post has been sent (tests, shutdown)."""
        self._worker.drain()

    def close(self) -> None:
        """Finish queued posts and stop the worker."""
        self._worker.close()
