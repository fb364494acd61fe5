"""The hash function: SHA-256 of the canonical body, or standard HMAC-SHA256 with a key."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from guardrails.audit import Chain


@given(body=st.text(max_size=200), key=st.binary(min_size=16, max_size=100))
def test_keyed_seal_is_standard_hmac_sha256(body: str, key: bytes) -> None:
    """A keyed seal equals hmac.new(key, body, sha256), so any HMAC tool can re-check it."""
    expected = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    assert Chain(key).seal(body) == expected
    assert Chain(key).matches(body, expected)


@given(body=st.text(max_size=200))
def test_unkeyed_seal_is_sha256(body: str) -> None:
    """Without a key the seal is plain SHA-256 of the UTF-8 body."""
    assert Chain().seal(body) == hashlib.sha256(body.encode()).hexdigest()
