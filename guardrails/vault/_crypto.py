"""Encryption at rest for a serialized vault: AES-256-GCM with a versioned header as AAD."""

from __future__ import annotations

import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from guardrails._errors import ConfigurationError, VaultDecryptionError

__all__ = ["generate_key", "open_blob", "seal"]

_MAGIC = b"AGVAULT1"
_NONCE = 12


def generate_key() -> bytes:
    """A fresh random 32-byte AES key."""
    return AESGCM.generate_key(bit_length=256)


def _cipher(key: object) -> AESGCM:
    if not isinstance(key, bytes) or len(key) not in (16, 24, 32):
        raise ConfigurationError(
            "a vault key must be 16, 24 or 32 bytes (see Vault.generate_key())"
        )
    return AESGCM(key)


def seal(document: dict[str, Any], key: bytes) -> bytes:
    """Serialize ``document`` as JSON and encrypt it."""
    cipher = _cipher(key)
    plain = json.dumps(document, ensure_ascii=True, separators=(",", ":")).encode()
    nonce = os.urandom(_NONCE)
    return _MAGIC + nonce + cipher.encrypt(nonce, plain, _MAGIC)


def open_blob(blob: object, key: bytes) -> Any:
    """Decrypt and parse a blob made by :func:`seal`; any problem is a VaultDecryptionError."""
    cipher = _cipher(key)
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise VaultDecryptionError("a serialized vault must be bytes")
    data = bytes(blob)
    if not data.startswith(_MAGIC) or len(data) < len(_MAGIC) + _NONCE + 16:
        raise VaultDecryptionError("not a serialized vault (bad header or truncated)")
    nonce = data[len(_MAGIC) : len(_MAGIC) + _NONCE]
    try:
        plain = cipher.decrypt(nonce, data[len(_MAGIC) + _NONCE :], _MAGIC)
    except InvalidTag:
        raise VaultDecryptionError(
            "the vault does not decrypt: another key, or the data was altered"
        ) from None
    try:
        return json.loads(plain)
    except ValueError:  # authenticated but unparsable: a bug or a foreign writer
        raise VaultDecryptionError("the decrypted vault is not valid") from None
