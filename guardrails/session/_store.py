"""Sessions by conversation id: an in-memory LRU, optionally backed by encrypted persistence."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Protocol

from guardrails._errors import ConfigurationError, InputError, VaultDecryptionError
from guardrails.session._session import RedactionSession

if TYPE_CHECKING:
    from guardrails.redactor import Redactor

__all__ = ["InMemorySessionPersistence", "SessionPersistence", "SessionStore"]

_LABEL = b"AGCONVERSATIONVAULT1"  # the label of the per-conversation vault key


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
        accept_unbound_vaults: a one-time migration switch. A blob encrypted under the store
            key itself (the format written before vaults were bound to their conversation)
            opens in *any* conversation's slot, so by default it is refused
            (:class:`~guardrails.VaultDecryptionError`). With ``True`` it opens, and the next
            :meth:`save` (or eviction) rewrites it bound to its conversation even if the vault
            did not grow. Turn it off again once the old blobs are rewritten.

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
        accept_unbound_vaults: bool = False,
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
        self._accept_unbound = accept_unbound_vaults
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
            session, bound = self._load(conversation_id)
            # An unbound blob (opened by the migration switch) counts as unsaved: the next
            # save rewrites it bound even when the vault did not grow.
            self._sessions[conversation_id] = (session, session.vault_size if bound else -1)
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

    def _load(self, conversation_id: str) -> tuple[RedactionSession, bool]:
        """(the conversation's session, whether its stored blob was bound to it)."""
        blob = self._persistence.load(conversation_id) if self._persistence else None
        if blob is None:
            new = RedactionSession(
                self.redactor, conversation_id=conversation_id, cache_size=self._cache_size
            )
            return new, True
        assert self._key is not None
        try:
            return self._open(blob, self._conversation_key(conversation_id), conversation_id), True
        except VaultDecryptionError:
            pass
        # Not this conversation's vault. Under the store key itself it is a blob written
        # before vaults were bound to their conversation: it would open in any slot it is
        # copied to, so only the owner's explicit migration switch accepts it.
        try:
            legacy = self._open(blob, self._key, conversation_id)
        except VaultDecryptionError:
            raise VaultDecryptionError(
                "the stored vault does not open for this conversation "
                "(another conversation's vault, another key, or altered)"
            ) from None
        if not self._accept_unbound:
            raise VaultDecryptionError(
                "the stored vault was written before vaults were bound to their conversation "
                "and could have been copied from another one; it is refused unless the store "
                "is built with accept_unbound_vaults=True (a one-time migration)"
            )
        return legacy, False

    def _open(self, blob: bytes, key: bytes, conversation_id: str) -> RedactionSession:
        return RedactionSession.from_bytes(
            blob,
            key,
            redactor=self.redactor,
            conversation_id=conversation_id,
            cache_size=self._cache_size,
        )

    def _conversation_key(self, conversation_id: str) -> bytes:
        """The key one conversation's vault is encrypted with, derived from the store key: a
        vault copied to another conversation's slot does not open there."""
        assert self._key is not None
        label = _LABEL + conversation_id.encode("utf-8", "surrogatepass")
        return hmac.new(self._key, label, hashlib.sha256).digest()

    def _write(self, conversation_id: str, session: RedactionSession) -> None:
        if self._persistence is not None and self._key is not None:
            key = self._conversation_key(conversation_id)
            self._persistence.save(conversation_id, session.to_bytes(key))
