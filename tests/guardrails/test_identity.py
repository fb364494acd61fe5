"""Principals and directories: channel identities resolve to one principal; bad input is refused."""

from __future__ import annotations

import pytest

from guardrails import ConfigurationError, InputError
from guardrails.identity import (
    CallableDirectory,
    Directory,
    Principal,
    StaticDirectory,
    identity_key,
)

BOB = Principal(id="bob", groups=frozenset({"finance"}), email="bob@corp.example")


@pytest.mark.parametrize(
    ("channel", "subject", "expected"),
    [
        ("slack", "U123", "bob"),  # Slack user id from a verified request
        ("teams", "6f1c-aad", "bob"),  # Teams AAD object id from a validated token
        ("email", "bob@corp.example", "bob"),  # e-mail login
        ("token", "sub|bob", "bob"),  # a verified token's subject
        ("principal", "bob", "bob"),  # the principal's own id
        ("slack", "U999", None),  # unknown user: unauthenticated
        ("teams", "U123", None),  # a Slack id presented as a Teams id
    ],
)
def test_static_directory_resolves_channel_identities(
    channel: str, subject: str, expected: str | None
) -> None:
    """Every channel identity maps to the same principal; unknown ones to None."""
    d = StaticDirectory(
        [BOB],
        identities={
            ("slack", "U123"): "bob",
            ("teams", "6f1c-aad"): "bob",
            ("email", "bob@corp.example"): "bob",
            ("token", "sub|bob"): "bob",
        },
    )
    found = d.resolve(channel, subject)
    assert (found.id if found else None) == expected


def test_identity_pointing_at_unknown_principal_is_refused() -> None:
    """A mapping to a principal that is not listed is a configuration error."""
    with pytest.raises(ConfigurationError):
        StaticDirectory([BOB], identities={("slack", "U1"): "mallory"})


def test_callable_directory_must_return_principals() -> None:
    """A user callable returning anything but a Principal or None is a usage error."""
    good = CallableDirectory(lambda ch, sub: Principal(id=sub) if ch == "token" else None)
    assert isinstance(good, Directory)
    assert good.resolve("token", "svc").id == "svc"  # type: ignore[union-attr]
    assert good.resolve("slack", "U1") is None
    bad = CallableDirectory(lambda ch, sub: "bob")  # type: ignore[arg-type,return-value]
    with pytest.raises(ConfigurationError):
        bad.resolve("slack", "U1")


def test_email_stays_out_of_repr() -> None:
    """A principal's e-mail is personal data: not in repr."""
    assert "bob@corp.example" not in repr(BOB)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"id": ""},  # empty id
        {"id": "x", "kind": "robot"},  # unknown kind
    ],
)
def test_invalid_principal(kwargs: dict[str, str]) -> None:
    """Invalid principals are refused when built."""
    with pytest.raises(ConfigurationError):
        Principal(**kwargs)  # type: ignore[arg-type]


def test_round_trip_and_bad_dict() -> None:
    """to_dict/from_dict round-trip; a dict without an id is an InputError."""
    assert Principal.from_dict(BOB.to_dict()) == BOB
    with pytest.raises(InputError):
        Principal.from_dict({"kind": "human"})


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("alice", "\u0430lice", True),  # Cyrillic а in a Latin id
        ("coca", "\u0441\u043e\u0441\u0430", True),  # all-Cyrillic look-alike
        ("paypal", "\u0440\u0430\u0443\u0440\u0430l", True),  # mixed, mostly Cyrillic
        ("nick", "\u03bd\u03b9\u03c7k", False),  # Greek χ is x, not c: different
        ("bob1", "bobl", False),  # digits are not folded (would merge real ids)
        ("\u0418\u0432\u0430\u043d", "ivan", False),  # a real Cyrillic name stays itself
    ],
)
def test_identity_key_folds_cross_script_lookalikes(a: str, b: str, same: bool) -> None:
    """Ids that render alike across scripts compare equal; genuinely different ids do not."""
    assert (identity_key(a) == identity_key(b)) is same


@pytest.mark.parametrize(
    ("text", "mixed"),
    [
        ("alice", False),  # Latin
        ("\u0430lice", True),  # Latin + Cyrillic
        ("\u7530\u4e2d\u305f\u306a\u304b", False),  # Han + Hiragana: Japanese
        ("\uc11c\uc6b8kim", False),  # Hangul + Latin: allowed mix
        ("jos\u00e9-42", False),  # Latin with a diacritic, digits and punctuation
        ("\uff41lice", False),  # a fullwidth Latin letter is Latin (NFKC)
        ("\u0395\u03bb\u03ad\u03bd\u03b7", False),  # Greek
    ],
)
def test_mixed_script_ids(text: str, mixed: bool) -> None:
    """Only mixes no single language writes count as mixed-script."""
    from guardrails._confusables import mixed_script

    assert mixed_script(text) is mixed
