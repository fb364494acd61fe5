"""``guardrails redact`` and ``guardrails scan``: streaming, formats, errors without values."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from guardrails import Redactor
from guardrails import _cli_stream as cli_stream
from guardrails.cli import main

EMAIL = "jane.doe@example.com"
CARD = "4111 1111 1111 1111"


def run(argv: list[str], capsysbinary: pytest.CaptureFixture[bytes]) -> tuple[int, bytes, str]:
    code = main(argv)
    out, err = capsysbinary.readouterr()
    return code, out, err.decode("utf-8", "replace")


def feed_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_redact_text_file(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """A text file comes out masked."""
    src = tmp_path / "in.txt"
    src.write_text(f"mail {EMAIL}\ncard {CARD}\n")
    code, out, _ = run(["redact", str(src)], capsysbinary)
    assert code == 0
    assert out.decode() == "mail <EMAIL_ADDRESS_1>\ncard <CREDIT_CARD_1>\n"


def test_redact_stdin(
    monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """``-`` (the default) reads stdin."""
    feed_stdin(monkeypatch, f"to {EMAIL}".encode())
    code, out, _ = run(["redact"], capsysbinary)
    assert (code, out) == (0, b"to <EMAIL_ADDRESS_1>")


def test_operator_option(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """--operator redact writes typed tokens."""
    src = tmp_path / "in.txt"
    src.write_text(EMAIL)
    assert run(["redact", str(src), "--operator", "redact"], capsysbinary)[1] == b"<EMAIL_ADDRESS>"


def test_jsonl_records(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """Each JSONL record is redacted structurally; blank lines stay; placeholders are shared."""
    src = tmp_path / "in.jsonl"
    src.write_text(f'{{"email": "{EMAIL}", "ssn": 123456789}}\n\n{{"to": "{EMAIL}"}}\n')
    code, out, _ = run(["redact", str(src), "--format", "jsonl"], capsysbinary)
    lines = out.decode().split("\n")
    assert code == 0
    assert json.loads(lines[0]) == {"email": "<EMAIL_ADDRESS_1>", "ssn": "<US_SSN_1>"}
    assert lines[1] == ""
    assert json.loads(lines[2]) == {"to": "<EMAIL_ADDRESS_1>"}


def test_json_document(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """A JSON document comes out as valid JSON with field rules applied."""
    src = tmp_path / "in.json"
    src.write_text(json.dumps({"customer": {"card_number": CARD, "plan": "pro"}}))
    code, out, _ = run(["redact", str(src), "--format", "json"], capsysbinary)
    assert code == 0
    assert json.loads(out) == {"customer": {"card_number": "<CREDIT_CARD_1>", "plan": "pro"}}


def test_bad_jsonl_line_exits_2_without_the_value(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """A broken record is a clear error naming the line, not the content."""
    src = tmp_path / "in.jsonl"
    src.write_text(f'{{"ok": 1}}\n{{"email": "{EMAIL}"\n')
    code, _, err = run(["redact", str(src), "--format", "jsonl"], capsysbinary)
    assert code == 2
    assert "line 2" in err
    assert EMAIL not in err


def test_bad_json_document_exits_2(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """Invalid JSON with --format json is a clear error."""
    src = tmp_path / "in.json"
    src.write_text(f'{{"email": "{EMAIL}"')
    code, out, err = run(["redact", str(src), "--format", "json"], capsysbinary)
    assert (code, out) == (2, b"")
    assert "not valid JSON" in err
    assert EMAIL not in err


def test_missing_file_exits_2(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """A missing input file is an error with exit code 2."""
    code, _, err = run(["redact", str(tmp_path / "nope.txt")], capsysbinary)
    assert code == 2
    assert "cannot read" in err


def test_values_across_block_boundaries(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With tiny blocks, the stream gives exactly the one-shot result (no value is cut)."""
    monkeypatch.setattr(cli_stream, "CHUNK", 50)
    monkeypatch.setattr(cli_stream, "OVERLAP", 40)
    text = "".join(f"row {i}: user{i}@corp.example paid with {CARD}\n" for i in range(40))
    src = tmp_path / "in.txt"
    src.write_text(text)
    code, out, _ = run(["redact", str(src)], capsysbinary)
    assert code == 0
    assert out.decode() == Redactor().redact(text).text


def test_undecodable_bytes_pass_through(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """Invalid UTF-8 is neither an error nor altered."""
    src = tmp_path / "in.bin"
    src.write_bytes(b"\xff\xfe raw " + EMAIL.encode() + b" \xc3")
    code, out, _ = run(["redact", str(src)], capsysbinary)
    assert (code, out) == (0, b"\xff\xfe raw <EMAIL_ADDRESS_1> \xc3")


def test_progress_bar_goes_to_stderr(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """--progress draws on stderr and leaves stdout clean."""
    src = tmp_path / "in.txt"
    src.write_text(EMAIL)
    code, out, err = run(["redact", str(src), "--progress"], capsysbinary)
    assert (code, out) == (0, b"<EMAIL_ADDRESS_1>")
    assert "redact" in err


def test_scan_table(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """scan prints counts per entity and file, and no values."""
    a, b = tmp_path / "a.txt", tmp_path / "b.jsonl"
    a.write_text(f"{EMAIL} and {CARD}\n")
    b.write_text(json.dumps({"email": EMAIL}) + "\n")
    code, out, _ = run(["scan", str(a), str(b)], capsysbinary)
    table = out.decode()
    assert code == 0
    assert EMAIL not in table
    assert "1111" not in table
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines()[1:]}
    assert rows["EMAIL_ADDRESS"] == ["1", "1", "2"]
    assert rows["CREDIT_CARD"] == ["1", "0", "1"]
    assert rows["TOTAL"] == ["2", "1", "3"]


def test_scan_check_exits_1_on_findings(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """--check turns findings into exit code 1, a clean file into 0."""
    dirty, clean = tmp_path / "d.txt", tmp_path / "c.txt"
    dirty.write_text(EMAIL)
    clean.write_text("nothing here")
    assert run(["scan", "--check", str(dirty)], capsysbinary)[0] == 1
    assert run(["scan", "--check", str(clean)], capsysbinary)[0] == 0


def test_entities_option(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """--entities limits what is masked; an unknown name exits 2."""
    src = tmp_path / "in.txt"
    src.write_text(f"{EMAIL} {CARD}")
    assert run(["redact", str(src), "--entities", "financial"], capsysbinary)[1] == (
        f"{EMAIL} <CREDIT_CARD_1>".encode()
    )
    assert run(["redact", str(src), "--entities", "NOPE"], capsysbinary)[0] == 2


def test_module_entry_point_pipes() -> None:
    """``python -m guardrails redact -`` works as a pipe."""
    proc = subprocess.run(
        [sys.executable, "-m", "guardrails", "redact", "-"],
        input=f"x {EMAIL}\n".encode(),
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"x <EMAIL_ADDRESS_1>\n"
