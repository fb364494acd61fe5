"""Regression gate on detection quality: a fixed generated agent-shaped corpus, per-entity recall.

Targets are issue 2's (recall ≥ 0.99 for structured entities and secrets, ≥ 0.95 for PERSON,
LOCATION and ADDRESS; ≥ 98 % of look-alikes untouched). Where the engine does not meet a target
yet, the row's floor is the level it achieved when the floor was last raised, and says so: the
gate then catches regressions while the gap stays visible. Raise a floor whenever the engine
improves. Matching rule: :mod:`benchmarks.quality` (overlap, type-compatible).
"""

from __future__ import annotations

import pytest

from benchmarks import corpus, quality
from guardrails import Redactor
from guardrails.detection._entities import ENTITIES

SEED, RECORDS = 3, 300


@pytest.fixture(scope="module")
def tally() -> quality.Tally:
    """Our engine's outcome on the fixed corpus, computed once for every row."""
    redactor = Redactor()
    result = quality.Tally()
    for record in corpus.generate(RECORDS, seed=SEED):
        row = record.to_json()
        spans = [(s.start, s.end, s.entity_type) for s in redactor.detect(record.text)]
        quality.score_record(
            result,
            "guardrails",
            record.text,
            row["spans"],
            row["lookalikes"],
            spans,
            frozenset(ENTITIES),
        )
    return result


MET = [
    (e, quality.TARGETS[e])
    for e in sorted(quality.TARGETS)
    if e not in ("PHONE_NUMBER", "PERSON", "LOCATION", "URL_CREDENTIALS")
]
BELOW_TARGET = [
    ("PHONE_NUMBER", 0.80),  # target 0.99; misses international numbers written with dots/dashes
    ("PERSON", 0.88),  # target 0.95; misses names in CSV rows and bare first names
    ("LOCATION", 0.90),  # target 0.95; misses some cities (Cologne, Seville) and countries
    ("URL_CREDENTIALS", 0.90),  # target 0.99; misses passwords with RFC 3986 sub-delims (! *)
]


@pytest.mark.parametrize(("entity", "floor"), MET + BELOW_TARGET)
def test_recall_floor(tally: quality.Tally, entity: str, floor: float) -> None:
    """Per-entity recall on the fixed corpus stays at or above its floor."""
    assert tally.gold[entity] >= 10, f"too few {entity} in the gate corpus"
    recall = tally.found[entity] / tally.gold[entity]
    assert recall >= floor, f"{entity} recall {recall:.3f} < {floor}: {tally.misses[entity][:3]}"


def test_lookalikes_survive(tally: quality.Tally) -> None:
    """At least 98 % of the harmless look-alikes (versions, UUIDs, bad checksums, ...) are untouched."""
    survived = sum(tally.looks_ok.values()) / sum(tally.looks.values())
    assert survived >= quality.LOOKALIKE_TARGET


def test_aws_documented_example_keys_survive(tally: quality.Tally) -> None:
    """AWS's documented example key pair is never redacted."""
    assert tally.looks_ok["aws_example_key"] == tally.looks["aws_example_key"] > 0


def test_micro_precision_floor(tally: quality.Tally) -> None:
    """Over all entities, at least 97 % of what we flag is really sensitive."""
    tp, fp = sum(tally.tp.values()), sum(tally.fp.values())
    assert tp / (tp + fp) >= 0.97
