"""LangGraph integration cost, side by side in one run, reported as ratios.

1. **Tool call**: a LangChain tool returning a 1 KB output (a CRM record with an e-mail, a phone
   number and a card) called bare vs wrapped by ``guard_tools`` (policy evaluation, audit event,
   output redaction into the thread's vault). Target: ≤ 300 µs added, median.
2. **Approval round trip**: ``create_agent`` with the same scripted model, tools and checkpointer
   (SQLite file), run until the privileged call interrupts, resumed with an approval, run to the
   end — with LangChain's ``HumanInTheLoopMiddleware`` (per-call ``interrupt_on``) vs our
   ``GuardrailsMiddleware`` (which additionally redacts every message, verifies the approver,
   records a durable decision and writes the audit trail). Target: ≤ 1.2×.

Method (the machine is shared and loaded, so wall time alone swings by 2-3x between runs):
both systems run in the same process, alternating call by call (tool calls) or round by round
(round trips), so each pair sees the same load. Reported: the median of each system's wall
time, the median of the per-pair differences/ratios, and the same for CPU time
(``time.process_time``: work done, all threads of the process, without the time spent waiting
for a core). Targets are checked on the wall-time medians.

Run: ``python -m benchmarks langgraph_guard [-- --calls 2000 --rounds 30]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import _common

TARGET_ADDED_US = 300.0
TARGET_ROUND_TRIP_RATIO = 1.2


def _record_tool() -> Any:
    from langchain_core.tools import tool

    payload = {
        "customer_id": "cus_8812",
        "name": "Jane Doe",
        "email": "jane.doe@example.com",
        "phone": "+1 415 555 0101",
        "card": "4111 1111 1111 1111",
        "plan": "gold",
        "history": [
            {"order": f"ORD-2024-{i:06d}", "sku": f"SKU-{i:05d}-BLK", "total": 19.9 + i}
            for i in range(12)
        ],
    }
    body = json.dumps(payload)
    assert 900 <= len(body) <= 1200, len(body)

    @tool
    def crm_lookup(customer_id: str) -> str:
        """Return the customer's CRM record."""
        return body

    return crm_lookup


def _pairs(a: list[float], b: list[float]) -> dict[str, float]:
    """Medians of ``a``, ``b`` and of the per-pair difference and ratio."""
    return {
        "a": statistics.median(a),
        "b": statistics.median(b),
        "diff": statistics.median(y - x for x, y in zip(a, b, strict=True)),
        "ratio": statistics.median(y / x for x, y in zip(a, b, strict=True) if x > 0),
    }


def bench_tool_call(calls: int) -> dict[str, Any]:
    """µs per call, bare vs guarded, alternating call by call so both see the same load."""
    from integrations.langchain import guard_tools

    bare = _record_tool()
    (guarded,) = guard_tools([_record_tool()], vault_key=b"b" * 32)
    config = {"configurable": {"thread_id": "bench", "user_id": "alice"}}
    args = {"customer_id": "cus_8812"}
    for _ in range(100):  # warm-up: compile detectors, fill caches
        bare.invoke(args, config)
        guarded.invoke(args, config)
    out = guarded.invoke(args, config)
    assert "jane.doe@example.com" not in str(out), "guarded output not redacted"
    wall: dict[str, list[float]] = {"bare": [], "guarded": []}
    cpu: dict[str, list[float]] = {"bare": [], "guarded": []}
    for i in range(calls):
        order = (("bare", bare), ("guarded", guarded))
        for name, t in order if i % 2 == 0 else order[::-1]:
            c0, t0 = time.process_time(), time.perf_counter()
            t.invoke(args, config)
            wall[name].append((time.perf_counter() - t0) * 1e6)
            cpu[name].append((time.process_time() - c0) * 1e6)
    w = _pairs(wall["bare"], wall["guarded"])
    c = _pairs(cpu["bare"], cpu["guarded"])
    return {
        "output_bytes": len(str(bare.invoke(args, config))),
        "calls": calls,
        "bare_us": round(w["a"], 1),
        "guarded_us": round(w["b"], 1),
        "added_us": round(w["b"] - w["a"], 1),
        "added_us_paired_median": round(w["diff"], 1),
        "cpu_bare_us": round(c["a"], 1),
        "cpu_guarded_us": round(c["b"], 1),
        "cpu_added_us": round(c["b"] - c["a"], 1),
        "target_added_us": TARGET_ADDED_US,
        "met": w["b"] - w["a"] <= TARGET_ADDED_US,
        "breakdown_us": _breakdown(guarded, args, config),
    }


def _breakdown(guarded: Any, args: dict[str, Any], config: dict[str, Any]) -> dict[str, float]:
    """Median µs of the guarded call's parts, timed alone on the same inputs (same process)."""
    import json as _json

    from integrations.langgraph._context import call_context
    from integrations.langgraph._guarded import tool_info

    gg = guarded._gg
    session = gg.keeper.session("bench", None)
    ctx = call_context(config, requester="alice", resolve_user=gg.resolve_user)
    info = tool_info(guarded.inner, guarded.name)
    masked = session.redact_data(dict(args))
    ruling = gg.guard.rule("c1", masked, info, ctx, vault=session.vault)
    output = guarded.inner.invoke(args, config)
    parts: dict[str, Any] = {
        "args_redaction (session cache)": lambda: session.redact_data(
            _json.loads(_json.dumps(dict(args), default=str))
        ),
        "policy_ruling (rule)": lambda: gg.guard.rule("c1", masked, info, ctx, vault=session.vault),
        "output_redaction (Redactor.redact, 1 KB)": lambda: gg.guard.redact_output(
            output, session.vault, ruling
        ),
        "audit_record (tool.executed)": lambda: gg.guard.backend.executed(
            ruling, ctx, 1.0, "ok", None
        ),
    }
    out = {}
    for name, fn in parts.items():
        samples = []
        for _ in range(200):
            t0 = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t0) * 1e6)
        out[name] = round(statistics.median(samples), 1)
    return out


def _agent(kind: str, saver: Any) -> Any:
    import re

    from langchain.agents import create_agent
    from langchain.agents.middleware import HumanInTheLoopMiddleware

    from integrations.langchain import GuardrailsMiddleware
    from integrations.langgraph import example

    # The scripted model reacts to the customer's e-mail: a placeholder under guardrails, the raw
    # address under the bare HITL middleware. Same calls, same path, for both graphs.
    example._PLACEHOLDER = re.compile(r"<EMAIL_ADDRESS_\d+>|[\w.+-]+@[\w-]+\.[\w.]+")
    if kind == "langchain_hitl":
        middleware: Any = HumanInTheLoopMiddleware(interrupt_on={"issue_refund": True})
    else:
        middleware = GuardrailsMiddleware(policy=example.example_policy(), vault_key=b"r" * 32)
    return create_agent(
        example.ScriptedSupportModel(), example.tools, middleware=[middleware], checkpointer=saver
    )


def _round_trip(agent: Any, kind: str, thread: str) -> None:
    from langgraph.types import Command

    start = {"messages": [{"role": "user", "content": "Refund jane.doe@example.com 40"}]}
    out = agent.invoke(
        start, {"configurable": {"thread_id": thread, "user_id": "alice"}}, version="v2"
    )
    (interrupt,) = out.interrupts
    if kind == "langchain_hitl":
        resume: Any = {"decisions": [{"type": "approve"}]}
    else:
        resume = {interrupt.id: {"type": "approve"}}
    done = agent.invoke(
        Command(resume=resume),
        {"configurable": {"thread_id": thread, "user_id": "bob"}},
        version="v2",
    )
    assert "refund of 40 issued" in str(done.value["messages"][-1].content)


def bench_round_trip(rounds: int, tmp: Path) -> dict[str, Any]:
    """ms per interrupt → resume → execute, same graph shape and SQLite checkpointer."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    kinds = ("langchain_hitl", "guardrails")
    wall: dict[str, list[float]] = {k: [] for k in kinds}
    cpu: dict[str, list[float]] = {k: [] for k in kinds}
    with SqliteSaver.from_conn_string(str(tmp / "checkpoints.db")) as saver:
        agents = {k: _agent(k, saver) for k in kinds}
        for k, agent in agents.items():  # warm-up
            for i in range(5):
                _round_trip(agent, k, f"warm-{k}-{i}")
        for r in range(rounds):
            # interleaved, alternating who goes first: both see the same machine load
            for k in kinds if r % 2 == 0 else kinds[::-1]:
                c0, t0 = time.process_time(), time.perf_counter()
                _round_trip(agents[k], k, f"{k}-{r}")
                wall[k].append((time.perf_counter() - t0) * 1e3)
                cpu[k].append((time.process_time() - c0) * 1e3)
        checkpoints = {
            k: len(list(saver.list({"configurable": {"thread_id": f"{k}-0"}}))) for k in kinds
        }
    w = _pairs(wall["langchain_hitl"], wall["guardrails"])
    c = _pairs(cpu["langchain_hitl"], cpu["guardrails"])
    return {
        "checkpointer": "SqliteSaver (file)",
        "rounds": rounds,
        "checkpoints_per_round_trip": checkpoints,
        "langchain_hitl_ms": round(w["a"], 2),
        "guardrails_ms": round(w["b"], 2),
        "ratio": round(w["b"] / w["a"], 2),
        "ratio_paired_median": round(w["ratio"], 2),
        "cpu_langchain_hitl_ms": round(c["a"], 2),
        "cpu_guardrails_ms": round(c["b"], 2),
        "cpu_ratio": round(c["b"] / c["a"], 2),
        "target_ratio": TARGET_ROUND_TRIP_RATIO,
        "met": w["b"] / w["a"] <= TARGET_ROUND_TRIP_RATIO,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks langgraph_guard")
    parser.add_argument("--calls", type=int, default=2000, help="tool calls per system")
    parser.add_argument("--rounds", type=int, default=30, help="approval round trips per system")
    args = parser.parse_args(argv or [])
    os.environ.pop("OPENAI_API_KEY", None)
    load_at_start = os.getloadavg()
    tool_call = bench_tool_call(args.calls)
    with tempfile.TemporaryDirectory() as d:
        round_trip = bench_round_trip(args.rounds, Path(d))
    data = {
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg(),
        "tool_call": tool_call,
        "round_trip": round_trip,
    }
    path = _common.write_result("langgraph_guard", data)
    print(json.dumps(data, indent=2))
    print(f"wrote {path.relative_to(_common.ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
