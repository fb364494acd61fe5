"""Red team: a tampered trail is reported, never a crash of the verifier (or of the writer).

A line nesting JSON deeper than Python's parser goes (``[[[[…]]]]``) made ``json.loads`` raise
RecursionError: ``verify_events`` and ``guardrails audit verify`` crashed instead of naming the
bad seq, and a JSONL trail ending with such a line could not be opened.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from guardrails import AuditError
from guardrails.audit import AuditLog, JsonlSink, verify_events
from guardrails.cli import main

KEY = b"k" * 32
DEEP = '{"b":1,"a":' + "[" * 5000 + "]" * 5000 + "}"  # not our key order: re-canonicalized


def _lines(log: AuditLog) -> list[str]:
    buf = io.StringIO()
    log.export(buf)
    return buf.getvalue().splitlines()


def _trail(n: int = 4, key: bytes | None = KEY) -> AuditLog:
    log = AuditLog(key=key)
    for i in range(n):
        log.record("tool.executed", n=i)
    return log


@pytest.mark.parametrize(
    "bad",
    [
        DEEP,  # an object nesting too deep
        "[" * 5000 + "]" * 5000,  # an array nesting too deep
        '{"b":1,"a":' + "[" * 300 + "]" * 300 + "}",  # deeper than canonical JSON serializes
    ],
)
def test_a_deeply_nested_line_is_reported_as_malformed(bad: str) -> None:
    """verify_events names the line's position as malformed instead of raising."""
    lines = _lines(_trail())
    report = verify_events([*lines[:2], bad, *lines[2:]], KEY)
    assert (report.ok, report.problem, report.first_bad_seq) == (False, "malformed", 3)


def test_the_cli_reports_a_deeply_nested_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`guardrails audit verify --jsonl` exits 1 naming seq 3, not a traceback."""
    path = tmp_path / "trail.jsonl"
    log = AuditLog(JsonlSink(path), key=KEY)
    for i in range(4):
        log.record("tool.executed", n=i)
    log.close()
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines[:2], DEEP, *lines[2:]]) + "\n")
    key = tmp_path / "key"
    key.write_bytes(KEY)
    assert main(["audit", "verify", "--jsonl", str(path), "--key-file", str(key)]) == 1
    assert "seq 3: malformed" in capsys.readouterr().err


def test_a_jsonl_trail_ending_in_a_deeply_nested_line_is_an_audit_error(tmp_path: Path) -> None:
    """Opening it to append refuses with AuditError (the writer fails closed, by name)."""
    path = tmp_path / "trail.jsonl"
    log = AuditLog(JsonlSink(path), key=KEY)
    log.record("tool.executed", n=1)
    log.close()
    with path.open("a") as f:
        f.write(DEEP + "\n")
    with pytest.raises(AuditError):
        AuditLog(JsonlSink(path), key=KEY).record("tool.executed", n=2)


def test_a_splice_from_another_trail_under_the_same_key_is_caught() -> None:
    """Events 3.. of trail B after events 1..2 of trail A (one key): caught at the junction
    (event 3 does not link to event 2; verify cannot tell which side was altered)."""
    a, b = _lines(_trail()), _lines(_trail())
    assert a != b  # the times differ, so do the hashes
    report = verify_events([*a[:2], *b[2:]], KEY)
    assert not report.ok
    assert report.first_bad_seq in (2, 3)
    # a whole other trail verifies on its own: only an anchor kept elsewhere tells them apart
    head = verify_events(a, KEY)
    assert verify_events(b, KEY).ok
    assert not verify_events(b, KEY, expect_head=(head.head_seq, head.head_hash)).ok


@pytest.mark.parametrize("value", [b'{"seq":2}', bytes(40)])
def test_a_blob_written_into_a_sqlite_body_is_reported(
    tmp_path: Path, value: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite lets a tamperer store a BLOB in the TEXT body column (after dropping the
    append-only trigger): verify names seq 2 as malformed instead of raising TypeError."""
    import sqlite3

    from guardrails.audit import SQLiteSink

    path = tmp_path / "trail.db"
    log = AuditLog(SQLiteSink(path), key=KEY)
    for i in range(4):
        log.record("tool.executed", n=i)
    con = sqlite3.connect(path)
    con.execute("DROP TRIGGER audit_events_no_update")
    con.execute("UPDATE audit_events SET body = ? WHERE seq = 2", (value,))
    con.commit()
    con.close()
    report = log.verify()
    assert (report.ok, report.problem, report.first_bad_seq) == (False, "malformed", 2)
    key = tmp_path / "key"
    key.write_bytes(KEY)
    assert main(["audit", "verify", "--db", str(path), "--key-file", str(key)]) == 1
    assert "seq 2: malformed" in capsys.readouterr().err
