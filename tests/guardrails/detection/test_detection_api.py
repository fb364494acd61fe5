"""guardrails.detection public API: entity selection, default detectors, safety of reprs/errors."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails import ConfigurationError, Detector, InputError
from guardrails.detection import (
    ENTITIES,
    GROUPS,
    PATTERN_ENTITIES,
    PatternDetector,
    default_detectors,
    expand_entities,
)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["EMAIL_ADDRESS"], {"EMAIL_ADDRESS"}),  # one entity
        (["network"], {"IP_ADDRESS", "MAC_ADDRESS"}),  # a group
        (["financial", "US_SSN"], {"CREDIT_CARD", "IBAN_CODE", "US_SSN"}),  # mixed
        (["secrets"], set(GROUPS["secrets"])),  # every secret
        ("pii", set(GROUPS["pii"])),  # a single str
        (["email_address"], {"EMAIL_ADDRESS"}),  # case-insensitive entity name
        ([], set()),  # nothing
    ],
)
def test_expand_entities(names: list[str] | str, expected: set[str]) -> None:
    """Entity names and group aliases expand to entity names."""
    assert expand_entities(names) == expected


@pytest.mark.parametrize("names", [["NOT_AN_ENTITY"], [42]])
def test_expand_entities_rejects_unknown(names: list[object]) -> None:
    """An unknown name (or a non-str) is a configuration error."""
    with pytest.raises(ConfigurationError):
        expand_entities(names)  # type: ignore[arg-type]


def test_default_detectors_cover_every_entity() -> None:
    """The default detectors together can emit every built-in entity."""
    detectors = default_detectors()
    assert all(isinstance(d, Detector) for d in detectors)
    covered = frozenset().union(*(d.entities for d in detectors))
    assert covered >= PATTERN_ENTITIES
    assert covered & ENTITIES == ENTITIES


def test_default_detectors_respect_selection() -> None:
    """Only the detectors needed for the requested entities are built."""
    detectors = default_detectors(["EMAIL_ADDRESS"])
    assert [d.name for d in detectors] == ["patterns"]
    assert detectors[0].entities == {"EMAIL_ADDRESS"}


@pytest.mark.parametrize("bad", [b"bytes a@example.com", None, 42, ["a@example.com"]])
def test_detect_rejects_non_str(bad: object) -> None:
    """Non-str input is an InputError (also a TypeError), never a silent pass."""
    with pytest.raises(InputError):
        PatternDetector().detect(bad)  # type: ignore[arg-type]


def test_no_raw_value_in_reprs() -> None:
    """Neither the detector nor its spans show a detected value in repr/str."""
    det = PatternDetector()
    spans = det.detect("SSN 536-22-8726, card 4111 1111 1111 1111")
    assert spans
    for shown in [repr(det), str(det), *map(repr, spans), *map(str, spans)]:
        assert "536-22" not in shown
        assert "4111" not in shown


def test_empty_text() -> None:
    """Empty text has no spans."""
    assert PatternDetector().detect("") == []


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(
        alphabet=st.characters(blacklist_categories=()),  # every code point, surrogates too
        max_size=300,
    )
)
def test_arbitrary_unicode_never_raises(text: str) -> None:
    """Any text (lone surrogates, ZWJ, RTL marks, full-width digits) gives sane spans."""
    spans = PatternDetector().detect(text)
    for s in spans:
        assert 0 <= s.start < s.end <= len(text)
        assert text[s.start : s.end] == s.value
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))


_PIECES = st.sampled_from(
    [
        "a@example.com", "+44 7400 123456", "4111 1111 1111 1111", "536-22-8726",
        "DE89 3704 0044 0532 0130 00", "192.168.1.10", "00:1A:2B:3C:4D:5E", "password=hunter2",
        " ", ", ", "\n", "x", "1.2.3", "-", ":", "@", "😀", "\u200d", "<EMAIL_ADDRESS_1>",
    ]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_spans_in_bounds_and_disjoint_on_dense_mixes(text: str) -> None:
    """Dense mixes of values and separators give in-bounds, non-overlapping spans."""
    spans = PatternDetector().detect(text)
    for s in spans:
        assert text[s.start : s.end] == s.value
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    assert not any("<EMAIL_ADDRESS_1>" in s.value for s in spans)


@pytest.mark.parametrize(
    "text",
    [
        ("a." * 25_000) + "@",  # quadratic for backtracking e-mail regexes
        "7" * 50_000,  # one long digit run
        "1 " * 25_000,  # digits separated by single spaces
        "1234 " * 10_000,  # endless card-like groups
        "Zk3Lm8Qx2Rt7Vw9Y+/" * 3_000,  # long base64 run
        "a@a.aa" * 8_000,  # a chain of overlapping e-mail candidates
        "password=" * 6_000,  # key after key
        "ab:" * 17_000,  # IPv6-like colon run
        "-----BEGIN PRIVATE KEY-----\n" + "QUJD" * 12_000,  # PEM without END
    ],
    ids=["a.a.@", "digits", "1 1 1", "groups", "base64", "a@a.aa", "kv", "colons", "pem"],
)
def test_adversarial_inputs_complete(text: str) -> None:
    """Pathological 50 KB inputs are scanned without error (timing lives in benchmarks/)."""
    spans = PatternDetector().detect(text)
    assert all(text[s.start : s.end] == s.value for s in spans)
