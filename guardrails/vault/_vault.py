"""The vault: placeholder ↔ value for one scope (a thread, a conversation), thread-safe."""

from __future__ import annotations

import hmac
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, NoReturn, Self

from guardrails._errors import InputError, VaultDecryptionError, VaultError
from guardrails._types import Span
from guardrails.masking._tokens import PLACEHOLDER_RE, token_name
from guardrails.vault import _crypto
from guardrails.vault._matcher import LiteralMatcher

__all__ = ["Vault", "produced_digest"]

_FORMAT = 1
_SEEN_MAX = 4096  # digests of texts this vault produced (see ``_mark_produced``)
_MIN_KNOWN = 2  # a one-character value would match inside everything


def produced_digest(key: bytes, text: str) -> bytes:
    """The keyed digest under which a vault remembers a text the redactor produced.

    One-shot HMAC-SHA256 in C (about twice blake2b's speed where the CPU has SHA extensions);
    it runs over the texts a reused vault sees, so it is a per-byte cost of redact().
    """
    return hmac.digest(key, text.encode("utf-8", "surrogatepass"), "sha256")[:16]


class Vault:
    """Maps reversible placeholders such as ``<EMAIL_ADDRESS_1>`` to the values they replace.

    One vault is one scope: the same value always gets the same placeholder in it. A value it
    holds is masked wherever it reappears in later text, even where detection would miss it.
    ``repr``/``str`` never show values; :meth:`to_bytes` encrypts before anything leaves memory,
    and pickling is refused so a vault cannot be written to a checkpoint in the clear.

    Example:
        >>> vault = Vault()
        >>> vault.placeholder_for("EMAIL_ADDRESS", "jane@example.com")
        '<EMAIL_ADDRESS_1>'
        >>> vault
        Vault(entries=1)
        >>> key = Vault.generate_key()
        >>> Vault.from_bytes(vault.to_bytes(key), key).restore("hi <EMAIL_ADDRESS_1>")
        'hi jane@example.com'
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._by_key: dict[tuple[str, str], str] = {}
        self._by_placeholder: dict[str, tuple[str, str]] = {}
        self._counters: dict[str, int] = {}
        # value -> entity types, and the matcher of known values, for find_known; entries are
        # folded in there (``_index``), not when made: a vault used for one call never needs them
        self._value_entities: dict[str, list[str]] = {}
        self._matcher = LiteralMatcher()
        self._matcher_values: list[str] = []
        self._unindexed: list[tuple[str, str]] = []  # (entity type, value), oldest first
        self._seen: OrderedDict[bytes, None] = OrderedDict()
        self._last: tuple[bytes, str] | None = None  # (key, text) produced, not yet in _seen

    # -- reading and writing entries -------------------------------------------------------
    def placeholder_for(self, entity_type: str, value: str) -> str:
        """Return the placeholder for ``value``, creating ``<ENTITY_TYPE_N>`` on first sight."""
        if not isinstance(entity_type, str) or not isinstance(value, str):
            raise InputError("placeholder_for(entity_type, value) takes two strings")
        key = (entity_type, value)
        existing = self._by_key.get(key)  # a dict read is atomic: no lock for the common case
        if existing is not None:
            return existing
        return self._placeholders([key])[0]  # checks again under the lock

    def _placeholders(self, items: list[tuple[str, str]]) -> list[str]:
        """:meth:`placeholder_for` of many ``(entity_type, value)`` pairs (str), under one lock.

        The redactor's hot path (a dozen new values per KB of agent data), hence one loop with
        no call per value; it only uses it on a plain :class:`Vault` (a subclass may override
        :meth:`placeholder_for`).
        """
        out: list[str] = []
        with self._lock:
            by_key, by_placeholder, counters = self._by_key, self._by_placeholder, self._counters
            unindexed = self._unindexed  # _index swaps it
            for key in items:
                placeholder = by_key.get(key)
                if placeholder is None:
                    name = token_name(key[0])
                    n = counters.get(name, 0) + 1
                    placeholder = f"<{name}_{n}>"
                    while placeholder in by_placeholder:  # only after a hand-edited load
                        n += 1
                        placeholder = f"<{name}_{n}>"
                    counters[name] = n
                    by_key[key] = placeholder
                    by_placeholder[placeholder] = key
                    unindexed.append(key)
                out.append(placeholder)
        return out

    def _add(self, entity_type: str, value: str, placeholder: str) -> None:
        # Loading and copying; :meth:`_placeholders` does the same for new values.
        key = (entity_type, value)
        self._by_key[key] = placeholder
        self._by_placeholder[placeholder] = key
        self._unindexed.append(key)

    def _index(self) -> None:
        # Caller holds the lock. Folds new entries into value -> types (in the order they were
        # made: find_known reports a value's first type) and the matcher of known values.
        if not self._unindexed:
            return
        batch, self._unindexed = self._unindexed, []
        kinds = self._value_entities
        new: list[str] = []
        for entity_type, value in batch:
            types = kinds.get(value)
            if types is None:
                kinds[value] = [entity_type]
                if len(value.strip()) >= _MIN_KNOWN:
                    new.append(value)
            elif entity_type not in types:
                types.append(entity_type)
        if new:
            self._matcher.extend(new)
            self._matcher_values.extend(new)

    def value_of(self, placeholder: str) -> str | None:
        """The value behind ``placeholder``, or None when this vault did not issue it."""
        entry = self._by_placeholder.get(placeholder)
        return entry[1] if entry else None

    def entity_of(self, placeholder: str) -> str | None:
        """The entity type of ``placeholder``, or None when this vault did not issue it."""
        entry = self._by_placeholder.get(placeholder)
        return entry[0] if entry else None

    def known_values(self) -> frozenset[str]:
        """Every raw value held (handle with care: these are the secrets)."""
        with self._lock:
            self._index()
            return frozenset(self._value_entities)

    def placeholders(self) -> dict[str, str]:
        """Placeholder -> entity type, safe to log (no values)."""
        with self._lock:
            return {p: e for p, (e, _v) in self._by_placeholder.items()}

    def __len__(self) -> int:
        return len(self._by_placeholder)

    def __repr__(self) -> str:
        return f"Vault(entries={len(self)})"

    __str__ = __repr__

    # -- used by the redactor ----------------------------------------------------------------
    def find_known(self, text: str, entities: frozenset[str] | None = None) -> list[Span]:
        """Spans of every held value in ``text`` (one pass; the matcher is cached, not rebuilt).

        ``entities`` limits the result to values held under those entity types.
        """
        with self._lock:
            self._index()
            matcher, values, kinds = self._matcher, self._matcher_values, self._value_entities
        spans: list[Span] = []
        for start, end, idx in matcher.find(text):
            value = values[idx]
            entity = next(
                (e for e in kinds[value] if entities is None or e in entities),
                None,
            )
            if entity is not None:
                spans.append(
                    Span(
                        start=start,
                        end=end,
                        entity_type=entity,
                        score=1.0,
                        value=value,
                        detector="vault",
                    )
                )
        return spans

    def _has_produced(self) -> bool:
        return self._last is not None or bool(self._seen)

    def _was_produced(self, digest: bytes) -> bool:
        with self._lock:
            self._remember_last()
            if digest in self._seen:
                self._seen.move_to_end(digest)
                return True
            return False

    def _mark_produced(self, key: bytes, text: str, digest: bytes | None = None) -> None:
        """Remember a text the redactor produced: re-sent history is then not re-detected, only
        scanned for known values, so a turn costs what is new in it.

        ``digest`` is ``produced_digest(key, text)`` when the caller has it. Else the text is
        kept as it is and digested only when another text is looked up or marked: a vault used
        for one call (``Redactor().redact(text)``) never pays for it. The one text held is
        output, which the caller holds anyway.
        """
        with self._lock:
            self._remember_last()
            if digest is None:
                self._last = (key, text)
            else:
                self._remember(digest)

    def _remember_last(self) -> None:
        # Caller holds the lock.
        if self._last is not None:
            key, text = self._last
            self._last = None
            self._remember(produced_digest(key, text))

    def _remember(self, digest: bytes) -> None:
        # Caller holds the lock.
        self._seen[digest] = None
        while len(self._seen) > _SEEN_MAX:
            self._seen.popitem(last=False)

    # -- restoring ---------------------------------------------------------------------------
    def restore(self, obj: Any, *, entities: Iterable[str] | None = None) -> Any:
        """Put the values back into text or structured data; unknown placeholders stay as they are.

        Args:
            obj: a string, or dicts/lists/tuples/models/JSON strings nested anywhere.
            entities: restore only placeholders of these entity types (names or groups).
        """
        from guardrails.vault._restore import restore_obj

        return restore_obj(self, obj, entities=entities)

    def restore_text(self, text: str, allowed: frozenset[str] | None = None) -> str:
        """Restore the placeholders in one string (``allowed`` = entity types, None = all)."""
        if "<" not in text:
            return text
        table = self._by_placeholder

        def sub(match: Any) -> str:
            entry = table.get(match.group())
            if entry is None or (allowed is not None and entry[0] not in allowed):
                return str(match.group())
            return entry[1]

        return PLACEHOLDER_RE.sub(sub, text)

    # -- serialization -----------------------------------------------------------------------
    @staticmethod
    def generate_key() -> bytes:
        """A fresh random 256-bit key for :meth:`to_bytes` (keep it in your secret store)."""
        return _crypto.generate_key()

    def to_bytes(self, key: bytes) -> bytes:
        """Serialize, encrypted with AES-256-GCM under ``key``, for checkpoints and storage."""
        with self._lock:
            document = {
                "format": _FORMAT,
                "entries": [[e, v, p] for p, (e, v) in self._by_placeholder.items()],
                "counters": dict(self._counters),
            }
        return _crypto.seal(document, key)

    @classmethod
    def from_bytes(cls, blob: bytes, key: bytes) -> Self:
        """Load a vault written by :meth:`to_bytes`.

        Raises:
            VaultDecryptionError: another key, altered or truncated data.
        """
        document = _crypto.open_blob(blob, key)
        vault = cls()
        try:
            if document["format"] != _FORMAT:
                raise VaultDecryptionError("unsupported vault format version")
            for entity, value, placeholder in document["entries"]:
                if not all(isinstance(x, str) for x in (entity, value, placeholder)):
                    raise TypeError
                vault._add(entity, value, placeholder)
            for name, n in document["counters"].items():
                vault._counters[str(name)] = int(n)
        except (KeyError, TypeError, ValueError):
            raise VaultDecryptionError("the decrypted vault is not valid") from None
        return vault

    def copy(self) -> Vault:
        """An independent copy (same entries and counters)."""
        with self._lock:
            other = Vault()
            for p, (e, v) in self._by_placeholder.items():
                other._add(e, v, p)
            other._counters = dict(self._counters)
            return other

    def __copy__(self) -> Vault:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> Vault:
        return self.copy()

    def __reduce__(self) -> NoReturn:
        raise VaultError("a Vault is not picklable in the clear; use vault.to_bytes(key)")
