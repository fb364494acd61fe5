"""Several writers, one chain: threads in one process and separate processes sharing a trail."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from guardrails.audit import AuditLog, JsonlSink, PostgresSink, SQLiteSink
from tests.guardrails.audit.conftest import ALL, KEY, PG_DSN, Backend

THREADS, PER_THREAD = 4, 40
PROCS, PER_PROC = 2, 60


@pytest.mark.parametrize("backend", ALL, indirect=True)
def test_threads_appending_keep_one_chain(backend: Backend) -> None:
    """Four threads appending through one AuditLog produce one gapless valid chain."""
    log = AuditLog(backend.sink, key=KEY)
    barrier = threading.Barrier(THREADS)

    def work(t: int) -> None:
        barrier.wait()
        for i in range(PER_THREAD):
            log.record("tool.executed", thread_id=f"t{t}", i=i)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    report = log.verify()
    assert (report.ok, report.count) == (True, THREADS * PER_THREAD)
    assert {e.thread_id for e in log.events()} == {f"t{t}" for t in range(THREADS)}


@pytest.mark.parametrize("backend", ["sqlite", "jsonl"], indirect=True)
def test_two_logs_on_one_file_keep_one_chain(backend: Backend) -> None:
    """Two independent AuditLog objects (two connections/handles) on one trail interleave safely."""
    path = backend.path  # type: ignore[attr-defined]
    other = AuditLog(SQLiteSink(path) if backend.name == "sqlite" else JsonlSink(path))
    log = AuditLog(backend.sink)
    for i in range(20):
        (log if i % 2 else other).record("x.y", i=i)
    other.close()
    assert log.verify().count == 20


WRITER = textwrap.dedent(
    """
    import sys
    from guardrails.audit import AuditLog, JsonlSink, PostgresSink, SQLiteSink
    kind, target, name, n, schema = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    sink = {"sqlite": lambda: SQLiteSink(target), "jsonl": lambda: JsonlSink(target),
            "postgres": lambda: PostgresSink(target, schema=schema)}[kind]()
    log = AuditLog(sink, key=b"an-audit-key-of-32-bytes-length!")
    sys.stdout.write("ready\\n"); sys.stdout.flush(); sys.stdin.readline()
    for i in range(n):
        log.record("tool.executed", principal=name, i=i)
    log.close()
    """
)


def run_writers(kind: str, target: str, schema: str = "-") -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, kind, target, f"proc{p}", str(PER_PROC), schema],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for p in range(PROCS)
    ]
    for p in procs:  # start both only once both are ready, so their appends overlap
        assert p.stdout is not None
        assert p.stdout.readline().strip() == "ready"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    for p in procs:
        assert p.wait(timeout=120) == 0


@pytest.mark.parametrize("kind", ["sqlite", "jsonl"])
def test_two_processes_keep_one_chain(tmp_path: Path, kind: str) -> None:
    """Two processes appending to one SQLite/JSONL trail produce one valid chain with every event."""
    target = str(tmp_path / ("audit.db" if kind == "sqlite" else "audit.jsonl"))
    run_writers(kind, target)
    log = AuditLog(target, key=KEY)
    report = log.verify()
    assert (report.ok, report.count) == (True, PROCS * PER_PROC)
    by = [e.principal for e in log.events()]
    assert by.count("proc0") == by.count("proc1") == PER_PROC


@pytest.mark.postgres
def test_two_processes_keep_one_chain_postgres(pg_schema: str) -> None:
    """Two processes appending to one PostgreSQL trail produce one valid chain with every event."""
    PostgresSink(PG_DSN, schema=pg_schema).close()  # create it once, so neither races the DDL
    run_writers("postgres", PG_DSN, pg_schema)
    log = AuditLog(PostgresSink(PG_DSN, schema=pg_schema), key=KEY)
    report = log.verify()
    assert (report.ok, report.count) == (True, PROCS * PER_PROC)
    by = [e.principal for e in log.events()]
    assert by.count("proc0") == by.count("proc1") == PER_PROC
    log.close()


def test_sqlite_verify_reads_one_snapshot_without_blocking_appends(tmp_path: Path) -> None:
    """Verify reads the SQLite trail on its own connection: an append during it neither waits
    for it nor shows up half-way through it."""
    log = AuditLog(SQLiteSink(tmp_path / "audit.db"))
    for i in range(5):
        log.record("tool.executed", n=i)
    pairs = log.sink.pairs(1)  # type: ignore[attr-defined]
    first = next(pairs)
    log.record("tool.executed", n=5)  # would deadlock if the read held the sink's lock
    assert [first, *pairs] == [(r.body, r.hash) for r in log.records()][:5]
    assert log.verify().count == 6
    log.close()


OPENER = textwrap.dedent(
    """
    import sys
    from guardrails.audit import AuditLog, SQLiteSink
    sys.stdout.write("ready\\n"); sys.stdout.flush(); sys.stdin.readline()
    log = AuditLog(SQLiteSink(sys.argv[1]))
    log.record("tool.executed", principal=sys.argv[2])
    log.close()
    """
)


def test_processes_creating_one_sqlite_trail_at_once_all_append(tmp_path: Path) -> None:
    """Six processes open a trail that does not exist yet at the same instant (the first switches
    the file to WAL while the others connect; SQLite can answer SQLITE_BUSY at once there,
    without its busy handler) and each appends: nobody fails, the chain holds all six."""
    for round_no in range(4):
        path = str(tmp_path / f"fresh-{round_no}.db")
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", OPENER, path, f"proc{i}"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(6)
        ]
        for p in procs:  # all imported and waiting: then they open the file together
            assert p.stdout is not None
            assert p.stdout.readline().strip() == "ready"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        errors = [p.communicate(timeout=60)[1] for p in procs]
        assert [p.returncode for p in procs] == [0] * 6, errors
        report = AuditLog(SQLiteSink(path)).verify()
        assert (report.ok, report.count) == (True, 6)
