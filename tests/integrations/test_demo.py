"""`make demo` runs the guarded agent end to end, non-interactively, on embedded defaults."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

RAW = ["jane.doe@example.com", "4111 1111 1111 1111", "+1 415 555 0101"]


def _demo(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"OPENAI_API_KEY", "OPENAI_BASE_URL"}}
    return subprocess.run(
        [sys.executable, "-m", "integrations.demo_agent", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def approved() -> subprocess.CompletedProcess[str]:
    return _demo("--approve-as", "bob")


def test_demo_approved_by_another_user_runs_the_refund_once(approved) -> None:
    """bob approves alice's refund: it runs once and the trail verifies."""
    assert approved.returncode == 0, approved.stderr[-2000:]
    assert "issue_refund executed 1 time(s)" in approved.stdout
    assert "verify: OK" in approved.stdout
    assert "raw values in the checkpointed state: none" in approved.stdout


def test_demo_shows_only_placeholders_before_the_decision(approved) -> None:
    """What the model saw and the approval card hold placeholders, never the raw values."""
    shown = approved.stdout.split("== 4.")[0].split("== 2.")[1]
    assert "<EMAIL_ADDRESS_1>" in shown
    assert "<CREDIT_CARD_1>" in shown
    for raw in RAW:
        assert raw not in shown


def test_demo_self_approval_is_refused_and_nothing_runs() -> None:
    """alice (the requester) cannot approve her own refund."""
    out = _demo("--approve-as", "alice")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "refused: the requester cannot decide their own request" in out.stdout
    assert "issue_refund executed" not in out.stdout
    assert "verify: OK" in out.stdout


def test_demo_rejection_runs_nothing() -> None:
    """A rejection is recorded and the refund never runs."""
    out = _demo("--approve-as", "bob", "--reject")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "issue_refund executed 0 time(s)" in out.stdout
    assert "approval.decided" in out.stdout


def test_redaction_showcase_is_still_reachable() -> None:
    """`--redaction` shows the redaction-only sample (JSON, chat turn, .env)."""
    out = _demo("--redaction")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "<EMAIL_ADDRESS_1>" in out.stdout
    assert "maria.garcia@example.com" in out.stdout  # the "before" side is shown on purpose
