"""Bad input: a clear error from our exception tree, nothing half-masked, no raw value leaked."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pydantic
import pytest

from guardrails import (
    CustomEntity,
    GuardrailsError,
    InputError,
    PatternError,
    RedactionError,
    Redactor,
    Vault,
    VaultDecryptionError,
)
from tests.guardrails._redaction_fakes import EMAIL, Exploding

SECRET = "jane.doe@example.com"
REDACTOR = Redactor()


@pytest.mark.parametrize(
    "bad",
    [
        SECRET.encode(),  # bytes: decode first
        None,  # nothing to redact is a mistake, not an empty string
        12345,  # a number
        [SECRET],  # a list belongs to redact_data
    ],
)
@pytest.mark.parametrize("method", ["redact", "detect"])
def test_text_methods_reject_wrong_types(bad: object, method: str) -> None:
    """redact/detect take str only; the error is an InputError (also a TypeError)."""
    with pytest.raises(InputError) as info:
        getattr(REDACTOR, method)(bad)
    assert isinstance(info.value, TypeError)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    "bad",
    [
        {"ok": SECRET, "blob": SECRET.encode()},  # bytes nested in data
        [SECRET, bytearray(b"x")],  # bytearray
        {"ok": SECRET, "obj": object()},  # an object we cannot read
    ],
)
def test_redact_data_rejects_unreadable_leaves_before_touching_the_vault(bad: object) -> None:
    """The whole input is checked first: nothing reaches the vault, nothing is returned."""
    vault = Vault()
    with pytest.raises(InputError) as info:
        REDACTOR.redact_data(bad, vault=vault)
    assert len(vault) == 0
    assert SECRET not in str(info.value)


def test_cyclic_list_is_an_input_error() -> None:
    """A list containing itself is refused before any masking."""
    data: list[object] = [SECRET]
    data.append(data)
    vault = Vault()
    with pytest.raises(InputError):
        REDACTOR.redact_data(data, vault=vault)
    assert len(vault) == 0


def test_cyclic_dataclass_is_an_input_error() -> None:
    """A cycle through a dataclass field is detected too."""

    @dataclass
    class Node:
        email: str
        next: object = None

    node = Node(email=SECRET)
    node.next = node
    with pytest.raises(InputError):
        REDACTOR.redact_data(node)


def test_ten_thousand_deep_json_string_is_handled() -> None:
    """A JSON string nested 10k deep is redacted (as text), no RecursionError."""
    doc = '{"a":' * 10_000 + f'"{SECRET}"' + "}" * 10_000
    assert SECRET not in REDACTOR.redact_data({"payload": doc})["payload"]


def test_ten_thousand_deep_dicts_are_handled() -> None:
    """Python data 10k deep is walked iteratively."""
    data: object = {"email": SECRET}
    for _ in range(10_000):
        data = {"child": data}
    out = REDACTOR.redact_data(data)
    for _ in range(10_000):
        out = out["child"]
    assert out == {"email": "<EMAIL_ADDRESS_1>"}


@pytest.mark.parametrize(
    "broken",
    [
        f'{{"email": "{SECRET}"',  # truncated object
        f'["{SECRET}", ]',  # trailing comma
        f"{{'email': '{SECRET}'}}",  # Python repr, not JSON
    ],
)
def test_broken_json_strings_are_redacted_as_text(broken: str) -> None:
    """A string that looks like JSON but does not parse is still masked."""
    assert SECRET not in REDACTOR.redact_data({"out": broken})["out"]


@pytest.mark.parametrize(
    "pattern",
    [
        r"(unclosed",  # does not compile
        r"(a+)+\1",  # back-reference: not linear-time
    ],
)
def test_invalid_custom_pattern_is_a_pattern_error(pattern: str) -> None:
    """A custom entity with a bad pattern fails at construction."""
    with pytest.raises(PatternError):
        Redactor(custom=[CustomEntity(name="BADGE_ID", pattern=pattern)])


def test_custom_entity_is_detected() -> None:
    """A valid custom entity is masked through the same registry."""
    r = Redactor(custom=[CustomEntity(name="BADGE_ID", pattern=r"\bBDG-[0-9]{6}\b")])
    assert r.redact("badge BDG-004211").text == "badge <BADGE_ID_1>"


def test_vault_with_another_key() -> None:
    """Loading a vault with another key raises VaultDecryptionError and leaks nothing."""
    vault = Vault()
    vault.placeholder_for("EMAIL_ADDRESS", SECRET)
    blob = vault.to_bytes(Vault.generate_key())
    with pytest.raises(VaultDecryptionError) as info:
        Vault.from_bytes(blob, Vault.generate_key())
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value)


def test_failing_detector_fails_closed() -> None:
    """A detector error is a RedactionError with no input in message, cause or context."""
    r = Redactor(detectors=[EMAIL, Exploding()])
    with pytest.raises(RedactionError) as info:
        r.redact_data({"note": f"mail {SECRET}"})
    assert SECRET not in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None


def test_failing_operator_fails_closed() -> None:
    """An operator that raises becomes a RedactionError without the value."""

    class Broken:
        def mask(self, value: str, /, *, entity_type: str, vault: Vault) -> str:
            raise ValueError(f"cannot mask {value}")

    r = Redactor(operators={"default": Broken()})
    with pytest.raises(RedactionError) as info:
        r.redact(f"mail {SECRET}")
    assert SECRET not in str(info.value)


def test_errors_belong_to_our_tree() -> None:
    """Every error above is a GuardrailsError."""
    for exc in (InputError, PatternError, RedactionError, VaultDecryptionError):
        assert issubclass(exc, GuardrailsError)


def test_no_raw_value_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Redacting, restoring and failing log nothing that contains the value."""
    caplog.set_level(logging.DEBUG)
    result = REDACTOR.redact(f"mail {SECRET}")
    REDACTOR.redact_data({"email": SECRET, "n": [1, 2]})
    result.vault.restore(result.text)
    with pytest.raises(InputError):
        REDACTOR.redact_data({"x": SECRET.encode()})
    assert all(SECRET not in r.getMessage() for r in caplog.records)


def test_no_raw_value_in_reprs() -> None:
    """Results, spans, reports, vaults and the redactor do not show values."""

    class User(pydantic.BaseModel):
        email: str

    result = REDACTOR.redact(f"mail {SECRET}")
    report = REDACTOR.redact_data_with_report(User(email=SECRET))
    for obj in (result, result.spans, result.vault, report, REDACTOR, REDACTOR.detect(SECRET)):
        assert SECRET not in repr(obj)
        assert SECRET not in str(obj)


def test_input_is_never_mutated_on_error() -> None:
    """A failing redact_data leaves its input exactly as it was."""
    data = {"email": SECRET, "bad": b"raw"}
    with pytest.raises(InputError):
        REDACTOR.redact_data(data)
    assert data == {"email": SECRET, "bad": b"raw"}


def test_dataclass_that_rejects_the_masked_value_fails_closed() -> None:
    """A dataclass whose __post_init__ refuses a placeholder gives a RedactionError, no value."""

    @dataclass(frozen=True)
    class Strict:
        email: str

        def __post_init__(self) -> None:
            if "@" not in self.email:
                raise ValueError(f"bad email {self.email}")

    with pytest.raises(RedactionError) as info:
        REDACTOR.redact_data(Strict(email=SECRET))
    assert SECRET not in str(info.value)
    assert info.value.__context__ is None
