"""Export a trail as evidence: JSONL (verifiable with ``verify_events``) or CSV (for spreadsheets)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import IO

from guardrails._errors import AuditError
from guardrails.audit._events import Record, canonical_json
from guardrails.audit._lines import to_line

__all__ = ["CSV_COLUMNS", "export_records"]

CSV_COLUMNS = (
    "seq", "time", "kind", "principal", "thread_id", "run_id", "request_id",
    "tool_call_id", "policy_hash", "data", "prev_hash", "hash",
)  # fmt: skip
# A cell starting with one of these is a formula in Excel/Sheets; tool output could plant one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else value if isinstance(value, str) else canonical_json(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_records(records: Iterable[Record], fp: IO[str], format: str = "jsonl") -> int:
    """Write records to ``fp``; returns how many were written.

    JSONL lines carry the exact hashed bytes, so ``verify_events(open(file))`` re-checks the chain.
    CSV is for people: ``data`` is a JSON cell, and cells that would start a spreadsheet formula
    get a leading ``'`` (so CSV is not byte-verifiable; JSONL is the evidence format).
    """
    if format == "jsonl":
        n = 0
        for rec in records:
            fp.write(to_line(rec.body, rec.hash) + "\n")
            n += 1
        return n
    if format == "csv":
        writer = csv.writer(fp, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        n = 0
        for rec in records:
            try:
                obj = json.loads(rec.body)
                row = [_cell(obj.get(col)) for col in CSV_COLUMNS[:-1]] + [rec.hash]
            except (ValueError, AttributeError):
                row = [str(rec.seq)] + [""] * (len(CSV_COLUMNS) - 3) + ["<malformed>", rec.hash]
            writer.writerow(row)
            n += 1
        return n
    raise AuditError(f"unknown export format {format!r}: use 'jsonl' or 'csv'")
