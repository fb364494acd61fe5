"""SharedScan: one pass without start offsets, a second pass only for groups asking for them."""

from __future__ import annotations

from guardrails.detection._lexicon_scan import CueScanner, SharedScan


def _scan() -> SharedScan:
    shared = SharedScan()
    shared.register("plain", [r"(?i)\bname:", r"\bDr\.[ \t]+[A-Z]"])
    shared.register("starts", [r"\b\d{1,4}[ \t]+Elm[ \t]+St", r"(?i)\bapt[ \t]+\d"], starts=True)
    return shared


def test_groups_asking_for_starts_get_the_same_hits_as_a_start_of_match_scan() -> None:
    text = "Name: Dr. Jane at 12 Elm St, apt 4 — née Zoë, 7 Elm St"
    shared = _scan()
    alone = CueScanner([r"\b\d{1,4}[ \t]+Elm[ \t]+St", r"(?i)\bapt[ \t]+\d"], starts=True)
    assert shared.hits(text, "starts") == alone.spans(text)
    starts = [(s, e) for _, s, e in shared.hits(text, "starts")]
    assert [text[s:e] for s, e in starts] == ["12 Elm St", "apt 4", "7 Elm St"]
    assert [(i, text[:e][-3:]) for i, _, e in shared.hits(text, "plain")] == [
        (0, "me:"),
        (1, ". J"),
    ]


def test_text_without_a_hit_of_a_starts_group_reports_none() -> None:
    shared = _scan()
    assert shared.hits("Name: only a label here", "starts") == []
    assert [i for i, _, _ in shared.hits("Name: only a label here", "plain")] == [0]


def test_gated_group_is_scanned_only_when_its_gate_hits() -> None:
    shared = SharedScan()
    shared.register("names", [r"(?i)\bname:"])
    street = r"\b\d{1,6}[ \t]+(?:[^ \t\n,]+[ \t]+){1,3}(?:Street|St)\b"
    shared.register("us", [street], gate=r"[ \t](?:Street|St)\b")
    text = "name: x, 12 Elm Street and 9 Oak St"
    assert shared.hits(text, "us") == CueScanner([street]).spans(text)
    assert [text[e - 6 : e] for _, _, e in shared.hits(text, "us")] == ["Street", "Oak St"]
    assert [i for i, _, _ in shared.hits(text, "names")] == [0]  # the gate is nobody's hit
    assert shared.hits("GET /x 200 431 Stale", "us") == []
