"""The NAME detector's shortcuts (speaker verdicts decided once per label, parts of full names
looked for only where they are written again) give the answers of the uncached code."""

from __future__ import annotations

import pytest

from guardrails.detection._names import NameDetector


def _names(detector: NameDetector, text: str) -> list[tuple[str, float]]:
    # ``_detect`` bypasses the per-text memo: every call really runs
    return [(text[s.start : s.end], s.score) for s in detector._detect(text)]


def test_cached_speaker_label_still_depends_on_the_case_after_it() -> None:
    """'Will:' (a first name that is also a word) is a speaker before 'Hello', not before 'https'."""
    detector = NameDetector()
    for _ in range(2):  # the second round answers from the cache
        assert _names(detector, "Will: Hello there\nJane: ok") == [("Will", 0.9), ("Jane", 0.9)]
        assert _names(detector, "Will: https://x.y\nJane: ok") == [("Jane", 0.9)]


@pytest.mark.parametrize(
    "text",
    [
        "From: Jane Doe <jane@x.com>\nTo: Bob Stone <bob@y.org>\nSubject: Re: invoice\n\nHi Bob,",
        "[10:02] Agent: Hello\n[10:03] Jane: hi\n[10:04] Agent: Thanks",
        "Will: ok\nWill: Sure\nSee: https://x.y\nDirected By: Someone",  # same label, other case after
        "Ubul: What a wife.\nJane: Indeed.",  # an unknown speaker vouched for by a known one
    ],
)
def test_speaker_verdicts_do_not_depend_on_what_was_seen_before(text: str) -> None:
    """A detector that has seen many labels answers like a fresh one."""
    warm = NameDetector()
    for other in ("From: x\nTo: y", "Will: hello", "Jane: Hi", "Agent: Hello", "Subject: x"):
        warm._detect(other)
    assert _names(warm, text) == _names(NameDetector(), text)


# (text, names expected): a part of a full name repeated elsewhere is a name there; a part
# written only inside its own names adds nothing
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # written again alone
        (
            "Maciej Borkowski directed it. The film is starring Borkowski.",
            [("Maciej Borkowski", 0.85), ("Borkowski", 0.7)],
        ),
        # written again before the full name
        ("Borkowski, Maciej Borkowski", [("Borkowski", 0.7), ("Maciej Borkowski", 0.85)]),
        # only inside the two full names: nothing more
        (
            "From: Maciej Borkowski <mb@x.com>\n\nThanks,\nMaciej Borkowski",
            [("Maciej Borkowski", 0.9), ("Maciej Borkowski", 0.9)],
        ),
    ],
)
def test_parts_of_full_names(text: str, expected: list[tuple[str, float]]) -> None:
    """Parts are found exactly where they are written outside the names already found."""
    assert _names(NameDetector(), text) == expected
