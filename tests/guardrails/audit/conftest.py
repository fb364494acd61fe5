"""Audit trail fixtures: one trail per backend, plus tools that tamper with each backend's storage.

Tampering goes through the storage itself (SQL on the database, bytes in the file, the list in
memory), the way an attacker or a careless admin would - never through our API.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from guardrails._clock import FixedClock
from guardrails.audit import AuditLog, AuditSink, JsonlSink, MemorySink, PostgresSink, SQLiteSink
from guardrails.audit._lines import to_line

PG_DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres connect_timeout=5"
KEY = b"an-audit-key-of-32-bytes-length!"


def pg_available() -> bool:
    try:
        import psycopg

        psycopg.connect(PG_DSN).close()
    except Exception:
        return False
    return True


class Backend:
    """A sink plus the raw operations to tamper with what it stored."""

    name = "memory"

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.sink: AuditSink = MemorySink()

    # raw storage view: list of (body, hash) in storage order
    def rows(self) -> list[tuple[str, str]]:
        return [(r.body, r.hash) for r in self.sink.records(1)]

    def edit(self, seq: int, old: str, new: str) -> None:
        rows = self.sink.rows  # type: ignore[attr-defined]
        rec = rows[seq - 1]
        assert old in rec.body
        rows[seq - 1] = rec._replace(body=rec.body.replace(old, new, 1))

    def delete(self, seq: int) -> None:
        del self.sink.rows[seq - 1]  # type: ignore[attr-defined]

    def swap(self, i: int, j: int) -> None:
        rows = self.sink.rows  # type: ignore[attr-defined]
        rows[i - 1], rows[j - 1] = rows[j - 1], rows[i - 1]

    def insert(self, seq: int, body: str, digest: str) -> None:
        from guardrails.audit import Record

        self.sink.rows.insert(seq - 1, Record(seq, body, digest))  # type: ignore[attr-defined]

    def cleanup(self) -> None:
        self.sink.close()


class SQLiteBackend(Backend):
    name = "sqlite"

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.path = tmp_path / "audit.db"
        self.sink = SQLiteSink(self.path)

    def _sql(self, *statements: tuple[str, tuple[Any, ...]]) -> None:
        con = sqlite3.connect(self.path, isolation_level=None)
        # The append-only triggers stop accidents; an attacker with file access just drops them.
        con.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        con.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
        for sql, params in statements:
            con.execute(sql, params)
        con.close()

    def edit(self, seq: int, old: str, new: str) -> None:
        self._sql(
            ("UPDATE audit_events SET body = replace(body, ?, ?) WHERE seq = ?", (old, new, seq))
        )

    def delete(self, seq: int) -> None:
        self._sql(("DELETE FROM audit_events WHERE seq = ?", (seq,)))

    def swap(self, i: int, j: int) -> None:
        self._sql(
            ("UPDATE audit_events SET seq = -1 WHERE seq = ?", (i,)),
            ("UPDATE audit_events SET seq = ? WHERE seq = ?", (i, j)),
            ("UPDATE audit_events SET seq = ? WHERE seq = -1", (j,)),
        )

    def insert(self, seq: int, body: str, digest: str) -> None:
        self._sql(
            ("UPDATE audit_events SET seq = -seq WHERE seq >= ?", (seq,)),
            ("UPDATE audit_events SET seq = 1 - seq WHERE seq < 0", ()),
            ("INSERT INTO audit_events (seq, body, hash) VALUES (?, ?, ?)", (seq, body, digest)),
        )


class JsonlBackend(Backend):
    name = "jsonl"

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.path = tmp_path / "audit.jsonl"
        self.sink = JsonlSink(self.path)

    def _lines(self) -> list[bytes]:
        return self.path.read_bytes().splitlines(keepends=True)

    def _write(self, lines: list[bytes]) -> None:
        self.path.write_bytes(b"".join(lines))

    def edit(self, seq: int, old: str, new: str) -> None:
        lines = self._lines()
        assert old.encode() in lines[seq - 1]
        lines[seq - 1] = lines[seq - 1].replace(old.encode(), new.encode(), 1)
        self._write(lines)

    def delete(self, seq: int) -> None:
        lines = self._lines()
        del lines[seq - 1]
        self._write(lines)

    def swap(self, i: int, j: int) -> None:
        lines = self._lines()
        lines[i - 1], lines[j - 1] = lines[j - 1], lines[i - 1]
        self._write(lines)

    def insert(self, seq: int, body: str, digest: str) -> None:
        lines = self._lines()
        lines.insert(seq - 1, (to_line(body, digest) + "\n").encode())
        self._write(lines)


class PostgresBackend(SQLiteBackend):
    name = "postgres"

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.schema = "t_audit_" + uuid.uuid4().hex[:12]
        self.sink = PostgresSink(PG_DSN, schema=self.schema)

    def _sql(self, *statements: tuple[str, tuple[Any, ...]]) -> None:
        import psycopg

        table = f'"{self.schema}".audit_events'
        with psycopg.connect(PG_DSN, autocommit=True) as con:
            con.execute(f"DROP TRIGGER IF EXISTS audit_events_append_only ON {table}")
            for sql, params in statements:
                con.execute(sql.replace("audit_events", table).replace("?", "%s"), params)

    def edit(self, seq: int, old: str, new: str) -> None:
        self._sql(
            ("UPDATE audit_events SET body = replace(body, ?, ?) WHERE seq = ?", (old, new, seq))
        )

    def cleanup(self) -> None:
        assert isinstance(self.sink, PostgresSink)
        self.sink.drop()
        self.sink.close()


BACKENDS: dict[str, type[Backend]] = {
    "memory": Backend,
    "sqlite": SQLiteBackend,
    "jsonl": JsonlBackend,
    "postgres": PostgresBackend,
}


def _params(names: list[str]) -> list[Any]:
    return [pytest.param(n, marks=pytest.mark.postgres) if n == "postgres" else n for n in names]


ALL = _params(list(BACKENDS))
LOCAL = _params(["memory", "sqlite", "jsonl"])


@pytest.fixture
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """The backend named by the test's ``backend`` parameter."""
    name = request.param
    if name == "postgres" and not pg_available():
        pytest.skip("PostgreSQL is not running at 127.0.0.1:5432 (.ci/run starts it)")
    b = BACKENDS[name](tmp_path)
    yield b
    b.cleanup()


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema name, dropped after the test."""
    if not pg_available():
        pytest.skip("PostgreSQL is not running at 127.0.0.1:5432 (.ci/run starts it)")
    schema = "t_audit_" + uuid.uuid4().hex[:12]
    yield schema
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def clock() -> FixedClock:
    """A fixed clock."""
    return FixedClock()


def fill(log: AuditLog, n: int) -> None:
    """Record ``n`` tool events whose data carries ``"n": i`` (i = 1..n, equal to the seq)."""
    for i in range(1, n + 1):
        log.record("tool.executed", thread_id="t1", tool="send", n=i)
