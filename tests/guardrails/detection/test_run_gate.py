"""The run gate only skips texts where the capitalized-run regex cannot match."""

from __future__ import annotations

import random

import pytest

from guardrails.detection._lexicon_runs import _RUNS, _run_gate


@pytest.mark.parametrize(
    ("text", "may"),
    [
        ("2026-09-28T14:28:32.875Z INFO [req=req_XrF6bnZ3] GET /api/v2 200", False),
        ("x.Jane a/Jo b+Ann c=Eve d\\Max e_Li f9Al", False),  # glued capitals
        ("ALL CAPS ONLY", False),
        ("hello Jane", True),
        ("O'Brien", True),
        ("d’Artagnan Ó", True),
        ("Émile Zola", True),
        ("\ud800Jane", True),  # a lone surrogate before the name
    ],
)
def test_gate_on_examples(text: str, may: bool) -> None:
    assert _run_gate().may_hold_run(text) is may
    if not may:
        assert _RUNS.findall(text) == []


def test_gate_never_skips_a_text_with_a_run() -> None:
    alphabet = [*"aZzAqQ'’-_/+=\\. \t\n09éÉßĀɏ—?@:\"İǅΩ", "\ud800"]
    rnd = random.Random(5)
    gate = _run_gate()
    for _ in range(20_000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 8)))
        if _RUNS.findall(text):
            assert gate.may_hold_run(text), repr(text)
