"""Approval requests and verified decisions, keyed by the deterministic request id.

The guard's record of "this call waits for / got a decision", shared by every channel: a
decision recorded here from Slack is found by the paused graph on its next run. Durable when
backed by SQLite, so a process may die while a thread waits and another one resumes it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "DecisionRecord",
    "DecisionStore",
    "MemoryDecisionStore",
    "SQLiteDecisionStore",
    "StoredRequest",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredRequest:
    """A pending approval request as stored (masked args only)."""

    request_id: str
    tool: str
    tool_call_id: str
    thread_id: str
    requester: str | None
    digest: str
    masked_args: dict[str, Any]
    rule: str | None
    reason: str
    created: str
    expires: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionRecord:
    """A verified decision (edited args stored masked; the guard restores them)."""

    request_id: str
    verdict: str
    approver: str
    message: str
    channel: str
    time: str
    masked_args: dict[str, Any] | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@runtime_checkable
class DecisionStore(Protocol):
    """Requests and their single decision."""

    def add_request(self, req: StoredRequest, /) -> bool:
        """Store ``req`` if absent; True when it was new."""
        ...

    def get_request(self, request_id: str, /) -> StoredRequest | None:
        """The stored request or ``None``."""
        ...

    def set_decision(self, rec: DecisionRecord, /) -> DecisionRecord:
        """Record ``rec`` unless a decision exists; returns the decision that holds."""
        ...

    def get_decision(self, request_id: str, /) -> DecisionRecord | None:
        """The decision for ``request_id`` or ``None``."""
        ...


class MemoryDecisionStore:
    """In-process store (tests; the default when no path is configured)."""

    def __init__(self) -> None:
        self._req: dict[str, StoredRequest] = {}
        self._dec: dict[str, DecisionRecord] = {}
        self._lock = threading.Lock()

    def add_request(self, req: StoredRequest, /) -> bool:
        with self._lock:
            if req.request_id in self._req:
                return False
            self._req[req.request_id] = req
            return True

    def get_request(self, request_id: str, /) -> StoredRequest | None:
        return self._req.get(request_id)

    def set_decision(self, rec: DecisionRecord, /) -> DecisionRecord:
        with self._lock:
            return self._dec.setdefault(rec.request_id, rec)

    def get_decision(self, request_id: str, /) -> DecisionRecord | None:
        return self._dec.get(request_id)


class SQLiteDecisionStore:
    """Durable store in one SQLite file; the first decision wins across processes."""

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        self._lock = threading.Lock()
        with self._db() as db:
            db.execute("CREATE TABLE IF NOT EXISTS guard_requests (id TEXT PRIMARY KEY, body TEXT)")
            db.execute(
                "CREATE TABLE IF NOT EXISTS guard_decisions (id TEXT PRIMARY KEY, body TEXT)"
            )

    def _db(self) -> _Conn:
        return _Conn(self._path)

    def add_request(self, req: StoredRequest, /) -> bool:
        with self._lock, self._db() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO guard_requests VALUES (?, ?)",
                (req.request_id, json.dumps(asdict(req), sort_keys=True)),
            )
            return cur.rowcount == 1

    def get_request(self, request_id: str, /) -> StoredRequest | None:
        with self._db() as db:
            row = db.execute(
                "SELECT body FROM guard_requests WHERE id = ?", (request_id,)
            ).fetchone()
        return StoredRequest(**json.loads(row[0])) if row else None

    def set_decision(self, rec: DecisionRecord, /) -> DecisionRecord:
        with self._lock, self._db() as db:
            db.execute(
                "INSERT OR IGNORE INTO guard_decisions VALUES (?, ?)",
                (rec.request_id, rec.to_json()),
            )
            row = db.execute(
                "SELECT body FROM guard_decisions WHERE id = ?", (rec.request_id,)
            ).fetchone()
        return DecisionRecord(**json.loads(row[0]))

    def get_decision(self, request_id: str, /) -> DecisionRecord | None:
        with self._db() as db:
            row = db.execute(
                "SELECT body FROM guard_decisions WHERE id = ?", (request_id,)
            ).fetchone()
        return DecisionRecord(**json.loads(row[0])) if row else None


class _Conn:
    """A connection that commits and closes on exit (sqlite3's own context manager never closes)."""

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)

    def __enter__(self) -> sqlite3.Connection:
        return self._db

    def __exit__(self, *exc: object) -> None:
        self._db.close()


def iso(when: datetime) -> str:
    """ISO text of an aware datetime."""
    return when.isoformat()
