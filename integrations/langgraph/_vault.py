"""The thread's vault in graph state: encrypted, merged safely, cached per process.

State holds ``{"n": <values>, "blob": <base64 of the encrypted vault>}``: no raw value is ever in
state, checkpoints or a Studio view. Parallel tool calls of one turn share this process's session
for the thread, so they number new placeholders consistently; each writes the whole vault and
the :func:`merge_vaults` reducer keeps the larger one (the vault only grows).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from guardrails import ConfigurationError, VaultDecryptionError
from guardrails.session import RedactionSession

__all__ = ["VaultKeeper", "merge_vaults", "vault_key_from_env"]

VAULT_KEY = "guardrails_vault"
_ENV = "GUARDRAILS_VAULT_KEY"
_RECORD = b"AGRECORD1"  # sealed records (ledger results): header, AAD prefix, key label
_TAG = b"AGSTATETAG1"  # the label of the key that authenticates values kept in state
_THREAD = b"AGTHREADVAULT1"  # the label of the per-thread vault key
_V2 = "v2."  # a vault blob bound to its thread: "v2." + base64url(thread id) + "." + base64


def merge_vaults(
    left: Mapping[str, Any] | None, right: Mapping[str, Any] | None
) -> Mapping[str, Any] | None:
    """Reducer for the vault channel: keep the vault that holds more values."""
    if not right:
        return left
    if not left:
        return right
    return right if int(right.get("n", 0)) >= int(left.get("n", 0)) else left


def vault_key_from_env() -> bytes:
    """``GUARDRAILS_VAULT_KEY`` (base64 or hex of 16/24/32 bytes), else a fresh per-process key.

    A per-process key means a vault cannot be read after a restart: set the variable (or pass
    ``vault_key=``) for threads that outlive the process.
    """
    raw = os.environ.get(_ENV)
    if not raw:
        return os.urandom(32)
    for decode in (bytes.fromhex, base64.b64decode):
        try:
            key = decode(raw)
        except ValueError:
            continue
        if len(key) in (16, 24, 32):
            return key
    raise ConfigurationError(f"{_ENV} must be 16, 24 or 32 bytes in hex or base64")


class VaultKeeper:
    """Per-thread redaction sessions, loaded from and saved to graph state.

    Example:
        >>> from guardrails import Redactor
        >>> keeper = VaultKeeper(redactor=Redactor(), key=b"k" * 32)
        >>> s = keeper.session("t1", None)
        >>> s.redact_text("mail jane.doe@example.com")
        'mail <EMAIL_ADDRESS_1>'
        >>> state = {"guardrails_vault": keeper.dump(s)}
        >>> other = VaultKeeper(redactor=Redactor(), key=b"k" * 32)  # e.g. after a restart
        >>> other.restore("hi <EMAIL_ADDRESS_1>", state, "t1")
        'hi jane.doe@example.com'

    ``accept_unbound_vaults``: a one-time migration switch. A vault blob written before vaults
    were bound to their thread (encrypted under the vault key itself) would open in any thread
    it is copied into, so by default it is refused (:class:`~guardrails.VaultDecryptionError`,
    nothing restored). With ``True`` it opens, and the next vault write to state rewrites it
    bound to its thread (see :meth:`holds`).
    """

    def __init__(
        self,
        *,
        redactor: Any,
        key: bytes | None,
        max_threads: int = 1024,
        accept_unbound_vaults: bool = False,
    ) -> None:
        key = key if key is not None else vault_key_from_env()
        if not isinstance(key, bytes) or len(key) not in (16, 24, 32):
            raise ConfigurationError("vault_key must be 16, 24 or 32 bytes")
        self._key = key
        self.redactor = redactor
        self._sessions: OrderedDict[str, RedactionSession] = OrderedDict()
        # id(session) -> (session, vault, size, state value): the last encrypted dump. A vault
        # only grows and its document (entries + counters) changes only when it does, so the
        # same vault object at the same size serializes to the same plaintext: re-sending the
        # ciphertext already made saves an AES-GCM seal per hook. Holding the session keeps
        # its id from being reused while the entry lives.
        self._dumps: OrderedDict[int, tuple[RedactionSession, Any, int, dict[str, Any]]] = (
            OrderedDict()
        )
        self._max = max_threads
        self._accept_unbound = accept_unbound_vaults
        self._lock = threading.RLock()
        # Records sealed under a key derived from the vault key: never confusable with a vault.
        self._records = AESGCM(hmac.new(key, _RECORD, hashlib.sha256).digest())
        self._tags = hmac.new(key, _TAG, hashlib.sha256).digest()

    def session(self, thread_id: str, state: Any) -> RedactionSession:
        """The thread's session; reloaded from ``state`` when state knows more values.

        A vault is encrypted under a key derived for its thread: a vault copied from another
        thread into this one's state (a ``Command(update=...)`` with a blob read from a thread
        one may view) does not open here. The live session is kept when there is one; with
        none, the thread fails closed (:class:`~guardrails.VaultDecryptionError`).
        """
        stored = _get(state, VAULT_KEY)
        with self._lock:
            live = self._sessions.get(thread_id) if thread_id else None
            session = live
            if session is None or (stored and int(stored.get("n", 0)) > session.vault_size):
                if stored and stored.get("blob"):
                    if not (self._accept_unbound or str(stored["blob"]).startswith(_V2)):
                        if live is None:
                            raise VaultDecryptionError(
                                "the vault in this thread's state was written before vaults "
                                "were bound to their thread and could have been copied from "
                                "another one; it is refused unless the graph is built with "
                                "accept_unbound_vaults=True (a one-time migration)"
                            )
                        session = live
                    else:
                        session = self._load(str(stored["blob"]), thread_id, live)
                else:
                    session = RedactionSession(self.redactor, conversation_id=thread_id)
                if thread_id:
                    self._sessions[thread_id] = session
            if thread_id:
                self._sessions.move_to_end(thread_id)
                while len(self._sessions) > self._max:
                    self._sessions.popitem(last=False)
            return session

    def _load(self, blob: str, thread_id: str, live: RedactionSession | None) -> RedactionSession:
        """The vault in state opened for ``thread_id``; ``live`` (this process's session) when
        it does not open, else fail closed."""
        try:
            return self._open_vault(blob, thread_id)
        except (VaultDecryptionError, ValueError, binascii.Error):
            if live is None:
                raise VaultDecryptionError(
                    "the vault in this thread's state does not open for this thread"
                ) from None
            return live

    def holds(self, stored: Any, session: RedactionSession) -> bool:
        """Whether ``stored`` (the state's vault value) already is ``session``'s vault, bound to
        its thread: no write needed. An unbound blob opened by ``accept_unbound_vaults`` is not,
        so the next vault write rewrites it bound even when the vault did not grow."""
        return (
            isinstance(stored, Mapping)
            and stored.get("n") == session.vault_size
            and str(stored.get("blob", "")).startswith(_V2)
        )

    def dump(self, session: RedactionSession) -> dict[str, Any]:
        """The state value for ``session``'s vault (encrypted)."""
        with self._lock:
            vault, size = session.vault, session.vault_size
            cached = self._dumps.get(id(session))
            if (
                cached is not None
                and cached[0] is session
                and cached[1] is vault
                and cached[2] == size
            ):
                self._dumps.move_to_end(id(session))
                return dict(cached[3])
            thread = session.conversation_id
            sealed = session.to_bytes(self._thread_key(thread))
            label = base64.urlsafe_b64encode(thread.encode("utf-8", "surrogatepass"))
            value = {
                "n": size,
                "blob": f"{_V2}{label.decode('ascii')}.{base64.b64encode(sealed).decode('ascii')}",
            }
            self._dumps[id(session)] = (session, vault, size, value)
            self._dumps.move_to_end(id(session))
            while len(self._dumps) > self._max:
                self._dumps.popitem(last=False)
            return dict(value)

    def _thread_key(self, thread_id: str) -> bytes:
        """The key a thread's vault is encrypted with (derived from the vault key)."""
        label = _THREAD + thread_id.encode("utf-8", "surrogatepass")
        return hmac.new(self._key, label, hashlib.sha256).digest()

    def _open_vault(self, blob: str, thread_id: str) -> RedactionSession:
        """Decrypt a stored vault for ``thread_id`` (``""``: the thread it names, for callers
        restoring an end user's answer from a state they hold)."""
        if blob.startswith(_V2):
            label, _, body = blob[len(_V2) :].partition(".")
            named = base64.urlsafe_b64decode(label).decode("utf-8", "surrogatepass")
            key = self._thread_key(thread_id or named)
            data = base64.b64decode(body, validate=True)
        else:  # written before vaults were bound: only with accept_unbound_vaults
            key, data = self._key, base64.b64decode(blob)
        return RedactionSession.from_bytes(
            data, key, redactor=self.redactor, conversation_id=thread_id
        )

    def seal(self, data: bytes, bound_to: str) -> str:
        """``data`` encrypted (AES-GCM) for storage outside state, bound to ``bound_to``.

        For what must survive a restart *raw* without being stored in the clear: a tool's result
        kept by the execution ledger is redacted again, with the thread's vault as it is then,
        when it is replayed (see :class:`~integrations.langgraph.GraphGuard`).
        """
        nonce = os.urandom(12)
        blob = self._records.encrypt(nonce, data, _RECORD + bound_to.encode("utf-8"))
        return binascii.b2a_base64(nonce + blob, newline=False).decode("ascii")

    def open(self, text: str, bound_to: str) -> bytes | None:
        """What :meth:`seal` sealed, or ``None`` (another key, altered, or another binding)."""
        try:
            raw = base64.b64decode(text, validate=True)
            return self._records.decrypt(raw[:12], raw[12:], _RECORD + bound_to.encode("utf-8"))
        except (InvalidTag, ValueError):
            return None

    def tag(self, *parts: str) -> str:
        """An HMAC (key derived from the vault key) over ``parts``: authenticates a value kept
        in graph state, which tools, resumes and ``update_state`` can all write."""
        mac = hmac.new(self._tags, digestmod=hashlib.sha256)
        for part in parts:
            data = part.encode("utf-8", "surrogatepass")
            mac.update(len(data).to_bytes(8, "big") + data)
        return mac.hexdigest()

    def restore(self, value: Any, state: Any, thread_id: str = "", entities: Any = None) -> Any:
        """Placeholders in ``value`` replaced by the thread's real values (for the end user)."""
        session = self.session(thread_id, state)
        if isinstance(value, str):
            return session.restore_text(value, entities)
        return session.restore_data(value, entities)


def _get(state: Any, key: str) -> Any:
    if isinstance(state, Mapping):
        return state.get(key)
    return getattr(state, key, None)
