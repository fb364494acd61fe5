"""Incremental redaction for one conversation: a vault plus a cache of what was already scanned.

Agents re-send the whole history on every model call. Scanning it again each turn makes the cost
of a turn grow with the conversation; piighost spends 372 ms per call at 400 messages. A
:class:`RedactionSession` keeps the conversation's :class:`~guardrails.Vault` and a bounded cache
from a content digest (BLAKE2b of the text, or of the JSON form of a structured item) to its
redacted form, so a turn costs a digest per old item and a scan per new one.

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
the caller passes). Nothing here is serialized except the vault, through its encrypted form.

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

from __future__ import annotations

import hashlib
import itertools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import orjson

from guardrails._errors import ConfigurationError, InputError, RedactionError
from guardrails.detection._entities import GROUPS

if TYPE_CHECKING:
    from guardrails.redactor import Redactor
    from guardrails.vault import Vault

__all__ = [
    "CacheStats",
    "InMemorySessionPersistence",
    "RedactionSession",
    "SessionPersistence",
    "SessionStore",
    "StreamRestorer",
]

T = TypeVar("T")

# Fix-up passes over a history: a redo rarely teaches the vault anything new.
_MAX_PASSES = 4

# Longest text a placeholder can have: "<" + 64-char name + "_" + 9 digits + ">".
_MAX_PLACEHOLDER = 1 + 64 + 1 + 9 + 1
# A tail that may still grow into a placeholder: "<", "<EMAIL", "<EMAIL_ADDRESS_1" ...
_PLACEHOLDER_PREFIX = re.compile(r"<(?:[A-Z][A-Z0-9_]*)?")


@dataclass(slots=True)
class CacheStats:
    """Counters of one session.

    Attributes:
        hits: items served from the cache.
        misses: items scanned by the redactor.
        rechecks: hits whose item held a value the vault learned later, so it was scanned again.
        entities: entity type -> values masked by scans (cache hits are not counted again).

    Example:
        >>> stats = CacheStats()
        >>> stats.count({"EMAIL_ADDRESS": 2})
        >>> stats.entities
        {'EMAIL_ADDRESS': 2}
    """

    hits: int = 0
    misses: int = 0
    rechecks: int = 0
    entities: dict[str, int] = field(default_factory=dict)

    def count(self, counts: Mapping[str, int]) -> None:
        for name, n in counts.items():
            self.entities[name] = self.entities.get(name, 0) + n


@dataclass(slots=True, kw_only=True)
class _Seen:
    """One position of the previous history: its digest, redacted form and validity stamp."""

    digest: bytes
    redacted: Any
    vault_size: int


@dataclass(slots=True)
class _Entry:
    redacted: Any  # a str, or the JSON bytes of a structured item
    vault_size: int


def _digest(kind: str, blob: bytes) -> bytes:
    h = hashlib.blake2b(kind.encode(), digest_size=16)
    h.update(blob)
    return h.digest()


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _json_native(obj: Any, depth: int = 0) -> bool:
    """True when ``obj`` survives a JSON round trip unchanged (so its JSON text can key the cache)."""
    if depth > 64:
        return False
    if obj is None or isinstance(obj, str | bool | int | float):
        return True
    if type(obj) is list:
        return all(_json_native(v, depth + 1) for v in obj)
    if type(obj) is dict:
        return all(type(k) is str and _json_native(v, depth + 1) for k, v in obj.items())
    return False


def _dumps(obj: Any) -> bytes | None:
    """Compact UTF-8 JSON (orjson), or None for what orjson refuses (huge ints, lone surrogates)."""
    try:
        return orjson.dumps(obj)
    except orjson.JSONEncodeError:
        return None


def _escaped(value: str) -> bytes:
    """``value`` as it appears inside a JSON string written by :func:`_dumps`."""
    text = _dumps(value)
    return text[1:-1] if text is not None else _utf8(value)


class RedactionSession:
    """One conversation's vault and redaction cache.

    Args:
        redactor: the :class:`~guardrails.Redactor` to use (default: ``Redactor()``).
        vault: the conversation's vault (default: a new empty one).
        conversation_id: an opaque id, used by :class:`SessionStore` and in audit events.
        cache_size: how many redacted items to remember (least recently used are dropped).

    Example:
        >>> s = RedactionSession()
        >>> s.redact_data({"to": "jane.doe@example.com", "n": 3})
        {'to': '<EMAIL_ADDRESS_1>', 'n': 3}
    """

    def __init__(
        self,
        redactor: Redactor | None = None,
        *,
        vault: Vault | None = None,
        conversation_id: str = "",
        cache_size: int = 4096,
    ) -> None:
        from guardrails.redactor import Redactor
        from guardrails.vault import Vault

        if cache_size < 0:
            raise ConfigurationError("cache_size must be >= 0")
        self.redactor: Redactor = redactor if redactor is not None else Redactor()
        self.conversation_id = conversation_id
        self._vault: Vault = vault if vault is not None else Vault()
        self._cache: OrderedDict[bytes, _Entry] = OrderedDict()
        self._cache_size = cache_size
        self._known: list[tuple[bytes, bytes]] = []
        self._histories: dict[str, list[_Seen | None]] = {}
        self._lock = threading.RLock()
        self.stats = CacheStats()

    def __repr__(self) -> str:
        return (
            f"RedactionSession(conversation_id={self.conversation_id!r}, "
            f"vault_size={self.vault_size}, cached={len(self._cache)})"
        )

    # -- the vault -----------------------------------------------------------------------------
    @property
    def vault(self) -> Vault:
        """The conversation's vault (placeholder <-> value)."""
        return self._vault

    @vault.setter
    def vault(self, vault: Vault) -> None:
        with self._lock:
            self._vault = vault
            self._cache.clear()  # entries were stamped against the old vault
            self._known = []
            self._histories.clear()

    @property
    def vault_size(self) -> int:
        """How many values the vault holds; grows monotonically."""
        return len(self._vault)

    # -- redaction -----------------------------------------------------------------------------
    def redact_text(self, text: str) -> str:
        """Redact ``text`` with the conversation's vault; re-sent text is served from the cache."""
        if not isinstance(text, str):
            raise InputError(f"redact_text expects str, got {type(text).__name__}")

        def scan() -> str:
            result = self.redactor.redact(text, vault=self._vault)
            self.stats.count(result.counts)
            return result.text

        return str(self._cached("t", _utf8(text), scan))

    def redact_data(self, obj: T) -> T:
        """Redact structured data (same shape back). JSON-native items are cached by content.

        A string is handled as data: a JSON document inside it is redacted field by field.
        """
        if isinstance(obj, str):  # the common case (a message's content): no JSON round trip
            source = str(obj)

            def scan_str() -> str:
                report = self.redactor.redact_data_with_report(source, vault=self._vault)
                self.stats.count(report.counts)
                return str(report.data)

            return cast(T, self._cached("s", _utf8(source), scan_str))
        return self.redact_item(obj, self._redact_structured, kind="d")

    def _redact_structured(self, obj: T) -> T:
        report = self.redactor.redact_data_with_report(obj, vault=self._vault)
        self.stats.count(report.counts)
        out: T = report.data
        return out

    def redact_item(
        self, obj: T, redact: Callable[[T], T], *, kind: str, parsed_json: bool = False
    ) -> T:
        """Cache ``redact(obj)`` for a JSON-native ``obj`` (anything else is redacted uncached).

        For adapters that walk a known schema (e.g. one chat message) instead of calling
        :meth:`redact_data`: ``redact`` must be a deterministic function of ``obj`` and this
        session's vault (it may call :meth:`redact_text` / :meth:`redact_data`); ``kind`` must
        change whenever ``redact`` would give another result for the same item (e.g. settings).
        Exceptions propagate and nothing is cached. ``parsed_json=True`` says ``obj`` came from
        ``json.loads`` (so the JSON-shape check, the costliest part of a hit, is skipped).
        """
        blob = _dumps(obj) if parsed_json or _json_native(obj) else None
        if blob is None:
            return redact(obj)

        def scan() -> bytes:
            out = _dumps(redact(obj))
            if out is None:  # a redact() that returned non-JSON: fail closed, not open
                raise RedactionError("the redacted item is not JSON-serializable")
            return out

        result: T = orjson.loads(self._cached(kind, blob, scan))
        return result

    def redact_history(
        self, items: list[Any], redact: Callable[[int, Any], Any], *, kind: str
    ) -> list[Any]:
        """Redact a list that is re-sent with additions turn after turn (a parsed JSON history).

        Like :meth:`redact_item` for each item (``redact(index, item)``), plus:

        * a positional fast path: an item whose digest equals the one at the same position in the
          previous call of this ``kind`` reuses that result without a cache lookup or a copy (the
          vault-growth check applies as for any cache hit);
        * a fixpoint: when a later item teaches the vault a value (a tool result naming a person)
          that an earlier item holds, the earlier item is redone before returning.

        Returned items may be shared with earlier calls: encode them, do not mutate them.
        ``items`` must come from ``json.loads``.
        """
        with self._lock:
            previous = self._histories.get(kind, []) if self._cache_size else []
            current: list[_Seen | None] = []
            blobs: list[bytes | None] = []
            out: list[Any] = []
            for i, item in enumerate(items):
                blob = _dumps(item)
                blobs.append(blob)
                if blob is None:  # orjson refuses it (a huge int...): no caching for this one
                    out.append(redact(i, item))
                    current.append(None)
                    continue
                digest = _digest(kind, blob)
                seen = previous[i] if i < len(previous) else None
                if seen is not None and seen.digest == digest and self._still_valid(seen, blob):
                    self.stats.hits += 1
                    out.append(seen.redacted)
                    current.append(seen)
                    continue
                redacted = self.redact_item(item, partial(redact, i), kind=kind, parsed_json=True)
                out.append(redacted)
                current.append(_Seen(digest=digest, redacted=redacted, vault_size=len(self._vault)))
            for _ in range(_MAX_PASSES):
                stale = [
                    i
                    for i, (seen, blob) in enumerate(zip(current, blobs, strict=True))
                    if seen is not None and blob is not None and not self._still_valid(seen, blob)
                ]
                if not stale:
                    break
                for i in stale:
                    redacted = self.redact_item(
                        items[i], partial(redact, i), kind=kind, parsed_json=True
                    )
                    out[i] = redacted
                    old = current[i]
                    assert old is not None
                    current[i] = _Seen(
                        digest=old.digest, redacted=redacted, vault_size=len(self._vault)
                    )
            if self._cache_size:
                self._histories[kind] = current
                if len(self._histories) > 64:  # kinds are few; never grow this unbounded
                    self._histories.pop(next(iter(self._histories)))
            return out

    def _still_valid(self, seen: _Seen, blob: bytes) -> bool:
        """No value learned since ``seen`` was stamped occurs in ``blob``; re-stamps it if so."""
        size = len(self._vault)
        if seen.vault_size > size:
            return False
        if seen.vault_size < size and self._learned_since(seen.vault_size, blob):
            return False
        seen.vault_size = size
        return True

    def learned_since(self, size: int, data: bytes | str) -> bool:
        """Does ``data`` (raw text or JSON) hold a value the vault learned after it had ``size``
        entries? For adapters that must redo other fields when a request taught the vault."""
        if isinstance(data, str):
            data = _utf8(data)
        with self._lock:
            return len(self._vault) > size and self._learned_since(size, data)

    def _cached(self, kind: str, blob: bytes, scan: Callable[[], Any]) -> Any:
        key = _digest(kind, blob)
        with self._lock:
            entry = self._cache.get(key)
            size = len(self._vault)
            if entry is not None and entry.vault_size <= size:
                if entry.vault_size == size or not self._learned_since(entry.vault_size, blob):
                    entry.vault_size = size
                    self._cache.move_to_end(key)
                    self.stats.hits += 1
                    return entry.redacted
                self.stats.rechecks += 1
            self.stats.misses += 1
            redacted = scan()
            if self._cache_size:
                self._cache[key] = _Entry(redacted=redacted, vault_size=len(self._vault))
                self._cache.move_to_end(key)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            return redacted

    def _learned_since(self, size: int, blob: bytes) -> bool:
        """Does ``blob`` contain a value the vault learned after it held ``size`` entries?"""
        return any(v in blob or e in blob for v, e in self._values_since(size))

    def _values_since(self, size: int) -> list[tuple[bytes, bytes]]:
        # (value, JSON-escaped value) of the vault's entries in insertion order, extended with
        # only the new entries as the vault grows; a check reads the slice after ``size``.
        known = self._known
        now = len(self._vault)
        if len(known) < now:
            known.extend(
                (_utf8(v), _escaped(v)) for v in _newest_values(self._vault, now - len(known))
            )
        return known[size:now]

    # -- restoring -----------------------------------------------------------------------------
    def restore_text(self, text: str, entities: Iterable[str] | None = None) -> str:
        """Replace known placeholders (of ``entities`` only, when given); unknown ones stay."""
        if not isinstance(text, str):
            raise InputError(f"restore_text expects str, got {type(text).__name__}")
        return self._vault.restore_text(text, _entity_set(entities))

    def restore_data(self, obj: T, entities: Iterable[str] | None = None) -> T:
        """Restore placeholders in every string of a structured value (same shape back)."""
        restored: T = self._vault.restore(obj, entities=_entity_set(entities))
        return restored

    def stream_restorer(self, entities: Iterable[str] | None = None) -> StreamRestorer:
        """A :class:`StreamRestorer` over this session's vault."""
        return StreamRestorer(self, entities=entities)

    # -- persistence ---------------------------------------------------------------------------
    def to_bytes(self, key: bytes) -> bytes:
        """The vault, encrypted (the cache is not persisted: it is rebuilt by use)."""
        blob: bytes = self._vault.to_bytes(key)
        return blob

    @classmethod
    def from_bytes(
        cls,
        blob: bytes,
        key: bytes,
        *,
        redactor: Redactor | None = None,
        conversation_id: str = "",
        cache_size: int = 4096,
    ) -> RedactionSession:
        """Rebuild a session from :meth:`to_bytes` output; a wrong key raises VaultDecryptionError."""
        from guardrails.vault import Vault

        return cls(
            redactor,
            vault=Vault.from_bytes(blob, key),
            conversation_id=conversation_id,
            cache_size=cache_size,
        )


def _newest_values(vault: Vault, count: int) -> list[str]:
    """The values of the ``count`` most recent vault entries, in O(count).

    Entries keep insertion order; walking the vault's table from the end avoids copying all of
    it each turn (``Vault.placeholders()`` is O(size)).
    """
    if count <= 0:
        return []
    table = getattr(vault, "_by_placeholder", None)
    if isinstance(table, dict):
        newest = list(itertools.islice(reversed(table.values()), count))
        return [entry[1] for entry in reversed(newest)]
    names = list(vault.placeholders())[-count:]  # any other Vault: the public, O(size) way
    return [v for p in names if (v := vault.value_of(p)) is not None]


def _entity_set(entities: Iterable[str] | None) -> frozenset[str] | None:
    """Entity names, with group aliases (``"secrets"``, ``"contact"``...) expanded."""
    if entities is None:
        return None
    if isinstance(entities, str):
        raise InputError("entities must be a collection of entity names, not one string")
    out: set[str] = set()
    for name in entities:
        out |= GROUPS.get(name, {name})
    return frozenset(out)


class StreamRestorer:
    """Restores placeholders in streamed text, even when one is split between two deltas.

    ``feed(delta)`` returns what can be shown now; only a tail that may still grow into a
    placeholder (``"<EMAIL_AD"``) is held back, at most 76 characters. ``flush()`` returns the
    rest at the end of the stream.

    Example:
        >>> s = RedactionSession()
        >>> _ = s.redact_text("jane.doe@example.com")
        >>> r = s.stream_restorer()
        >>> [r.feed("Write to <EMAIL_"), r.feed("ADDRESS_1> now"), r.flush()]
        ['Write to ', 'jane.doe@example.com now', '']
    """

    def __init__(self, session: RedactionSession, *, entities: Iterable[str] | None = None) -> None:
        self._session = session
        self._entities = _entity_set(entities)
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


class SessionPersistence(Protocol):
    """Where encrypted vaults live between processes (a table, a KV store, a checkpoint)."""

    def load(self, conversation_id: str) -> bytes | None:
        """The blob saved for ``conversation_id``, or ``None``."""
        ...

    def save(self, conversation_id: str, blob: bytes) -> None:
        """Store the encrypted blob for ``conversation_id``."""
        ...


class InMemorySessionPersistence:
    """A dict-backed :class:`SessionPersistence`, for tests and single-process use.

    Example:
        >>> p = InMemorySessionPersistence()
        >>> p.save("c1", b"sealed")
        >>> p.load("c1"), p.load("c2")
        (b'sealed', None)
    """

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def load(self, conversation_id: str) -> bytes | None:
        return self.blobs.get(conversation_id)

    def save(self, conversation_id: str, blob: bytes) -> None:
        self.blobs[conversation_id] = blob


class SessionStore:
    """Sessions by conversation id: an in-memory LRU, optionally backed by encrypted persistence.

    Args:
        redactor: shared by every session (default: ``Redactor()``).
        persistence: where to load/save vaults; requires ``key``.
        key: the vault encryption key (16/24/32 bytes).
        max_sessions: sessions kept in memory; an evicted one is saved first when it changed.

    Example:
        >>> store = SessionStore()
        >>> store.get("c1") is store.get("c1")
        True
    """

    def __init__(
        self,
        redactor: Redactor | None = None,
        *,
        persistence: SessionPersistence | None = None,
        key: bytes | None = None,
        max_sessions: int = 1024,
        cache_size: int = 4096,
    ) -> None:
        from guardrails.redactor import Redactor

        if persistence is not None and key is None:
            raise ConfigurationError("a SessionStore with persistence needs an encryption key")
        if max_sessions < 1:
            raise ConfigurationError("max_sessions must be >= 1")
        self.redactor = redactor if redactor is not None else Redactor()
        self._persistence = persistence
        self._key = key
        self._max = max_sessions
        self._cache_size = cache_size
        self._sessions: OrderedDict[str, tuple[RedactionSession, int]] = OrderedDict()
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"SessionStore(sessions={len(self._sessions)}, persistent={self._persistence is not None})"

    def get(self, conversation_id: str) -> RedactionSession:
        """The session for ``conversation_id``: from memory, else persistence, else a new one."""
        if not isinstance(conversation_id, str) or not conversation_id:
            raise InputError("conversation_id must be a non-empty string")
        with self._lock:
            found = self._sessions.get(conversation_id)
            if found is not None:
                self._sessions.move_to_end(conversation_id)
                return found[0]
            session = self._load(conversation_id)
            self._sessions[conversation_id] = (session, session.vault_size)
            while len(self._sessions) > self._max:
                old_id, (old, saved_size) = self._sessions.popitem(last=False)
                if old.vault_size != saved_size:
                    self._write(old_id, old)
            return session

    def save(self, conversation_id: str) -> bool:
        """Persist the session's vault if it grew since it was loaded or saved; True if written."""
        with self._lock:
            found = self._sessions.get(conversation_id)
            if found is None or self._persistence is None:
                return False
            session, saved_size = found
            if session.vault_size == saved_size:
                return False
            self._write(conversation_id, session)
            self._sessions[conversation_id] = (session, session.vault_size)
            return True

    def _load(self, conversation_id: str) -> RedactionSession:
        blob = self._persistence.load(conversation_id) if self._persistence else None
        if blob is None:
            return RedactionSession(
                self.redactor, conversation_id=conversation_id, cache_size=self._cache_size
            )
        assert self._key is not None
        return RedactionSession.from_bytes(
            blob,
            self._key,
            redactor=self.redactor,
            conversation_id=conversation_id,
            cache_size=self._cache_size,
        )

    def _write(self, conversation_id: str, session: RedactionSession) -> None:
        if self._persistence is not None and self._key is not None:
            self._persistence.save(conversation_id, session.to_bytes(self._key))
