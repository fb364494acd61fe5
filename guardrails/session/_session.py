"""The :class:`RedactionSession`: one conversation's vault and redaction cache (see the package)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast

import orjson

from guardrails._errors import ConfigurationError, InputError, RedactionError
from guardrails.session import _history, _keys

if TYPE_CHECKING:
    from guardrails.redactor import Redactor
    from guardrails.session._stream import StreamRestorer
    from guardrails.vault import Vault

__all__ = ["CacheStats", "RedactionSession"]


def _as_bytes(redacted: Any) -> bytes:
    if isinstance(redacted, str):
        return _keys.utf8(redacted)
    if isinstance(redacted, bytes):
        return redacted
    return _keys.dumps(redacted) or _keys.utf8(repr(redacted))


T = TypeVar("T")

# Fix-up passes over a history: a redo rarely teaches the vault anything new.
_MAX_PASSES = 4
# Texts that redact to themselves, remembered as such: how many, and up to what length.
_CLEAN_ITEMS = 256
_CLEAN_CHARS = 256


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


@dataclass(slots=True, kw_only=True)
class _History:
    """The previous call of :meth:`RedactionSession.redact_history` for one kind.

    ``checkpoints`` are ``(count, end, digest)`` of the list's JSON up to the end of its first
    ``count`` items (``end`` bytes, without the closing bracket), for its last few items; every
    item's result is valid for a vault of ``vault_size`` values (the smallest stamp). No raw
    text is kept, only digests.
    """

    seen: list[_Seen | None]
    out: list[Any]
    checkpoints: tuple[_history.Checkpoint, ...]
    vault_size: int


@dataclass(slots=True)
class _Entry:
    redacted: Any  # a str, or the JSON bytes of a structured item
    vault_size: int


def _weight(redacted: Any) -> int:
    """What an entry counts against ``cache_bytes``: its text's length plus a fixed overhead
    (the key, the entry, the dict slot), so that many tiny items are bounded too."""
    return (len(redacted) if isinstance(redacted, str | bytes) else 0) + 200


class RedactionSession:
    """One conversation's vault and redaction cache.

    Args:
        redactor: the :class:`~guardrails.Redactor` to use (default: ``Redactor()``).
        vault: the conversation's vault (default: a new empty one).
        conversation_id: an opaque id, used by :class:`SessionStore` and in audit events.
        cache_size: how many redacted items to remember (least recently used are dropped).
        cache_bytes: the most text the cache holds, summed over its redacted items (least
            recently used are dropped first; an item larger than this is not cached).

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
        cache_bytes: int = 32 * 1024 * 1024,
    ) -> None:
        from guardrails.redactor import Redactor
        from guardrails.vault import Vault

        if cache_size < 0:
            raise ConfigurationError("cache_size must be >= 0")
        if cache_bytes < 0:
            raise ConfigurationError("cache_bytes must be >= 0")
        self.redactor: Redactor = redactor if redactor is not None else Redactor()
        self.conversation_id = conversation_id
        self._vault: Vault = vault if vault is not None else Vault()
        self._cache: OrderedDict[bytes, _Entry] = OrderedDict()
        self._cache_size = cache_size
        self._cache_bytes = cache_bytes
        self._cache_used = 0  # the sum of _weight over the cached entries
        self._known: list[tuple[bytes, bytes]] = []
        self._histories: dict[str, _History] = {}
        # Short texts that redact to themselves -> the vault size that holds for. Only texts
        # equal to their redacted form are kept, like the cache.
        self._clean: dict[str, int] = {}
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
            self._cache_used = 0
            self._known = []
            self._histories.clear()
            self._clean.clear()

    @property
    def vault_size(self) -> int:
        """How many values the vault holds; grows monotonically."""
        return len(self._vault)

    # -- redaction -----------------------------------------------------------------------------
    def redact_text(self, text: str) -> str:
        """Redact ``text`` with the conversation's vault; re-sent text is served from the cache.

        The masked text is cached as its own result too: masking is idempotent in the same
        vault (a property the redactor's tests hold it to), so a history that sends back what
        this session masked (a tool output in the next model call) is not scanned again.
        """
        if not isinstance(text, str):
            raise InputError(f"redact_text expects str, got {type(text).__name__}")
        if text in self._clean and self._still_clean(text):
            return text

        def scan() -> str:
            result = self.redactor.redact(text, vault=self._vault)
            self.stats.count(result.counts)
            return result.text

        size = len(self._vault)
        out = str(self._cached("t", _keys.utf8(text), scan, fixpoint=_keys.utf8))
        if out == text and len(text) <= _CLEAN_CHARS and self._cache_size:
            self._remember_clean(text, size)
        return out

    def first_changed(self, texts: Sequence[str]) -> int | None:
        """The index of the first of ``texts`` that :meth:`redact_text` changes (redacting them
        in order, as :meth:`redact_text` would), or None when each comes back unchanged.

        For texts that must pass unchanged or not leave at all (a request's path and headers):
        when each came back unchanged before, one substring check over all of them for the
        values the vault learned since replaces a check per text.
        """
        with self._lock:
            stamps = [self._clean.get(text) for text in texts]
            size = len(self._vault)
            if texts and None not in stamps:
                known = cast("list[int]", stamps)
                low = min(known)
                if max(known) <= size and (
                    low == size or not self._learned_since(low, _keys.utf8("\n".join(texts)))
                ):
                    for text in texts:
                        self._clean[text] = size
                    self.stats.hits += len(texts)
                    return None
        for i, text in enumerate(texts):
            if self.redact_text(text) != text:
                return i
        return None

    def _still_clean(self, text: str) -> bool:
        """``text`` redacts to itself and no value the vault learned since is in it (re-stamped
        then); else it is forgotten."""
        with self._lock:
            stamp = self._clean.get(text)
            size = len(self._vault)
            if stamp is None:
                return False
            if stamp > size or (stamp < size and self._learned_since(stamp, _keys.utf8(text))):
                del self._clean[text]
                return False
            self._clean[text] = size
            self.stats.hits += 1
            return True

    def _remember_clean(self, text: str, size: int) -> None:
        """Remember that ``text``, redacted with a vault of at least ``size`` values, came back
        unchanged (a header, a path, a model name: the same few short texts every request)."""
        with self._lock:
            if len(self._clean) >= min(_CLEAN_ITEMS, self._cache_size):  # cache_size bounds it too
                self._clean.clear()
            self._clean[text] = self._stamp(size, text)

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

            return cast(T, self._cached("s", _keys.utf8(source), scan_str))
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
        blob = _keys.dumps(obj) if parsed_json or _keys.json_native(obj) else None
        if blob is None:
            return redact(obj)
        result: T = self._redact_json(obj, blob, _keys.digest(kind, blob), redact, kind)[0]
        return result

    def _redact_json(
        self, obj: Any, blob: bytes, key: bytes, redact: Callable[[Any], Any], kind: str
    ) -> tuple[Any, int]:
        """:meth:`redact_item` for ``obj`` written as ``blob`` (cache key ``key``), and the
        vault size the result is valid for."""

        def scan() -> bytes:
            out = _keys.dumps(redact(obj))
            if out is None:  # a redact() that returned non-JSON: fail closed, not open
                raise RedactionError("the redacted item is not JSON-serializable")
            return out

        raw, stamp = self._cached_stamped(kind, blob, scan, key=key)
        return orjson.loads(raw), stamp

    def redact_history(
        self, items: list[Any], redact: Callable[[int, Any], Any], *, kind: str
    ) -> list[Any]:
        """Redact a list that is re-sent with additions turn after turn (a parsed JSON history).

        Like :meth:`redact_item` for each item (``redact(index, item)``), plus:

        * a prefix fast path: when the list starts with the items of the previous call of this
          ``kind`` (all of them, or all but its last few: the client re-sent its history and
          added to it, or replaced its last message), those items are recognised by one digest
          of their JSON and checked for values the vault learned since with one substring
          search per value, instead of a digest and a check per item;
        * a positional fast path for the other items: an item whose digest equals the one at the
          same position in the previous call reuses that result without a cache lookup or a
          copy (the vault-growth check applies as for any cache hit);
        * a fixpoint: when a later item teaches the vault a value (a tool result naming a person)
          that an earlier item holds, the earlier item is redone before returning.

        Returned items may be shared with earlier calls: encode them, do not mutate them.
        ``items`` must come from ``json.loads``.
        """
        with self._lock:
            previous = self._histories.get(kind) if self._cache_size else None
            whole = _keys.dumps(items) if self._cache_size else None
            served, served_end, hasher = self._served_prefix(kind, previous, whole)
            # The items [0, block) are checked as one block, valid for the vault size block_stamp.
            block, block_stamp = served, len(self._vault)
            seen_before = previous.seen if previous is not None else []
            current: list[_Seen | None] = seen_before[:served]
            out: list[Any] = previous.out[:served] if previous is not None else []
            blobs: list[bytes | None] = [None] * served
            ends: list[int] = []  # where the JSON of item served + j ends in ``whole``
            end = served_end
            self.stats.hits += served
            for i in range(served, len(items)):
                item = items[i]
                blob = _keys.dumps(item)
                blobs.append(blob)
                if blob is None:  # orjson refuses it (a huge int...): no caching for this one
                    out.append(redact(i, item))
                    current.append(None)
                    continue
                end += len(blob) + 1  # the item and the "[" or "," before it
                ends.append(end)
                digest = _keys.digest(kind, blob)
                seen = seen_before[i] if i < len(seen_before) else None
                if seen is not None and seen.digest == digest and self._still_valid(seen, blob):
                    self.stats.hits += 1
                    out.append(seen.redacted)
                    current.append(seen)
                    continue
                redacted, stamp = self._redact_json(item, blob, digest, partial(redact, i), kind)
                out.append(redacted)
                current.append(_Seen(digest=digest, redacted=redacted, vault_size=stamp))
            for _ in range(_MAX_PASSES):
                if block and whole is not None:
                    now = len(self._vault)
                    if now > block_stamp and self._found_since(block_stamp, whole, served_end):
                        # A value learned meanwhile is in an old item: check them one by one.
                        for i in range(block):
                            blobs[i] = _keys.dumps(items[i])
                            old = current[i]
                            assert old is not None  # a list written as JSON has no None entry
                            old.vault_size = max(old.vault_size, block_stamp)
                        block = 0
                    else:
                        block_stamp = now
                stale = [
                    i
                    for i in range(block, len(items))
                    if (seen := current[i]) is not None
                    and (blob := blobs[i]) is not None
                    and not self._still_valid(seen, blob)
                ]
                if not stale:
                    break
                for i in stale:
                    old, blob = current[i], blobs[i]
                    assert old is not None
                    assert blob is not None
                    redacted, stamp = self._redact_json(
                        items[i], blob, old.digest, partial(redact, i), kind
                    )
                    out[i] = redacted
                    current[i] = _Seen(digest=old.digest, redacted=redacted, vault_size=stamp)
            if self._cache_size:
                kept = previous.checkpoints if previous is not None else ()
                kept = tuple(c for c in kept if c[0] <= served)
                self._remember_history(
                    kind,
                    _History(
                        seen=current,
                        out=out,
                        checkpoints=_history.checkpoints_after(
                            kept, whole, ends, hasher, (served, served_end)
                        ),
                        vault_size=self._history_stamp(current, block, block_stamp),
                    ),
                )
            return out

    def _served_prefix(
        self, kind: str, previous: _History | None, whole: bytes | None
    ) -> tuple[int, int, Any]:
        """How many leading items are items of the previous call, unchanged (see
        :mod:`guardrails.session._history`) and still valid (0: none), where their JSON ends in
        ``whole``, and a hasher fed ``whole`` up to there."""
        if previous is None or whole is None:
            return 0, 0, _keys.history_hasher(kind)
        count, end, hasher = _history.matched_prefix(kind, previous.checkpoints, whole)
        size = len(self._vault)
        if count and (
            previous.vault_size > size
            or (previous.vault_size < size and self._found_since(previous.vault_size, whole, end))
        ):  # a value learned since is in an old item: the per-item path finds which
            return 0, 0, _keys.history_hasher(kind)
        return count, end, hasher

    def _history_stamp(self, current: list[_Seen | None], block: int, block_stamp: int) -> int:
        """The vault size every item of ``current`` is valid for (the smallest stamp)."""
        stamp = block_stamp if block else len(self._vault)
        for i in range(block, len(current)):
            seen = current[i]
            if seen is not None and seen.vault_size < stamp:
                stamp = seen.vault_size
        return stamp

    def _remember_history(self, kind: str, history: _History) -> None:
        """Keep ``history`` for the next call of ``kind`` (caller holds the lock)."""
        self._histories[kind] = history
        if len(self._histories) > 64:  # kinds are few; never grow this unbounded
            self._histories.pop(next(iter(self._histories)))

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
            data = _keys.utf8(data)
        with self._lock:
            return len(self._vault) > size and self._learned_since(size, data)

    def _cached(
        self,
        kind: str,
        blob: bytes,
        scan: Callable[[], Any],
        *,
        fixpoint: Callable[[Any], bytes] | None = None,
    ) -> Any:
        """``scan()`` for ``blob``, cached and stamped with the vault size it is valid for.

        ``fixpoint`` (masking is idempotent in the same vault) also caches the result as the
        result of its own key (``fixpoint(result)``), with the same stamp, in the same lock.
        """
        return self._cached_stamped(kind, blob, scan, fixpoint=fixpoint)[0]

    def _cached_stamped(
        self,
        kind: str,
        blob: bytes,
        scan: Callable[[], Any],
        *,
        fixpoint: Callable[[Any], bytes] | None = None,
        key: bytes | None = None,
    ) -> tuple[Any, int]:
        """:meth:`_cached`, and the vault size the result is valid for (``key``: the digest of
        ``kind`` and ``blob`` when the caller has it already)."""
        if key is None:
            key = _keys.digest(kind, blob)
        with self._lock:
            entry = self._cache.get(key)
            size = len(self._vault)
            if entry is not None and entry.vault_size <= size:
                if entry.vault_size == size or not self._learned_since(entry.vault_size, blob):
                    entry.vault_size = size
                    self._cache.move_to_end(key)
                    self.stats.hits += 1
                    if fixpoint is not None:
                        self._remember(kind, blob, fixpoint(entry.redacted), entry.redacted, size)
                    return entry.redacted, size
                self.stats.rechecks += 1
            self.stats.misses += 1
            redacted = scan()
            stamp = self._stamp(size, redacted)
            if self._cache_size:
                self._put(key, _Entry(redacted=redacted, vault_size=stamp))
                if fixpoint is not None:
                    self._remember(kind, blob, fixpoint(redacted), redacted, stamp)
            return redacted, stamp

    def _stamp(self, size: int, redacted: Any) -> int:
        """The vault size a result computed from a vault of ``size`` values is valid for.

        The vault may be taught by other threads while a scan runs (writers that do not take
        this lock: uncached structured items, the guard's output redaction). A value learned
        meanwhile that is still raw in the result makes it stale: it keeps the size before the
        scan, so the next hit rechecks it instead of serving it as valid.
        """
        now = len(self._vault)
        if now > size and self._learned_since(size, _as_bytes(redacted)):
            return size
        return now

    def _remember(self, kind: str, blob: bytes, out: bytes, redacted: Any, stamp: int) -> None:
        """Cache ``redacted`` as the result for its own form ``out`` (a fixpoint), with the stamp
        of the entry it comes from (caller holds the lock)."""
        if out == blob or not self._cache_size:
            return
        key = _keys.digest(kind, out)
        if key not in self._cache:
            self._put(key, _Entry(redacted=redacted, vault_size=stamp))

    def _put(self, key: bytes, entry: _Entry) -> None:
        """Cache ``entry`` as the most recent, then drop the least recent until both bounds
        hold (caller holds the lock)."""
        weight = _weight(entry.redacted)
        if weight > self._cache_bytes:
            return
        old = self._cache.pop(key, None)
        if old is not None:
            self._cache_used -= _weight(old.redacted)
        self._cache[key] = entry
        self._cache_used += weight
        while len(self._cache) > self._cache_size or self._cache_used > self._cache_bytes:
            _, dropped = self._cache.popitem(last=False)
            self._cache_used -= _weight(dropped.redacted)

    def _learned_since(self, size: int, blob: bytes) -> bool:
        """Does ``blob`` contain a value the vault learned after it held ``size`` entries?"""
        return any(v in blob or e in blob for v, e in self._values_since(size))

    def _found_since(self, size: int, blob: bytes, end: int) -> bool:
        """:meth:`_learned_since` for ``blob[:end]``, without copying it."""
        for v, e in self._values_since(size):
            if blob.find(v, 0, end) >= 0 or (e != v and blob.find(e, 0, end) >= 0):
                return True
        return False

    def _values_since(self, size: int) -> list[tuple[bytes, bytes]]:
        # (value, JSON-escaped value) of the vault's entries in insertion order, extended with
        # only the new entries as the vault grows; a check reads the slice after ``size``.
        known = self._known
        now = len(self._vault)
        if len(known) < now:
            known.extend(
                (_keys.utf8(v), _keys.escaped(v))
                for v in _keys.newest_values(self._vault, now - len(known))
            )
        return known[size:now]

    # -- restoring -----------------------------------------------------------------------------
    def restore_text(self, text: str, entities: Iterable[str] | None = None) -> str:
        """Replace known placeholders (of ``entities`` only, when given); unknown ones stay."""
        if not isinstance(text, str):
            raise InputError(f"restore_text expects str, got {type(text).__name__}")
        return self._vault.restore_text(text, _keys.entity_set(entities))

    def restore_data(self, obj: T, entities: Iterable[str] | None = None) -> T:
        """Restore placeholders in every string of a structured value (same shape back)."""
        restored: T = self._vault.restore(obj, entities=_keys.entity_set(entities))
        return restored

    def stream_restorer(self, entities: Iterable[str] | None = None) -> StreamRestorer:
        """A :class:`StreamRestorer` over this session's vault."""
        from guardrails.session._stream import StreamRestorer

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
