"""``guardrails audit verify | tail | export`` end to end, through the real entry point."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from guardrails.audit import AuditLog, JsonlSink, PostgresSink
from guardrails.cli import main
from tests.guardrails.audit.conftest import KEY, PG_DSN, fill


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "audit.db"
    fill(AuditLog(path), 6)
    return path


def tamper_sqlite(path: Path, seq: int) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("DROP TRIGGER audit_events_no_delete")
    con.execute("DELETE FROM audit_events WHERE seq = ?", (seq,))
    con.close()


def test_verify_ok_exits_0(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A good trail: exit 0, count and head printed."""
    assert main(["audit", "verify", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "ok: 6 events verify" in out
    assert "head 6:" in out


def test_verify_bad_exits_1_naming_seq(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A tampered trail: exit 1 and the message names the first bad seq and the problem."""
    tamper_sqlite(db, 4)
    assert main(["audit", "verify", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "seq 4: deleted" in err


def test_verify_with_key_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--key-file verifies an HMAC trail; without it verification fails with a hint."""
    path = tmp_path / "k.jsonl"
    fill(AuditLog(JsonlSink(path), key=KEY), 3)
    key_file = tmp_path / "key"
    key_file.write_bytes(KEY)
    assert main(["audit", "verify", "--jsonl", str(path), "--key-file", str(key_file)]) == 0
    assert main(["audit", "verify", "--jsonl", str(path)]) == 1
    assert "pass it" in capsys.readouterr().err


def test_key_file_is_used_byte_for_byte(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A trailing newline is part of the key (binary keys must survive); the error says so."""
    path = tmp_path / "k.jsonl"
    fill(AuditLog(JsonlSink(path), key=KEY), 2)
    key_file = tmp_path / "key"
    key_file.write_bytes(KEY + b"\n")
    assert main(["audit", "verify", "--jsonl", str(path), "--key-file", str(key_file)]) == 1
    assert "ends with a newline" in capsys.readouterr().err


def test_verify_expect_head_catches_truncation(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--expect-head from an earlier run catches deleted trailing events."""
    main(["audit", "verify", "--db", str(db)])
    head = capsys.readouterr().out.split("head ")[1].strip()
    tamper_sqlite(db, 6)
    assert main(["audit", "verify", "--db", str(db)]) == 0
    assert main(["audit", "verify", "--db", str(db), "--expect-head", head]) == 1
    assert "seq 6: truncated" in capsys.readouterr().err


def test_verify_does_not_modify_the_evidence(db: Path) -> None:
    """verify opens read-only: dropped triggers are not silently re-created."""
    tamper_sqlite(db, 2)
    main(["audit", "verify", "--db", str(db)])
    con = sqlite3.connect(db)
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    con.close()
    assert "audit_events_no_delete" not in names


@pytest.mark.parametrize(
    "argv",
    [
        ["audit", "verify", "--db", "/nonexistent/a.db"],  # missing database
        ["audit", "verify", "--jsonl", "/nonexistent/a.jsonl"],  # missing file
        ["audit", "verify"],  # no source and no $GUARDRAILS_AUDIT
    ],
)
def test_missing_trail_exits_2(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A trail that is not there is an error (exit 2), not a silently created empty trail."""
    monkeypatch.delenv("GUARDRAILS_AUDIT", raising=False)
    assert main(argv) == 2
    assert "guardrails: error:" in capsys.readouterr().err


def test_env_var_names_the_trail(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """$GUARDRAILS_AUDIT is used when no source option is given."""
    monkeypatch.setenv("GUARDRAILS_AUDIT", str(db))
    assert main(["audit", "verify"]) == 0


def test_tail_prints_last_n(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """tail -n 2 prints the last two events, newest last."""
    assert main(["audit", "tail", "--db", str(db), "-n", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["#5", "#6"]
    assert "tool.executed" in lines[0]


def test_tail_json_lines_verify(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """tail --json prints verifiable JSONL lines."""
    main(["audit", "tail", "--db", str(db), "-n", "100", "--json"])
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(x)["seq"] for x in lines] == [1, 2, 3, 4, 5, 6]


def test_tail_follow_prints_new_events(tmp_path: Path) -> None:
    """tail --follow prints events appended after it started."""
    path = tmp_path / "a.db"
    log = AuditLog(path)
    log.record("x.first")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "guardrails",
            "audit",
            "tail",
            "--db",
            str(path),
            "-f",
            "--interval",
            "0.05",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        assert "x.first" in proc.stdout.readline()
        time.sleep(0.2)
        log.record("x.second")
        assert "x.second" in proc.stdout.readline()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_export_jsonl_to_file_verifies(db: Path, tmp_path: Path) -> None:
    """export --format jsonl -o FILE writes a file that verifies by itself."""
    out = tmp_path / "evidence.jsonl"
    assert main(["audit", "export", "--db", str(db), "--format", "jsonl", "-o", str(out)]) == 0
    assert main(["audit", "verify", "--jsonl", str(out)]) == 0


def test_export_csv_to_stdout(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """export --format csv writes a header and one row per event to stdout."""
    assert main(["audit", "export", "--db", str(db), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0].startswith("seq,time,kind")
    assert len(captured.out.splitlines()) == 7
    assert "exported 6 events" in captured.err


@pytest.mark.postgres
def test_verify_postgres(pg_schema: str, capsys: pytest.CaptureFixture[str]) -> None:
    """verify --postgres DSN --schema S checks a PostgreSQL trail."""
    log = AuditLog(PostgresSink(PG_DSN, schema=pg_schema))
    fill(log, 3)
    log.close()
    assert main(["audit", "verify", "--postgres", PG_DSN, "--schema", pg_schema]) == 0
    assert "ok: 3 events verify" in capsys.readouterr().out
