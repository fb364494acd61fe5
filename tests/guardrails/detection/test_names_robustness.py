"""Offline PERSON/LOCATION/ADDRESS detectors: arbitrary unicode, placeholders, scanner fallback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.detection._address import AddressDetector
from guardrails.detection._lexicon_scan import CueScanner, Intervals
from guardrails.detection._locations import LocationDetector
from guardrails.detection._names import NameDetector

DETECTORS = (NameDetector(), LocationDetector(), AddressDetector())

# Text mixing names, places, addresses and unicode oddities the detectors must survive.
pieces = st.sampled_from(
    [
        "Jane Doe",
        "Dear Mr. Smith,",
        "Name: ",
        " in Berlin",
        "221B Baker Street",
        "Hauptstraße 5",
        "\ud800",  # lone high surrogate
        "\udfff",  # lone low surrogate
        "\u200d",  # zero-width joiner
        "\u200f",  # right-to-left mark
        "\u202e",  # right-to-left override
        "１２３",  # full-width digits
        "Ｊａｎｅ",  # full-width letters
        "Élodie Tanaka",
        "👩‍💻",  # emoji ZWJ sequence
        "\n",
        ", ",
        "<PERSON_1>",
    ]
)
texts = st.one_of(st.text(), st.lists(st.one_of(pieces, st.text(max_size=5))).map("".join))


@settings(max_examples=300, deadline=None)
@given(texts)
def test_never_raises_and_spans_are_in_bounds(text: str) -> None:
    """Any text: no exception; spans lie inside the text and carry their exact value."""
    for detector in DETECTORS:
        for span in detector.detect(text):
            assert 0 <= span.start < span.end <= len(text)
            assert span.value == text[span.start : span.end]


@pytest.mark.parametrize(
    "text",
    [
        "Name: <PERSON_1>",  # label then placeholder
        "Dear <PERSON_1>, your order ships to <ADDRESS_1> in <LOCATION_1>.",  # prose
        '{"customer_name": "<PERSON_2>", "city": "<LOCATION_3>", "street": "<ADDRESS_4>"}',  # JSON
        "id,name,city\n1,<PERSON_1>,<LOCATION_1>\n",  # CSV
        "From: <PERSON_1> <<EMAIL_ADDRESS_1>>",  # mail header
        "Best regards,\n<PERSON_7>",  # sign-off
    ],
)
def test_placeholders_are_never_detected(text: str) -> None:
    """Our own placeholders never come back as PERSON, LOCATION or ADDRESS."""
    for detector in DETECTORS:
        assert detector.detect(text) == [], type(detector).__name__


@pytest.mark.parametrize(
    "text",
    [
        "X-Api-Key: nr00P9YCmghZ03Ey635ZsyDQAIY+j/o8yVN4IT15HYk=",  # base64 with name-like bits
        "STRIPE_SECRET_KEY=sk_live_pJo1nekeJgjxV7LXGc9LrlokuXpZstoXwCLKJUwrwb7",  # secret
        "sha 3f786850e387550fdab836ed7e6dc881de23001b",  # git SHA
        "uuid 123e4567-e89b-12d3-a456-426614174000",  # UUID
    ],
)
def test_names_inside_tokens_are_ignored(text: str) -> None:
    """A capitalized fragment inside a random token is not a name or a place."""
    for detector in DETECTORS:
        assert detector.detect(text) == [], type(detector).__name__


def test_full_width_and_rtl_text_keeps_offsets() -> None:
    """Offsets stay exact after lone surrogates, RTL marks and full-width characters."""
    prefix = "\ud800\u200f１２３ 👩‍💻 "
    text = prefix + "Dear Mr. Smith, we ship from Berlin to Hauptstraße 5."
    found = {d.name: [text[s.start : s.end] for s in d.detect(text)] for d in DETECTORS}
    assert found == {
        "names": ["Smith"],
        "locations": ["Berlin"],
        "addresses": ["Hauptstraße 5"],
    }


@pytest.mark.parametrize(
    "text",
    [
        "Dear Mr. Smith, Name: Jane Doe",  # ASCII
        "Ünïcödé first: Name: Élodie Tanaka \ud800 Dear Mr. Okafor",  # non-ASCII and a surrogate
    ],
)
def test_re2_fallback_reports_the_same_hits(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    """Where hyperscan is missing, RE2 reports the same cue hits in str offsets."""
    patterns = [r"(?i)\bname[ \t]*:[ \t]*[a-z]", r"\b(?:Mr|Dr)\.?[ \t]+[A-Z]"]
    fast = CueScanner(patterns)
    monkeypatch.setitem(sys.modules, "hyperscan", None)
    slow = CueScanner(patterns)
    assert slow.scan(text) == fast.scan(text)
    assert fast.scan(text)


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(1, 20))), st.integers(0, 60))
def test_intervals_agree_with_brute_force(raw: list[tuple[int, int]], start: int) -> None:
    """Intervals.overlaps answers like a scan over every span."""
    spans = [(s, s + n) for s, n in raw]
    end = start + 5
    expected = any(s < end and start < e for s, e in spans)
    assert Intervals(spans).overlaps(start, end) == expected


words = st.sampled_from(
    ["Jane", "Doe", "Berlin", "New", "York", "Will", "Smith", "Ab", "x", "Jane's", "O'Brien"]
)
run_texts = st.lists(
    st.one_of(words, st.sampled_from([" ", "  ", ",", "\n", "_", "7", "-", "é"]))
).map("".join)


@settings(max_examples=300, deadline=None)
@given(run_texts)
def test_run_positions_match_the_regex(text: str) -> None:
    """Run starts recovered with str.find are exactly where the run regex matched."""
    from guardrails.detection._lexicon_runs import _RUNS, run_analyzer

    analyzer = run_analyzer(("census1990", "faker"), 15000)
    got = [start for start, _ in analyzer.runs(text)]
    expected_all = [m.start() for m in _RUNS.finditer(text)]
    assert set(got) <= set(expected_all)
    for start, findings in analyzer.runs(text):
        assert findings == analyzer._cache[_RUNS.match(text, start).group()]


@pytest.mark.parametrize(
    "body",
    [
        "'" * 5000,  # an unterminated run of quotes
        "'a" * 5000,  # alternating quotes
        "(1," * 5000,  # nested parentheses
    ],
)
def test_hostile_sql_values_are_read_in_one_pass(body: str) -> None:
    """Malformed INSERT ... VALUES input neither raises nor yields a span outside the text."""
    text = "INSERT INTO t (id, name) VALUES (" + body
    for detector in DETECTORS:
        for span in detector.detect(text):
            assert 0 <= span.start < span.end <= len(text)


def test_cue_patterns_are_the_same_in_every_process() -> None:
    """The shared cue patterns do not depend on the string hash seed, so the compiled database
    is found again in the on-disk cache by the next process instead of being compiled anew."""
    code = (
        "import hashlib, guardrails.detection._locations, guardrails.detection._address\n"
        "from guardrails.detection._lexicon_scan import SHARED_SCAN\n"
        "print(hashlib.sha256(repr(sorted(SHARED_SCAN._groups.items())).encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(digests) == 1
