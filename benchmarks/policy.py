"""Policy evaluation cost per tool call, with CEL anchors measured in the same run.

Workloads on one realistic policy (8 rules, 4 with CEL conditions, a privileged tag, lists):
(a) a call no rule selects (default allow: selectors only, no CEL), (b) a call whose rule has no
condition, (c) one condition evaluated (``args.amount > 1000``), (d) three conditions evaluated
(``email_domain(args.to) in`` allowlist + sensitive-table ``in`` + requester groups), (e) the same
allowlist check written with CEL's ``exists`` macro, one condition, and (f) one condition on a
call whose arguments also carry 1,000 rows (a bulk insert). Each is ``Policy.evaluate`` end to
end: activation built from the raw args, conditions run, decision returned. Conditions run as
compiled closures (``guardrails/policy/_cel_compile.py``); every ``*_interpreted`` workload is the
same policy with its conditions forced onto cel-python's interpreter, measured in the same rounds.

Anchors: the bare cel-python program for ``args.amount > 1000`` with the interpreted runner and
with cel-python's ``CompiledRunner`` (transpiles to Python and ``exec``-s it; we do not use it,
see ``guardrails/policy/_conditions.py``), our compiled condition on the same CEL activation, plus a
hand-written Python ``lambda`` doing the same comparison — the floor no expression language can beat.

Timing: interleaved rounds (each system runs ``--calls`` times per round), median per system and
the fastest round (the least disturbed by other processes on a shared machine).

Run: ``python -m benchmarks policy`` (``--calls 300 --repeat 15``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks import _common
from guardrails.identity import Principal
from guardrails.policy import Policy, ToolCall

POLICY_YAML = """
lists:
  allowed_domains: ["example.com", "partner.io", "corp.example"]
  sensitive_tables: ["salaries", "ssn_registry", "payroll"]
rules:
  - name: no-drops
    tools: ["drop_*", "truncate_*"]
    effect: deny
    reason: destructive statements are not allowed
  - name: big-payments
    tools: ["pay*", "wire", "refund*"]
    when: args.amount > 1000
    effect: require_approval
  - name: external-mail
    tools: [send_email]
    when: '!(email_domain(args.to) in lists.allowed_domains)'
    effect: require_approval
  - name: sensitive-tables
    tools: [send_email]
    when: args.table in lists.sensitive_tables
    effect: deny
  - name: interns
    tools: [send_email]
    when: '"interns" in requester.groups'
    effect: deny
  - name: prod
    metadata: {env: prod}
    effect: require_approval
  - name: reads
    tools: ["get_*", "list_*", "search*"]
    effect: allow
  - name: deploys
    tags: [deploy]
    effect: require_approval
"""

REQUESTER = Principal(id="alice", groups=frozenset({"sales", "emea"}))

WORKLOADS: dict[str, ToolCall] = {
    "no_rule_selected": ToolCall(name="calculator", args={"expr": "2+2"}),
    "rule_without_condition": ToolCall(name="get_weather", args={"city": "Paris"}),
    "one_condition": ToolCall(name="wire", args={"amount": 5000, "iban": "DE89..."}),
    "three_conditions": ToolCall(
        name="send_email",
        args={"to": "bob@partner.io", "table": "orders", "body": "hello " * 20},
    ),
    "one_condition_large_args": ToolCall(
        name="wire",
        args={
            "amount": 5000,
            "rows": [{"id": i, "name": f"customer {i}", "total": i * 1.5} for i in range(1000)],
        },
    ),
}
INTERPRETED = ("one_condition", "three_conditions", "one_condition_large_args")

# The same allowlist check written with CEL's ``exists`` macro instead of ``email_domain``.
EXISTS_YAML = """
lists:
  allowed_domains: ["example.com", "partner.io", "corp.example"]
rules:
  - name: external-mail
    tools: [send_email]
    when: '!lists.allowed_domains.exists(d, args.to.endsWith("@" + d))'
    effect: require_approval
"""


# cel-python keeps one parser per process with the first runner's tree class, so the
# CompiledRunner anchor runs in its own interpreter.
_COMPILED_ANCHOR = """
import time, celpy
from celpy.adapter import json_to_cel
env = celpy.Environment(runner_class=celpy.CompiledRunner)
prog = env.program(env.compile("args.amount > 1000"))
act = {"args": json_to_cel({"amount": 5000, "iban": "DE89..."})}
for _ in range(200):
    prog.evaluate(act)
best = None
for _ in range(REPEAT):
    t0 = time.perf_counter()
    for _ in range(CALLS):
        prog.evaluate(act)
    dt = time.perf_counter() - t0
    best = dt if best is None else min(best, dt)
print(best / CALLS * 1e6)
"""


def _interpreted(policy: Policy) -> Policy:
    """The policy with every condition forced onto cel-python's interpreter (before/after)."""
    for rule in policy.rules:
        if rule.condition is not None:
            rule.condition._compiled = None
    return policy


def bench(calls: int, repeat: int) -> dict[str, Any]:
    import celpy
    from celpy.adapter import json_to_cel

    from guardrails.policy import Condition

    policy = Policy.from_yaml(POLICY_YAML)
    exists = Policy.from_yaml(EXISTS_YAML)
    interp = _interpreted(Policy.from_yaml(POLICY_YAML))
    interp_exists = _interpreted(Policy.from_yaml(EXISTS_YAML))
    env = celpy.Environment()
    prog = env.program(env.compile("args.amount > 1000"))
    act = {"args": json_to_cel({"amount": 5000, "iban": "DE89..."})}
    compiled = Condition("args.amount > 1000")
    args = {"amount": 5000}
    systems: dict[str, Callable[[], object]] = {
        name: (lambda c=call: policy.evaluate(c, requester=REQUESTER))
        for name, call in WORKLOADS.items()
    }
    mail = WORKLOADS["three_conditions"]
    systems["allowlist_via_exists_macro"] = lambda: exists.evaluate(mail, requester=REQUESTER)
    for name in INTERPRETED:
        call = WORKLOADS[name]
        systems[f"{name}_interpreted"] = lambda c=call: interp.evaluate(c, requester=REQUESTER)
    systems["allowlist_via_exists_macro_interpreted"] = lambda: interp_exists.evaluate(
        mail, requester=REQUESTER
    )
    systems["anchor_cel_interpreted"] = lambda: prog.evaluate(act)
    systems["anchor_compiled_condition"] = lambda: compiled.evaluate(act)
    systems["anchor_python_lambda"] = lambda: args["amount"] > 1000
    for fn in systems.values():  # warm-up
        for _ in range(20):
            fn()
    # Interleaved rounds, median per system: load from other processes hits every system alike.
    samples: dict[str, list[float]] = {name: [] for name in systems}
    # The interpreter converts all 1,000 rows on every call (~50 ms): fewer calls keep the run short.
    fewer = {"one_condition_large_args_interpreted": max(3, calls // 20)}
    for _ in range(repeat):
        for name, fn in systems.items():
            n = fewer.get(name, calls)
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - t0) / n * 1e6)
    us = {name: statistics.median(v) for name, v in samples.items()}
    # The fastest round too: on a shared machine it is the least disturbed by other processes.
    best = {name: min(v) for name, v in samples.items()}
    out: dict[str, Any] = {"policy_hash": policy.hash, "calls": calls, "rounds": repeat}
    out["workloads"] = {
        name: {"us_per_call": round(us[name], 1), "us_best_round": round(best[name], 1)}
        for name in systems
        if not name.startswith("anchor_")
    }
    for name, call in WORKLOADS.items():
        out["workloads"][name]["effect"] = policy.evaluate(call).effect
    code = _COMPILED_ANCHOR.replace("CALLS", str(calls)).replace("REPEAT", str(repeat))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    exec_us = float(res.stdout.strip()) if res.returncode == 0 else None
    bare = us["anchor_cel_interpreted"]
    out["anchors"] = {
        "cel_interpreted_us": round(bare, 1),
        "cel_compiled_exec_us": round(exec_us, 1) if exec_us else None,
        "our_compiled_condition_us": round(us["anchor_compiled_condition"], 2),
        "python_lambda_us": round(us["anchor_python_lambda"], 3),
    }
    speedup = {
        name: round(us[f"{name}_interpreted"] / us[name], 1)
        for name in (*INTERPRETED, "allowlist_via_exists_macro")
    }
    out["ratios"] = {
        "interpreted_vs_compiled_evaluate": speedup,
        "bare_interpreted_vs_our_compiled_condition": round(
            bare / us["anchor_compiled_condition"], 1
        ),
        "evaluate_one_condition_vs_bare_cel_interpreted": round(us["one_condition"] / bare, 3),
        "exists_macro_vs_email_domain_helper_three_rules": round(
            us["allowlist_via_exists_macro"] / us["three_conditions"], 2
        ),
        "cel_interpreted_vs_compiled_exec": round(bare / exec_us, 2) if exec_us else None,
    }
    for name, value in us.items():
        print(f"  {name:<40} {value:9.2f} µs/call")
    if exec_us:
        print(f"  {'anchor_cel_compiled_exec':<40} {exec_us:9.2f} µs/call (separate process)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks policy")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv or [])
    t0 = time.perf_counter()
    data = bench(args.calls, args.repeat)
    data["seconds"] = round(time.perf_counter() - t0, 1)
    # a shared 2-core machine: the load during the run says how much to trust absolute numbers
    data["load_average_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    path = _common.write_result("policy", data)
    print(json.dumps(data["ratios"], indent=2))
    print(f"wrote {path.relative_to(_common.ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
