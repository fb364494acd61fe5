"""Approvers racing from threads and from separate processes: exactly one outcome, quorum exact."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from guardrails import DecisionRefused
from guardrails.approvals import ApprovalService, ApprovalStore, Decision
from guardrails.audit import AuditLog, SQLiteSink
from guardrails.identity import Principal
from guardrails.policy import Policy, ToolCall

from ._race_worker import decide_in_child
from .conftest import ALICE, PG_DSN, POLICY_YAML, make_store

FINANCE = [Principal(id=f"fin{i}", groups=frozenset({"finance"})) for i in range(6)]


def _open(service: ApprovalService, tool: str) -> Any:
    result = service.gate(ToolCall(name=tool, args={"amount": 1}), requester=ALICE)
    assert result.request is not None
    return result.request


def _race_threads(
    service: ApprovalService, request: Any, approvers: list[Principal]
) -> Counter[str]:
    barrier = threading.Barrier(len(approvers))
    results: list[str] = []
    lock = threading.Lock()

    def run(p: Principal) -> None:
        d = Decision(verdict="approve", approver=p, args_digest=request.args_digest)
        barrier.wait(timeout=30)
        try:
            status = service.decide(request.id, d).status
        except DecisionRefused as refusal:
            status = f"refused:{refusal.code}"
        with lock:
            results.append(status)

    threads = [threading.Thread(target=run, args=(p,)) for p in approvers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return Counter(results)


@pytest.fixture
def shared(store: ApprovalStore, policy: Policy) -> ApprovalService:
    return ApprovalService(policy, store=store)


def test_threads_quorum_one_exactly_one_approval(shared: ApprovalService) -> None:
    """Six approvers at once on a quorum-1 request: one approves, five see it already decided."""
    req = _open(shared, "send_email")
    results = _race_threads(shared, req, FINANCE)
    assert results == Counter({"approved": 1, "refused:not_pending": 5})
    assert len(shared.get(req.id).votes) == 1


def test_threads_quorum_two_counts_exactly_two(shared: ApprovalService) -> None:
    """Six approvers at once on a quorum-2 request: exactly two votes count."""
    req = _open(shared, "wire")
    results = _race_threads(shared, req, FINANCE)
    assert results == Counter({"pending": 1, "approved": 1, "refused:not_pending": 4})
    final = shared.get(req.id)
    assert len(final.votes) == len(final.approvals) == 2


def test_threads_same_human_two_channels_counted_once(shared: ApprovalService) -> None:
    """The same human deciding from four channels at once is counted once."""
    req = _open(shared, "wire")
    bob = Principal(id="bob", groups=frozenset({"finance"}))
    results = _race_threads(shared, req, [bob] * 4)
    assert results == Counter({"pending": 1, "refused:duplicate_approver": 3})
    assert shared.get(req.id).approvals == frozenset({"bob"})


def _race_processes(
    kind: str,
    where: str,
    schema: str | None,
    request_id: str,
    approvers: list[dict[str, Any]],
    audited: bool = False,
) -> Counter[str]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(approvers))
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=decide_in_child,
            args=(kind, where, schema, POLICY_YAML, request_id, a, barrier, results, audited),
        )
        for a in approvers
    ]
    for p in procs:
        p.start()
    out = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return Counter(out)


@pytest.mark.slow
@pytest.mark.parametrize("audited", [False, True], ids=["store", "store+trail"])
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_processes_race_exactly_one_outcome(
    kind: str, audited: bool, tmp_path: Path, policy: Policy, request: pytest.FixtureRequest
) -> None:
    """Four processes: two approve quorum-2 request (both count, one final), the same human twice
    from two more processes counts once, and nobody's vote is lost or doubled. With the trail in
    the same database, each counted vote has exactly one ``approval.decided`` event."""
    schema = request.getfixturevalue("pg_schema") if kind == "postgres" else None
    store = make_store(kind, tmp_path, schema)
    audit = None
    if audited and kind == "sqlite":
        audit = AuditLog(SQLiteSink(tmp_path / "approvals.db"))
    elif audited:
        from guardrails.audit import PostgresSink

        audit = AuditLog(PostgresSink(PG_DSN, schema=f"{schema}_audit"))
    service = ApprovalService(policy, store=store, audit=audit)
    req = _open(service, "wire")
    where = str(tmp_path / "approvals.db") if kind == "sqlite" else PG_DSN
    bob = {"id": "bob", "groups": ["finance"]}
    approvers = [
        {**bob, "channel": "slack"},
        {**bob, "channel": "teams"},
        {"id": "carol", "groups": ["finance"]},
        {"id": "dan", "groups": ["finance"]},
    ]
    results = _race_processes(kind, where, schema, req.id, approvers, audited)
    final = service.get(req.id)
    assert final.status == "approved"
    assert len(final.approvals) == 2
    assert results["approved"] == 1
    assert results["pending"] == 1
    assert sum(results.values()) == 4
    assert set(results) <= {
        "approved",
        "pending",
        "refused:not_pending",
        "refused:duplicate_approver",
    }
    if audit is not None:
        assert audit.verify().ok
        decided = [e.data for e in audit.events(kind="approval.decided")]
        assert sorted(d["status"] for d in decided) == ["approved", "pending"]
        if kind == "postgres":
            audit.sink.drop()  # type: ignore[attr-defined]
        audit.close()
    close = getattr(store, "close", None)
    if close:
        close()


def test_threads_authorize_exactly_once(shared: ApprovalService) -> None:
    """Six executors racing to authorize one approved call: exactly one may run it."""
    req = _open(shared, "send_email")
    shared.decide(
        req.id, Decision(verdict="approve", approver=FINANCE[0], args_digest=req.args_digest)
    )
    barrier = threading.Barrier(6)
    results: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait(timeout=30)
        try:
            shared.authorize(req.id, args_digest=req.args_digest)
            status = "authorized"
        except DecisionRefused as refusal:
            status = refusal.code
        with lock:
            results.append(status)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert Counter(results) == Counter({"authorized": 1, "already_used": 5})
