"""Quality: per-entity recall and precision, and look-alike survival, side by side with the anchors.

Datasets: ``presidio_synth_v2`` and ``wnut17_dev`` from ``shared/data/pii-dev`` and the generated
agent-shaped corpus (:mod:`benchmarks.corpus`, 1,000 records, seed 7 unless told otherwise).

Matching rule (span overlap, type-compatible):

* a gold span counts as **found** when at least one predicted span overlaps it by one character or
  more and its type is compatible: the same type; or both secret types (a GitHub token reported as
  ``SECRET`` is still masked); or both places (``LOCATION``/``ADDRESS``); or an anchor's whole-``URL``
  span over ``URL_CREDENTIALS`` (it masks the credentials with the URL);
* a predicted span is a **true positive** when it overlaps a compatible gold span, otherwise a
  **false positive**; predictions of a type the dataset does not annotate (e.g. presidio's
  ``DATE_TIME`` on pii-dev, or our secrets on WNUT) are left out of precision and counted as
  ``unscored``;
* ``covered`` is the share of gold characters inside any predicted span (any type): the leak view;
* a **look-alike survives** when no predicted span of any type overlaps it.

Run: ``python -m benchmarks quality`` (``--records N``, ``--systems guardrails,langchain``).
Writes ``benchmarks/results/quality.json`` and the per-entity misses and false positives of our
engine to ``/work/team/quality-report.md`` (or ``$QUALITY_REPORT``).
"""

from __future__ import annotations

import argparse
import os
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import _common, corpus
from guardrails.detection._entities import ENTITIES, SECRET_ENTITIES

SECRETS = frozenset(SECRET_ENTITIES)
PLACES = frozenset({"LOCATION", "ADDRESS"})
# Each system's labels in our vocabulary; unknown labels keep their own name (scored as "other").
LABEL_MAPS: dict[str, dict[str, str]] = {
    "guardrails": {},
    "langchain": {
        "email": "EMAIL_ADDRESS",
        "credit_card": "CREDIT_CARD",
        "ip": "IP_ADDRESS",
        "mac_address": "MAC_ADDRESS",
        "url": "URL",
    },
    "presidio": {},
}
STRUCTURED = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "US_SSN",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "MAC_ADDRESS",
)
TARGETS = {
    **{e: 0.99 for e in (*STRUCTURED, *sorted(SECRETS))},
    "PERSON": 0.95,
    "LOCATION": 0.95,
    "ADDRESS": 0.95,
}
LOOKALIKE_TARGET = 0.98
REPORT = Path(os.environ.get("QUALITY_REPORT", "/work/team/quality-report.md"))


def compatible(pred: str, gold: str) -> bool:
    """Whether a predicted type masks a gold value of another type (see module docstring)."""
    return (
        pred == gold
        or (pred in SECRETS and gold in SECRETS)
        or (pred in PLACES and gold in PLACES)
        or (pred == "URL" and gold == "URL_CREDENTIALS")
    )


@dataclass
class Tally:
    """Counts for one system on one dataset, plus examples of errors for the report."""

    gold: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    gold_chars: Counter[str] = field(default_factory=Counter)
    covered_chars: Counter[str] = field(default_factory=Counter)
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    unscored: Counter[str] = field(default_factory=Counter)
    looks: Counter[str] = field(default_factory=Counter)
    looks_ok: Counter[str] = field(default_factory=Counter)
    misses: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    false_pos: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    destroyed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def _context(text: str, start: int, end: int, gold: list[dict[str, Any]], width: int = 40) -> str:
    """The span ⟦like this⟧ with a little context; other labelled values around it become ``<TYPE>``."""

    def render(a: int, b: int) -> str:
        out, pos = [], a
        for g in sorted(gold, key=lambda g: g["start"]):
            gs, ge = max(g["start"], a), min(g["end"], b)
            if gs >= ge or gs < pos or (g["start"] < end and start < g["end"]):
                continue
            out += [text[pos:gs], f"<{g['label']}>"]
            pos = ge
        out.append(text[pos:b])
        return "".join(out)

    lo, hi = max(0, start - width), min(len(text), end + width)
    shown = render(lo, start) + f"⟦{text[start:end]}⟧" + render(end, hi)
    return shown.replace("\n", "⏎").replace("|", "¦").replace("`", "'")


def score_record(
    tally: Tally,
    system: str,
    text: str,
    gold: list[dict[str, Any]],
    looks: list[dict[str, Any]],
    found: Iterable[_common.Found],
    scored: frozenset[str],
) -> None:
    """Add one record's outcome to ``tally``."""
    mapping = LABEL_MAPS.get(system, {})
    preds = [(s, e, mapping.get(lab, lab)) for s, e, lab in found]
    for g in gold:
        label = g["label"]
        if label not in scored:
            continue
        tally.gold[label] += 1
        hit = any(s < g["end"] and g["start"] < e and compatible(p, label) for s, e, p in preds)
        tally.found[label] += hit
        chars = set(range(g["start"], g["end"]))
        tally.gold_chars[label] += len(chars)
        tally.covered_chars[label] += len(
            chars & {i for s, e, _ in preds for i in range(max(s, g["start"]), min(e, g["end"]))}
        )
        if not hit and len(tally.misses[label]) < 25:
            tally.misses[label].append(_context(text, g["start"], g["end"], gold))
    for s, e, p in preds:
        if p not in scored:
            tally.unscored[p] += 1
            continue
        if any(s < g["end"] and g["start"] < e and compatible(p, g["label"]) for g in gold):
            tally.tp[p] += 1
        else:
            tally.fp[p] += 1
            if len(tally.false_pos[p]) < 25:
                tally.false_pos[p].append(_context(text, s, e, gold))
    for lk in looks:
        tally.looks[lk["label"]] += 1
        hits = [p for s, e, p in preds if s < lk["end"] and lk["start"] < e]
        tally.looks_ok[lk["label"]] += not hits
        if hits and len(tally.destroyed[lk["label"]]) < 25:
            tally.destroyed[lk["label"]].append(
                f"{hits[0]}: " + _context(text, lk["start"], lk["end"], gold)
            )


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def summarize(t: Tally) -> dict[str, Any]:
    entities = sorted(set(t.gold) | set(t.tp) | set(t.fp))
    per_entity = {
        e: {
            "gold": t.gold[e],
            "found": t.found[e],
            "recall": _ratio(t.found[e], t.gold[e]),
            "covered": _ratio(t.covered_chars[e], t.gold_chars[e]),
            "tp": t.tp[e],
            "fp": t.fp[e],
            "precision": _ratio(t.tp[e], t.tp[e] + t.fp[e]),
        }
        for e in entities
    }
    looks = {
        k: {"n": t.looks[k], "survived": t.looks_ok[k], "rate": _ratio(t.looks_ok[k], t.looks[k])}
        for k in sorted(t.looks)
    }
    total_gold, total_found = sum(t.gold.values()), sum(t.found.values())
    tp, fp = sum(t.tp.values()), sum(t.fp.values())
    return {
        "per_entity": per_entity,
        "micro": {
            "recall": _ratio(total_found, total_gold),
            "precision": _ratio(tp, tp + fp),
            "gold": total_gold,
            "found": total_found,
            "tp": tp,
            "fp": fp,
        },
        "unscored_predictions": dict(t.unscored.most_common()),
        "lookalikes": looks,
        "lookalike_survival": _ratio(sum(t.looks_ok.values()), sum(t.looks.values())),
    }


def datasets(n_records: int, seed: int) -> dict[str, tuple[list[dict[str, Any]], frozenset[str]]]:
    """Each dataset's records and the entity labels it annotates (the ones scored on it)."""
    out: dict[str, tuple[list[dict[str, Any]], frozenset[str]]] = {}
    for name in ("presidio_synth_v2", "wnut17_dev"):
        path = _common.PII_DEV / f"{name}.jsonl"
        if not path.exists():
            print(f"[skip] {path} not found")
            continue
        rows = list(_common.load_jsonl(path))
        annotated = frozenset(rows[0].get("annotated_labels", ())) if rows else frozenset()
        out[name] = (rows, annotated & ENTITIES)
    out["agent_corpus_heldout"] = (
        [r.to_json() for r in corpus.generate(n_records // 2, seed=seed + 1, heldout=True)],
        frozenset(ENTITIES),
    )
    out["agent_corpus"] = (
        [r.to_json() for r in corpus.generate(n_records, seed=seed)],
        frozenset(ENTITIES),
    )
    return out


def run(system_names: list[str] | None, n_records: int, seed: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    tallies: dict[tuple[str, str], Tally] = {}
    systems = _common.systems(system_names)
    for ds_name, (rows, scored) in datasets(n_records, seed).items():
        results[ds_name] = {"records": len(rows), "scored_entities": sorted(scored), "systems": {}}
        for system in systems:
            tally = Tally()
            for row in rows:
                score_record(
                    tally,
                    system.name,
                    row["text"],
                    row["spans"],
                    row.get("lookalikes", []),
                    system.detect(row["text"]),
                    scored,
                )
            tallies[ds_name, system.name] = tally
            results[ds_name]["systems"][system.name] = summarize(tally)
            print(
                f"{ds_name:18} {system.name:10} micro={results[ds_name]['systems'][system.name]['micro']}"
            )
    write_report(tallies, results)
    return results


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def markdown_table(results: dict[str, Any], dataset: str) -> str:
    """Recall / precision per entity, one column pair per system."""
    ds = results[dataset]
    names = list(ds["systems"])
    entities = sorted(
        {e for s in ds["systems"].values() for e, v in s["per_entity"].items() if v["gold"]}
    )
    lines = [
        "| entity | n | " + " | ".join(f"{n} R | {n} P" for n in names) + " |",
        "|---|---:|" + "---:|---:|" * len(names),
    ]
    for e in entities:
        n = next(s["per_entity"][e]["gold"] for s in ds["systems"].values() if e in s["per_entity"])
        cells = []
        for name in names:
            v = ds["systems"][name]["per_entity"].get(e, {})
            cells += [_fmt(v.get("recall", 0.0 if n else None)), _fmt(v.get("precision"))]
        lines.append(f"| {e} | {n} | " + " | ".join(cells) + " |")
    micro = [
        c
        for name in names
        for c in (
            _fmt(ds["systems"][name]["micro"]["recall"]),
            _fmt(ds["systems"][name]["micro"]["precision"]),
        )
    ]
    lines.append("| **all (micro)** | | " + " | ".join(micro) + " |")
    if any(ds["systems"][n]["lookalikes"] for n in names):
        lines.append(
            "| **look-alikes untouched** | | "
            + " | ".join(f"{_fmt(ds['systems'][n]['lookalike_survival'])} | " for n in names)
            + " |"
        )
    return "\n".join(lines)


def _summary(tallies: dict[tuple[str, str], Tally], results: dict[str, Any]) -> list[str]:
    """What fails most, against the targets, on the agent corpus (the one the targets are for)."""
    tally = tallies.get(("agent_corpus", "guardrails"))
    if tally is None:
        return []
    lines = ["## What fails most (agent corpus, guardrails)", ""]
    for e in sorted(tally.gold, key=lambda e: tally.found[e] / tally.gold[e]):
        recall = tally.found[e] / tally.gold[e]
        target = TARGETS.get(e, 0.0)
        if recall < target:
            lines.append(
                f"- {e}: recall {recall:.3f} < target {target} "
                f"({tally.gold[e] - tally.found[e]} of {tally.gold[e]} missed)"
            )
    for e, n in tally.fp.most_common(5):
        lines.append(f"- {e}: {n} false positives")
    survival = results["agent_corpus"]["systems"]["guardrails"]["lookalike_survival"]
    lines.append(f"- look-alikes untouched: {survival} (target {LOOKALIKE_TARGET})")
    for k in sorted(tally.looks, key=lambda k: tally.looks_ok[k] / tally.looks[k])[:5]:
        bad = tally.looks[k] - tally.looks_ok[k]
        if bad:
            lines.append(f"  - {k}: {bad} of {tally.looks[k]} flagged")
    return [*lines, ""]


def write_report(tallies: dict[tuple[str, str], Tally], results: dict[str, Any]) -> None:
    """Write what our engine misses and over-flags, worst first, for the detection engineers."""
    lines = [
        "# Quality report (generated by `python -m benchmarks quality`)",
        "",
        "⟦value⟧ marks the span in question; other labelled values in the context show as <TYPE>.",
        "Synthetic data only.",
        "",
    ]
    lines += _summary(tallies, results)
    for ds_name in results:
        lines += [f"## {ds_name}", "", markdown_table(results, ds_name), ""]
        tally = tallies.get((ds_name, "guardrails"))
        if tally is None:
            continue
        worst = sorted(tally.gold, key=lambda e: tally.found[e] / tally.gold[e])
        lines.append("### guardrails misses (worst recall first)")
        for e in worst:
            missed = tally.gold[e] - tally.found[e]
            if missed:
                lines += ["", f"**{e}**: {missed} of {tally.gold[e]} missed", ""]
                lines += [f"- `{c}`" for c in tally.misses[e][:12]]
        lines += ["", "### guardrails false positives (most first)"]
        for e, n in tally.fp.most_common():
            lines += ["", f"**{e}**: {n} false positives", ""]
            lines += [f"- `{c}`" for c in tally.false_pos[e][:12]]
        if tally.looks:
            lines += ["", "### look-alikes destroyed by guardrails"]
            for k in sorted(tally.looks, key=lambda k: tally.looks_ok[k] / tally.looks[k]):
                bad = tally.looks[k] - tally.looks_ok[k]
                if bad:
                    lines += ["", f"**{k}**: {bad} of {tally.looks[k]} flagged", ""]
                    lines += [f"- `{c}`" for c in tally.destroyed[k][:12]]
        lines.append("")
    try:
        REPORT.write_text("\n".join(lines), encoding="utf-8")
        print(f"report: {REPORT}")
    except OSError as exc:
        print(f"[warn] could not write {REPORT}: {exc}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks quality")
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--systems", default="", help="comma-separated subset of guardrails,langchain,presidio"
    )
    args = parser.parse_args(argv)
    names = [s for s in args.systems.split(",") if s] or None
    results = run(names, args.records, args.seed)
    path = _common.write_result(
        "quality",
        {
            "corpus": {"records": args.records, "seed": args.seed},
            "targets": {"recall": TARGETS, "lookalike_survival": LOOKALIKE_TARGET},
            "datasets": results,
        },
    )
    for ds_name in results:
        print(f"\n## {ds_name}\n" + markdown_table(results, ds_name))
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
