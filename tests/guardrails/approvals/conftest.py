"""Approval fixtures: a fixed clock, a captured audit trail, principals, and a store per backend."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from guardrails.approvals import (
    ApprovalService,
    ApprovalStore,
    InMemoryApprovalStore,
    SQLiteApprovalStore,
)
from guardrails.identity import Principal
from guardrails.policy import Policy, ToolCall
from guardrails.testing import AuditCapture, FixedClock, capture_audit

PG_DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres connect_timeout=5"
KEY = b"permit-key-for-tests-32-bytes-ok"

POLICY_YAML = """
name: tests
lists:
  allowed_domains: ["example.com"]
approval:
  approvers: {groups: [finance]}
  expires_in: 10m
rules:
  - name: wire
    tools: [wire]
    effect: require_approval
    reason: wires need finance approval
    approval:
      quorum: 2
      escalation: {after: 5m, to: {groups: [oncall]}}
  - name: refund
    tools: [refund]
    effect: require_approval
    approval: {decisions: [approve, reject], reason_required: true}
  - name: big-refund-deny
    tools: [refund]
    when: args.amount > 100000
    effect: deny
    reason: refunds above 100000 are never allowed
  - name: email
    tools: [send_email]
    effect: require_approval
  - name: drop
    tools: [drop_table]
    effect: deny
    reason: dropping tables is not allowed
"""

ALICE = Principal(id="alice", groups=frozenset({"sales"}))  # the requester
BOB = Principal(id="bob", groups=frozenset({"finance"}))
CAROL = Principal(id="carol", groups=frozenset({"finance"}))
DAVE = Principal(id="dave", groups=frozenset({"oncall"}))
EVE = Principal(id="eve", groups=frozenset({"marketing"}))
BOT = Principal(id="bot", kind="agent", groups=frozenset({"finance"}))
SVC = Principal(id="svc", kind="service", groups=frozenset({"finance"}))

RAW_EMAIL = "jane.doe@corp-secret.com"


def pg_available() -> bool:
    try:
        import psycopg

        psycopg.connect(PG_DSN).close()
    except Exception:
        return False
    return True


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def audit(clock: FixedClock) -> AuditCapture:
    return capture_audit(clock=clock)


@pytest.fixture
def policy() -> Policy:
    return Policy.from_yaml(POLICY_YAML, source="tests.yaml")


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped after the test."""
    if not pg_available():
        pytest.skip("PostgreSQL is not running at 127.0.0.1:5432 (.ci/run starts it)")
    import psycopg

    name = f"h5_test_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def make_store(kind: str, tmp_path: Path, schema: str | None = None) -> ApprovalStore:
    if kind == "memory":
        return InMemoryApprovalStore()
    if kind == "sqlite":
        return SQLiteApprovalStore(tmp_path / "approvals.db")
    from guardrails.approvals.stores import PostgresApprovalStore

    assert schema is not None
    return PostgresApprovalStore(PG_DSN, schema=schema)


STORES = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ApprovalStore]:
    """Each store backend in turn (PostgreSQL in its own schema)."""
    schema = None
    if request.param == "postgres":
        schema = request.getfixturevalue("pg_schema")
    s = make_store(request.param, tmp_path, schema)
    yield s
    close = getattr(s, "close", None)
    if close:
        close()


@pytest.fixture
def service(policy: Policy, clock: FixedClock, audit: AuditCapture) -> ApprovalService:
    return ApprovalService(
        policy,
        clock=clock,
        audit=audit,
        permit_key=KEY,
        tools={
            "send_email": ToolCall(name="send_email"),
            "wire": ToolCall(name="wire"),
            "drop_table": ToolCall(name="drop_table"),
        },
    )


@pytest.fixture
def open_request(service: ApprovalService) -> Callable[..., Any]:
    """Open a request for ``tool`` with ``args`` as ALICE; returns the request."""

    def _open(tool: str = "wire", args: dict[str, Any] | None = None, **kw: Any) -> Any:
        args = {"amount": 5000, "to": RAW_EMAIL} if args is None else args
        result = service.gate(
            ToolCall(name=tool, args=args, id="call_1"),
            requester=kw.pop("requester", ALICE),
            masked_args={
                k: ("<EMAIL_ADDRESS_1>" if v == RAW_EMAIL else v) for k, v in args.items()
            },
            thread_id="thread-1",
            **kw,
        )
        assert result.request is not None, result.decision
        return result.request

    return _open
