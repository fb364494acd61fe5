"""PostgreSQL sink: a lone writer appends in one prepared statement after the head it committed
last; a head another writer moved on is refused by the primary key and taken the locked way."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails.audit import AuditLog, PostgresSink
from tests.guardrails.audit.conftest import PG_DSN

pytestmark = pytest.mark.postgres


def _count_locked(sink: PostgresSink, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement the sink's connection runs that reads the head under the lock."""
    seen: list[str] = []
    con = sink._conn()
    real = con.execute

    def spy(query: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(query, str) and query.startswith("BEGIN"):
            seen.append(query)
        return real(query, *args, **kwargs)

    monkeypatch.setattr(con, "execute", spy)
    return seen


def test_a_lone_writer_reads_the_head_once(pg_schema: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sink = PostgresSink(PG_DSN, schema=pg_schema)
    locked = _count_locked(sink, monkeypatch)
    log = AuditLog(sink)
    for i in range(5):
        log.record("tool.executed", tool="send", n=i)
    assert len(locked) == 1  # the first append learns the head; the other four need no lock read
    assert [r.seq for r in sink.records()] == [1, 2, 3, 4, 5]
    assert log.verify().ok
    log.close()


def test_two_writers_taking_turns_keep_one_chain(
    pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each writer's known head is stale at every turn: the fast insert is refused (nothing
    written) and the locked path appends after the real head."""
    a = AuditLog(PostgresSink(PG_DSN, schema=pg_schema))
    b = AuditLog(PostgresSink(PG_DSN, schema=pg_schema))
    a_locked = _count_locked(a.sink, monkeypatch)  # type: ignore[arg-type]
    for i in range(4):
        a.record("tool.executed", tool="send", n=2 * i)
        b.record("tool.executed", tool="send", n=2 * i + 1)
    assert len(a_locked) == 4
    records = list(a.records())
    assert [r.seq for r in records] == list(range(1, 9))
    assert [e.data["n"] for e in a.events()] == list(range(8))
    assert a.verify().ok
    assert b.verify().ok
    a.close()
    b.close()


def test_a_bad_event_in_the_fast_path_writes_nothing(pg_schema: str) -> None:
    from guardrails import AuditError

    log = AuditLog(PostgresSink(PG_DSN, schema=pg_schema))
    log.record("tool.executed", tool="send")
    with pytest.raises(AuditError):
        log.record("tool.executed", tool=float("nan"))
    log.record("tool.executed", tool="send")
    assert [r.seq for r in log.records()] == [1, 2]
    assert log.verify().ok
    log.close()
