"""The redaction engine apart from detection: masking, merging, vault, structured data, history.

Detection dominates the full pipeline (see ``speed``); this isolates what the engine adds, as
ratios measured in one run:

* ``engine_only``: ``Redactor.redact`` over the agent corpus with the built-in detectors replaced
  by a detector returning their precomputed spans, next to the full pipeline on the same records
  (the share of time that is not detection).
* ``structured``: ``redact_data`` on a 1,000-record tool output (batched strings) next to
  ``redact`` of its JSON text and next to redacting leaf by leaf.
* ``resent_history``: redacting 400 already-masked messages again with the thread's vault
  (what integrations do every turn) next to the first pass.
* ``per_call``: CPU microseconds of one ``redact()`` call on a ~1 KB agent-shaped tool output
  (what a guarded tool call pays) and on a short message with nothing to mask (the fixed cost),
  each round on inputs never seen before (the engine memoizes per token run).

Run: ``python -m benchmarks engine`` (``--mb 0.3 --repeat 3``). CPU time (``process_time``) is
used because the machine is shared; ratios are what to compare.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from benchmarks import _common, corpus


def _cpu(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up
    samples = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        samples.append(time.process_time() - t0)
    samples.sort()
    return samples[len(samples) // 2]


def engine_only(mb: float, repeat: int) -> dict[str, Any]:
    from guardrails import Redactor, Span

    records, size = [], 0
    for r in corpus.generate(20000, seed=7):
        if size >= mb * 1e6:
            break
        records.append(r.text)
        size += len(r.text.encode())
    full = Redactor()
    cache: dict[str, list[Span]] = {}
    for text in records:
        cache[text] = [s for d in full.detectors for s in d.detect(text)]

    class Precomputed:
        name = "precomputed"
        entities = full.entities

        def detect(self, text: str) -> list[Span]:
            return cache[text]

    engine = Redactor(detectors=[Precomputed()])
    t_full = _cpu(lambda: [full.redact(t) for t in records], repeat)
    t_engine = _cpu(lambda: [engine.redact(t) for t in records], repeat)
    spans = sum(len(v) for v in cache.values())
    return {
        "bytes": size,
        "records": len(records),
        "detector_spans": spans,
        "full_mb_per_s": round(size / 1e6 / t_full, 3),
        "engine_mb_per_s": round(size / 1e6 / t_engine, 3),
        "engine_us_per_span": round(t_engine / max(spans, 1) * 1e6, 2),
        "engine_share_of_full": round(t_engine / t_full, 3),
    }


def structured(repeat: int) -> dict[str, Any]:
    from guardrails import Redactor, Vault

    r = Redactor()
    data = [
        {
            "id": i,
            "status": "shipped",
            "sku": f"SKU-{i:05d}",
            "note": f"customer user{i}@example.com called",
            "city": "Berlin",
            "amount": 12.5,
        }
        for i in range(1000)
    ]
    text = json.dumps(data)
    size = len(text.encode())

    def leaf_by_leaf() -> None:
        vault = Vault()
        for rec in data:
            for value in rec.values():
                if isinstance(value, str):
                    r.redact(value, vault=vault)

    t_batch = _cpu(lambda: r.redact_data(data), repeat)
    t_text = _cpu(lambda: r.redact(text), repeat)
    t_leaf = _cpu(leaf_by_leaf, repeat)
    return {
        "bytes": size,
        "redact_data_mb_per_s": round(size / 1e6 / t_batch, 3),
        "redact_json_text_mb_per_s": round(size / 1e6 / t_text, 3),
        "leaf_by_leaf_mb_per_s": round(size / 1e6 / t_leaf, 3),
        "batched_vs_leaf_by_leaf": round(t_leaf / t_batch, 2),
    }


def resent_history(repeat: int) -> dict[str, Any]:
    from guardrails import Redactor, Vault

    r = Redactor()
    messages = [x.text[:600] for x in corpus.generate(400, seed=3)]
    vault = Vault()
    t0 = time.process_time()
    masked = [r.redact(m, vault=vault).text for m in messages]
    first = time.process_time() - t0
    again = _cpu(lambda: [r.redact(m, vault=vault) for m in masked], repeat)
    return {
        "messages": len(messages),
        "vault_entries": len(vault),
        "first_pass_ms": round(first * 1000, 1),
        "resent_ms": round(again * 1000, 2),
        "first_over_resent": round(first / again, 1),
    }


def per_call(repeat: int) -> dict[str, Any]:
    from guardrails import Redactor

    r = Redactor()
    r.redact("warm-up alice@example.com +44 20 7946 0958")

    def one_kb(seed: int) -> list[str]:
        texts = [x.text for x in corpus.generate(4000, seed=seed)]
        return [t for t in texts if 900 <= len(t.encode()) <= 1100][:300]

    def us_per_call(make: Callable[[int], list[str]]) -> tuple[float, int]:
        samples = []
        for round_no in range(max(repeat, 1)):
            texts = make(100 + round_no)
            t0 = time.process_time()
            for t in texts:
                r.redact(t)
            samples.append((time.process_time() - t0) / len(texts) * 1e6)
        samples.sort()
        return samples[len(samples) // 2], len(texts)

    kb_us, kb_n = us_per_call(one_kb)
    tiny_us, tiny_n = us_per_call(lambda seed: [f"status ok, run {seed}-{i}" for i in range(2000)])
    return {
        "tool_output_1kb_us": round(kb_us, 1),
        "tool_output_1kb_calls": kb_n,
        "no_value_message_us": round(tiny_us, 1),
        "no_value_message_calls": tiny_n,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks engine")
    parser.add_argument("--mb", type=float, default=0.3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    data = {
        "timing": "median CPU time (process_time) after a warm-up",
        "engine_only": engine_only(args.mb, args.repeat),
        "structured": structured(args.repeat),
        "resent_history": resent_history(args.repeat),
        "per_call": per_call(args.repeat),
    }
    for name, result in data.items():
        print(f"  {name}: {result}", flush=True)
    print(f"wrote {_common.write_result('engine', data)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
