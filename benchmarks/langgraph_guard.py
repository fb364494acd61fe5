"""LangGraph integration cost, side by side in one run, reported as ratios.

1. **Tool call**: a LangChain tool returning a 1 KB output (a CRM record with an e-mail, a phone
   number and a card) called bare vs wrapped by ``guard_tools`` (policy evaluation, audit event,
   once-only ledger, output redaction into the thread's vault). Target: <= 300 us added, median.
   ``breakdown_us`` times each part *inside* guarded calls (a separate instrumented pass), so the
   parts add up to the added time; timing them alone in a tight loop (warm caches) shows about
   half of what they cost between the framework's own work.
2. **Approval round trip**: ``create_agent`` with the same scripted model, tools and checkpointer
   (SQLite file), run until the privileged call interrupts, resumed with an approval by another
   user, run to the end. Anchor: LangChain's ``HumanInTheLoopMiddleware`` in ``per_call`` mode
   (one interrupt per gated call, as ours); its default ``batched`` mode (one interrupt per model
   turn, no response schema) is measured too, as a second anchor. Ours additionally redacts every
   message, verifies the approver, records a durable decision and writes the audit trail.
   Target: <= 1.2x the per-call anchor.

Method (the machine is shared and loaded, so wall time alone swings by 2-3x between runs):
all systems run in the same process, alternating call by call (tool calls) or round by round
with a rotating order (round trips), so each sees the same load. Reported: the median of each
system's wall time, the median of the per-pair differences/ratios, and the same for CPU time
(``time.process_time``: work done, all threads of the process, without the time spent waiting
for a core), plus the load average at start and end. Targets are checked on the wall-time
medians; read the CPU numbers beside them when the load average is high.

Run: ``python -m benchmarks langgraph_guard [-- --calls 2000 --rounds 40]``.
"""

from __future__ import annotations

import argparse
import functools
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
    breakdown = _breakdown(bare, guarded, args, config, max(200, calls // 4))
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
        "cpu_added_us_paired_median": round(c["diff"], 1),
        "target_added_us": TARGET_ADDED_US,
        "met": w["b"] - w["a"] <= TARGET_ADDED_US,
        "breakdown_us": breakdown,
        # The guard's own work without what the wrapper saves on LangChain's tool layer
        # (``other``, negative): what the added time would be if the wrapper saved nothing.
        "guard_parts_sum_us": round(
            sum(v for k, v in breakdown.items() if not k.startswith("other")), 1
        ),
    }


def _breakdown(
    bare: Any, guarded: Any, args: dict[str, Any], config: dict[str, Any], calls: int
) -> dict[str, float]:
    """Median us of each part of the added time, timed inside real guarded calls.

    A separate pass (each timer costs ~1 us): the guard's steps are wrapped with timers, bare and
    guarded calls alternate as in the measurement, and ``other`` is the per-call rest of
    ``guarded - bare``: the LangChain tool layer around the wrapper, call id, result encoding,
    less what the bare tool pays and the wrapper does not, so it is negative: LangChain
    resolves the type hints of ``StructuredTool._run`` and of the tool's function on every call
    (to find a ``RunnableConfig`` parameter; ~30 us for a function whose module postpones
    annotations, as most do); the wrapper resolves its own once and calls a plain
    ``StructuredTool``'s function itself, its config parameter found once. Medians of parts do
    not add up exactly to the median total.
    """
    from integrations.langchain._tools import GuardedTool

    gg = guarded._gg
    spent: dict[str, float] = {}

    def timed(name: str, fn: Any) -> Any:
        def wrapper(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[name] = spent.get(name, 0.0) + (time.perf_counter() - t0) * 1e6

        return wrapper

    steps = [
        (gg.guard, "rule", "policy ruling (rule)"),
        (gg.guard, "redact_output", "output redaction (Redactor.redact, 1 KB)"),
        (gg.guard.backend, "executed", "audit record (tool.executed)"),
        (gg.guard.ledger, "claim", "ledger (claim + complete)"),
        (gg.guard.ledger, "complete", "ledger (claim + complete)"),
    ]
    for obj, attr, name in steps:  # instance attributes shadow the methods for this pass
        setattr(obj, attr, timed(name, getattr(obj, attr)))
    plan = GuardedTool._plan
    GuardedTool._plan = timed("plan", plan)  # type: ignore[method-assign]
    rows: dict[str, list[float]] = {}
    try:
        for i in range(calls):
            spent.clear()
            took = {}
            order = (("bare", bare), ("guarded", guarded))
            for name, t in order if i % 2 == 0 else order[::-1]:
                t0 = time.perf_counter()
                t.invoke(args, config)
                took[name] = (time.perf_counter() - t0) * 1e6
            row = dict(spent)
            # the plan's own share: call context, vault lookup, args copy and redaction
            row["args redaction + call context"] = row.pop("plan") - row["policy ruling (rule)"]
            row["other (tool layer, glue)"] = took["guarded"] - took["bare"] - sum(row.values())
            for k, v in row.items():
                rows.setdefault(k, []).append(v)
    finally:
        for obj, attr, _ in steps:
            vars(obj).pop(attr, None)
        GuardedTool._plan = plan  # type: ignore[method-assign]
    return {k: round(statistics.median(v), 1) for k, v in rows.items()}


KINDS = ("langchain_hitl_per_call", "langchain_hitl_batched", "guardrails")


def _agent(kind: str, saver: Any) -> Any:
    import re

    from langchain.agents import create_agent
    from langchain.agents.middleware import HumanInTheLoopMiddleware

    from integrations.langchain import GuardrailsMiddleware
    from integrations.langgraph import example

    # The scripted model reacts to the customer's e-mail: a placeholder under guardrails, the raw
    # address under the bare HITL middleware. Same calls, same path, for every graph.
    example._PLACEHOLDER = re.compile(r"<EMAIL_ADDRESS_\d+>|[\w.+-]+@[\w-]+\.[\w.]+")
    middleware: Any
    if kind == "langchain_hitl_per_call":
        middleware = HumanInTheLoopMiddleware(
            interrupt_on={"issue_refund": True}, interrupt_mode="per_call"
        )
    elif kind == "langchain_hitl_batched":
        middleware = HumanInTheLoopMiddleware(interrupt_on={"issue_refund": True})
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
    if kind == "langchain_hitl_batched":
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
    """ms per interrupt -> resume -> execute, same graph shape and SQLite checkpointer."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    wall: dict[str, list[float]] = {k: [] for k in KINDS}
    cpu: dict[str, list[float]] = {k: [] for k in KINDS}
    with SqliteSaver.from_conn_string(str(tmp / "checkpoints.db")) as saver:
        agents = {k: _agent(k, saver) for k in KINDS}
        for k, agent in agents.items():  # warm-up
            for i in range(5):
                _round_trip(agent, k, f"warm-{k}-{i}")
        for r in range(rounds):
            # interleaved, rotating who goes first: every system sees the same machine load
            shift = r % len(KINDS)
            for k in KINDS[shift:] + KINDS[:shift]:
                c0, t0 = time.process_time(), time.perf_counter()
                _round_trip(agents[k], k, f"{k}-{r}")
                wall[k].append((time.perf_counter() - t0) * 1e3)
                cpu[k].append((time.process_time() - c0) * 1e3)
        checkpoints = {
            k: len(list(saver.list({"configurable": {"thread_id": f"{k}-0"}}))) for k in KINDS
        }
    ours = "guardrails"
    out: dict[str, Any] = {
        "checkpointer": "SqliteSaver (file)",
        "rounds": rounds,
        "checkpoints_per_round_trip": checkpoints,
        "wall_ms": {k: round(statistics.median(v), 2) for k, v in wall.items()},
        "cpu_ms": {k: round(statistics.median(v), 2) for k, v in cpu.items()},
    }
    for anchor in ("langchain_hitl_per_call", "langchain_hitl_batched"):
        w = _pairs(wall[anchor], wall[ours])
        c = _pairs(cpu[anchor], cpu[ours])
        out[f"vs_{anchor}"] = {
            "ratio": round(w["b"] / w["a"], 2),
            "ratio_paired_median": round(w["ratio"], 2),
            "cpu_ratio": round(c["b"] / c["a"], 2),
            "cpu_ratio_paired_median": round(c["ratio"], 2),
        }
    ratio = out["vs_langchain_hitl_per_call"]["ratio"]
    out["target_ratio"] = TARGET_ROUND_TRIP_RATIO
    out["target_anchor"] = "langchain_hitl_per_call"
    out["met"] = ratio <= TARGET_ROUND_TRIP_RATIO
    out["met_vs_batched_too"] = out["vs_langchain_hitl_batched"]["ratio"] <= TARGET_ROUND_TRIP_RATIO
    return out


def hook_cpu(rounds: int, tmp: Path) -> dict[str, float]:
    """Median CPU ms per round trip spent in our middleware's hooks, the handlers they wrap
    (model, tool) excluded. A separate pass with timers; thread CPU time of each hook's thread."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    from integrations.langchain import GuardrailsMiddleware

    spent: dict[str, float] = {}
    originals = {
        name: getattr(GuardrailsMiddleware, name)
        for name in ("before_agent", "before_model", "wrap_model_call", "wrap_tool_call")
        if name in vars(GuardrailsMiddleware)
    }

    def timed(name: str, fn: Any) -> Any:
        @functools.wraps(fn)  # LangChain reads the hook's signature
        def wrapper(self: Any, *a: Any, **k: Any) -> Any:
            inner = 0.0
            if name.startswith("wrap_"):  # (request, handler): keep the handler's own time out
                request, handler = a

                def timed_handler(req: Any) -> Any:
                    nonlocal inner
                    h0 = time.thread_time()
                    try:
                        return handler(req)
                    finally:
                        inner += time.thread_time() - h0

                a = (request, timed_handler)
            t0 = time.thread_time()
            try:
                return fn(self, *a, **k)
            finally:
                took = (time.thread_time() - t0 - inner) * 1e3
                spent[name] = spent.get(name, 0.0) + took

        return wrapper

    rows: dict[str, list[float]] = {}
    for name, fn in originals.items():
        setattr(GuardrailsMiddleware, name, timed(name, fn))
    try:
        with SqliteSaver.from_conn_string(str(tmp / "hooks.db")) as saver:
            agent = _agent("guardrails", saver)
            for r in range(rounds + 3):
                spent.clear()
                _round_trip(agent, "guardrails", f"hooks-{r}")
                if r >= 3:  # the first rounds warm up
                    for k, v in spent.items():
                        rows.setdefault(k, []).append(v)
    finally:
        for name, fn in originals.items():
            setattr(GuardrailsMiddleware, name, fn)
    return {k: round(statistics.median(v), 3) for k, v in rows.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks langgraph_guard")
    parser.add_argument("--calls", type=int, default=2000, help="tool calls per system")
    parser.add_argument("--rounds", type=int, default=40, help="approval round trips per system")
    args = parser.parse_args(argv or [])
    os.environ.pop("OPENAI_API_KEY", None)
    load_at_start = os.getloadavg()
    tool_call = bench_tool_call(args.calls)
    load_after_tool_call = os.getloadavg()
    with tempfile.TemporaryDirectory() as d:
        round_trip = bench_round_trip(args.rounds, Path(d))
        round_trip["guardrails_hook_cpu_ms"] = hook_cpu(max(10, args.rounds // 3), Path(d))
    data = {
        "load_average_at_start": load_at_start,
        "load_average_after_tool_call": load_after_tool_call,
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
