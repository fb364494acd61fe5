"""The benchmark harness: discovery of benchmark modules and the quality matching rule."""

from __future__ import annotations

import pytest

from benchmarks import __main__ as dispatcher
from benchmarks import quality

GOLD = [
    {"start": 0, "end": 10, "label": "GITHUB_TOKEN"},
    {"start": 20, "end": 30, "label": "LOCATION"},
    {"start": 40, "end": 50, "label": "PHONE_NUMBER"},
]
LOOKS = [{"start": 60, "end": 70, "label": "uuid"}]
TEXT = "x" * 80
SCORED = frozenset({"GITHUB_TOKEN", "SECRET", "LOCATION", "ADDRESS", "PHONE_NUMBER", "IP_ADDRESS"})


def _tally(found: list[tuple[int, int, str]], system: str = "guardrails") -> quality.Tally:
    tally = quality.Tally()
    quality.score_record(tally, system, TEXT, GOLD, LOOKS, found, SCORED)
    return tally


def test_dispatcher_discovers_public_modules_with_main() -> None:
    """quality, speed and linear are found; the corpus generator and private helpers are not."""
    names = dispatcher.available()
    assert {"quality", "speed", "linear"} <= set(names)
    assert "corpus" not in names
    assert not [n for n in names if n.startswith("_")]


def test_dispatcher_rejects_unknown_names() -> None:
    """An unknown benchmark name exits with status 2 and runs nothing."""
    assert dispatcher.main(["no_such_benchmark"]) == 2


@pytest.mark.parametrize(
    ("pred", "gold", "ok"),
    [
        ("GITHUB_TOKEN", "GITHUB_TOKEN", True),  # same type
        ("SECRET", "GITHUB_TOKEN", True),  # any secret type masks a secret
        ("ADDRESS", "LOCATION", True),  # places are one family
        ("URL", "URL_CREDENTIALS", True),  # an anchor's whole-URL span masks the credentials
        ("URL", "PASSWORD", False),  # ...but nothing else
        ("PERSON", "LOCATION", False),  # a person is not a place
        ("IP_ADDRESS", "PHONE_NUMBER", False),  # digits inside a phone are not an IP
    ],
)
def test_compatible_types(pred: str, gold: str, ok: bool) -> None:
    """Type compatibility follows the documented matching rule."""
    assert quality.compatible(pred, gold) is ok


def test_overlap_of_one_character_finds_a_gold_span() -> None:
    """A partial overlap with a compatible type counts as found (and as a true positive)."""
    tally = _tally([(9, 12, "SECRET")])
    assert tally.found["GITHUB_TOKEN"] == 1
    assert tally.tp["SECRET"] == 1


def test_incompatible_overlap_is_a_miss_and_a_false_positive() -> None:
    """An IP found inside a phone number misses the phone and counts against IP precision."""
    tally = _tally([(41, 49, "IP_ADDRESS")])
    assert tally.found["PHONE_NUMBER"] == 0
    assert tally.fp["IP_ADDRESS"] == 1


def test_unscored_types_stay_out_of_precision() -> None:
    """A prediction of a type the dataset does not annotate is counted as unscored, not a FP."""
    tally = _tally([(75, 78, "DATE_TIME")])
    assert tally.unscored["DATE_TIME"] == 1
    assert sum(tally.fp.values()) == 0


def test_any_overlap_destroys_a_lookalike() -> None:
    """A look-alike survives only if no predicted span of any type touches it."""
    assert _tally([]).looks_ok["uuid"] == 1
    assert _tally([(69, 72, "DATE_TIME")]).looks_ok["uuid"] == 0


def test_anchor_labels_are_mapped() -> None:
    """LangChain's lowercase labels are scored in our vocabulary."""
    tally = quality.Tally()
    gold = [{"start": 0, "end": 8, "label": "IP_ADDRESS"}]
    quality.score_record(tally, "langchain", TEXT, gold, [], [(0, 8, "ip")], SCORED)
    assert tally.found["IP_ADDRESS"] == 1


def test_speed_breakdown_rows() -> None:
    """The speed breakdown reports redact, every detector, the pipeline and the components."""
    from benchmarks import speed

    rows = speed.breakdown(lambda seed: [f"Hi Jane Doe, mail jane{seed}@example.com"] * 3, 1)
    assert {"redact", "pipeline", "detector: patterns", "detector: names"} <= set(rows)
    assert sum(k.startswith("component: ") for k in rows) == 3
    assert rows["redact"] > 0


def test_speed_reports_the_five_entity_reference_beside_the_targets() -> None:
    """The run on LangChain's five entity types is a reference row, never a target: the target
    ratios stay those of ``Redactor()`` over every entity."""
    from benchmarks import _common, speed

    systems = [_common.ours(), _common.langchain(), _common.ours_langchain_entities()]
    out = speed.run_workload(systems, lambda seed: [f"mail jane{seed}@example.com, Jane Doe"], 0, 1)
    assert set(out["systems"]) == {"guardrails", "langchain", "guardrails_5_entities"}
    assert out["ratios"]["langchain"]["target"] == 10.0
    assert "target" not in out["ratios"]["langchain_same_5_entities"]
    masked = _common.ours_langchain_entities().redact("Jane Doe, jane@example.com")
    assert masked == "Jane Doe, <EMAIL_ADDRESS_1>"  # names are not among the five
