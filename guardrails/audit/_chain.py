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
from typing import TYPE_CHECKING

from guardrails._errors import ConfigurationError

if TYPE_CHECKING:
    from hashlib import _Hash

    Pads = tuple[_Hash, _Hash]

__all__ = ["MIN_KEY_BYTES", "Chain", "hmac_pads"]

MIN_KEY_BYTES = 16
_BLOCK = 64  # SHA-256 block size in bytes


def _sha256_hex(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def hmac_pads(key: bytes) -> Pads:
    """SHA-256 states after the HMAC inner and outer key blocks (RFC 2104).

    ``HMAC(key, m) = H(opad_key || H(ipad_key || m))``: copying these two states costs two small
    C calls per event, where ``hmac.HMAC.copy`` runs Python code (verify spends a third less).
    """
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    return inner, outer


def _hmac_sealer(pads: Pads) -> Callable[[str], str]:
    inner_copy, outer_copy = pads[0].copy, pads[1].copy

    def seal(body: str) -> str:
        inner = inner_copy()
        inner.update(body.encode("utf-8"))
        outer = outer_copy()
        outer.update(inner.digest())
        return outer.hexdigest()

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

    __slots__ = ("keyed", "pads", "seal")

    def __init__(self, key: bytes | None = None) -> None:
        self.seal: Callable[[str], str]
        # (inner, outer) HMAC states for verify's inlined hashing; None when unkeyed.
        self.pads: Pads | None = None
        if key is None:
            self.seal = _sha256_hex
        else:
            if not isinstance(key, bytes | bytearray):
                raise ConfigurationError("the audit key must be bytes")
            if len(key) < MIN_KEY_BYTES:
                raise ConfigurationError(f"the audit key must be at least {MIN_KEY_BYTES} bytes")
            self.pads = hmac_pads(bytes(key))
            self.seal = _hmac_sealer(self.pads)
        self.keyed = key is not None

    def __repr__(self) -> str:  # never show the key
        return f"Chain(keyed={self.keyed})"

    def matches(self, body: str, expected: str) -> bool:
        """Whether ``expected`` is the hash of ``body`` (constant-time comparison)."""
        return hmac.compare_digest(self.seal(body), expected)
