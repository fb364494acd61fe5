"""Export as evidence: JSONL re-verifies anywhere; CSV is safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from guardrails._errors import AuditError
from guardrails.audit import AuditLog, verify_events
from guardrails.audit._export import CSV_COLUMNS
from tests.guardrails.audit.conftest import KEY, fill


def exported(log: AuditLog, fmt: str = "jsonl") -> str:
    buf = io.StringIO()
    log.export(buf, fmt)
    return buf.getvalue()


def test_jsonl_export_verifies_with_verify_events(tmp_path: Path) -> None:
    """An exported JSONL file verifies on its own, with the key."""
    log = AuditLog(tmp_path / "a.db", key=KEY)
    fill(log, 5)
    path = tmp_path / "evidence.jsonl"
    with path.open("w") as f:
        assert log.export(f) == 5
    with path.open() as f:
        report = verify_events(f, key=KEY)
    assert (report.ok, report.count) == (True, 5)


def test_jsonl_lines_are_plain_json_with_every_field() -> None:
    """Each exported line is a JSON object with the hash and every event field."""
    log = AuditLog()
    event = log.record("approval.decided", principal="u:bob", verdict="approve")
    line = json.loads(exported(log).splitlines()[0])
    assert line == event.to_dict()


def test_edited_export_fails_verification() -> None:
    """Editing the exported file is caught like editing the trail."""
    log = AuditLog()
    fill(log, 4)
    lines = exported(log).splitlines()
    lines[1] = lines[1].replace('"n":2', '"n":3')
    report = verify_events(lines)
    assert (report.first_bad_seq, report.problem) == (2, "edited")


def test_reformatted_line_still_verifies() -> None:
    """A line re-serialized with other key order/spacing verifies (it is re-canonicalized)."""
    log = AuditLog()
    fill(log, 2)
    lines = exported(log).splitlines()
    obj = json.loads(lines[0])
    lines[0] = json.dumps({k: obj[k] for k in reversed(list(obj))}, separators=(", ", ": "))
    assert verify_events(lines).ok


def test_verify_events_accepts_event_objects_and_dicts() -> None:
    """verify_events takes AuditEvent objects and plain dicts too."""
    log = AuditLog()
    fill(log, 3)
    assert verify_events(list(log.events())).ok
    assert verify_events([e.to_dict() for e in log.events()]).ok


def test_csv_has_header_and_one_row_per_event() -> None:
    """CSV: the documented columns, one row per event, data as a JSON cell."""
    log = AuditLog()
    fill(log, 3)
    rows = list(csv.reader(io.StringIO(exported(log, "csv"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 4
    assert json.loads(rows[1][CSV_COLUMNS.index("data")]) == {"n": 1, "tool": "send"}


@pytest.mark.parametrize(
    "value", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)"]
)  # formula starts
def test_csv_neutralizes_spreadsheet_formulas(value: str) -> None:
    """A cell that would start a formula is prefixed with a quote."""
    log = AuditLog()
    log.record("x.y", principal=value)
    row = list(csv.reader(io.StringIO(exported(log, "csv"))))[1]
    assert row[CSV_COLUMNS.index("principal")] == "'" + value


def test_unknown_format_is_refused() -> None:
    """Only jsonl and csv exist."""
    with pytest.raises(AuditError, match="unknown export format"):
        AuditLog().export(io.StringIO(), "xml")
