"""Argument digests keyed with a server secret: bound to the exact arguments, yet no oracle.

A request is bound to the exact raw arguments by a digest that reviewers see on cards, in audit
events and in interrupt payloads, next to the *masked* arguments. A plain SHA-256 of the canonical
arguments would let a reviewer confirm a guess of a hidden value (``"to": "<EMAIL_ADDRESS_1>"``:
hash the arguments with ``jane@corp.com`` in its place and compare). Keyed with a secret only the
server holds, the digest still changes with any byte of the arguments but cannot be recomputed
from a guess.

``hmac-sha256:<hex>`` is ``HMAC-SHA256(key, "sha256:<hex of the canonical arguments>")``: the
service can key a plain digest that a caller computed from the raw arguments (``authorize``), so a
caller never needs the key. The key is the service's ``digest_key`` or, by default, a random secret
the approval store keeps (the same for every process that shares the store, and across restarts).

Example:
    >>> d = Digests(b"k" * 32)
    >>> d.of({"amount": 5}).startswith("hmac-sha256:"), d.of({"amount": 5}) == d.of({"amount": 6})
    (True, False)
    >>> d.matches(d.of({"amount": 5}), args_digest({"amount": 5}))
    True
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from guardrails.policy import args_digest

__all__ = ["KEYED_PREFIX", "PLAIN_PREFIX", "Digests"]

KEYED_PREFIX = "hmac-sha256:"
PLAIN_PREFIX = "sha256:"


class Digests:
    """Keyed argument digests for one key (never shown in reprs)."""

    __slots__ = ("_mac",)

    def __init__(self, key: bytes) -> None:
        # keyed once: each digest copies the prepared HMAC state instead of re-deriving the pads
        self._mac = hmac.new(bytes(key), digestmod=hashlib.sha256)

    def __repr__(self) -> str:
        return "Digests(<key>)"

    def key_plain(self, plain: str) -> str:
        """The keyed form of a plain ``sha256:`` digest."""
        mac = self._mac.copy()
        mac.update(plain.encode("utf-8"))
        return KEYED_PREFIX + mac.hexdigest()

    def of(self, args: Mapping[str, Any]) -> str:
        """The keyed digest of ``args`` (raises :class:`~guardrails.InputError` if not plain JSON)."""
        return self.key_plain(args_digest(args))

    def matches(self, stored: str, given: str) -> bool:
        """Whether ``given`` (keyed, or a plain digest of the raw args) names ``stored``.

        A request stored before digests were keyed keeps its plain digest and still matches it.
        """
        if stored.startswith(KEYED_PREFIX) and given.startswith(PLAIN_PREFIX):
            given = self.key_plain(given)
        return hmac.compare_digest(stored.encode("utf-8"), given.encode("utf-8"))
