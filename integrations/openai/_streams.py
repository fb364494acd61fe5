"""Restore placeholders in streamed model text for the end user, across chunk boundaries.

The stream objects themselves are left as the SDK made them (placeholders inside): the
application asks for restored text explicitly, so nothing restored flows back into the history
it sends next (which would be redacted again anyway).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from guardrails.session import RedactionSession, StreamRestorer

__all__ = ["StreamRestore", "text_delta"]


def text_delta(item: Any, choice: int = 0) -> str | None:
    """The model text carried by one stream item, or None.

    Understands plain strings, chat completion chunks (``choices[i].delta.content``), Responses
    events (``response.output_text.delta``) and ``chat.completions.stream`` events
    (``content.delta``).
    """
    if isinstance(item, str):
        return item
    kind = getattr(item, "type", None)
    if kind in ("response.output_text.delta", "content.delta"):
        delta = getattr(item, "delta", None)
        return delta if isinstance(delta, str) else None
    for c in getattr(item, "choices", None) or ():
        if getattr(c, "index", 0) == choice:
            content = getattr(getattr(c, "delta", None), "content", None)
            return content if isinstance(content, str) else None
    return None


class StreamRestore:
    """Mixin of :class:`~integrations.openai.OpenAIGuard`: restored text from a stream."""

    def session(self, conversation_id: str | None = None) -> RedactionSession:
        raise NotImplementedError

    def restore_stream(
        self,
        stream: Iterable[Any],
        *,
        conversation_id: str | None = None,
        entities: Iterable[str] | None = None,
        choice: int = 0,
    ) -> Iterator[str]:
        """Yield the model's text with placeholders restored, holding back only a possible
        placeholder prefix until the next delta completes or disproves it.

        The conversation is resolved now (not on first iteration), so this may be called inside
        ``with guard.conversation(...)`` and iterated later."""
        restorer = self.session(conversation_id).stream_restorer(entities)
        return _restored(stream, restorer, choice)

    def arestore_stream(
        self,
        stream: AsyncIterable[Any],
        *,
        conversation_id: str | None = None,
        entities: Iterable[str] | None = None,
        choice: int = 0,
    ) -> AsyncIterator[str]:
        """Async :meth:`restore_stream`."""
        restorer = self.session(conversation_id).stream_restorer(entities)
        return _arestored(stream, restorer, choice)


def _restored(stream: Iterable[Any], restorer: StreamRestorer, choice: int) -> Iterator[str]:
    for item in stream:
        delta = text_delta(item, choice)
        if delta:
            out = restorer.feed(delta)
            if out:
                yield out
    tail = restorer.flush()
    if tail:
        yield tail


async def _arestored(
    stream: AsyncIterable[Any], restorer: StreamRestorer, choice: int
) -> AsyncIterator[str]:
    async for item in stream:
        delta = text_delta(item, choice)
        if delta:
            out = restorer.feed(delta)
            if out:
                yield out
    tail = restorer.flush()
    if tail:
        yield tail
