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

from guardrails._errors import ConfigurationError

__all__ = ["MIN_KEY_BYTES", "Chain"]

MIN_KEY_BYTES = 16


class Chain:
    """Computes event hashes: SHA-256, or HMAC-SHA256 when a key is given."""

    __slots__ = ("_key", "_mac", "keyed")

    def __init__(self, key: bytes | None = None) -> None:
        if key is not None:
            if not isinstance(key, bytes | bytearray):
                raise ConfigurationError("the audit key must be bytes")
            if len(key) < MIN_KEY_BYTES:
                raise ConfigurationError(f"the audit key must be at least {MIN_KEY_BYTES} bytes")
            key = bytes(key)
        self._key = key
        self._mac = hmac.new(key or b"", digestmod=hashlib.sha256)
        self.keyed = key is not None

    def __repr__(self) -> str:  # never show the key
        return f"Chain(keyed={self.keyed})"

    def seal(self, body: str) -> str:
        """The hex hash of a canonical body."""
        data = body.encode("utf-8")
        if self._key is None:
            return hashlib.sha256(data).hexdigest()
        # Copying a keyed HMAC object skips re-deriving the padded key for every event.
        mac = self._mac.copy()
        mac.update(data)
        return mac.hexdigest()

    def matches(self, body: str, expected: str) -> bool:
        """Whether ``expected`` is the hash of ``body`` (constant-time when keyed)."""
        return hmac.compare_digest(self.seal(body), expected)
