"""Reviewers' edited arguments are sealed at rest in the SQLite and PostgreSQL stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from guardrails import InputError
from guardrails.approvals import ApprovalService, ApprovalStore, Decision, SQLiteApprovalStore
from guardrails.policy import Policy, ToolCall

from .conftest import ALICE, BOB, PG_DSN

TYPED = "iban DE44 5001 0517 5407 3249 31 typed by the reviewer"
POLICY = (
    "rules:\n  - {name: e, tools: [send_email], effect: require_approval,"
    " approval: {approvers: {groups: [finance]}}}\n"
)


def _edit_through(store: ApprovalStore) -> tuple[ApprovalService, Any]:
    """Open a request, have BOB edit it (approved at once), and return the service and request."""
    service = ApprovalService(Policy.from_yaml(POLICY), store=store)
    req = service.gate(ToolCall(name="send_email", args={"body": "x"}), requester=ALICE).request
    assert req is not None
    edit = Decision(
        verdict="edit", approver=BOB, args_digest=req.args_digest, edited_args={"body": TYPED}
    )
    assert service.decide(req.id, edit).status == "approved"
    return service, req


def test_sqlite_file_never_holds_the_edit_in_clear(tmp_path: Path) -> None:
    """Neither the database nor its WAL contain what the reviewer typed; the tool still gets it."""
    store = SQLiteApprovalStore(tmp_path / "a.db")
    service, req = _edit_through(store)
    on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert TYPED.encode() not in on_disk
    assert service.authorize(req.id, args_digest=req.args_digest).edited_args == {"body": TYPED}


def test_another_data_key_fails_closed(tmp_path: Path) -> None:
    """A store opened with another key refuses the sealed edit instead of inventing one."""
    _edit_through(SQLiteApprovalStore(tmp_path / "a.db", data_key=b"a" * 32))
    other = SQLiteApprovalStore(tmp_path / "a.db", data_key=b"b" * 32)
    (row,) = other._conn().execute("SELECT id FROM guardrails_approvals").fetchall()
    with pytest.raises(InputError, match="do not open"):
        other.get(row[0])


def test_a_sealed_edit_moved_to_another_request_does_not_open(tmp_path: Path) -> None:
    """The seal names its request: copying it onto another row is detected."""
    store = SQLiteApprovalStore(tmp_path / "a.db", data_key=b"a" * 32)
    _, first = _edit_through(store)
    service = ApprovalService(Policy.from_yaml(POLICY), store=store)
    second = service.gate(ToolCall(name="send_email", args={"body": "y"}), requester=ALICE).request
    assert second is not None
    conn = store._conn()
    (data,) = conn.execute(
        "SELECT data FROM guardrails_approvals WHERE id = ?", (first.id,)
    ).fetchone()
    import json

    sealed = json.loads(data)["edited_args"]
    (other,) = conn.execute(
        "SELECT data FROM guardrails_approvals WHERE id = ?", (second.id,)
    ).fetchone()
    moved = {**json.loads(other), "edited_args": sealed}
    conn.execute(
        "UPDATE guardrails_approvals SET data = ? WHERE id = ?", (json.dumps(moved), second.id)
    )
    with pytest.raises(InputError):
        store.get(second.id)


def test_a_short_data_key_is_refused_at_construction(tmp_path: Path) -> None:
    """AES-256 needs 32 bytes: anything else is a configuration error, raised at once."""
    from guardrails import ConfigurationError

    with pytest.raises(ConfigurationError):
        SQLiteApprovalStore(tmp_path / "a.db", data_key=b"short")


@pytest.mark.postgres
def test_postgres_row_never_holds_the_edit_in_clear(pg_schema: str) -> None:
    """The stored row has the sealed form only; reading it back opens it."""
    import psycopg

    from guardrails.approvals.stores import PostgresApprovalStore

    store = PostgresApprovalStore(PG_DSN, schema=pg_schema)
    service, req = _edit_through(store)
    with psycopg.connect(PG_DSN) as conn:
        rows = conn.execute(f'SELECT data FROM "{pg_schema}".guardrails_approvals').fetchall()
    assert all(TYPED not in row[0] for row in rows)
    assert service.authorize(req.id, args_digest=req.args_digest).edited_args == {"body": TYPED}
    store.close()


def test_a_follow_up_shows_placeholders_and_numbers_but_not_typed_text() -> None:
    """An edit that needs its own approval: the follow-up's reviewer view and its audit event
    keep placeholders and numbers, and hide text the editor typed."""
    from guardrails.testing import capture_audit

    audit = capture_audit()
    policy = Policy.from_yaml(
        "rules:\n  - {name: e, tools: [send_email], effect: require_approval,"
        " approval: {approvers: {groups: [finance]}, quorum: 2}}\n"
    )
    service = ApprovalService(policy, audit=audit)
    req = service.gate(ToolCall(name="send_email", args={"body": "x"}), requester=ALICE).request
    assert req is not None
    edited = {"to": "<EMAIL_ADDRESS_1>", "amount": 6, "body": TYPED}
    edit = Decision(verdict="edit", approver=BOB, args_digest=req.args_digest, edited_args=edited)
    outcome = service.decide(req.id, edit)
    assert outcome.status == "superseded"
    assert outcome.follow_up is not None
    shown = dict(outcome.follow_up.masked_args)
    assert shown == {"to": "<EMAIL_ADDRESS_1>", "amount": 6, "body": "<hidden>"}
    audit.assert_absent(TYPED)
