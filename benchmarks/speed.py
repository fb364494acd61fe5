"""Speed: full detect + mask throughput, side by side with the anchors, in one run, as ratios.

Workloads: (1) ``agent_records``: the agent-shaped corpus (:mod:`benchmarks.corpus`, seed 7),
one call per record as an agent redacts each tool output — dense, about a dozen sensitive values
per KB; (2) ``sparse_log_64k``: an application log cut into 64 KB tool outputs with one sensitive
line in 25. All systems redact the same inputs; presidio is so slow that it gets a prefix of the
same list (MB/s is per byte, so the ratio holds; the JSON says how many bytes each system saw).
Timing: CPU time of this process (``time.process_time``: load from other processes on a shared
machine does not count; all three systems are single-threaded Python), a warm-up pass, then
rounds in which each system runs once (interleaved, so what load remains — caches, memory
bandwidth — hits every system alike); each round redacts freshly generated inputs of the same
kind (seed 7, 8, …), so no system is timed on a warm per-input cache; the median round per
system is reported, with the wall-clock median beside it. Then guardrails' time is broken down
per detector and pipeline (``guardrails_ms_per_mb``, see :func:`breakdown`).

Targets (issue 2): guardrails ≥ 10× LangChain PIIMiddleware's five detectors (redact strategy),
≥ 100× presidio-analyzer's pattern recognizers + presidio-anonymizer.

Run: ``python -m benchmarks speed`` (``--mb 1.0 --presidio-mb 0.15 --repeat 5``).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from benchmarks import _common, corpus

TARGETS = {"langchain": 10.0, "presidio": 100.0}


def _records_of_size(records: list[str], n_bytes: int) -> list[str]:
    out, size = [], 0
    for text in records:
        if size >= n_bytes:
            break
        out.append(text)
        size += len(text.encode())
    return out


def _one_pass(system: _common.System, texts: list[str]) -> tuple[float, float]:
    """CPU and wall seconds to redact ``texts`` one call each."""
    redact = system.redact
    c0, w0 = time.process_time(), time.perf_counter()
    for t in texts:
        redact(t)
    return time.process_time() - c0, time.perf_counter() - w0


def run_workload(
    systems: list[_common.System],
    make: Callable[[int], list[str]],
    presidio_bytes: int,
    repeat: int,
) -> dict[str, Any]:
    """Interleaved rounds (each system once per round) so load on a shared machine hits all alike.

    Every round redacts freshly generated inputs (``make(seed)``): the engine memoizes per
    distinct token run, so re-sending the same text each round would time a warm cache.
    """
    pick = {
        s.name: (lambda t: _records_of_size(t, presidio_bytes)) if s.name == "presidio" else list
        for s in systems
    }
    warm = make(1000)
    for s in systems:  # warm-up: first calls compile patterns and load lexicons
        _one_pass(s, warm[:50])
    rates: dict[str, list[float]] = {s.name: [] for s in systems}
    wall: dict[str, list[float]] = {s.name: [] for s in systems}
    sizes: dict[str, list[int]] = {s.name: [] for s in systems}
    calls: dict[str, int] = {}
    for round_no in range(repeat):
        texts = make(7 + round_no)
        for s in systems:
            inputs = pick[s.name](texts)
            n_bytes = sum(len(t.encode()) for t in inputs)
            cpu, elapsed = _one_pass(s, inputs)
            rates[s.name].append(n_bytes / 1e6 / cpu)
            wall[s.name].append(n_bytes / 1e6 / elapsed)
            sizes[s.name].append(n_bytes)
            calls[s.name] = len(inputs)
    results: dict[str, Any] = {}
    for s in systems:
        results[s.name] = {
            "bytes_per_round": sizes[s.name][0],
            "calls_per_round": calls[s.name],
            "mb_per_s": round(statistics.median(rates[s.name]), 4),
            "wall_mb_per_s": round(statistics.median(wall[s.name]), 4),
            "rounds_mb_per_s": [round(x, 4) for x in rates[s.name]],
        }
        print(
            f"  {s.name:10} {results[s.name]['mb_per_s']:>9} MB/s  ({sizes[s.name][0]} bytes per round)",
            flush=True,
        )
    ratios: dict[str, Any] = {}
    if "guardrails" in results:
        for anchor, target in TARGETS.items():
            if anchor in results:
                ratio = results["guardrails"]["mb_per_s"] / results[anchor]["mb_per_s"]
                ratios[anchor] = {
                    "ratio": round(ratio, 2),
                    "target": target,
                    "met": ratio >= target,
                }
    if "guardrails_5_entities" in results and "langchain" in results:
        # for reference only: the same entity types as the anchor (the targets are on all)
        ratio = results["guardrails_5_entities"]["mb_per_s"] / results["langchain"]["mb_per_s"]
        ratios["langchain_same_5_entities"] = {"ratio": round(ratio, 2)}
    return {"systems": results, "ratios": ratios}


def breakdown(make: Callable[[int], list[str]], repeat: int) -> dict[str, float]:
    """Where guardrails' CPU time goes, in ms per MB (median of ``repeat`` rounds).

    ``redact`` is timed on one set of fresh inputs; each detector's ``detect`` on another, called
    in the redactor's order on the same text objects, so the per-text memos the detectors share
    (names -> places -> addresses, one cue scan) work as in ``redact``; ``pipeline`` is the
    difference (spans, repeats, placeholders, joining, digests). The ``component:`` rows are
    parts of the detectors' time measured alone on the same inputs (overlapping, not additive):
    the hyperscan pass of the pattern detector, the shared hyperscan pass over the name / place /
    address / table cues, and the capitalized-run scan of the name and place detectors (C, or
    the regex where the extension is not built).
    """
    from guardrails import Redactor
    from guardrails.detection import _lexicon_runs
    from guardrails.detection._detector import PatternDetector
    from guardrails.detection._lexicon_scan import SHARED_SCAN
    from guardrails.detection._scanner import encode_ascii

    redactor = Redactor()
    for text in make(1000):
        redactor.redact(text)
    patterns = next(d for d in redactor.detectors if isinstance(d, PatternDetector))
    cue_scanner = SHARED_SCAN._scanner()[0]
    components: dict[str, Callable[[str], object]] = {
        "component: pattern hyperscan pass": lambda t: patterns._compiled.scanner.scan(
            encode_ascii(t)
        ),
        "component: cue hyperscan pass": cue_scanner.spans,
        # the C scan where the extension is built, else the regex (the row's name says which)
        (
            "component: capitalized-run C scan"
            if _lexicon_runs.native_available()
            else "component: capitalized-run regex"
        ): (
            _lexicon_runs._NATIVE.positions
            if _lexicon_runs._NATIVE is not None
            else _lexicon_runs.regex_positions
        ),
    }
    rows: dict[str, list[float]] = {}

    def add(name: str, seconds: float, n_bytes: int) -> None:
        rows.setdefault(name, []).append(seconds * 1e9 / n_bytes)  # ms per MB

    for round_no in range(repeat):
        texts = make(100 + 2 * round_no)
        n_bytes = sum(len(t.encode()) for t in texts)
        c0 = time.process_time()
        for t in texts:
            redactor.redact(t)
        add("redact", time.process_time() - c0, n_bytes)
        texts = make(101 + 2 * round_no)
        n_bytes = sum(len(t.encode()) for t in texts)
        spent = dict.fromkeys((d.name for d in redactor.detectors), 0.0)
        for t in texts:
            for det in redactor.detectors:
                c0 = time.process_time()
                det.detect(t)
                spent[det.name] += time.process_time() - c0
        for name, seconds in spent.items():
            add(f"detector: {name}", seconds, n_bytes)
        for name, fn in components.items():
            c0 = time.process_time()
            for t in texts:
                fn(t)
            add(name, time.process_time() - c0, n_bytes)
    out = {name: round(statistics.median(v), 1) for name, v in rows.items()}
    detectors = sum(v for k, v in out.items() if k.startswith("detector: "))
    out["pipeline"] = round(out["redact"] - detectors, 1)
    return out


def run(mb: float, presidio_mb: float, repeat: int, names: list[str] | None) -> dict[str, Any]:
    systems = _common.systems(names)
    if names is None or "guardrails_5_entities" in names:
        systems.append(_common.ours_langchain_entities())
    n_bytes = int(mb * 1e6)
    workloads: dict[str, Callable[[int], list[str]]] = {
        # Dense: records of the labelled corpus, ~12 sensitive values per KB of text.
        "agent_records": lambda seed: _records_of_size(
            [r.text for r in corpus.generate(n_bytes // 500, seed=seed)], n_bytes
        ),
        # Sparse: an application log in 64 KB tool outputs, one sensitive line in 25.
        "sparse_log_64k": lambda seed: _chunks(corpus.sparse_log_text(n_bytes, seed=seed), 64_000),
    }
    out: dict[str, Any] = {}
    for name, make in workloads.items():
        print(f"workload {name}:", flush=True)
        out[name] = run_workload(systems, make, int(presidio_mb * 1e6), repeat)
        if any(s.name == "guardrails" for s in systems):
            out[name]["guardrails_ms_per_mb"] = parts = breakdown(make, repeat)
            print("  guardrails CPU ms/MB: " + ", ".join(f"{k} {v}" for k, v in parts.items()))
        for anchor, r in out[name]["ratios"].items():
            if "target" not in r:
                print(f"  guardrails / {anchor}: {r['ratio']}x (reference, no target)")
                continue
            print(
                f"  guardrails / {anchor}: {r['ratio']}x (target ≥ {r['target']}x) {'MET' if r['met'] else 'MISSED'}"
            )
    return out


def _chunks(text: str, size: int) -> list[str]:
    """Split at line ends into pieces of about ``size`` characters."""
    out, start = [], 0
    while start < len(text):
        end = text.find("\n", start + size)
        end = len(text) if end < 0 else end + 1
        out.append(text[start:end])
        start = end
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks speed")
    parser.add_argument(
        "--mb", type=float, default=1.0, help="corpus size for guardrails and LangChain"
    )
    parser.add_argument(
        "--presidio-mb", type=float, default=0.15, help="prefix of the same records for presidio"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--systems", default="")
    args = parser.parse_args(argv)
    names = [s for s in args.systems.split(",") if s] or None
    data = run(args.mb, args.presidio_mb, args.repeat, names)
    path = _common.write_result(
        "speed",
        {
            "repeat": args.repeat,
            "timing": (
                "CPU time (process_time); median of interleaved rounds on freshly generated "
                "inputs, after warm-up; wall-clock median beside it"
            ),
            "presidio_subset_mb": args.presidio_mb,
            "workloads": data,
        },
    )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
