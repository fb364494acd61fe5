"""Masking operators: outputs, validation, keyed hashing and authenticated encryption."""

from __future__ import annotations

import pytest

from guardrails import (
    ConfigurationError,
    Encrypt,
    KeyedHash,
    Mask,
    Operator,
    Placeholder,
    Redact,
    Vault,
    VaultDecryptionError,
)
from guardrails.masking import OPERATORS, operator_from_name

KEY = b"k" * 32
CARD = "4111 1111 1111 1111"


@pytest.mark.parametrize(
    ("op", "value", "entity", "expected"),
    [
        (Placeholder(), CARD, "CREDIT_CARD", "<CREDIT_CARD_1>"),  # reversible default
        (Redact(), CARD, "CREDIT_CARD", "<CREDIT_CARD>"),  # typed, irreversible
        (Redact(replacement="[X]"), CARD, "CREDIT_CARD", "[X]"),  # fixed text
        (Redact(replacement=""), CARD, "CREDIT_CARD", ""),  # deletion (presidio Redact)
        (Mask(), "secret", "PASSWORD", "******"),  # everything
        (Mask(keep_last=4), CARD, "CREDIT_CARD", "***************1111"),  # last four
        (Mask(keep_last=4), "abcdef", "PASSWORD", "***def"),  # never more than half shown
        (Mask(chars_to_mask=3), "abcdef", "PASSWORD", "***def"),  # presidio semantics
        (Mask(chars_to_mask=3, from_end=True), "abcdef", "PASSWORD", "abc***"),  # from the end
        (Mask(masking_char="#", keep_last=2), "1234", "US_SSN", "##34"),  # other char
    ],
)
def test_operator_output(op: Operator, value: str, entity: str, expected: str) -> None:
    """Each built-in replaces a value as documented."""
    assert op.mask(value, entity_type=entity, vault=Vault()) == expected


@pytest.mark.parametrize(
    "op", [Placeholder(), Redact(), Mask(), KeyedHash(key=KEY), Encrypt(key=KEY)]
)
def test_builtins_satisfy_the_protocol(op: object) -> None:
    """Every built-in is an Operator."""
    assert isinstance(op, Operator)


def test_keyed_hash_is_stable_per_key() -> None:
    """Same value and key -> same token; another key -> another token."""
    v = Vault()
    a = KeyedHash(key=KEY).mask("jane@x.io", entity_type="EMAIL_ADDRESS", vault=v)
    b = KeyedHash(key=KEY).mask("jane@x.io", entity_type="EMAIL_ADDRESS", vault=v)
    c = KeyedHash(key=b"z" * 32).mask("jane@x.io", entity_type="EMAIL_ADDRESS", vault=v)
    assert a == b != c
    assert a.startswith("<EMAIL_ADDRESS#")
    assert "jane" not in a


def test_keyed_hash_is_not_a_plain_sha256() -> None:
    """The token is not sha256(value), which a dictionary attack would reverse."""
    import hashlib

    token = KeyedHash(key=KEY, length=64).mask(
        "jane@x.io", entity_type="EMAIL_ADDRESS", vault=Vault()
    )
    assert hashlib.sha256(b"jane@x.io").hexdigest() not in token


@pytest.mark.parametrize(
    "kwargs",
    [
        {},  # no key: unsalted hashing is refused
        {"key": b"short"},  # under 16 bytes
        {"key": "a-str-key-of-enough-length"},  # not bytes
        {"key": KEY, "length": 4},  # too short to be useful
        {"key": KEY, "length": 65},  # longer than the digest
    ],
)
def test_keyed_hash_validation(kwargs: dict[str, object]) -> None:
    """Bad KeyedHash settings fail at construction."""
    with pytest.raises(ConfigurationError):
        KeyedHash(**kwargs)  # type: ignore[arg-type]


def test_encrypt_round_trip() -> None:
    """decrypt(mask(x)) == x and the token hides the value."""
    op = Encrypt(key=Vault.generate_key())
    token = op.mask("123-45-6789", entity_type="US_SSN", vault=Vault())
    assert "6789" not in token
    assert op.decrypt(token) == "123-45-6789"


def test_encrypt_is_randomized() -> None:
    """Two encryptions of one value differ (random nonce)."""
    op = Encrypt(key=KEY)
    v = Vault()
    assert op.mask("x", entity_type="US_SSN", vault=v) != op.mask(
        "x", entity_type="US_SSN", vault=v
    )


def test_decrypt_with_another_key_fails() -> None:
    """Another key raises VaultDecryptionError."""
    token = Encrypt(key=KEY).mask("x", entity_type="US_SSN", vault=Vault())
    with pytest.raises(VaultDecryptionError):
        Encrypt(key=b"z" * 32).decrypt(token)


def test_decrypt_detects_a_swapped_entity_type() -> None:
    """The entity type is authenticated: relabelling the token breaks it."""
    token = Encrypt(key=KEY).mask("x", entity_type="US_SSN", vault=Vault())
    with pytest.raises(VaultDecryptionError):
        Encrypt(key=KEY).decrypt(token.replace("<US_SSN#", "<PERSON#"))


@pytest.mark.parametrize("key", [None, b"x" * 10, "k" * 32])
def test_encrypt_key_validation(key: object) -> None:
    """An AES key must be 16, 24 or 32 bytes."""
    with pytest.raises(ConfigurationError):
        Encrypt(key=key)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"masking_char": "**"},  # more than one character
        {"masking_char": "<"},  # would forge a token
        {"keep_last": -1},  # negative
        {"chars_to_mask": 2, "keep_last": 2},  # both ways at once
        {"keep_last": True},  # a bool is not a count
    ],
)
def test_mask_validation(kwargs: dict[str, object]) -> None:
    """Bad Mask settings fail at construction."""
    with pytest.raises(ConfigurationError):
        Mask(**kwargs)  # type: ignore[arg-type]


def test_registry_builds_by_name() -> None:
    """operator_from_name builds a built-in with parameters."""
    assert operator_from_name("mask", keep_last=4) == Mask(keep_last=4)
    assert set(OPERATORS) == {"placeholder", "redact", "mask", "hash", "encrypt"}


@pytest.mark.parametrize(("name", "params"), [("nope", {}), ("mask", {"bogus": 1}), ("hash", {})])
def test_registry_errors(name: str, params: dict[str, object]) -> None:
    """Unknown names, unknown parameters and a missing hash key are ConfigurationErrors."""
    with pytest.raises(ConfigurationError):
        operator_from_name(name, **params)


def test_operator_reprs_hide_keys() -> None:
    """The key of KeyedHash and Encrypt is not in their repr."""
    assert "kkkk" not in repr(KeyedHash(key=KEY))
    assert "kkkk" not in repr(Encrypt(key=KEY))
