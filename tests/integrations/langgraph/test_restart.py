"""A process dies while a thread waits for approval; a new process approves; the tool runs once."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _run(d: Path, mode: str, user: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.integrations.langgraph.agent_process", str(d), mode, user],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_killed_while_waiting_then_approved_in_a_new_process(tmp_path: Path) -> None:
    """SIGKILL during the wait; resume elsewhere: exactly one run, trail verifies, no raw PII stored."""
    first = _run(tmp_path, "start", "alice")
    assert first.returncode == -signal.SIGKILL, first.stderr[-2000:]
    card = json.loads((tmp_path / "interrupt.json").read_text())
    assert "jane.doe@example.com" not in json.dumps(card)
    assert not (tmp_path / "ran.txt").exists()
    second = _run(tmp_path, "resume", "bob")
    assert second.returncode == 0, second.stderr[-2000:]
    result = json.loads(second.stdout.strip().splitlines()[-1])
    assert result["verify"] is True
    assert (tmp_path / "ran.txt").read_text() == "refund 40\n"
    for name in ("audit.sqlite", "decisions.sqlite", "ledger.sqlite"):
        assert b"jane.doe@example.com" not in (tmp_path / name).read_bytes()
