"""Render the README's measured-numbers tables from ``benchmarks/results/*.json``.

``python -m benchmarks._readme`` prints Markdown; the prose around it is written by hand.
"""

from __future__ import annotations

import json
from typing import Any

from benchmarks._common import RESULTS
from benchmarks.quality import TARGETS, markdown_table


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _machine(data: dict[str, Any]) -> str:
    m = data["machine"]
    return (
        f"{m['cpu']} ({m['cpu_count']} cores, shared), Python {m['python']}, commit "
        f"`{m['git_commit'] or '?'}`"
        + (" (tree had uncommitted edits)" if m.get("dirty") else "")
        + f", {m['measured_at']}"
        + (f"; {data['timing']}" if data.get("timing") else "")
    )


_ORDER = ("agent_corpus", "agent_corpus_heldout", "presidio_synth_v2", "wnut17_dev")
_TITLES = {
    "agent_corpus": "Agent-shaped corpus (generated, seed 7)",
    "agent_corpus_heldout": "Held-out agent-shaped corpus (unseen names, places and document shapes, seed 8)",
    "presidio_synth_v2": "presidio-research synthetic sentences (pii-dev)",
    "wnut17_dev": "WNUT-17 dev, social-media text (pii-dev)",
}


def quality_md(data: dict[str, Any]) -> str:
    out = [f"_Measured on {_machine(data)}._", ""]
    datasets = data["datasets"]
    for ds in sorted(datasets, key=lambda d: _ORDER.index(d) if d in _ORDER else 99):
        out += [
            f"**{_TITLES.get(ds, ds)}**, {datasets[ds]['records']} records",
            "",
            markdown_table(datasets, ds),
            "",
        ]
        ours = datasets[ds]["systems"].get("guardrails")
        if ours and ds.startswith("agent_corpus"):
            missed = [
                f"{e} {v['recall']:.3f} (target {TARGETS[e]})"
                for e, v in ours["per_entity"].items()
                if e in TARGETS and v["gold"] and (v["recall"] or 0) < TARGETS[e]
            ]
            out += ["Below target: " + (", ".join(missed) if missed else "none") + ".", ""]
    return "\n".join(out)


def speed_md(data: dict[str, Any]) -> str:
    out = [
        f"_Measured on {_machine(data)}._",
        "",
        "| workload | guardrails MB/s | LangChain MB/s | presidio MB/s | × LangChain (target 10) | × presidio (target 100) | guardrails on LangChain's 5 entity types: MB/s, × LangChain (reference) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, w in data["workloads"].items():
        s, r = w["systems"], w["ratios"]
        cells = [
            f"{s[k]['mb_per_s']:.3g}" if k in s else "–"
            for k in ("guardrails", "langchain", "presidio")
        ]
        ratios = [f"{r[k]['ratio']:.3g}×" if k in r else "–" for k in ("langchain", "presidio")]
        five = s.get("guardrails_5_entities")
        same = r.get("langchain_same_5_entities")
        ratios.append(f"{five['mb_per_s']:.3g}, {same['ratio']:.3g}×" if five and same else "–")
        out.append(f"| {name} | " + " | ".join(cells + ratios) + " |")
    return "\n".join(out)


def linear_md(data: dict[str, Any], cli: dict[str, Any] | None) -> str:
    out = [
        f"_Measured on {_machine(data)}._",
        "",
        "| input | sizes | seconds (best run) | MB/s (largest) | doubling ratios (target ≤ 2.2) |",
        "|---|---|---|---:|---|",
    ]
    for group in ("text", "nested"):
        for name, series in data.get(group, {}).items():
            pts = series["points"]
            sizes = ", ".join(
                f"{p['size'] / 1e6:g} MB" if group == "text" else f"depth {p['size']}" for p in pts
            )
            secs = ", ".join(
                f"{p.get('cpu_s', p.get('seconds')):.3g}"
                if "cpu_s" in p or "seconds" in p
                else (f"timeout {p['timeout']:.0f}s" if "timeout" in p else p.get("error", "?"))
                for p in pts
            )
            ratios = ", ".join(f"{x}×" for x in series["doubling_ratios"]) or "–"
            mbs = f"{pts[-1]['mb_per_s']:.3g}" if pts and "mb_per_s" in pts[-1] else "–"
            out.append(f"| {name} | {sizes} | {secs} | {mbs} | {ratios} |")
    anchor = data.get("langchain_email_anchor")
    if anchor:
        pts = anchor["points"]
        sizes = ", ".join(f"{p['size'] // 1024} KB" for p in pts)
        secs = ", ".join(f"{p['seconds']:.3g}" for p in pts)
        ratios = ", ".join(f"{x}×" for x in anchor["doubling_ratios"])
        out.append(
            f"| LangChain e-mail regex, `a.a.a…` (anchor) | {sizes} | {secs} | – | {ratios} |"
        )
    for mode, run in (cli or {}).items():
        out += [
            "",
            f"| CLI stream (`guardrails redact -`), {run['input']} | seconds | MB/s | peak RSS |",
            "|---|---:|---:|---:|",
        ]
        for r in run["runs"]:
            if "seconds" in r:
                out.append(
                    f"| {r['mb']:g} MB | {r['seconds']:.0f} | {r['mb_per_s']:.3g} | {r['peak_rss_mb']:.0f} MB |"
                )
            else:
                out.append(f"| {r['mb']:g} MB | timeout | – | – |")
        out.append(f"\nMemory flat ({mode}): {run['memory_flat']} ({run['rule']}).")
    return "\n".join(out)


def engine_md(data: dict[str, Any]) -> str:
    out = [f"_Measured on {_machine(data)}._", "", "| measurement | result |", "|---|---:|"]
    rows = (
        ("per_call", "tool_output_1kb_us", "`redact()` of a ~1 KB agent tool output", "{:.0f} µs"),
        (
            "per_call",
            "no_value_message_us",
            "`redact()` of a short message, nothing to mask",
            "{:.0f} µs",
        ),
        ("engine_only", "full_mb_per_s", "full pass on agent records", "{:.3g} MB/s"),
        (
            "engine_only",
            "engine_share_of_full",
            "share of the full pass that is not detection (masking, merging, vault)",
            "{:.0%}",
        ),
        (
            "structured",
            "redact_data_mb_per_s",
            "`redact_data` on a 1,000-record tool output",
            "{:.3g} MB/s",
        ),
        ("structured", "batched_vs_leaf_by_leaf", "… vs redacting leaf by leaf", "{:.3g}×"),
        (
            "resent_history",
            "first_over_resent",
            "re-sent history vs first pass (vault hits)",
            "{:.0f}× faster",
        ),
    )
    for section, key, label, fmt in rows:
        value = data.get(section, {}).get(key)
        if value is not None:
            out.append(f"| {label} | {fmt.format(value)} |")
    return "\n".join(out)


def main() -> int:
    quality, speed, linear, cli = (
        _load("quality"),
        _load("speed"),
        _load("linear"),
        _load("linear_cli"),
    )
    if quality:
        print("### Quality\n\n" + quality_md(quality) + "\n")
    if speed:
        print("### Speed\n\n" + speed_md(speed) + "\n")
    if linear or cli:
        cli_runs = {k: v for k, v in (cli or {}).items() if isinstance(v, dict) and "runs" in v}
        base = linear if linear else {"machine": cli["machine"]} if cli else {}
        print("### Linear time\n\n" + linear_md(base, cli_runs) + "\n")
    engine = _load("engine")
    if engine:
        print("### Engine\n\n" + engine_md(engine) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
