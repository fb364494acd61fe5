"""Regression gate on detection quality: fixed generated agent-shaped corpora, per-entity recall.

Targets are issue 2's (recall ≥ 0.99 for structured entities and secrets, ≥ 0.95 for PERSON,
LOCATION and ADDRESS; ≥ 98 % of look-alikes untouched). The main corpus must meet every target.
The held-out corpus (names, places and document shapes the main corpus never uses) is held to
the targets where the engine meets them and, where it does not yet, to the level it achieved when
the floor was last raised (marked in the table): the gate catches regressions while the gap stays
visible. Raise a floor whenever the engine improves. Matching rule: :mod:`benchmarks.quality`.
"""

from __future__ import annotations

import pytest

from benchmarks import corpus, quality
from guardrails import Redactor
from guardrails.detection._entities import ENTITIES


def _score(n_records: int, *, seed: int, heldout: bool) -> quality.Tally:
    redactor = Redactor()
    tally = quality.Tally()
    for record in corpus.generate(n_records, seed=seed, heldout=heldout):
        row = record.to_json()
        spans = [(s.start, s.end, s.entity_type) for s in redactor.detect(record.text)]
        quality.score_record(
            tally,
            "guardrails",
            record.text,
            row["spans"],
            row["lookalikes"],
            spans,
            frozenset(ENTITIES),
        )
    return tally


@pytest.fixture(scope="module")
def main_tally() -> quality.Tally:
    """Our engine's outcome on the main corpus, computed once for every row."""
    return _score(300, seed=3, heldout=False)


@pytest.fixture(scope="module")
def heldout_tally() -> quality.Tally:
    """Our engine's outcome on the held-out corpus, computed once for every row."""
    return _score(240, seed=4, heldout=True)


def _recall(tally: quality.Tally, entity: str) -> float:
    return tally.found[entity] / tally.gold[entity]


@pytest.mark.parametrize(("entity", "target"), sorted(quality.TARGETS.items()))
def test_main_corpus_meets_recall_target(
    main_tally: quality.Tally, entity: str, target: float
) -> None:
    """Every entity meets its issue-2 recall target on the main corpus."""
    assert main_tally.gold[entity] >= 10, f"too few {entity} in the gate corpus"
    recall = _recall(main_tally, entity)
    assert recall >= target, (
        f"{entity} recall {recall:.3f} < {target}: {main_tally.misses[entity][:3]}"
    )


HELDOUT_FLOORS = {
    **quality.TARGETS,
    "PERSON": 0.92,  # below the 0.95 target: misses iCalendar CN= names and SQL-dump names
}


@pytest.mark.parametrize(("entity", "floor"), sorted(HELDOUT_FLOORS.items()))
def test_heldout_corpus_recall_floor(
    heldout_tally: quality.Tally, entity: str, floor: float
) -> None:
    """Recall on unseen names, places and document shapes stays at or above its floor."""
    assert heldout_tally.gold[entity] >= 5, f"too few {entity} in the held-out gate corpus"
    recall = _recall(heldout_tally, entity)
    assert recall >= floor, (
        f"{entity} recall {recall:.3f} < {floor}: {heldout_tally.misses[entity][:3]}"
    )


@pytest.mark.parametrize("which", ["main", "heldout"])
def test_lookalikes_survive(
    main_tally: quality.Tally, heldout_tally: quality.Tally, which: str
) -> None:
    """At least 98 % of the harmless look-alikes (versions, UUIDs, bad checksums, ...) are untouched."""
    tally = main_tally if which == "main" else heldout_tally
    assert sum(tally.looks_ok.values()) / sum(tally.looks.values()) >= quality.LOOKALIKE_TARGET


def test_aws_documented_example_keys_survive(main_tally: quality.Tally) -> None:
    """AWS's documented example key pair is never redacted."""
    assert main_tally.looks_ok["aws_example_key"] == main_tally.looks["aws_example_key"] > 0


@pytest.mark.parametrize("which", ["main", "heldout"])
def test_micro_precision_floor(
    main_tally: quality.Tally, heldout_tally: quality.Tally, which: str
) -> None:
    """Over all entities, at least 97 % of what we flag is really sensitive."""
    tally = main_tally if which == "main" else heldout_tally
    tp, fp = sum(tally.tp.values()), sum(tally.fp.values())
    assert tp / (tp + fp) >= 0.97
