"""Keyed hashing (HMAC-SHA256): the same value gives the same token for one key, never unsalted."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from guardrails._errors import ConfigurationError
from guardrails.masking._tokens import token_name

if TYPE_CHECKING:
    from guardrails.vault import Vault

__all__ = ["KeyedHash"]

_MIN_KEY_BYTES = 16


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyedHash:
    """Replace a value with ``<ENTITY#hex>``, an HMAC-SHA256 under a configured secret key.

    Unlike an unsalted hash (LangChain's ``hash`` strategy is sha256[:8]), the token cannot be
    brute-forced from a dictionary of e-mails or card numbers without the key. Presidio's ``Hash``
    operator appends a salt instead of keying an HMAC, so it is not used here.

    Args:
        key: at least 16 bytes of secret key material.
        length: hex digits kept (8..64).

    Example:
        >>> from guardrails import Vault
        >>> op = KeyedHash(key=b"0123456789abcdef0123456789abcdef")
        >>> token = op.mask("jane@example.com", entity_type="EMAIL_ADDRESS", vault=Vault())
        >>> token.startswith("<EMAIL_ADDRESS#") and len(token) == len("<EMAIL_ADDRESS#>") + 16
        True
    """

    key: bytes | None = field(default=None, repr=False)
    length: int = 16

    def __post_init__(self) -> None:
        if self.key is None:
            raise ConfigurationError("KeyedHash needs key=<bytes>; an unkeyed hash is refused")
        if not isinstance(self.key, bytes) or len(self.key) < _MIN_KEY_BYTES:
            raise ConfigurationError(f"KeyedHash(key=...) must be at least {_MIN_KEY_BYTES} bytes")
        if isinstance(self.length, bool) or not isinstance(self.length, int):
            raise ConfigurationError("KeyedHash(length=...) must be an integer")
        if not 8 <= self.length <= 64:
            raise ConfigurationError("KeyedHash(length=...) must be between 8 and 64")

    def mask(self, value: str, /, *, entity_type: str, vault: Vault) -> str:
        """Return ``<ENTITY#hmac-hex>``."""
        assert self.key is not None  # checked in __post_init__
        digest = hmac.new(self.key, value.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return f"<{token_name(entity_type)}#{digest.hexdigest()[: self.length]}>"
