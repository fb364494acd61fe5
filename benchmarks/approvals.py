"""Approvals: durable decision records per second, and store lookups with 10k pending requests.

Decisions (target ≥ 2,000 durable records/s): 1, 8 or 32 threads call ``ApprovalService.decide``
on pre-created quorum-1 requests. Each decide is one read-modify-write transaction (SQLite
``BEGIN IMMEDIATE``; PostgreSQL a compare-and-set ``UPDATE`` on the version this process already
knows, and when the trail shares the database one statement per batch holding the compare-and-sets
and the audit inserts after the trail head this process knows) committed before
``decide`` returns: verification, the vote and the new status are durable before anyone can
authorize the call. SQLite with ``synchronous=FULL`` (survives power loss) and ``NORMAL`` (survives
a process crash); PostgreSQL with the server default ``synchronous_commit=on``. A second row adds the
audit trail in the store's own database (``AuditLog`` on the same SQLite file / PostgreSQL database):
the decision and its audit event are written by one transaction, i.e. the whole durable decision
path with one commit; SQLite also once with the trail in a separate file (two commits). Concurrent
deciders share commits (group commit), each returning after its own is durable. Anchors: a bare ``sqlite3`` ``UPDATE`` + ``COMMIT`` of
a same-sized row under the same PRAGMAs, and a bare autocommit PostgreSQL ``UPDATE`` (one durable
commit per round trip): on a shared virtual disk the fsync time moves by 10x within minutes, so
read the rates against the anchor of the same run.

Lookups: 10,000 pending requests in the store; ``get`` by id (random ids), ``pending(limit=100)``
(the inbox page), ``pending(due_before=now)`` with 10 due (what ``tick`` scans), ``tick`` in a
sweeper process, and ``sync`` in the process that has shown all 10,000 (one read per live request).

Run: ``python -m benchmarks approvals`` (``--decisions 2000 --pending 10000``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks import _common
from guardrails._clock import FixedClock
from guardrails.approvals import (
    ApprovalService,
    ApprovalStore,
    Decision,
    SQLiteApprovalStore,
)
from guardrails.audit import AuditLog, SQLiteSink
from guardrails.identity import Principal
from guardrails.policy import Policy, ToolCall

PG_DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres connect_timeout=5"
TARGET_DECISIONS = 2000.0
POLICY = Policy.from_yaml(
    """
rules:
  - name: payments
    tools: [wire]
    effect: require_approval
    approval: {approvers: {groups: [finance]}, quorum: 1, expires_in: 1h}
"""
)
ALICE = Principal(id="alice", groups=frozenset({"sales"}))
BOB = Principal(id="bob", groups=frozenset({"finance"}))
MASKED = {"amount": 5000, "iban": "<IBAN_CODE_1>", "memo": "invoice 2231 for <PERSON_1>"}


def _open(service: ApprovalService, n: int) -> list[Any]:
    out = []
    for i in range(n):
        call = ToolCall(name="wire", args={**MASKED, "n": i}, id=f"call_{i}")
        result = service.gate(call, requester=ALICE, masked_args=MASKED, thread_id="t1")
        out.append(result.request)
    return out


def _decide_rate(service: ApprovalService, requests: list[Any], threads: int = 1) -> float:
    """Decisions per second with ``threads`` deciders sharing the service (separate requests)."""
    decisions = [
        (r.id, Decision(verdict="approve", approver=BOB, args_digest=r.args_digest))
        for r in requests
    ]
    chunks = [decisions[i::threads] for i in range(threads)]
    barrier = threading.Barrier(threads + 1)

    def run(chunk: list[tuple[str, Decision]]) -> None:
        barrier.wait()
        for rid, d in chunk:
            service.decide(rid, d)

    workers = [threading.Thread(target=run, args=(c,)) for c in chunks]
    for w in workers:
        w.start()
    barrier.wait()
    t0 = time.perf_counter()
    for w in workers:
        w.join()
    return len(requests) / (time.perf_counter() - t0)


def _pg_anchor(n: int) -> float:
    """Bare autocommit UPDATE of one row per statement: the server's durable-commit floor."""
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        table = f"anchor_{uuid.uuid4().hex[:8]}"
        conn.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, data text)")
        try:
            blob = "x" * 1800
            with conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO {table} VALUES (%s, %s)", [(i, blob) for i in range(n)]
                )
            t0 = time.perf_counter()
            for i in range(n):
                conn.execute(f"UPDATE {table} SET data = %s WHERE id = %s", (blob + "y", i))
            return n / (time.perf_counter() - t0)
        finally:
            conn.execute(f"DROP TABLE {table}")


def _sqlite_anchor(path: Path, sync: str, n: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={sync}")
    conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, data TEXT)")
    blob = "x" * 1800  # about the size of a stored request with one vote
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(str(i), blob) for i in range(n)])
    t0 = time.perf_counter()
    for i in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE t SET data = ? WHERE id = ?", (blob + "y", str(i)))
        conn.execute("COMMIT")
    rate = n / (time.perf_counter() - t0)
    conn.close()
    return rate


def _pg_store() -> tuple[ApprovalStore, Callable[[], None]] | None:
    try:
        import psycopg

        from guardrails.approvals.stores import PostgresApprovalStore

        psycopg.connect(PG_DSN).close()
    except Exception:
        return None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    store = PostgresApprovalStore(PG_DSN, schema=schema)

    def drop() -> None:
        store.close()
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    return store, drop


def _rates(out: dict[str, Any], key: str, svc: ApprovalService, n: int, threads: list[int]) -> str:
    """Decide ``n`` fresh requests per thread count; ``key`` for 1 thread, ``key_T_threads`` else."""
    shown = []
    for t in threads:
        name = key if t == 1 else f"{key}_{t}_threads"
        out[name] = round(_decide_rate(svc, _open(svc, n), t))
        shown.append(f"{t} thr {out[name]}/s")
    return ", ".join(shown)


def bench_decisions(n: int, tmp: Path, threads: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {"threads": threads}
    for sync in ("FULL", "NORMAL"):
        d = tmp / f"dec-{sync}"
        d.mkdir()
        k = f"sqlite_{sync.lower()}"
        db = d / "guardrails.db"
        anchors: list[float] = []  # the disk's fsync time drifts: sample it between the rows

        def anchor(sync: str = sync, d: Path = d, anchors: list[float] = anchors) -> None:
            anchors.append(_sqlite_anchor(d / f"anchor{len(anchors)}.db", sync, n // 2))

        store = SQLiteApprovalStore(db, synchronous=sync)  # type: ignore[arg-type]
        svc = ApprovalService(POLICY, store=store, clock=FixedClock())
        anchor()
        shown = _rates(out, k, svc, n, threads)
        # The recommended layout: the trail in the store's file, decision + event in one commit.
        audit = AuditLog(SQLiteSink(db, synchronous=sync), clock=FixedClock())
        svc = ApprovalService(POLICY, store=store, audit=audit, clock=FixedClock())
        anchor()
        shown_audit = _rates(out, f"{k}_with_audit", svc, n, threads)
        # The trail in another file: the event is a second commit after the decision's.
        other = AuditLog(SQLiteSink(d / "audit.db", synchronous=sync), clock=FixedClock())
        svc = ApprovalService(POLICY, store=store, audit=other, clock=FixedClock())
        out[f"{k}_with_audit_separate_file"] = round(_decide_rate(svc, _open(svc, n)))
        anchor()
        out[f"anchor_bare_sqlite_commit_{sync.lower()}"] = round(statistics.median(anchors))
        out[f"anchor_bare_sqlite_commit_{sync.lower()}_samples"] = [round(a) for a in anchors]
        # 1 decider vs the bare commit measured just before it (1.0 = one fsync per decision)
        out[f"{k}_vs_anchor_before"] = round(out[k] / anchors[0], 2)
        out[f"{k}_with_audit_vs_anchor_before"] = round(out[f"{k}_with_audit"] / anchors[1], 2)
        store.close()
        print(
            f"  sqlite {sync:<6} decisions: {shown}; with audit (same file): {shown_audit} "
            f"(separate file {out[k + '_with_audit_separate_file']}/s, bare commit "
            f"{out[f'anchor_bare_sqlite_commit_{sync.lower()}_samples']}/s)"
        )
    pg = _pg_store()
    if pg is None:
        out["postgres"] = None
        print("  postgres: not running, skipped")
    else:
        store, drop = pg
        sink = None
        try:
            from guardrails.audit import PostgresSink

            svc = ApprovalService(POLICY, store=store, clock=FixedClock())
            before = _pg_anchor(n // 2)
            shown = _rates(out, "postgres", svc, n, threads)
            out["postgres_vs_anchor_before"] = round(out["postgres"] / before, 2)
            sink = PostgresSink(PG_DSN, schema=f"{store.schema}_audit")  # type: ignore[attr-defined]
            audit = AuditLog(sink, clock=FixedClock())
            svc = ApprovalService(POLICY, store=store, audit=audit, clock=FixedClock())
            shown_audit = _rates(out, "postgres_with_audit", svc, n, threads)
            after = _pg_anchor(n // 2)
            out["anchor_bare_postgres_commit"] = round(statistics.median([before, after]))
            out["anchor_bare_postgres_commit_samples"] = [round(before), round(after)]
            print(
                f"  postgres decisions: {shown}; with audit (same database): {shown_audit} "
                f"(bare commit {out['anchor_bare_postgres_commit']}/s)"
            )
        finally:
            if sink is not None:
                sink.drop()
                sink.close()
            drop()
    return out


def _lookups(store: ApprovalStore, n: int) -> dict[str, Any]:
    clock = FixedClock()
    svc = ApprovalService(POLICY, store=store, clock=clock)
    requests = _open(svc, n)
    # 10 requests that are already due: a short-lived rule's leftovers
    for r in random.Random(1).sample(requests, 10):
        store.update(r.id, lambda cur: cur.evolve(expires_at=cur.created_at + timedelta(seconds=1)))
    clock.advance(timedelta(minutes=1))
    ids = [r.id for r in random.Random(2).sample(requests, 500)]
    get_us = _common.timed(lambda: [store.get(i) for i in ids], repeat=3) / len(ids) * 1e6
    page_ms = _common.timed(lambda: store.pending(limit=100), repeat=5) * 1e3
    due_ms = _common.timed(lambda: store.pending(due_before=clock.now()), repeat=5) * 1e3
    # tick() in a sweeper process that has shown no cards: the expiry/escalation scan itself
    sweeper = ApprovalService(POLICY, store=store, clock=clock)
    t0 = time.perf_counter()
    expired = len(sweeper.tick())
    tick_ms = (time.perf_counter() - t0) * 1e3
    # sync() in the process that opened all n requests: one read per live request it has shown
    t0 = time.perf_counter()
    synced = len(svc.sync())
    sync_ms = (time.perf_counter() - t0) * 1e3
    return {
        "pending": n,
        "get_us": round(get_us, 1),
        "pending_page_100_ms": round(page_ms, 2),
        "due_scan_ms": round(due_ms, 2),
        "tick_ms_expiring_10": round(tick_ms, 2),
        "expired_by_tick": expired,
        "sync_ms_all_shown": round(sync_ms, 1),
        "sync_events": synced,
    }


def bench_lookups(n: int, tmp: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    store = SQLiteApprovalStore(tmp / "lookups.db", synchronous="NORMAL")
    out["sqlite"] = _lookups(store, n)
    store.close()
    print(f"  sqlite   {json.dumps(out['sqlite'])}")
    pg = _pg_store()
    if pg is not None:
        pstore, drop = pg
        try:
            out["postgres"] = _lookups(pstore, n)
            print(f"  postgres {json.dumps(out['postgres'])}")
        finally:
            drop()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks approvals")
    parser.add_argument("--decisions", type=int, default=2000)
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument(
        "--threads", default="1,8,32", help="concurrent deciders to try (group commit needs >1)"
    )
    parser.add_argument("--only", choices=("decisions", "lookups"), help="run one half")
    args = parser.parse_args(argv or [])
    threads = [int(t) for t in args.threads.split(",")]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        decisions = bench_decisions(args.decisions, tmp, threads) if args.only != "lookups" else {}
        lookups = bench_lookups(args.pending, tmp) if args.only != "decisions" else {}
    data = {
        "targets": {"durable_decisions_per_s": TARGET_DECISIONS},
        "decisions_per_s": decisions,
        "lookups": lookups,
    }
    # a shared 2-core machine: the load during the run says how much to trust absolute numbers
    data["load_average_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    path = _common.write_result("approvals", data)
    print(f"wrote {path.relative_to(_common.ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
