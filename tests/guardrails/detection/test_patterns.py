"""PatternDetector: every structured entity and secret found exactly; look-alikes left alone."""

from __future__ import annotations

import itertools

import pytest

from guardrails.detection import PatternDetector
from tests.guardrails.detection._cases import LOOKALIKES, POSITIVES, SECRETS


@pytest.fixture(scope="module")
def detector() -> PatternDetector:
    return PatternDetector()


def _found(detector: PatternDetector, text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.entity_type) for s in detector.detect(text)]


@pytest.mark.parametrize(("text", "value", "entity"), POSITIVES)
def test_structured_entity_found(
    detector: PatternDetector, text: str, value: str, entity: str
) -> None:
    """A structured PII value is reported with its exact bounds and entity type."""
    assert (value, entity) in _found(detector, text)


@pytest.mark.parametrize(("text", "value", "entity"), SECRETS)
def test_secret_found(detector: PatternDetector, text: str, value: str, entity: str) -> None:
    """A secret is reported with its exact bounds and entity type."""
    assert (value, entity) in _found(detector, text)


@pytest.mark.parametrize(("text", "what"), LOOKALIKES)
def test_lookalike_untouched(detector: PatternDetector, text: str, what: str) -> None:
    """Versions, ids, hashes, dates, checksum failures and placeholders are not reported."""
    assert _found(detector, text) == []


def test_span_fields(detector: PatternDetector) -> None:
    """Spans carry the raw value, a score in (0, 1] and the detector name."""
    text = "write to jane@example.com"
    (span,) = detector.detect(text)
    assert span.value == "jane@example.com" == text[span.start : span.end]
    assert 0.0 < span.score <= 1.0
    assert span.detector == "patterns"


def test_several_values_in_order(detector: PatternDetector) -> None:
    """Many values in one text come back sorted by start and non-overlapping."""
    text = "a@example.com, 192.168.0.1, 4111 1111 1111 1111, a@example.com"
    spans = detector.detect(text)
    assert [s.entity_type for s in spans] == [
        "EMAIL_ADDRESS",
        "IP_ADDRESS",
        "CREDIT_CARD",
        "EMAIL_ADDRESS",
    ]
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))


def test_specific_secret_wins_over_key_value(detector: PatternDetector) -> None:
    """A vendor token under a secret-named key is reported once, as the vendor entity."""
    from tests.guardrails.detection._cases import OPENAI

    assert _found(detector, f"OPENAI_API_KEY={OPENAI}") == [(OPENAI, "OPENAI_API_KEY")]


def test_database_url_masks_only_the_password(detector: PatternDetector) -> None:
    """DATABASE_URL=postgres://u:pw@host keeps the host visible and reports the password."""
    text = "DATABASE_URL=postgres://app:s3cr3tPw@db.internal:5432/app"
    assert _found(detector, text) == [("s3cr3tPw", "PASSWORD")]


def test_email_inside_url_credentials_not_reported(detector: PatternDetector) -> None:
    """The ``pw@host`` part of a credential URL is not also an e-mail address."""
    found = _found(detector, "https://user:pw1@example.com/")
    assert found == [("user:pw1", "URL_CREDENTIALS")]


@pytest.mark.parametrize(
    ("entities", "text", "expected"),
    [
        (["EMAIL_ADDRESS"], "a@example.com 192.168.0.1", ["EMAIL_ADDRESS"]),  # only emails
        (["network"], "a@example.com 192.168.0.1", ["IP_ADDRESS"]),  # a group
        (
            ["SECRET"],
            "ghp_q7Zk2LmX9pR4tV8wB1nC6dF3hJ5sY0aE2gKi",
            ["SECRET"],
        ),  # vendor token as SECRET
        (["PASSWORD"], "https://bob:hunter2@example.com", ["PASSWORD"]),  # URL creds as PASSWORD
        ([], "a@example.com", []),  # nothing requested
    ],
)
def test_entity_selection(entities: list[str], text: str, expected: list[str]) -> None:
    """Only requested entities are reported; secrets fall back to SECRET/PASSWORD when asked."""
    assert [s.entity_type for s in PatternDetector(entities).detect(text)] == expected


def test_entities_attribute_lists_pattern_entities() -> None:
    """``entities`` names what the detector may emit (no PERSON/LOCATION/ADDRESS)."""
    d = PatternDetector()
    assert "EMAIL_ADDRESS" in d.entities
    assert "GITHUB_TOKEN" in d.entities
    assert not d.entities & {"PERSON", "LOCATION", "ADDRESS"}
