"""Authenticated encryption of a value (AES-GCM from ``cryptography``), decryptable with the key."""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from guardrails._errors import ConfigurationError, VaultDecryptionError
from guardrails.masking._tokens import TOKEN_RE, token_name

if TYPE_CHECKING:
    from guardrails.vault import Vault

__all__ = ["Encrypt"]

_PREFIX = "enc:"


@dataclass(frozen=True, slots=True, kw_only=True)
class Encrypt:
    """Replace a value with ``<ENTITY#enc:…>``, AES-GCM ciphertext that :meth:`decrypt` reverses.

    Presidio's ``Encrypt`` operator uses AES-CBC without authentication; AES-GCM also detects an
    altered token. The entity type is bound as associated data.

    Args:
        key: an AES key of 16, 24 or 32 bytes (e.g. ``Vault.generate_key()``).

    Example:
        >>> from guardrails import Vault
        >>> op = Encrypt(key=Vault.generate_key())
        >>> token = op.mask("123-45-6789", entity_type="US_SSN", vault=Vault())
        >>> "6789" in token, op.decrypt(token)
        (False, '123-45-6789')
    """

    key: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.key, bytes) or len(self.key) not in (16, 24, 32):
            raise ConfigurationError("Encrypt(key=...) must be 16, 24 or 32 bytes")

    def mask(self, value: str, /, *, entity_type: str, vault: Vault) -> str:
        """Return ``<ENTITY#enc:base64url(nonce + ciphertext)>``."""
        assert self.key is not None  # checked in __post_init__
        name = token_name(entity_type)
        nonce = os.urandom(12)
        sealed = AESGCM(self.key).encrypt(
            nonce, value.encode("utf-8", "surrogatepass"), name.encode()
        )
        payload = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()
        return f"<{name}#{_PREFIX}{payload}>"

    def decrypt(self, token: str) -> str:
        """Return the value inside a token made by :meth:`mask` with the same key.

        Raises:
            VaultDecryptionError: another key, an altered token, or not such a token.
        """
        assert self.key is not None
        match = TOKEN_RE.fullmatch(token) if isinstance(token, str) else None
        payload = match.group(3) if match else None
        if match is None or payload is None or not payload.startswith(_PREFIX):
            raise VaultDecryptionError("not an encrypted token")
        raw = payload[len(_PREFIX) :]
        try:
            blob = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
            plain = AESGCM(self.key).decrypt(blob[:12], blob[12:], match.group(1).encode())
        except (InvalidTag, ValueError, binascii.Error):
            raise VaultDecryptionError("encrypted token does not decrypt with this key") from None
        return plain.decode("utf-8", "surrogatepass")
