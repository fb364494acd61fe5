"""A decision and its audit event are committed together when the trail shares the store's database.

The failure is injected into the *audit insert* (a trigger, the way a full disk or a broken
trail would fail it): the decision must not be left committed without its event.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from guardrails import GuardrailsError
from guardrails.approvals import ApprovalService, Decision
from guardrails.approvals.stores import JournalingStore, SQLiteApprovalStore
from guardrails.audit import AuditLog, JsonlSink, MemorySink, SQLiteSink
from guardrails.policy import Policy, ToolCall
from guardrails.testing import FixedClock
from tests.guardrails.approvals.conftest import ALICE, BOB, PG_DSN, pg_available

_BREAK_AUDIT = (
    "CREATE TRIGGER break_audit BEFORE INSERT ON audit_events "
    "WHEN NEW.body LIKE '%approval.decided%' "
    "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
)


def _open(service: ApprovalService) -> Any:
    result = service.gate(ToolCall(name="wire", args={"amount": 1}), requester=ALICE)
    assert result.request is not None
    return result.request


def _approve(service: ApprovalService, request: Any) -> Any:
    return service.decide(
        request.id, Decision(verdict="approve", approver=BOB, args_digest=request.args_digest)
    )


@pytest.fixture
def policy() -> Policy:
    return Policy.from_yaml(
        "rules:\n  - {name: w, tools: [wire], effect: require_approval,"
        " approval: {approvers: {groups: [finance]}}}\n"
    )


def test_sqlite_decision_without_its_event_is_not_committed(tmp_path: Path, policy: Policy) -> None:
    """The audit insert fails: the decision rolls back with it (the request stays pending)."""
    path = tmp_path / "guardrails.db"
    store = SQLiteApprovalStore(path)
    audit = AuditLog(SQLiteSink(path), clock=FixedClock())
    service = ApprovalService(policy, store=store, audit=audit, clock=FixedClock())
    request = _open(service)
    con = sqlite3.connect(path)
    con.execute(_BREAK_AUDIT)
    con.commit()
    with pytest.raises(GuardrailsError):
        _approve(service, request)
    assert service.get(request.id).status == "pending"
    assert "approval.decided" not in [e.kind for e in audit.events()]
    con.execute("DROP TRIGGER break_audit")
    con.commit()
    con.close()
    assert _approve(service, request).status == "approved"
    assert [e.kind for e in audit.events()][-1] == "approval.decided"
    assert audit.verify().ok


def test_sqlite_decision_and_event_share_one_commit(tmp_path: Path, policy: Policy) -> None:
    """One decision costs one write transaction on the shared file, not two."""
    path = tmp_path / "guardrails.db"
    store = SQLiteApprovalStore(path)
    audit = AuditLog(SQLiteSink(path), clock=FixedClock())
    service = ApprovalService(policy, store=store, audit=audit, clock=FixedClock())
    request = _open(service)
    commits: list[str] = []
    store._conn().set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    audit.sink._con.set_trace_callback(  # type: ignore[attr-defined]
        lambda sql: commits.append(sql) if sql == "COMMIT" else None
    )
    _approve(service, request)
    assert commits == ["COMMIT"]


@pytest.mark.parametrize(
    ("sink", "shared"),
    [
        ("same_file", True),  # the trail in the store's database
        ("other_file", False),  # another SQLite file: recorded after the commit
        ("jsonl", False),  # a JSONL trail: recorded after the commit
        ("memory", False),  # an in-memory trail cannot share a SQLite transaction
    ],
)
def test_sqlite_store_shares_only_its_own_database(tmp_path: Path, sink: str, shared: bool) -> None:
    """shares_audit is true only for a SQLiteSink on the very same file."""
    store = SQLiteApprovalStore(tmp_path / "a.db")
    sinks = {
        "same_file": lambda: SQLiteSink(tmp_path / "a.db"),
        "other_file": lambda: SQLiteSink(tmp_path / "b.db"),
        "jsonl": lambda: JsonlSink(tmp_path / "a.jsonl"),
        "memory": MemorySink,
    }
    assert isinstance(store, JournalingStore)
    assert store.shares_audit(sinks[sink]()) is shared


def test_separate_trail_still_records_every_decision(tmp_path: Path, policy: Policy) -> None:
    """With the trail elsewhere the event follows the commit (and is still written)."""
    store = SQLiteApprovalStore(tmp_path / "approvals.db")
    audit = AuditLog(tmp_path / "audit.db", clock=FixedClock())
    service = ApprovalService(policy, store=store, audit=audit, clock=FixedClock())
    _approve(service, _open(service))
    assert [e.kind for e in audit.events()] == ["approval.requested", "approval.decided"]


@pytest.fixture
def pg_schemas() -> Iterator[tuple[str, str]]:
    if not pg_available():
        pytest.skip("PostgreSQL is not running at 127.0.0.1:5432 (.ci/run starts it)")
    import psycopg

    name = f"h5_journal_{uuid.uuid4().hex[:10]}"
    yield name, name + "_audit"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}_audit" CASCADE')


@pytest.mark.postgres
def test_postgres_decision_without_its_event_is_not_committed(
    pg_schemas: tuple[str, str], policy: Policy
) -> None:
    """PostgreSQL: a failing audit insert rolls the decision back; once fixed, both commit."""
    import psycopg

    from guardrails.approvals.stores import PostgresApprovalStore
    from guardrails.audit import PostgresSink

    store_schema, audit_schema = pg_schemas
    store = PostgresApprovalStore(PG_DSN, schema=store_schema)
    audit = AuditLog(PostgresSink(PG_DSN, schema=audit_schema), clock=FixedClock())
    service = ApprovalService(policy, store=store, audit=audit, clock=FixedClock())
    assert store.shares_audit(audit.sink)
    request = _open(service)
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(
            f'CREATE FUNCTION "{audit_schema}".brk() RETURNS trigger LANGUAGE plpgsql AS '
            "$$ BEGIN IF NEW.body LIKE '%approval.decided%' THEN RAISE EXCEPTION 'disk full';"
            " END IF; RETURN NEW; END $$"
        )
        conn.execute(
            f'CREATE TRIGGER brk BEFORE INSERT ON "{audit_schema}".audit_events '
            f'FOR EACH ROW EXECUTE FUNCTION "{audit_schema}".brk()'
        )
    with pytest.raises(GuardrailsError):
        _approve(service, request)
    assert service.get(request.id).status == "pending"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP TRIGGER brk ON "{audit_schema}".audit_events')
    assert _approve(service, request).status == "approved"
    assert [e.kind for e in audit.events()][-1] == "approval.decided"
    assert audit.verify().ok
    store.close()
    audit.close()


def _journaled(kind: str, tmp_path: Path, schemas: tuple[str, str] | None) -> tuple[Any, Any]:
    if kind == "sqlite":
        path = tmp_path / "guardrails.db"
        return SQLiteApprovalStore(path), AuditLog(SQLiteSink(path))
    from guardrails.approvals.stores import PostgresApprovalStore
    from guardrails.audit import PostgresSink

    assert schemas is not None
    return (
        PostgresApprovalStore(PG_DSN, schema=schemas[0]),
        AuditLog(PostgresSink(PG_DSN, schema=schemas[1])),
    )


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_racing_threads_one_outcome_one_event(
    kind: str, tmp_path: Path, policy: Policy, request: pytest.FixtureRequest
) -> None:
    """Eight approvers at once through the journaled batch: one approval, one decided event."""
    import threading
    from collections import Counter

    from guardrails import DecisionRefused
    from guardrails.identity import Principal

    schemas = request.getfixturevalue("pg_schemas") if kind == "postgres" else None
    store, audit = _journaled(kind, tmp_path, schemas)
    service = ApprovalService(policy, store=store, audit=audit)
    req = _open(service)
    barrier = threading.Barrier(8)
    results: list[str] = []

    def run(i: int) -> None:
        approver = Principal(id=f"fin{i}", groups=frozenset({"finance"}))
        barrier.wait(timeout=30)
        try:
            status = service.decide(
                req.id, Decision(verdict="approve", approver=approver, args_digest=req.args_digest)
            ).status
        except DecisionRefused as refusal:
            status = refusal.code
        results.append(status)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert Counter(results) == Counter({"approved": 1, "not_pending": 7})
    assert len(list(audit.events(kind="approval.decided"))) == 1
    assert len(list(audit.events(kind="approval.refused"))) == 7
    assert audit.verify().ok
    store.close()
    audit.close()
