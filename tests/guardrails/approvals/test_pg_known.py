"""PostgreSQL: a decision and its audit event in one statement, on the row versions and the trail
head this process knows; another replica moving either on first sends the batch down the locked
path, with one outcome and one unbroken chain."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from guardrails import DecisionRefused
from guardrails.approvals import ApprovalRequest, ApprovalService, Decision
from guardrails.approvals.stores import Journal
from guardrails.audit import AuditLog
from guardrails.identity import Principal
from guardrails.policy import Policy, ToolCall
from tests.guardrails.approvals.conftest import ALICE, BOB, CAROL, PG_DSN, pg_available
from tests.guardrails.approvals.test_stores import _request

pytestmark = pytest.mark.postgres

POLICY = Policy.from_yaml(
    "rules:\n  - {name: w, tools: [wire], effect: require_approval,"
    " approval: {approvers: {groups: [finance]}}}\n"
)


@pytest.fixture
def schemas() -> Iterator[tuple[str, str]]:
    if not pg_available():
        pytest.skip("PostgreSQL is not running at 127.0.0.1:5432 (.ci/run starts it)")
    import psycopg

    name = f"h5_known_{uuid.uuid4().hex[:10]}"
    yield name, name + "_audit"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}_audit" CASCADE')


def _replica(schemas: tuple[str, str]) -> tuple[Any, AuditLog, ApprovalService]:
    """A store, trail and service of their own, as another process would have."""
    from guardrails.approvals.stores import PostgresApprovalStore
    from guardrails.audit import PostgresSink

    store = PostgresApprovalStore(PG_DSN, schema=schemas[0])
    audit = AuditLog(PostgresSink(PG_DSN, schema=schemas[1]))
    return store, audit, ApprovalService(POLICY, store=store, audit=audit)


def _open(service: ApprovalService, n: int = 1) -> ApprovalRequest:
    result = service.gate(ToolCall(name="wire", args={"amount": n}), requester=ALICE)
    assert result.request is not None
    return result.request


def _approve(service: ApprovalService, request: ApprovalRequest, who: Principal = BOB) -> str:
    decision = Decision(verdict="approve", approver=who, args_digest=request.args_digest)
    return service.decide(request.id, decision).status


def test_known_rows_and_head_commit_without_the_locked_path(
    schemas: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requests this process opened are decided in one statement: the locked batch never runs."""
    from guardrails.approvals.stores import postgres

    store, audit, service = _replica(schemas)
    requests = [_open(service, i) for i in range(3)]

    def locked(*args: object) -> None:
        raise AssertionError("the locked two-round-trip batch ran")

    monkeypatch.setattr(postgres, "write_batch", locked)
    assert [_approve(service, r) for r in requests] == ["approved"] * 3
    kinds = [e.kind for e in audit.events()]
    assert kinds == ["approval.requested"] * 3 + ["approval.decided"] * 3
    assert audit.verify().ok
    store.close()
    audit.close()


def _stale_codes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQLSTATEs with which the one-statement batch was refused (then retried locked)."""
    from guardrails.approvals.stores import postgres

    codes: list[str] = []
    real = postgres.write_known

    def spy(*args: Any) -> Any:
        try:
            return real(*args)
        except Exception as exc:
            codes.append(str(getattr(exc, "sqlstate", "")))
            raise

    monkeypatch.setattr(postgres, "write_known", spy)
    return codes


def test_a_trail_head_another_writer_moved_on_is_not_forked(
    schemas: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two replicas take turns appending: each one's known head is stale every time, the insert
    after it is refused by the primary key, and the chain stays one unbroken sequence."""
    codes = _stale_codes(monkeypatch)
    a_store, a_audit, a = _replica(schemas)
    b_store, b_audit, b = _replica(schemas)
    for i in range(3):
        mine, theirs = _open(a, 2 * i), _open(b, 2 * i + 1)
        assert _approve(a, mine) == "approved"
        assert _approve(b, theirs) == "approved"
    assert codes == ["23505"] * 6  # unique_violation on the trail's primary key
    records = list(a_audit.sink.records())  # type: ignore[attr-defined]
    assert [r.seq for r in records] == list(range(1, 13))
    assert a_audit.verify().ok
    assert len(list(b_audit.events(kind="approval.decided"))) == 6
    for closable in (a_store, a_audit, b_store, b_audit):
        closable.close()


def test_a_version_another_replica_moved_on_is_decided_again(
    schemas: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replica B approves first (through a service without the trail, so A's known trail head
    stays current); A, still knowing the pending row, is refused on the fresh row. A's one
    statement had already appended its event when the row check failed: it is rolled back."""
    codes = _stale_codes(monkeypatch)
    a_store, a_audit, a = _replica(schemas)
    b_store, b_audit, _ = _replica(schemas)
    request = _open(a)
    b_plain = ApprovalService(POLICY, store=b_store)
    assert _approve(b_plain, request, BOB) == "approved"
    with pytest.raises(DecisionRefused) as refused:
        _approve(a, request, CAROL)
    assert refused.value.code == "not_pending"
    assert codes == ["40001"]  # serialization_failure: the row's version moved on
    assert a.get(request.id).approvals == frozenset({"bob"})
    assert list(a_audit.events(kind="approval.decided")) == []  # the appended event rolled back
    assert [e.kind for e in a_audit.events()] == ["approval.requested", "approval.refused"]
    assert a_audit.verify().ok
    for closable in (a_store, a_audit, b_store, b_audit):
        closable.close()


def test_a_stale_row_and_a_stale_head_fail_on_the_head_first(
    schemas: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lone decider's statement takes the trail lock and appends before it checks the row (the
    lock order of every writer): with both moved on, the primary key refuses it first, and the
    locked path still decides on the fresh row."""
    codes = _stale_codes(monkeypatch)
    a_store, a_audit, a = _replica(schemas)
    b_store, b_audit, b = _replica(schemas)
    request = _open(a)
    assert _approve(b, request, BOB) == "approved"
    with pytest.raises(DecisionRefused) as refused:
        _approve(a, request, CAROL)
    assert refused.value.code == "not_pending"
    assert codes == ["23505"]  # unique_violation on the trail's primary key
    assert len(list(a_audit.events(kind="approval.decided"))) == 1
    assert a_audit.verify().ok
    for closable in (a_store, a_audit, b_store, b_audit):
        closable.close()


def test_a_refusal_on_a_known_copy_stands_only_if_the_row_is_unchanged(
    schemas: tuple[str, str],
) -> None:
    """A change that raises on this process's copy is checked against the row's version: the row
    moved on, so the change runs again on it (and succeeds) instead of failing on old data."""
    from guardrails.approvals.stores import PostgresApprovalStore

    a_store, audit, _ = _replica(schemas)
    b_store = PostgresApprovalStore(PG_DSN, schema=schemas[0])
    a_store.create(_request(1))
    audit.record("tool.executed")  # the trail's head is known too
    b_store.update("apr_00001", lambda r: r.evolve(status="approved"))
    tries: list[str] = []

    def consume(r: ApprovalRequest) -> ApprovalRequest:
        tries.append(r.status)
        if r.status != "approved":
            raise ValueError("not approved")
        return r.evolve(status="consumed")

    journal = Journal(
        sink=audit.sink, events=lambda r: [audit.prepare("approval.consumed", request_id=r.id)]
    )
    assert a_store.update("apr_00001", consume, journal).status == "consumed"
    assert tries == ["pending", "approved"]  # the known copy, then the row
    assert [e.kind for e in audit.events()] == ["tool.executed", "approval.consumed"]
    assert audit.verify().ok
    for closable in (a_store, b_store, audit):
        closable.close()


def test_a_lost_leader_connection_fails_one_decision_closed_and_the_next_reconnects(
    schemas: tuple[str, str],
) -> None:
    """The group-commit leader keeps its own connection. When the server drops it, the decision
    in flight fails with our error and writes nothing; the next one opens a fresh connection."""
    import psycopg

    from guardrails import ApprovalError

    store, audit, service = _replica(schemas)
    first, second = _open(service, 1), _open(service, 2)
    assert _approve(service, first) == "approved"
    pid = store._leader[1].info.backend_pid
    with psycopg.connect(PG_DSN, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(ApprovalError) as failed:
        _approve(service, second)
    assert "PostgreSQL approval update failed" in str(failed.value)
    assert service.get(second.id).status == "pending"
    assert _approve(service, second) == "approved"
    assert store._leader[1].info.backend_pid != pid
    assert [e.kind for e in audit.events(kind="approval.decided")] == ["approval.decided"] * 2
    assert audit.verify().ok
    store.close()
    audit.close()


def test_a_trail_without_the_append_function_takes_the_multi_statement_path(
    schemas: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trail an older version set up, opened with ``create=False``, has no append function:
    a lone decision is sent as the multi-statement query instead, in one transaction still."""
    import psycopg

    from guardrails.approvals.stores import PostgresApprovalStore, _pg_known
    from guardrails.audit import PostgresSink

    _, old_audit, _ = _replica(schemas)
    with psycopg.connect(PG_DSN, autocommit=True) as admin:
        admin.execute(f"DROP FUNCTION {old_audit.sink._append_fn}")  # type: ignore[attr-defined]
    sink = PostgresSink(PG_DSN, schema=schemas[1], create=False)
    assert sink.trail_append() is None
    store = PostgresApprovalStore(PG_DSN, schema=schemas[0])
    audit = AuditLog(sink)
    service = ApprovalService(POLICY, store=store, audit=audit)
    multi: list[int] = []
    real = _pg_known._multi
    monkeypatch.setattr(_pg_known, "_multi", lambda *a, **k: multi.append(1) or real(*a, **k))
    request = _open(service)
    assert _approve(service, request) == "approved"
    assert multi == [1]
    assert [e.kind for e in audit.events()] == ["approval.requested", "approval.decided"]
    assert audit.verify().ok
    for closable in (store, audit, old_audit):
        closable.close()
