"""Speed: full detect + mask throughput, side by side with the anchors, in one run, as ratios.

Workload: the agent-shaped corpus (:mod:`benchmarks.corpus`, seed 7), one call per record, as
an agent redacts each tool output. All three systems redact the same records; presidio is so
slow that it gets a prefix of the same record list (its MB/s is per byte, so the ratio holds;
the JSON says how many bytes each system saw). Timing: ``time.perf_counter``, one warm-up pass,
median of several passes.

Targets (issue 2): guardrails ≥ 10× LangChain PIIMiddleware's five detectors (redact strategy),
≥ 100× presidio-analyzer's pattern recognizers + presidio-anonymizer.

Run: ``python -m benchmarks speed`` (``--mb 1.0 --presidio-mb 0.15 --repeat 5``).
"""

from __future__ import annotations

import argparse
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


def measure(system: _common.System, texts: list[str], repeat: int) -> dict[str, Any]:
    """Median seconds for one pass of ``system.redact`` over ``texts`` and the MB/s it implies."""
    n_bytes = sum(len(t.encode()) for t in texts)
    redact = system.redact

    def one_pass() -> None:
        for t in texts:
            redact(t)

    seconds = _common.timed(one_pass, repeat=repeat, warmup=1)
    return {
        "bytes": n_bytes,
        "records": len(texts),
        "seconds": round(seconds, 4),
        "mb_per_s": round(n_bytes / 1e6 / seconds, 4),
    }


def run(mb: float, presidio_mb: float, repeat: int, names: list[str] | None) -> dict[str, Any]:
    records = [r.text for r in corpus.generate(20000, seed=7)]
    texts = _records_of_size(records, int(mb * 1e6))
    results: dict[str, Any] = {}
    for system in _common.systems(names):
        subset = (
            _records_of_size(texts, int(presidio_mb * 1e6)) if system.name == "presidio" else texts
        )
        results[system.name] = measure(
            system, subset, repeat=3 if system.name == "presidio" else repeat
        )
        print(f"{system.name:10} {results[system.name]}", flush=True)
    ratios: dict[str, Any] = {}
    if "guardrails" in results:
        ours = results["guardrails"]["mb_per_s"]
        for anchor, target in TARGETS.items():
            if anchor in results:
                ratio = ours / results[anchor]["mb_per_s"]
                ratios[anchor] = {
                    "ratio": round(ratio, 2),
                    "target": target,
                    "met": ratio >= target,
                }
    return {"systems": results, "ratios": ratios}


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
    for anchor, r in data["ratios"].items():
        print(
            f"guardrails / {anchor}: {r['ratio']}x (target ≥ {r['target']}x) {'MET' if r['met'] else 'MISSED'}"
        )
    path = _common.write_result(
        "speed",
        {
            "workload": "agent corpus, one redact call per record, seed 7",
            "repeat": args.repeat,
            **data,
        },
    )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
