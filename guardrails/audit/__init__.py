"""Tamper-evident audit trail: hash-chained events in SQLite, JSONL or PostgreSQL.

Every event carries ``seq`` and ``prev_hash``; its ``hash`` is SHA-256 (or HMAC-SHA256 with a key)
of its canonical JSON body. ``verify`` finds edited, deleted, reordered and inserted events and
names the first bad sequence number.

Example:
    >>> from guardrails.audit import AuditLog, EventKind
    >>> log = AuditLog()  # in memory; pass a path for SQLite or *.jsonl
    >>> _ = log.record(EventKind.REDACTION, thread_id="t1", entities={"EMAIL_ADDRESS": 1})
    >>> _ = log.record(EventKind.TOOL_EXECUTED, thread_id="t1", tool="send", outcome="ok")
    >>> report = log.verify()
    >>> report.ok, report.count
    (True, 2)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from guardrails.audit._chain import Chain
from guardrails.audit._events import GENESIS_HASH, AuditEvent, EventKind, Record, canonical_json
from guardrails.audit._log import AuditLog, open_sink
from guardrails.audit._memory import MemorySink
from guardrails.audit._sink import AuditSink
from guardrails.audit._testing import AuditCapture, capture_audit
from guardrails.audit._verify import VerifyReport, verify_events

__all__ = [
    "GENESIS_HASH",
    "AuditCapture",
    "AuditEvent",
    "AuditLog",
    "AuditSink",
    "Chain",
    "EventKind",
    "JsonlSink",
    "MemorySink",
    "PostgresSink",
    "Record",
    "SQLiteSink",
    "VerifyReport",
    "canonical_json",
    "capture_audit",
    "open_sink",
    "verify_events",
]

# Storage sinks load on first use (PostgresSink needs the optional psycopg).
_LAZY = {
    "SQLiteSink": "guardrails.audit._sqlite",
    "JsonlSink": "guardrails.audit._jsonl",
    "PostgresSink": "guardrails.audit._postgres",
}

if TYPE_CHECKING:
    from guardrails.audit._jsonl import JsonlSink
    from guardrails.audit._postgres import PostgresSink
    from guardrails.audit._sqlite import SQLiteSink


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'guardrails.audit' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
