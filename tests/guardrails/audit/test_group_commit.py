"""Group commit: concurrent appends share a commit, yet each returns only after its own is durable."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from guardrails._group import GroupCommit
from guardrails.audit import AuditLog, Record, SQLiteSink
from guardrails.audit._sink import Builder


def test_concurrent_submits_share_transactions(tmp_path: Path) -> None:
    """Many threads appending at once need fewer transactions than records."""
    sink = SQLiteSink(tmp_path / "a.db")
    batches: list[int] = []
    write = sink._write_batch

    def counting(builds: list[Builder]) -> list[Record | Exception]:
        batches.append(len(builds))
        return write(builds)

    sink._group = GroupCommit(counting)
    log = AuditLog(sink)
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        for i in range(25):
            log.record("x.y", i=i)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(batches) == 200
    assert len(batches) < 200
    assert log.verify().count == 200


def test_failing_builder_only_fails_its_caller() -> None:
    """A builder that raises fails its own append; the rest of the batch commits."""
    stored: list[Record] = []

    def write(builds: list[Builder]) -> list[Record | Exception]:
        out: list[Record | Exception] = []
        for b in builds:
            try:
                body, digest = b(len(stored) + 1, "p")
            except Exception as exc:
                out.append(exc)
                continue
            stored.append(Record(len(stored) + 1, body, digest))
            out.append(stored[-1])
        return out

    group = GroupCommit(write)

    def bad(seq: int, prev: str) -> tuple[str, str]:
        raise ValueError("bad builder")

    with pytest.raises(ValueError, match="bad builder"):
        group.submit(bad)
    assert group.submit(lambda seq, prev: ("{}", "h")).seq == 1


def test_failed_transaction_fails_every_caller_in_it() -> None:
    """When the batch write raises, nothing was committed and the caller sees the error."""

    def write(builds: list[Builder]) -> list[Record | Exception]:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        GroupCommit(write).submit(lambda seq, prev: ("{}", "h"))


def test_more_waiters_than_max_batch_all_commit() -> None:
    """With a tiny max batch, queued callers beyond it are served in later rounds."""
    stored: list[int] = []
    gate = threading.Event()

    def write(builds: list[Builder]) -> list[Record | Exception]:
        gate.wait(5)
        out: list[Record | Exception] = []
        for _ in builds:
            stored.append(len(stored) + 1)
            out.append(Record(stored[-1], "{}", "h"))
        return out

    group = GroupCommit(write, max_batch=2)
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(group.submit(lambda s, p: ("{}", "h")).seq))
        for _ in range(7)
    ]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(10)
    assert sorted(results) == list(range(1, 8))
