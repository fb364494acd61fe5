"""The hash chain: each event's hash covers its canonical body, which contains ``seq`` and ``prev_hash``.

Plain SHA-256 detects accidental and naive edits; anyone who can rewrite the whole file can also
recompute every hash after the edit. With a key, the hash is HMAC-SHA256, so forging or re-chaining
events needs the key: keep it outside the database the trail lives in.

Example:
    >>> Chain().seal('{"seq":1}') == Chain().seal('{"seq":1}')
    True
    >>> Chain(key=b"k" * 32).seal('{"seq":1}') == Chain().seal('{"seq":1}')
    False
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from guardrails._errors import ConfigurationError

__all__ = ["MIN_KEY_BYTES", "Chain"]

MIN_KEY_BYTES = 16


def _sha256_hex(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _hmac_sealer(key: bytes) -> Callable[[str], str]:
    # Copying a keyed HMAC object skips re-deriving the padded key for every event.
    template = hmac.new(key, digestmod=hashlib.sha256)

    def seal(body: str) -> str:
        mac = template.copy()
        mac.update(body.encode("utf-8"))
        return mac.hexdigest()

    return seal


class Chain:
    """Computes event hashes: SHA-256, or HMAC-SHA256 when a key is given.

    ``seal`` is a plain function attribute (not a method) because verify calls it once per event.

    Example:
        >>> Chain().seal("{}")[:16]
        '44136fa355b3678a'
        >>> Chain(key=b"0123456789abcdef").keyed
        True
    """

    __slots__ = ("keyed", "seal")

    def __init__(self, key: bytes | None = None) -> None:
        self.seal: Callable[[str], str]
        if key is None:
            self.seal = _sha256_hex
        else:
            if not isinstance(key, bytes | bytearray):
                raise ConfigurationError("the audit key must be bytes")
            if len(key) < MIN_KEY_BYTES:
                raise ConfigurationError(f"the audit key must be at least {MIN_KEY_BYTES} bytes")
            self.seal = _hmac_sealer(bytes(key))
        self.keyed = key is not None

    def __repr__(self) -> str:  # never show the key
        return f"Chain(keyed={self.keyed})"

    def matches(self, body: str, expected: str) -> bool:
        """Whether ``expected`` is the hash of ``body`` (constant-time comparison)."""
        return hmac.compare_digest(self.seal(body), expected)
