"""PresidioDetector: a presidio-analyzer AnalyzerEngine behind our Detector protocol.

No spaCy model can be downloaded here, so every engine is built with presidio's NoOpNlpEngine
and its pattern recognizers only.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from guardrails import MissingDependencyError
from guardrails._errors import ConfigurationError, RedactionError
from guardrails._types import Detector
from guardrails.detection.presidio import PresidioDetector

presidio_analyzer = pytest.importorskip("presidio_analyzer")
from presidio_analyzer import AnalyzerEngine, PatternRecognizer, RecognizerRegistry  # noqa: E402
from presidio_analyzer.nlp_engine import NoOpNlpEngine  # noqa: E402


def pattern_engine(*recognizers: Any) -> AnalyzerEngine:
    """An engine with presidio's pattern recognizers (or the given ones) and no NLP model."""
    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    registry = RecognizerRegistry(recognizers=list(recognizers) or None)
    if not recognizers:
        registry.load_predefined_recognizers(nlp_engine=nlp)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp)


@pytest.fixture(scope="module")
def engine() -> AnalyzerEngine:
    return pattern_engine()


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("mail jane@example.com today", "EMAIL_ADDRESS", "jane@example.com"),  # email
        ("ssn 536-90-4399 on file", "US_SSN", "536-90-4399"),  # US SSN
        ("card 4111 1111 1111 1111 used", "CREDIT_CARD", "4111 1111 1111 1111"),  # card
        ("iban DE89370400440532013000 ok", "IBAN_CODE", "DE89370400440532013000"),  # IBAN
        ("host 192.168.10.20 down", "IP_ADDRESS", "192.168.10.20"),  # IPv4
    ],
)
def test_pattern_recognizers_become_spans(
    engine: AnalyzerEngine, text: str, entity: str, value: str
) -> None:
    """presidio results come back as our Spans with the same entity names and offsets."""
    spans = PresidioDetector(engine, entities=[entity]).detect(text)
    assert [(s.entity_type, text[s.start : s.end], s.detector) for s in spans] == [
        (entity, value, "presidio")
    ]


def test_is_a_detector(engine: AnalyzerEngine) -> None:
    """The adapter satisfies the Detector protocol and names what it may emit."""
    d = PresidioDetector(engine, entities=["EMAIL_ADDRESS", "US_SSN"])
    assert isinstance(d, Detector)
    assert d.entities == frozenset({"EMAIL_ADDRESS", "US_SSN"})


def test_entities_default_to_what_the_engine_supports(engine: AnalyzerEngine) -> None:
    """Without ``entities`` the adapter asks the engine what it supports."""
    assert {"EMAIL_ADDRESS", "CREDIT_CARD"} <= PresidioDetector(engine).entities


def test_entity_names_are_mapped() -> None:
    """presidio's STREET_ADDRESS becomes our ADDRESS."""
    street = PatternRecognizer(
        supported_entity="STREET_ADDRESS",
        deny_list=["221B Baker Street"],
    )
    d = PresidioDetector(pattern_engine(street), entities=["STREET_ADDRESS"])
    assert d.entities == frozenset({"ADDRESS"})
    (span,) = d.detect("lives at 221B Baker Street")
    assert span.entity_type == "ADDRESS"


def test_score_threshold_drops_weak_results(engine: AnalyzerEngine) -> None:
    """Results below the threshold are dropped (presidio's SSN pattern scores 0.5 or less)."""
    text = "ssn 536-90-4399 on file"
    assert PresidioDetector(engine, entities=["US_SSN"], score_threshold=0.0).detect(text)
    assert PresidioDetector(engine, entities=["US_SSN"], score_threshold=0.99).detect(text) == []


@pytest.mark.parametrize("threshold", [-0.1, 1.5])  # below 0, above 1
def test_bad_threshold_is_a_configuration_error(engine: AnalyzerEngine, threshold: float) -> None:
    """A threshold outside [0, 1] is refused when the detector is built."""
    with pytest.raises(ConfigurationError):
        PresidioDetector(engine, score_threshold=threshold)


def test_value_not_in_repr(engine: AnalyzerEngine) -> None:
    """Neither the detector's nor a span's repr shows the raw value."""
    d = PresidioDetector(engine, entities=["EMAIL_ADDRESS"])
    spans = d.detect("mail jane@example.com")
    assert spans
    assert "jane" not in repr(spans) + repr(d)


class _Broken:
    def get_supported_entities(self, language: str = "en") -> list[str]:
        return ["PERSON"]

    def analyze(self, **kwargs: Any) -> list[Any]:
        raise ValueError(f"cannot analyze {kwargs['text']}")


def test_analyzer_failure_fails_closed_without_the_text() -> None:
    """An analyzer error becomes RedactionError whose message does not contain the text."""
    d = PresidioDetector(_Broken())
    with pytest.raises(RedactionError) as info:
        d.detect("Jane Doe lives here")
    assert "Jane" not in str(info.value)
    assert info.value.__cause__ is None  # the original message held the raw text


def test_default_engine_without_model_does_not_download(monkeypatch: pytest.MonkeyPatch) -> None:
    """No analyzer and no spaCy model: a clear error, never a runtime download."""
    import spacy.cli
    import spacy.util

    monkeypatch.setattr(spacy.util, "is_package", lambda name: False)
    monkeypatch.setattr(spacy.cli, "download", lambda *a, **k: pytest.fail("download attempted"))
    with pytest.raises(ConfigurationError, match="en_core_web_lg"):
        PresidioDetector()


def test_missing_presidio_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without presidio-analyzer installed the error says which extra to install."""
    monkeypatch.setitem(sys.modules, "presidio_analyzer", None)
    with pytest.raises(MissingDependencyError, match=r"action-guardrails\[presidio\]"):
        PresidioDetector()
