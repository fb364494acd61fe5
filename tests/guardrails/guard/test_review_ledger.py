"""The SQLite ledger keeps exactly-once across process crashes with one fsync per call."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from guardrails.guard import SQLiteLedger

ROOT = Path(__file__).resolve().parents[3]


def _run(d: Path, mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.guardrails.guard.ledger_process", str(d), mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mode", "replayed"),
    [
        ("die_running", "in_flight"),  # killed between the claim's commit and the result's
        ("die_recorded", "sent"),  # killed right after the result's commit (not fsynced)
    ],
)
def test_a_call_killed_mid_way_never_runs_twice(tmp_path: Path, mode: str, replayed: str) -> None:
    """kill -9 during or right after the tool: a new process does not run it again."""
    first = _run(tmp_path, mode)
    assert first.returncode == -signal.SIGKILL, first.stderr[-2000:]
    second = _run(tmp_path, "again")
    assert second.returncode == 0, second.stderr[-2000:]
    assert json.loads(second.stdout.strip().splitlines()[-1]) == {"result": replayed}
    assert (tmp_path / "ran.txt").read_text() == "ran\n"


def test_each_thread_keeps_its_own_connection(tmp_path: Path) -> None:
    """One connection per thread, reused across calls (no connect per operation)."""
    ledger = SQLiteLedger(tmp_path / "l.sqlite")
    seen: list[int] = []

    def work(i: int) -> None:
        for j in range(3):
            assert ledger.claim(f"k{i}.{j}") is None
            ledger.complete(f"k{i}.{j}", "r")
            seen.append(id(ledger._connection()))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 12
    assert len(set(seen)) <= 4
    assert all(ledger.claim(f"k{i}.{j}") == "r" for i in range(4) for j in range(3))


def test_claims_are_fsynced_and_results_are_not(tmp_path: Path) -> None:
    """The claim (what stops a second run) commits with synchronous=FULL; the result and a
    release with NORMAL: durable against a process crash, fsynced by the next claim's commit."""
    ledger = SQLiteLedger(tmp_path / "l.sqlite")
    statements: list[str] = []
    ledger._connection().set_trace_callback(statements.append)
    ledger.claim("k")
    ledger.complete("k", "r")
    ledger.release("k")  # a done call is not released
    writes = [s.split()[0] for s in statements if not s.startswith("SELECT")]
    assert writes == ["PRAGMA", "INSERT", "PRAGMA", "UPDATE", "DELETE"]
    pragmas = [s for s in statements if s.startswith("PRAGMA")]
    assert pragmas == ["PRAGMA synchronous=FULL", "PRAGMA synchronous=NORMAL"]
    assert ledger.claim("k") == "r"
