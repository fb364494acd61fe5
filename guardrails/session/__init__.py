"""Incremental redaction for one conversation: a vault plus a cache of what was already scanned.

Agents re-send the whole history on every model call. Scanning it again each turn makes the cost
of a turn grow with the conversation; piighost spends 372 ms per call at 400 messages. A
:class:`RedactionSession` keeps the conversation's :class:`~guardrails.Vault` and a bounded cache
from a content digest (BLAKE2b of the text, or of the JSON form of a structured item) to its
redacted form, so a turn costs a digest per old item and a scan per new one. A history re-sent
with additions (:meth:`RedactionSession.redact_history`) costs less: its unchanged beginning is
recognised with one SHA-256 of its JSON, compared at the last few item boundaries of the
previous call.

Why a cache hit returns exactly what a fresh redaction would:

* Redaction is deterministic given the text and the vault, and the vault only grows: a value
  keeps its placeholder forever. The item's own values entered the vault when it was scanned,
  so a re-scan would draw the very same placeholders.
* The only way a later vault changes the result is a value added *after* the item was scanned
  that the redactor now masks as a known value. Each entry records the vault size at scan time;
  on a hit with a larger vault, the values added since are looked up in the item (a plain
  substring test, a superset of the redactor's word-bounded match). None present: the cached
  form is still exact and is re-stamped. One present: the item is scanned again, so a value
  learned later is masked in older items too.
* The cache belongs to one vault. Replacing or reloading the vault clears it.

The cache holds redacted forms only; the raw text is never stored (a lookup hashes the text
the caller passes; short texts that redact to themselves, such as request headers, are kept as
they are because that is their redacted form; a history is remembered by digests). Nothing here
is serialized except the vault, through its encrypted form.

Example:
    >>> from guardrails.session import RedactionSession
    >>> s = RedactionSession(conversation_id="c1")
    >>> s.redact_text("mail jane.doe@example.com")
    'mail <EMAIL_ADDRESS_1>'
    >>> s.redact_text("mail jane.doe@example.com")  # served from the cache
    'mail <EMAIL_ADDRESS_1>'
    >>> s.stats.hits
    1
    >>> s.restore_text("Hi <EMAIL_ADDRESS_1>, <UNKNOWN_9> stays")
    'Hi jane.doe@example.com, <UNKNOWN_9> stays'
"""

from guardrails.session._session import CacheStats, RedactionSession
from guardrails.session._store import InMemorySessionPersistence, SessionPersistence, SessionStore
from guardrails.session._stream import StreamRestorer

__all__ = [
    "CacheStats",
    "InMemorySessionPersistence",
    "RedactionSession",
    "SessionPersistence",
    "SessionStore",
    "StreamRestorer",
]
