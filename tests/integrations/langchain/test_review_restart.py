"""A tool result replayed from the ledger after a crash keeps its placeholders resolvable."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integrations.langchain.replay_process import EMAIL, OTHER

ROOT = Path(__file__).resolve().parents[3]


def _run(d: Path, mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.integrations.langchain.replay_process", str(d), mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_killed_after_the_ledger_recorded_a_result_the_replay_keeps_placeholders_right(
    tmp_path: Path,
) -> None:
    """SIGKILL between the ledger write and the checkpoint: the new process replays the result
    (no second run) and its placeholder still means the value the tool returned, not another."""
    first = _run(tmp_path, "start")
    assert first.returncode == -signal.SIGKILL, first.stderr[-2000:]
    second = _run(tmp_path, "resume")
    assert second.returncode == 0, second.stderr[-2000:]
    out = json.loads(second.stdout.strip().splitlines()[-1])
    assert out["runs"] == 1
    assert EMAIL not in out["tool"]
    assert out["tool_restored"] == f"cus_1 email {EMAIL}"
    assert out["last_restored"] == f"cc {OTHER}"
    for name in ("ledger.sqlite", "cp.sqlite"):
        blob = b"".join(p.read_bytes() for p in tmp_path.glob(name + "*"))
        assert EMAIL.encode() not in blob
