"""A record is durable when ``record`` returns: another connection sees it before the tool runs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from guardrails._errors import AuditError
from guardrails.audit import AuditLog, EventKind, JsonlSink, PostgresSink, SQLiteSink
from tests.guardrails.audit.conftest import PG_DSN


def run_tool_after_decision(log: AuditLog, read_back: object) -> list[int]:
    """Record a decision, then 'run the tool', which first reads the decision from elsewhere."""
    seen: list[int] = []
    decision = log.record(EventKind.APPROVAL_DECIDED, request_id="r1", verdict="approve")

    def tool() -> None:
        seen.extend(read_back(decision.seq))  # type: ignore[operator]

    tool()
    return seen


def test_sqlite_decision_visible_to_another_connection(tmp_path: Path) -> None:
    """SQLite: a second, independent connection reads the decision as soon as record returns."""
    path = tmp_path / "a.db"

    def read_back(seq: int) -> list[int]:
        con = sqlite3.connect(path)
        rows = con.execute("SELECT seq FROM audit_events WHERE seq = ?", (seq,)).fetchall()
        con.close()
        return [r[0] for r in rows]

    assert run_tool_after_decision(AuditLog(SQLiteSink(path)), read_back) == [1]


def test_jsonl_decision_on_disk_when_record_returns(tmp_path: Path) -> None:
    """JSONL: the line is in the file (written and fsynced) as soon as record returns."""
    path = tmp_path / "a.jsonl"

    def read_back(seq: int) -> list[int]:
        return [json.loads(line)["seq"] for line in path.read_text().splitlines()]

    assert run_tool_after_decision(AuditLog(JsonlSink(path)), read_back) == [1]


@pytest.mark.postgres
def test_postgres_decision_visible_to_another_connection(pg_schema: str) -> None:
    """PostgreSQL: the decision is committed (another connection sees it) when record returns."""
    import psycopg

    def read_back(seq: int) -> list[int]:
        with psycopg.connect(PG_DSN) as con:
            rows = con.execute(
                f'SELECT seq FROM "{pg_schema}".audit_events WHERE seq = %s',
                (seq,),
            ).fetchall()
        return [r[0] for r in rows]

    log = AuditLog(PostgresSink(PG_DSN, schema=pg_schema))
    assert run_tool_after_decision(log, read_back) == [1]
    log.close()


def test_sqlite_rejects_update_and_delete(tmp_path: Path) -> None:
    """The SQLite table refuses UPDATE and DELETE (an accident guard; the chain is the proof)."""
    path = tmp_path / "a.db"
    AuditLog(path).record("x.y")
    con = sqlite3.connect(path)
    for sql in ("UPDATE audit_events SET body = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(sql)
    con.close()


@pytest.mark.postgres
def test_postgres_rejects_update_delete_truncate(pg_schema: str) -> None:
    """The PostgreSQL table refuses UPDATE, DELETE and TRUNCATE."""
    import psycopg

    AuditLog(PostgresSink(PG_DSN, schema=pg_schema)).record("x.y")
    with psycopg.connect(PG_DSN, autocommit=True) as con:
        for sql in ("UPDATE {t} SET body = 'x'", "DELETE FROM {t}", "TRUNCATE {t}"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                con.execute(sql.format(t=f'"{pg_schema}".audit_events'))


def test_jsonl_partial_last_line_refuses_appends(tmp_path: Path) -> None:
    """A torn last line (crash mid-write) makes appends fail closed and verify name it."""
    path = tmp_path / "a.jsonl"
    log = AuditLog(JsonlSink(path))
    log.record("x.y")
    with path.open("a") as f:
        f.write('{"hash":"abc')
    fresh = AuditLog(JsonlSink(path))
    with pytest.raises(AuditError, match="partial record"):
        fresh.record("x.y")
    report = fresh.verify()
    assert (report.first_bad_seq, report.problem) == (2, "malformed")


def test_readonly_sqlite_never_creates_a_file(tmp_path: Path) -> None:
    """Opening a missing trail read-only is an error and creates nothing."""
    with pytest.raises(AuditError, match="no audit database"):
        SQLiteSink(tmp_path / "missing.db", readonly=True)
    assert not (tmp_path / "missing.db").exists()
