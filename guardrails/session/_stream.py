"""Restore placeholders in streamed text, even when one is split between two deltas."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from guardrails.session._keys import entity_set

if TYPE_CHECKING:
    from guardrails.session._session import RedactionSession

__all__ = ["StreamRestorer"]

# Longest text a placeholder can have: "<" + 64-char name + "_" + 9 digits + ">".
_MAX_PLACEHOLDER = 1 + 64 + 1 + 9 + 1
# A tail that may still grow into a placeholder: "<", "<EMAIL", "<EMAIL_ADDRESS_1" ...
_PLACEHOLDER_PREFIX = re.compile(r"<(?:[A-Z][A-Z0-9_]*)?")


class StreamRestorer:
    """Restores placeholders in streamed text, even when one is split between two deltas.

    ``feed(delta)`` returns what can be shown now; only a tail that may still grow into a
    placeholder (``"<EMAIL_AD"``) is held back, at most 76 characters. ``flush()`` returns the
    rest at the end of the stream.

    Example:
        >>> from guardrails.session import RedactionSession
        >>> s = RedactionSession()
        >>> _ = s.redact_text("jane.doe@example.com")
        >>> r = s.stream_restorer()
        >>> [r.feed("Write to <EMAIL_"), r.feed("ADDRESS_1> now"), r.flush()]
        ['Write to ', 'jane.doe@example.com now', '']
    """

    def __init__(self, session: RedactionSession, *, entities: Iterable[str] | None = None) -> None:
        self._session = session
        self._entities = entity_set(entities)
        self._pending = ""

    def feed(self, delta: str) -> str:
        """Add a delta; return the restored text that is safe to emit now."""
        buf = self._pending + delta
        cut = buf.rfind("<")
        if (
            cut >= 0
            and len(buf) - cut <= _MAX_PLACEHOLDER
            and _PLACEHOLDER_PREFIX.fullmatch(buf, cut)
        ):
            self._pending = buf[cut:]
            return self._restore(buf[:cut])
        self._pending = ""
        return self._restore(buf)

    def flush(self) -> str:
        """Return whatever is still held back (restored if it is now complete)."""
        buf, self._pending = self._pending, ""
        return self._restore(buf)

    def _restore(self, text: str) -> str:
        if not text:
            return text
        return self._session.restore_text(text, self._entities)
