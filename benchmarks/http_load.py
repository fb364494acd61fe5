"""HTTP load: 200 concurrent decisions on loopback against ONE pending request → exactly one outcome.

A uvicorn server on 127.0.0.1, in its own process, serves the approvals API over a SQLite approval
store (durable, ``synchronous=NORMAL``) with a SQLite audit log. One quorum-1 request is pending.
200 clients, each authenticated with its own API key as a distinct finance reviewer, are released
at the same moment and POST a decision (half approve, half reject). Checked after each round:
exactly one 200 response, every other one a 409, exactly one vote stored, and the approval
authorizes the tool once (a second ``authorize`` is refused). A second scenario sends the 200
requests as the *same* reviewer (a double-clicking user). At the end, the audit trail must hold one
``approval.decided`` per round and verify.

Anchor (same run, same server, same concurrency): 200 concurrent ``GET /healthz``, i.e. the
cost of the HTTP stack alone; the decision rounds are reported as a ratio of it.

Rate limits: the app's defaults (1200 requests/minute per client address, 60 decisions/minute per
reviewer) would answer most of a 200-request burst from one loopback address with 429, so the
server runs with the limiter *on* (its cost is in the numbers) but sized for the load: 10^6/minute
per address and per reviewer. ``--rate-limits off`` runs without it, for the comparison.

Run: ``python -m benchmarks http_load`` (``--clients 200 --rounds 5 --rate-limits sized``).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from benchmarks import _common
from guardrails import DecisionRefused
from guardrails.approvals import ApprovalService, SQLiteApprovalStore
from guardrails.audit import AuditLog
from guardrails.identity import Principal, StaticDirectory
from guardrails.policy import Policy, ToolCall, args_digest
from integrations.http import ApiKeys, RateLimits, create_app

POLICY = """
name: load
approval: {approvers: {groups: [finance]}, expires_in: 1h}
rules:
  - {name: refunds, tools: [refund], effect: require_approval, reason: refunds need finance}
"""

# the limiter in the path, sized so that no request of the load is refused
SIZED = RateLimits(per_ip="1000000/minute", decisions_per_principal="1000000/minute")
LIMITS = {"sized": SIZED, "off": None}

Burst = list[tuple[str, str, dict[str, Any] | None, Any]]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _directory(clients: int) -> tuple[StaticDirectory, dict[str, str]]:
    people = [Principal(id="alice", groups=frozenset({"finance"}))] + [
        Principal(id=f"r{i:03d}", groups=frozenset({"finance"})) for i in range(clients)
    ]
    keys = {f"load-key-{p.id}-0123456789": p.id for p in people[1:]}
    return StaticDirectory(people, identities={("token", p.id): p.id for p in people}), keys


def _serve(tmp: str, port: int, clients: int, limits: str) -> None:
    """The server process: the approvals app over the shared SQLite store, audit in SQLite."""
    directory, keys = _directory(clients)
    store = SQLiteApprovalStore(Path(tmp) / "approvals.db", synchronous="NORMAL")
    audit = AuditLog(Path(tmp) / "audit.db")
    service = ApprovalService(
        Policy.from_yaml(POLICY), store=store, audit=audit, directory=directory
    )
    app = create_app(service, verifier=ApiKeys(keys), rate_limits=LIMITS[limits])
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="error",
        lifespan="off",
        backlog=4096,
        limit_concurrency=4096,
    )


class _Server:
    """uvicorn in its own process (its own GIL, as in production), stopped on exit."""

    def __init__(self, tmp: Path, clients: int, limits: str) -> None:
        self.port = _port()
        ctx = multiprocessing.get_context("spawn")
        self.process = ctx.Process(
            target=_serve, args=(str(tmp), self.port, clients, limits), daemon=True
        )

    def __enter__(self) -> _Server:
        self.process.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.join(timeout=15)


async def _burst(url: str, requests: Burst) -> dict[str, Any]:
    """Send every request at once (released together): statuses, error codes and latencies."""
    n = len(requests)
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        # open the connections first, so the burst measures requests, not TCP handshakes
        await asyncio.gather(*(client.get("/healthz") for _ in requests))
        gate = asyncio.Event()

        async def one(method: str, path: str, headers: Any, body: Any) -> tuple[int, Any, float]:
            await gate.wait()
            t0 = time.perf_counter()
            res = await client.request(method, path, headers=headers, json=body)
            code = res.json().get("error") if res.status_code >= 400 else None
            return res.status_code, code, time.perf_counter() - t0

        tasks = [asyncio.create_task(one(*r)) for r in requests]
        await asyncio.sleep(0.05)
        t0 = time.perf_counter()
        gate.set()
        results = await asyncio.gather(*tasks)
        wall = time.perf_counter() - t0
    lat = sorted(r[2] for r in results)
    statuses: dict[str, int] = {}
    for status, code, _ in results:
        key = f"{status} {code}" if code else str(status)
        statuses[key] = statuses.get(key, 0) + 1
    return {
        "wall_s": round(wall, 4),
        "p50_ms": round(1000 * statistics.median(lat), 1),
        "p95_ms": round(1000 * lat[int(0.95 * (len(lat) - 1))], 1),
        "statuses": statuses,
    }


def _round(service: ApprovalService, url: str, keys: list[str], *, same: bool) -> dict[str, Any]:
    alice = service.resolve("principal", "alice")
    call = ToolCall(name="refund", args={"to": "jane@example.com", "amount": 10})
    masked = {"to": "<EMAIL_ADDRESS_1>", "amount": 10}
    request = service.gate(call, requester=alice, masked_args=masked).request
    assert request is not None
    path = f"/api/requests/{request.id}/decision"
    burst: Burst = [
        (
            "POST",
            path,
            {"Authorization": f"Bearer {keys[0] if same else key}"},
            {"verdict": "approve" if i % 2 == 0 else "reject", "reason": "load"},
        )
        for i, key in enumerate(keys)
    ]
    out = asyncio.run(_burst(url, burst))
    final = service.get(request.id)
    wins = out["statuses"].get("200", 0)
    conflicts = sum(n for k, n in out["statuses"].items() if k.startswith("409"))
    runs = 0
    if final.status == "approved":
        for _ in range(2):  # the second authorize must be refused: the tool runs once
            try:
                service.authorize(request.id, args_digest=args_digest(call.args))
                runs += 1
            except DecisionRefused:
                pass
    out.update(
        {
            "ok_responses": wins,
            "conflict_responses": conflicts,
            "votes_stored": len(final.votes),
            "final_status": final.status,
            "authorized_runs": runs,
            "exactly_one_outcome": wins == 1
            and conflicts == len(keys) - 1
            and len(final.votes) == 1
            and runs <= 1,
        }
    )
    return out


def _summary(rows: list[dict[str, Any]], anchor_wall: float, clients: int) -> dict[str, Any]:
    wall = statistics.median(r["wall_s"] for r in rows)
    return {
        "rounds": rows,
        "all_rounds_exactly_one_outcome": all(r["exactly_one_outcome"] for r in rows),
        "median_wall_s": wall,
        "median_wall_vs_healthz_anchor": round(wall / anchor_wall, 2),
        "requests_per_s": round(clients / wall, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks http_load")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rate-limits", choices=sorted(LIMITS), default="sized")
    args = parser.parse_args(argv or [])
    directory, keys = _directory(args.clients)
    key_list = list(keys)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        store = SQLiteApprovalStore(tmp / "approvals.db", synchronous="NORMAL")
        # this process opens requests and checks outcomes; the server process decides and audits
        service = ApprovalService(Policy.from_yaml(POLICY), store=store, directory=directory)
        with _Server(tmp, args.clients, args.rate_limits) as server:
            url = f"http://127.0.0.1:{server.port}"
            healthz: Burst = [("GET", "/healthz", None, None)] * args.clients
            anchor = [asyncio.run(_burst(url, healthz)) for _ in range(args.rounds)]
            distinct = [_round(service, url, key_list, same=False) for _ in range(args.rounds)]
            same = [_round(service, url, key_list, same=True) for _ in range(args.rounds)]
        audit = AuditLog(tmp / "audit.db")
        decided = sum(1 for _ in audit.events(kind="approval.decided"))
        verified = audit.verify().ok
        store.close()
    anchor_wall = statistics.median(r["wall_s"] for r in anchor)
    data = {
        "clients": args.clients,
        "store": "sqlite (synchronous=NORMAL); server in its own process",
        "rate_limits": (
            "on, sized for the load (per_ip and decisions_per_principal 1000000/minute)"
            if args.rate_limits == "sized"
            else "off"
        ),
        "anchor_healthz": {"median_wall_s": anchor_wall, "rounds": anchor},
        "distinct_reviewers": _summary(distinct, anchor_wall, args.clients),
        "same_reviewer_clicks": _summary(same, anchor_wall, args.clients),
        "audit_decided_events": decided,
        "audit_expected_decided_events": 2 * args.rounds,
        "audit_verifies": verified,
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }
    for name in ("distinct_reviewers", "same_reviewer_clicks"):
        s = data[name]
        print(
            f"  {name:22s} one outcome every round: {s['all_rounds_exactly_one_outcome']}; "
            f"median {s['median_wall_s']:.3f}s for {args.clients} requests "
            f"({s['median_wall_vs_healthz_anchor']}x the /healthz anchor); "
            f"round 1 statuses {s['rounds'][0]['statuses']}"
        )
    print(f"  anchor /healthz x{args.clients}: median {anchor_wall:.3f}s")
    print(f"  audit: {decided} approval.decided for {2 * args.rounds} rounds; verifies: {verified}")
    path = _common.write_result("http_load", data)
    print(f"wrote {path.relative_to(_common.ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
