"""Added latency of the OpenAI client guard, vs the bare client on the same loopback server.

Two views, both with one new user message per turn on top of a fixed history (the realistic
steady state: old messages re-sent, the new one scanned):

* wire (10 KB history, ≈ 64 messages with PII, tool calls and JSON tool results): the real
  ``openai`` client, bare and guarded, against ``tests.support.openai_server`` on 127.0.0.1,
  one bare and one guarded request per turn (which goes first alternates), in ``--rounds``
  rounds of fresh clients; "added" = median(guarded) − median(bare), "added_paired" = the median
  of the per-turn differences (a slow moment of the machine hits both requests of a turn), and
  both again as CPU time of the calling thread. The median over the rounds is the headline.
  On a loaded machine the unpaired number is dominated by noise (the bare request itself takes
  10-40 ms, most of it the SDK's own request building), so also:
* cpu: the guard's own work per request (``OpenAIGuard.prepare``: parse, redact, re-encode) on
  pre-built requests, no network, as thread CPU time, at 10 … 400 messages of history; and the
  same with the cache disabled (every message re-scanned every turn, as a per-call redactor
  does) as the anchor.

Run: ``python -m benchmarks openai_guard`` (``-- --turns 150 --rounds 3 --sizes 10,50,100,200,400``).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from typing import Any

from benchmarks import _common

_SEEDS = [
    "Customer Maria Garcia <maria.garcia@example.com> asked about plan B-{i}.",
    "Call me at +1 415 555 01{i:02d}, order 12345{i:02d} shipped on 2026-11-22.",
    "Refund to IBAN DE89370400440532013000, ticket T-90{i:02d}, client v1.2.{i}.",
    "Rotate key sk-proj-abcdefghijklmnopqrstuvwx{i:04d} before the release of build {i}.",
]


def history(n: int) -> list[dict[str, Any]]:
    """``n`` messages (~250 B each): user/assistant text, tool calls and JSON tool results."""
    out: list[dict[str, Any]] = [{"role": "system", "content": "You are a support agent."}]
    for i in range(n - 1):
        text = _SEEDS[(i // 4) % len(_SEEDS)].format(i=i) + " Please check the account and reply."
        if i % 4 == 2:
            args = json.dumps({"email": f"user{i}@example.com", "order": f"12345{i:02d}"})
            call = {"id": f"call_{i}", "type": "function"}
            call["function"] = {"name": "lookup", "arguments": args}
            out.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif i % 4 == 3:
            body = {"name": "Maria Garcia", "ssn": "536-22-1234", "status": "active", "n": i}
            out.append(
                {"role": "tool", "tool_call_id": f"call_{i - 1}", "content": json.dumps(body)}
            )
        else:
            out.append({"role": "user" if i % 2 == 0 else "assistant", "content": text})
    return out


def _turn(i: int) -> dict[str, Any]:
    return {"role": "user", "content": f"New question {i}: write to jane{i}@example.com re B-{i}."}


def measure(n_messages: int, turns: int, *, cache: bool) -> dict[str, Any]:
    """Per-request times for bare vs guarded with one new message per turn."""
    from openai import OpenAI

    from guardrails import Redactor, SessionStore
    from integrations.openai import OpenAIGuard
    from tests.support.openai_server import OpenAIServer

    redactor = _REDACTOR.setdefault("r", Redactor())
    with OpenAIServer() as server:
        bare = OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
        store = SessionStore(redactor, cache_size=4096 if cache else 0)
        guard = OpenAIGuard(store=store, conversation_id="bench")
        guarded = guard.wrap(OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0))
        prepare_times: list[float] = []
        original = guard.prepare

        def timed_prepare(request: Any, body: bytes) -> Any:
            t0 = time.perf_counter()
            try:
                return original(request, body)
            finally:
                prepare_times.append(time.perf_counter() - t0)

        guard.prepare = timed_prepare  # type: ignore[method-assign]
        msgs = history(n_messages)
        size = len(json.dumps(msgs).encode())
        # Warm up: connections, the first scan of the whole history (reported separately).
        bare.chat.completions.create(model="m", messages=msgs)
        t0 = time.perf_counter()
        guarded.chat.completions.create(model="m", messages=msgs)
        first = time.perf_counter() - t0
        prepare_times.clear()
        # Move setup garbage out of the collector's way, for both clients alike: otherwise a
        # full collection over the server's and SDK's objects lands in random samples.
        gc.collect()
        gc.freeze()
        t_bare: list[float] = []
        t_guarded: list[float] = []
        c_bare: list[float] = []
        c_guarded: list[float] = []
        for i in range(turns):
            msgs = [*msgs[:n_messages], _turn(i)]  # the same history plus one new message
            pair = [(bare, t_bare, c_bare), (guarded, t_guarded, c_guarded)]
            for client, sink, cpu_sink in pair if i % 2 else pair[::-1]:
                t0, c0 = time.perf_counter(), time.thread_time()
                client.chat.completions.create(model="m", messages=msgs)
                sink.append(time.perf_counter() - t0)
                cpu_sink.append(time.thread_time() - c0)
        bare.close()
        guarded.close()
        gc.unfreeze()

    def ms(xs: list[float]) -> float:
        return round(statistics.median(xs) * 1000, 3)

    def paired(a: list[float], b: list[float]) -> float:
        return ms([x - y for x, y in zip(a, b, strict=True)])

    return {
        "messages": n_messages,
        "history_bytes": size,
        "bare_ms": ms(t_bare),
        "guarded_ms": ms(t_guarded),
        "added_ms": round(ms(t_guarded) - ms(t_bare), 3),
        "added_paired_ms": paired(t_guarded, t_bare),
        # CPU time of the calling thread (SDK + guard + HTTP client; the server runs elsewhere):
        # what the guard adds to the request path, without the scheduler's noise.
        "bare_cpu_ms": ms(c_bare),
        "guarded_cpu_ms": ms(c_guarded),
        "added_cpu_ms": round(ms(c_guarded) - ms(c_bare), 3),
        "added_cpu_paired_ms": paired(c_guarded, c_bare),
        "prepare_ms": ms(prepare_times),
        "prepare_min_ms": round(min(prepare_times) * 1000, 3),
        "prepare_p90_ms": round(sorted(prepare_times)[int(len(prepare_times) * 0.9)] * 1000, 3),
        "first_request_ms": round(first * 1000, 1),
    }


_REDACTOR: dict[str, Any] = {}


def cpu(n_messages: int, turns: int, *, cache: bool) -> dict[str, Any]:
    """The guard's own CPU time per request (parse, redact, re-encode), no network: ``prepare()``
    on pre-built requests, one new message per turn, then the same body re-sent.

    CPU time of this thread (``time.thread_time``), not wall time: on a shared machine a
    2 ms computation is often descheduled for 10 ms, which says nothing about the guard."""
    import httpx2

    from guardrails import Redactor, SessionStore
    from integrations.openai import OpenAIGuard

    redactor = _REDACTOR.setdefault("r", Redactor())
    guard = OpenAIGuard(
        store=SessionStore(redactor, cache_size=4096 if cache else 0), conversation_id="cpu"
    )
    url = "http://127.0.0.1/v1/chat/completions"
    headers = {"content-type": "application/json"}
    msgs = history(n_messages)
    bodies = [
        json.dumps({"model": "m", "messages": [*msgs, _turn(i)]}).encode() for i in range(turns)
    ]
    first = json.dumps({"model": "m", "messages": msgs}).encode()
    t0 = time.perf_counter()
    guard.prepare(httpx2.Request("POST", url, headers=headers, content=first), first)
    cold = time.perf_counter() - t0
    gc.collect()
    gc.freeze()
    new_turn, resend = [], []
    for body in bodies:
        request = httpx2.Request("POST", url, headers=headers, content=body)
        t0 = time.thread_time()
        guard.prepare(request, body)
        new_turn.append(time.thread_time() - t0)
        request = httpx2.Request("POST", url, headers=headers, content=body)
        t0 = time.thread_time()
        guard.prepare(request, body)
        resend.append(time.thread_time() - t0)
    gc.unfreeze()
    return {
        "messages": n_messages,
        "history_bytes": len(first),
        "new_turn_ms": round(statistics.median(new_turn) * 1000, 3),
        "new_turn_min_ms": round(min(new_turn) * 1000, 3),
        "resend_ms": round(statistics.median(resend) * 1000, 3),
        "cold_ms": round(cold * 1000, 1),
    }


def bench(turns: int, sizes: list[int], rounds: int = 3) -> dict[str, Any]:
    ten_kb = next(n for n in range(5, 400) if len(json.dumps(history(n))) >= 10_000)
    runs = [measure(ten_kb, turns, cache=True) for _ in range(max(1, rounds))]
    wire = {
        key: (round(statistics.median(r[key] for r in runs), 3) if key != "messages" else value)
        for key, value in runs[0].items()
        if isinstance(value, int | float)
    }
    wire["rounds"] = [
        {k: r[k] for k in ("added_ms", "added_paired_ms", "added_cpu_paired_ms", "prepare_ms")}
        for r in runs
    ]
    # The CPU view is cheap: more samples steady the medians on a shared machine.
    cached = [cpu(n, max(turns, 200), cache=True) for n in sizes]
    uncached = [cpu(n, max(5, turns // 6), cache=False) for n in sizes]
    ten = cpu(ten_kb, max(turns, 200), cache=True)
    return {
        "turns": turns,
        "ten_kb_wire": wire,
        "ten_kb_cpu": ten,
        "growth_cpu_cached": cached,
        "anchor_cpu_uncached": uncached,
        "ratios": {
            "wire_added_ms_median_10kb": wire["added_ms"],
            "wire_added_paired_ms_median_10kb": wire["added_paired_ms"],
            "wire_added_cpu_paired_ms_median_10kb": wire["added_cpu_paired_ms"],
            "wire_added_cpu_ms_median_10kb": wire["added_cpu_ms"],
            "cpu_new_turn_ms_median_10kb": ten["new_turn_ms"],
            f"cpu_new_turn_{sizes[-1]}_vs_{sizes[0]}_messages": round(
                cached[-1]["new_turn_ms"] / max(cached[0]["new_turn_ms"], 1e-6), 2
            ),
            f"uncached_vs_cached_at_{sizes[-1]}_messages": round(
                uncached[-1]["new_turn_ms"] / max(cached[-1]["new_turn_ms"], 1e-6), 1
            ),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks openai_guard")
    parser.add_argument("--turns", type=int, default=150)
    parser.add_argument("--sizes", default="10,50,100,200,400")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv or [])
    t0 = time.perf_counter()
    data = bench(args.turns, [int(s) for s in args.sizes.split(",")], args.rounds)
    data["seconds"] = round(time.perf_counter() - t0, 1)
    path = _common.write_result("openai_guard", data)
    print(json.dumps({k: data[k] for k in ("ten_kb_wire", "ten_kb_cpu", "ratios")}, indent=2))
    for row in data["growth_cpu_cached"]:
        print("cached  ", row)
    for row in data["anchor_cpu_uncached"]:
        print("uncached", row)
    print(f"wrote {path.relative_to(_common.ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
