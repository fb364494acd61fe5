"""Slack as a :class:`~guardrails.channels.Channel`: post one card per request, keep it current.

Web API calls run off the request path, so a decision (recorded by the approval service inside
the interactivity request) never waits on Slack: card posts and updates on one worker thread, in
order, so a card is always posted before it is updated; the answers to a click (the reason
modal, a private refusal) on a second one, so they are not queued behind a backlog of cards
(``views.open`` must run within the 3 s a ``trigger_id`` lives). A failed call is logged and
counted; it never undoes a decision.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import MutableMapping
from typing import Any

from guardrails.channels import Card, CardUpdate
from integrations._worker import CARD_EVENTS, FINAL, MAX_QUEUE, CallWorker
from integrations.slack._blocks import card_blocks, card_text, reason_modal

__all__ = ["SlackChannel"]

logger = logging.getLogger("guardrails.slack")
logger.addHandler(logging.NullHandler())


class SlackChannel:
    """Posts approval cards to a Slack channel and updates them with ``chat.update``.

    Args:
        client: a ``slack_sdk.WebClient`` with the bot token (``base_url=`` for GovSlack or a test
            server).
        channel: the Slack channel id cards are posted to.
        inbox_url: optional web inbox link shown on each card.
        messages: where card locations (request id -> ``(channel, ts)``) are kept; pass a
            persistent mapping (e.g. a ``shelve`` file) so cards posted before a restart still
            close when the request is decided or expires afterwards. Default: in memory.
        max_queue: Web API calls that may wait while Slack hangs; further ones are dropped and
            counted in ``errors`` as ``method:queue_full``.

    Example:
        >>> from slack_sdk import WebClient
        >>> ch = SlackChannel(WebClient(token="xoxb-test"), channel="C1")
        >>> ch.message_ts("apr_unknown") is None
        True
        >>> ch.close()
    """

    def __init__(
        self,
        client: Any,
        *,
        channel: str,
        inbox_url: str | None = None,
        messages: MutableMapping[str, tuple[str, str]] | None = None,
        max_queue: int = MAX_QUEUE,
    ) -> None:
        self.client = client
        self.channel = channel
        self.inbox_url = inbox_url
        # request id -> (channel, ts); `is None` so an empty persistent mapping is kept
        self._messages = messages if messages is not None else {}
        self._lock = threading.Lock()
        self._worker = CallWorker("guardrails-slack", logger, max_queue=max_queue)
        self.errors = self._worker.errors  # failed Web API calls, as ``method:ExceptionType``
        # Answers to a click: never behind the card backlog (one errors list for both).
        self._replies = CallWorker(
            "guardrails-slack-replies", logger, errors=self.errors, max_queue=max_queue
        )

    # -- Channel ----------------------------------------------------------------------------

    def deliver(self, update: CardUpdate, /) -> None:
        """Queue the post (``update.new``) or the ``chat.update`` of the card."""
        if update.kind not in CARD_EVENTS:
            return
        card = update.card
        if update.new:
            self._worker.submit(lambda: self._post(card), label="chat_postMessage")
        else:
            self._worker.submit(lambda: self._update(card), label="chat_update")

    # -- what the interactivity endpoint asks for --------------------------------------------

    def remember(self, request_id: str, channel: str, ts: str) -> None:
        """Record where a card lives (learned from a click, e.g. after a process restart)."""
        with self._lock:
            if request_id not in self._messages:
                self._messages[request_id] = (channel, ts)

    def message_ts(self, request_id: str) -> tuple[str, str] | None:
        """``(channel, ts)`` of the card posted for ``request_id``, if known."""
        with self._lock:
            found = self._messages.get(request_id)
        return (str(found[0]), str(found[1])) if found is not None else None

    def open_reason_modal(self, trigger_id: str, card: Card, verdict: str) -> None:
        """Queue ``views.open`` for the reason modal (Slack allows 3 s from the click)."""
        view = reason_modal(card, verdict=verdict)
        self._replies.submit(
            lambda: self._call("views_open", trigger_id=trigger_id, view=view), label="views_open"
        )

    def tell(self, user: str, text: str, *, channel: str | None = None) -> None:
        """Queue a message only ``user`` sees (why their click was refused)."""
        self._replies.submit(
            lambda: self._call(
                "chat_postEphemeral", channel=channel or self.channel, user=user, text=text
            ),
            label="chat_postEphemeral",
        )

    def drain(self) -> None:
        """Wait until every queued Web API call has run (tests, shutdown)."""
        self._replies.drain()
        self._worker.drain()

    def close(self) -> None:
        """Finish queued calls and stop the workers."""
        self._replies.close()
        self._worker.close()

    # -- worker -------------------------------------------------------------------------------

    def _post(self, card: Card) -> None:
        if self.message_ts(card.request_id) is not None:
            self._update(card)  # re-announced (escalation, repost): keep one message
            return
        blocks = card_blocks(card, inbox_url=self.inbox_url)
        result = self._call(
            "chat_postMessage",
            channel=self.channel,
            text=card_text(card),
            blocks=blocks,
            # a URL in model text must not become a preview the attacker controls on the card
            unfurl_links=False,
            unfurl_media=False,
        )
        if result is not None:
            self.remember(card.request_id, str(result["channel"]), str(result["ts"]))

    def _update(self, card: Card) -> None:
        where = self.message_ts(card.request_id)
        if where is None:
            return  # never shown here
        blocks = card_blocks(card, inbox_url=self.inbox_url)
        self._call(
            "chat_update", channel=where[0], ts=where[1], text=card_text(card), blocks=blocks
        )
        if card.status in FINAL:
            # nothing will change this card again: keep the message map to live cards
            with self._lock:
                self._messages.pop(card.request_id, None)

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, method)(**kwargs)
        except Exception as exc:  # SlackApiError, network: log the type, never the payload
            self._worker.record(method, exc)  # the shared errors list, whichever worker ran it
            return None
