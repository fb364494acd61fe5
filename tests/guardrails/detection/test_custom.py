"""CustomEntity: user patterns in the same pass, validators, context words, linear-time only."""

from __future__ import annotations

import pytest

from guardrails import ConfigurationError, PatternError, RedactionError
from guardrails.detection import CustomEntity, PatternDetector

EMP = CustomEntity(name="EMPLOYEE_ID", pattern=r"\bEMP-[0-9]{6}\b")


def _found(det: PatternDetector, text: str) -> list[tuple[str, str, float]]:
    return [(text[s.start : s.end], s.entity_type, s.score) for s in det.detect(text)]


def test_custom_entity_found_next_to_builtins() -> None:
    """A custom entity is reported alongside the built-in ones from the same detector."""
    det = PatternDetector(["EMAIL_ADDRESS"], custom=[EMP])
    found = _found(det, "EMP-004211 is a@example.com")
    assert [(v, e) for v, e, _ in found] == [
        ("EMP-004211", "EMPLOYEE_ID"),
        ("a@example.com", "EMAIL_ADDRESS"),
    ]
    assert "EMPLOYEE_ID" in det.entities


def test_custom_validator_filters_matches() -> None:
    """Matches the validator rejects are dropped."""
    even = CustomEntity(
        name="TICKET", pattern=r"\bT-[0-9]{4}\b", validator=lambda v: int(v[2:]) % 2 == 0
    )
    assert [v for v, _, _ in _found(PatternDetector([], custom=[even]), "T-0001 T-0002")] == [
        "T-0002"
    ]


@pytest.mark.parametrize(
    ("text", "expected_score"),
    [
        ("employee EMP-004211", 1.0),  # context word before
        ("EMP-004211 (employee)", 1.0),  # context word after
        ("badge EMP-004211", 0.6),  # no context: base score
    ],
)
def test_context_raises_score(text: str, expected_score: float) -> None:
    """A context word near the match raises its score to ``context_score``."""
    ce = CustomEntity(name="EMP", pattern=r"EMP-[0-9]{6}", context=("Employee",), score=0.6)
    ((_, _, score),) = _found(PatternDetector([], custom=[ce]), text)
    assert score == expected_score


def test_context_required_drops_matches_without_context() -> None:
    """With ``context_required`` a match without a context word nearby is not reported."""
    ce = CustomEntity(
        name="MRN",
        pattern=r"\b[0-9]{7}\b",
        context=("mrn", "medical record"),
        context_required=True,
    )
    det = PatternDetector([], custom=[ce])
    text = "MRN 1234567. " + "Unrelated words. " * 8 + "Room 7654321."
    assert [v for v, _, _ in _found(det, text)] == ["1234567"]


def test_unicode_custom_pattern_offsets() -> None:
    """A non-ASCII custom pattern matches with correct str offsets after other non-ASCII text."""
    ce = CustomEntity(name="KUNDENNUMMER", pattern=r"Kundennr\.\s?[0-9]{5}")
    text = "Grüße 😀 — Kundennr. 12345 für Müller"
    ((value, _, _),) = _found(PatternDetector([], custom=[ce]), text)
    assert value == "Kundennr. 12345"


@pytest.mark.parametrize(
    "pattern",
    [
        r"(a)\1",  # back-reference
        r"foo(?=bar)",  # look-ahead
        r"(?<=x)y",  # look-behind
        r"(unclosed",  # does not compile
        r"a*",  # matches the empty string
        "",  # empty
    ],
)
def test_invalid_pattern_raises_pattern_error(pattern: str) -> None:
    """A pattern that is not linear-time, or is broken, fails at construction."""
    with pytest.raises(PatternError) as exc:
        CustomEntity(name="BAD", pattern=pattern)
    assert "BAD" in str(exc.value)
    if pattern:
        assert pattern not in str(exc.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "lower_case", "pattern": "x+"},  # name not UPPER_SNAKE
        {"name": "EMAIL_ADDRESS", "pattern": "x+"},  # clashes with a built-in
        {"name": "X", "pattern": "x+", "score": 1.5},  # score out of range
        {"name": "X", "pattern": "x+", "context_required": True},  # no context words
        {"name": "X", "pattern": "x+", "validator": "not callable"},  # validator
    ],
)
def test_bad_configuration_raises(kwargs: dict[str, object]) -> None:
    """Bad names, scores and options fail at construction with a ConfigurationError."""
    with pytest.raises(ConfigurationError):
        CustomEntity(**kwargs)  # type: ignore[arg-type]


def test_duplicate_custom_names_rejected() -> None:
    """Two custom entities with one name are refused."""
    with pytest.raises(ConfigurationError):
        PatternDetector(custom=[EMP, CustomEntity(name="EMPLOYEE_ID", pattern="E[0-9]+")])


def test_failing_validator_fails_closed_without_the_value() -> None:
    """A validator that raises turns into RedactionError whose message omits the match."""

    def boom(value: str) -> bool:
        raise ValueError(f"cannot parse {value}")

    det = PatternDetector(
        [], custom=[CustomEntity(name="ACCT", pattern=r"ACCT-[0-9]+", validator=boom)]
    )
    with pytest.raises(RedactionError) as exc:
        det.detect("ACCT-99881")
    assert "99881" not in str(exc.value)
    assert exc.value.__cause__ is None


def test_custom_entity_is_hashable_and_frozen() -> None:
    """CustomEntity is a frozen value (usable as a cache key)."""
    assert hash(EMP) == hash(CustomEntity(name="EMPLOYEE_ID", pattern=r"\bEMP-[0-9]{6}\b"))
    with pytest.raises(AttributeError):
        EMP.name = "OTHER"  # type: ignore[misc]


def test_our_placeholders_never_match_custom_patterns() -> None:
    """A custom pattern that would match one of our placeholders does not report it."""
    ce = CustomEntity(name="TAGGED", pattern=r"<[A-Z_]+_[0-9]+>")
    assert _found(PatternDetector([], custom=[ce]), "see <EMAIL_ADDRESS_1>") == []


def test_same_pattern_different_validators_are_distinct() -> None:
    """Two entities differing only by validator are not confused (e.g. by a compile cache)."""
    keep = CustomEntity(name="CODE", pattern=r"\bC-[0-9]{3}\b", validator=lambda v: True)
    drop = CustomEntity(name="CODE", pattern=r"\bC-[0-9]{3}\b", validator=lambda v: False)
    assert [v for v, _, _ in _found(PatternDetector([], custom=[keep]), "C-123")] == ["C-123"]
    assert _found(PatternDetector([], custom=[drop]), "C-123") == []


def test_custom_names_accepted_in_entity_selection() -> None:
    """A custom entity's own name may appear in the entity selection."""
    det = PatternDetector(["EMPLOYEE_ID", "EMAIL_ADDRESS"], custom=[EMP])
    assert det.entities == {"EMPLOYEE_ID", "EMAIL_ADDRESS"}
