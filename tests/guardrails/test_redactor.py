"""Redactor on text: spans, placeholders, known values, protected tokens, configuration."""

from __future__ import annotations

import itertools

import pytest

from guardrails import (
    ConfigurationError,
    InputError,
    Mask,
    RedactionError,
    Redactor,
    Span,
    Vault,
)
from guardrails.masking import KeyedHash, Redact
from tests.guardrails._redaction_fakes import EMAIL, FAKES, PERSON, SSN, Exploding, RegexDetector


def make(**kwargs: object) -> Redactor:
    return Redactor(detectors=FAKES, **kwargs)  # type: ignore[arg-type]


def test_redact_masks_and_reports_spans_in_original_coordinates() -> None:
    """Spans point into the input text; counts per entity."""
    text = "mail jane@x.io, ssn 123-45-6789"
    result = make().redact(text)
    assert result.text == "mail <EMAIL_ADDRESS_1>, ssn <US_SSN_1>"
    assert [(text[s.start : s.end], s.entity_type) for s in result.spans] == [
        ("jane@x.io", "EMAIL_ADDRESS"),
        ("123-45-6789", "US_SSN"),
    ]
    assert dict(result.counts) == {"EMAIL_ADDRESS": 1, "US_SSN": 1}


def test_result_repr_has_no_raw_value() -> None:
    """repr(result) shows the masked text and span metadata only."""
    result = make().redact("ssn 123-45-6789")
    assert "6789" not in repr(result)


def test_same_value_same_placeholder_within_a_vault() -> None:
    """A shared vault keeps placeholders stable across calls."""
    r, v = make(), Vault()
    a = r.redact("a@x.io b@x.io", vault=v).text
    b = r.redact("b@x.io then a@x.io", vault=v).text
    assert a == "<EMAIL_ADDRESS_1> <EMAIL_ADDRESS_2>"
    assert b == "<EMAIL_ADDRESS_2> then <EMAIL_ADDRESS_1>"


def test_without_a_vault_each_call_has_a_fresh_one() -> None:
    """Without vault=, numbering restarts and the result carries its vault."""
    r = make()
    first, second = r.redact("b@x.io"), r.redact("a@x.io")
    assert first.text == second.text == "<EMAIL_ADDRESS_1>"
    assert first.vault is not second.vault
    assert second.vault.restore(second.text) == "a@x.io"


def test_known_value_is_masked_where_detection_misses_it() -> None:
    """A name learned from "Name:" is masked in a later text that has no cue (piighost bug)."""
    r, v = make(), Vault()
    r.redact("Name: Jane Doe", vault=v)
    assert r.redact("Jane Doe called back", vault=v).text == "<PERSON_1> called back"


def test_repeat_of_a_context_value_in_the_same_text() -> None:
    """The second, cue-less occurrence of a name in the same text is masked too."""
    out = make().redact("Name: Jane Doe. Later, Jane Doe wrote.").text
    assert out == "Name: <PERSON_1>. Later, <PERSON_1> wrote."


def test_placeholders_are_never_redetected() -> None:
    """A detector that would match inside a placeholder is ignored there."""
    upper = RegexDetector("upper", "PERSON", r"[A-Z]{5,}")
    r = Redactor(detectors=[upper])
    assert r.redact("<EMAIL_ADDRESS_1> and <PERSON_12> and <US_SSN>").text == (
        "<EMAIL_ADDRESS_1> and <PERSON_12> and <US_SSN>"
    )


def test_unknown_bracketed_words_are_still_detected() -> None:
    """Only tokens naming an entity are protected: a key in brackets is still found."""
    key = RegexDetector("aws", "AWS_ACCESS_KEY_ID", r"AKIA[A-Z0-9]{16}")
    r = Redactor(detectors=[key])
    assert r.redact("<AKIAQWERTYUIOPASDFGH>").text == "<<AWS_ACCESS_KEY_ID_1>>"


def test_model_invented_placeholder_passes_through() -> None:
    """An unknown placeholder is neither masked nor an error."""
    assert make().redact("write to <EMAIL_ADDRESS_99>").text == "write to <EMAIL_ADDRESS_99>"


def test_redacting_masked_output_changes_nothing() -> None:
    """Idempotent in the same vault."""
    r, v = make(), Vault()
    once = r.redact("Name: Jane Doe, jane@x.io, 123-45-6789", vault=v).text
    assert r.redact(once, vault=v).text == once


def test_overlapping_detections_are_merged() -> None:
    """Two detectors overlapping on one value give one span of the best-scored type."""
    wide = RegexDetector("wide", "PERSON", r"jane@x", score=0.3)
    r = Redactor(detectors=[EMAIL, wide])
    (span,) = r.detect("to jane@x.io")
    assert (span.start, span.end, span.entity_type) == (3, 12, "EMAIL_ADDRESS")


def test_operators_per_entity_and_default() -> None:
    """Per-entity operators, "default" for the rest."""
    r = make(operators={"US_SSN": Mask(keep_last=4), "default": Redact()})
    assert r.redact("a@x.io 123-45-6789").text == "<EMAIL_ADDRESS> *******6789"


def test_keyed_hash_operator_in_a_redactor() -> None:
    """KeyedHash output is stable and not re-detected."""
    r = make(operators={"default": KeyedHash(key=b"k" * 32)})
    once = r.redact("a@x.io").text
    assert once.startswith("<EMAIL_ADDRESS#")
    assert r.redact(once).text == once


def test_score_threshold_drops_weak_spans() -> None:
    """Spans scored under the threshold are ignored."""
    assert make(score_threshold=0.9).redact("Name: Jane Doe").text == "Name: Jane Doe"


def test_entities_restricts_what_is_masked() -> None:
    """Only the configured entities are masked, by name or group."""
    assert make(entities=["US_SSN"]).redact("a@x.io 123-45-6789").text == "a@x.io <US_SSN_1>"
    assert make(entities=["contact"]).redact("a@x.io 123-45-6789").text == (
        "<EMAIL_ADDRESS_1> 123-45-6789"
    )


def test_detect_returns_merged_spans() -> None:
    """detect() gives sorted, non-overlapping spans."""
    spans = make().detect("a@x.io 123-45-6789 b@x.io")
    assert [s.entity_type for s in spans] == ["EMAIL_ADDRESS", "US_SSN", "EMAIL_ADDRESS"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))


def test_extra_detectors_add_entities() -> None:
    """extra_detectors run beside the base ones and may declare new entity types."""
    badge = RegexDetector("badge", "BADGE_ID", r"BDG-\d{4}")
    r = Redactor(detectors=[EMAIL], extra_detectors=[badge])
    assert r.redact("BDG-1234 a@x.io").text == "<BADGE_ID_1> <EMAIL_ADDRESS_1>"


def test_empty_text() -> None:
    """Empty input gives empty output and no spans."""
    result = make().redact("")
    assert (result.text, result.spans) == ("", ())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"entities": ["NOT_AN_ENTITY"]},  # unknown entity
        {"entities": []},  # nothing to do
        {"operators": {"PERSONN": Mask()}},  # typo in an operator key
        {"operators": {"US_SSN": "mask"}},  # a string is not an operator
        {"operators": ["mask"]},  # not a mapping
        {"score_threshold": 2},  # out of range
        {"score_threshold": "high"},  # not a number
        {"field_rules": {"badge": "NOT_AN_ENTITY"}},  # rule to an unknown entity
        {"field_rules": ["ssn"]},  # not a mapping
        {"detectors": [object()]},  # not a Detector
    ],
)
def test_configuration_errors(kwargs: dict[str, object]) -> None:
    """Invalid configuration fails at construction with ConfigurationError."""
    base = {"detectors": FAKES} | kwargs
    with pytest.raises(ConfigurationError):
        Redactor(**base)  # type: ignore[arg-type]


def test_failing_detector_fails_closed_without_the_text() -> None:
    """A detector exception becomes RedactionError; the message does not echo the input."""
    with pytest.raises(RedactionError) as info:
        Redactor(detectors=[Exploding()]).redact("secret jane@x.io")
    assert "jane" not in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None


def test_out_of_bounds_span_is_refused() -> None:
    """A plug-in returning a span past the end of the text is a RedactionError."""

    class Bad:
        name = "bad"
        entities = frozenset({"PERSON"})

        def detect(self, text: str) -> list[Span]:
            return [Span(start=0, end=len(text) + 5, entity_type="PERSON", score=1.0)]

    with pytest.raises(RedactionError):
        Redactor(detectors=[Bad()]).redact("abc")


@pytest.mark.parametrize("bad", [b"a@x.io", None, 42, ["a@x.io"]])
def test_redact_rejects_non_str(bad: object) -> None:
    """redact() takes str only."""
    with pytest.raises(InputError):
        make().redact(bad)  # type: ignore[arg-type]


def test_redact_rejects_a_non_vault() -> None:
    """vault= must be a Vault."""
    with pytest.raises(InputError):
        make().redact("x", vault={})  # type: ignore[arg-type]


def test_reuses_person_detector_value_repr() -> None:
    """Spans from detect() keep the raw value out of repr but available as .value."""
    (span,) = Redactor(detectors=[PERSON]).detect("Name: Jane Doe")
    assert span.value == "Jane Doe"
    assert "Jane" not in repr(span)


def test_ssn_fake_is_used() -> None:
    """Sanity: the fake SSN detector only matches the dashed form."""
    assert SSN.detect("123456789") == []


class CountingDetector(RegexDetector):
    """Counts how often detection runs."""

    def __init__(self) -> None:
        super().__init__("counting", "EMAIL_ADDRESS", r"[a-z]+@[a-z]+\.io")
        self.calls = 0

    def detect(self, text: str) -> list[Span]:
        self.calls += 1
        return super().detect(text)


def test_resent_masked_text_is_not_detected_again() -> None:
    """Output this redactor produced in this vault skips detection when it comes back."""
    det = CountingDetector()
    r, v = Redactor(detectors=[det]), Vault()
    history = r.redact("mail a@x.io", vault=v).text
    r.redact(history, vault=v)
    r.redact(history, vault=v)
    assert det.calls == 1


def test_resent_text_still_gets_values_learned_later() -> None:
    """A value learned after a text was produced is masked when that text is re-sent."""
    r, v = Redactor(detectors=[PERSON]), Vault()
    old = r.redact("Jane Doe called", vault=v).text  # no cue: not detected then
    r.redact("Name: Jane Doe", vault=v)
    assert r.redact(old, vault=v).text == "<PERSON_1> called"


def test_threads_share_a_vault_consistently() -> None:
    """Concurrent redactions into one vault agree on every placeholder."""
    import threading

    r, v = make(), Vault()
    texts = [f"user{i}@x.io and user{(i * 7) % 50}@x.io" for i in range(50)]
    outs: list[list[str]] = []

    def work() -> None:
        outs.append([r.redact(t, vault=v).text for t in texts])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(o == outs[0] for o in outs)
    assert len(v) == 50
    assert [v.restore(o) for o in outs[0]] == texts


def test_every_occurrence_of_a_secret_is_masked() -> None:
    """The same token three times is masked three times (LLM Guard #305 masked only the first)."""
    token = "ghp_" + "R4nd0mT0k3nV4lu3F0rD3m0Purp0s3s0nly1"
    result = Redactor().redact(f"{token} then {token}; again: {token}")
    assert result.text == "<GITHUB_TOKEN_1> then <GITHUB_TOKEN_1>; again: <GITHUB_TOKEN_1>"


def test_placeholders_are_never_altered() -> None:
    """A masked history goes back byte for byte: no zero-width marks (piighost) or renumbering."""
    r, v = Redactor(), Vault()
    once = r.redact("mail jane.doe@example.com", vault=v).text
    again = Redactor().redact(once, vault=v).text
    assert again.encode() == once.encode() == b"mail <EMAIL_ADDRESS_1>"
