"""LangGraph integration cost, side by side in one run, reported as ratios.

1. **Tool call**: a LangChain tool returning a 1 KB output (a CRM record with an e-mail, a phone
   number and a card) called bare vs wrapped by ``guard_tools`` (policy evaluation, audit event,
   output redaction into the thread's vault). Target: ≤ 300 µs added, median.
2. **Approval round trip**: ``create_agent`` with the same scripted model, tools and checkpointer
   (SQLite file), run until the privileged call interrupts, resumed with an approval, run to the
   end — with LangChain's ``HumanInTheLoopMiddleware`` (per-call ``interrupt_on``) vs our
   ``GuardrailsMiddleware`` (which additionally redacts every message, verifies the approver,
   records a durable decision and writes the audit trail). Target: ≤ 1.2×.

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


def bench_tool_call(calls: int) -> dict[str, Any]:
    """Median µs per call, bare vs guarded, interleaved in blocks so both see the same load."""
    from integrations.langchain import guard_tools

    bare = _record_tool()
    (guarded,) = guard_tools([_record_tool()], vault_key=b"b" * 32)
    config = {"configurable": {"thread_id": "bench", "user_id": "alice"}}
    args = {"customer_id": "cus_8812"}
    for _ in range(50):  # warm-up: compile detectors, fill caches
        bare.invoke(args, config)
        guarded.invoke(args, config)
    out = guarded.invoke(args, config)
    assert "jane.doe@example.com" not in str(out), "guarded output not redacted"
    samples: dict[str, list[float]] = {"bare": [], "guarded": []}
    block = 50
    for _ in range(max(1, calls // block)):
        for name, t in (("bare", bare), ("guarded", guarded)):
            t0 = time.perf_counter()
            for _ in range(block):
                t.invoke(args, config)
            samples[name].append((time.perf_counter() - t0) / block * 1e6)
    bare_us = statistics.median(samples["bare"])
    guarded_us = statistics.median(samples["guarded"])
    return {
        "output_bytes": len(str(bare.invoke(args, config))),
        "bare_us": round(bare_us, 1),
        "guarded_us": round(guarded_us, 1),
        "added_us": round(guarded_us - bare_us, 1),
        "target_added_us": TARGET_ADDED_US,
        "met": guarded_us - bare_us <= TARGET_ADDED_US,
    }


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
    """Median ms per interrupt → resume → execute, same graph shape and SQLite checkpointer."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    results: dict[str, list[float]] = {"langchain_hitl": [], "guardrails": []}
    with SqliteSaver.from_conn_string(str(tmp / "checkpoints.db")) as saver:
        agents = {k: _agent(k, saver) for k in results}
        for k, agent in agents.items():  # warm-up
            for i in range(3):
                _round_trip(agent, k, f"warm-{k}-{i}")
        for r in range(rounds):
            for k, agent in agents.items():  # interleaved: both see the same machine load
                t0 = time.perf_counter()
                _round_trip(agent, k, f"{k}-{r}")
                results[k].append((time.perf_counter() - t0) * 1e3)
    hitl = statistics.median(results["langchain_hitl"])
    ours = statistics.median(results["guardrails"])
    return {
        "checkpointer": "SqliteSaver (file)",
        "langchain_hitl_ms": round(hitl, 2),
        "guardrails_ms": round(ours, 2),
        "ratio": round(ours / hitl, 2),
        "target_ratio": TARGET_ROUND_TRIP_RATIO,
        "met": ours / hitl <= TARGET_ROUND_TRIP_RATIO,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks langgraph_guard")
    parser.add_argument("--calls", type=int, default=2000, help="tool calls per system")
    parser.add_argument("--rounds", type=int, default=30, help="approval round trips per system")
    args = parser.parse_args(argv or [])
    os.environ.pop("OPENAI_API_KEY", None)
    tool_call = bench_tool_call(args.calls)
    with tempfile.TemporaryDirectory() as d:
        round_trip = bench_round_trip(args.rounds, Path(d))
    data = {
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
