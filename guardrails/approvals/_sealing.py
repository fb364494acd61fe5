"""Edited arguments at rest: sealed with AES-256-GCM inside the stored request.

An edit carries the arguments the reviewer typed, which are what the tool will receive (they may
hold values the reviewer wrote in clear). The SQLite and PostgreSQL stores never write them in
clear: ``edited_args`` is stored as ``{"sealed": "<base64 nonce || ciphertext>"}``, authenticated
with the request id (a sealed edit copied onto another request does not open).

The key is the store's ``data_key`` or, by default, a random secret the store keeps in its own
database: that default keeps edits out of the request rows (exports, admin views, logs of the
``data`` column) but not out of a full copy of the database; pass a ``data_key`` kept elsewhere
(a secret manager) for that.

Example:
    >>> sealer = Sealer(b"k" * 32)
    >>> blob = sealer.seal("apr_1", {"amount": 7})
    >>> sealer.open("apr_1", blob)
    {'amount': 7}
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Callable
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from guardrails._errors import ConfigurationError, InputError

__all__ = ["SEALED", "LazySealer", "Sealer"]

SEALED = "sealed"
_NONCE = 12
_AAD = b"guardrails.edited_args.v1:"


class Sealer:
    """AES-256-GCM for one request's edited arguments (the key never shows in reprs)."""

    __slots__ = ("_cipher",)

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes) or len(key) != 32:
            raise ConfigurationError("data_key must be 32 bytes (AES-256)")
        self._cipher = AESGCM(key)

    def __repr__(self) -> str:
        return "Sealer(<key>)"

    def seal(self, request_id: str, args: Any) -> str:
        """The sealed text of ``args`` (plain JSON) for ``request_id``."""
        nonce = os.urandom(_NONCE)
        data = self._cipher.encrypt(nonce, orjson.dumps(args), _AAD + request_id.encode())
        return base64.b64encode(nonce + data).decode("ascii")

    def open(self, request_id: str, sealed: object) -> Any:
        """The arguments sealed for ``request_id``; anything else is an :class:`InputError`."""
        try:
            raw = base64.b64decode(str(sealed), validate=True)
            plain = self._cipher.decrypt(raw[:_NONCE], raw[_NONCE:], _AAD + request_id.encode())
        except (InvalidTag, ValueError):
            raise InputError(
                "the stored edited arguments do not open (another data_key, or altered)"
            ) from None
        return orjson.loads(plain)


class LazySealer:
    """A :class:`Sealer` whose key is fetched on first use (a store reads its secret only when
    an edit is written or read)."""

    __slots__ = ("_get_key", "_lock", "_sealer")

    def __init__(self, get_key: Callable[[], bytes]) -> None:
        self._get_key = get_key
        self._sealer: Sealer | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "LazySealer(<key>)"

    def _resolve(self) -> Sealer:
        with self._lock:
            if self._sealer is None:
                self._sealer = Sealer(self._get_key())
            return self._sealer

    def seal(self, request_id: str, args: Any) -> str:
        """See :meth:`Sealer.seal`."""
        return self._resolve().seal(request_id, args)

    def open(self, request_id: str, sealed: object) -> Any:
        """See :meth:`Sealer.open`."""
        return self._resolve().open(request_id, sealed)
