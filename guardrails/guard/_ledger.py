"""The execution ledger: what makes a tool call run at most once across re-runs and restarts.

LangGraph re-runs a whole node on resume and a tool node may run several calls in one task, so
"has this call already run?" cannot live in graph state (an interrupted node saves nothing). The
ledger is keyed by the call's identity (thread, scope, tool call id, args digest): a call is
*claimed* before it runs and *completed* with its redacted result after. A re-run finds the result
and returns it without running the tool again; a claim without a result (a crash mid-call, or the
same call running in another thread) is reported as ``"in_flight"`` so the caller fails closed
rather than running it twice.

Example:
    >>> ledger = MemoryLedger()
    >>> ledger.claim("t1:c1")
    >>> ledger.claim("t1:c1")
    'in_flight'
    >>> ledger.complete("t1:c1", "done")
    >>> ledger.claim("t1:c1")
    'done'
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from guardrails._errors import ConfigurationError

__all__ = ["ExecutionLedger", "MemoryLedger", "SQLiteLedger"]

InFlight = Literal["in_flight"]


@runtime_checkable
class ExecutionLedger(Protocol):
    """Claims a call before it runs and remembers its (redacted) result after."""

    def claim(self, key: str, /) -> str | None:
        """Claim ``key``: ``None`` if the caller may run it, else ``"in_flight"`` or the result.

        Results are stored as ``"done"`` markers plus text; see :meth:`complete`.
        """
        ...

    def complete(self, key: str, result: str, /) -> None:
        """Record the result of a claimed call."""
        ...

    def release(self, key: str, /) -> None:
        """Drop a claim whose call did not run (it raised before any side effect)."""
        ...


class MemoryLedger:
    """An in-process ledger (one process only; tests and the default without a database)."""

    def __init__(self) -> None:
        self._rows: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def claim(self, key: str, /) -> str | None:
        """Claim ``key``; see :class:`ExecutionLedger`."""
        with self._lock:
            if key in self._rows:
                result = self._rows[key]
                return "in_flight" if result is None else result
            self._rows[key] = None
            return None

    def complete(self, key: str, result: str, /) -> None:
        """Record the result of a claimed call."""
        with self._lock:
            self._rows[key] = result

    def release(self, key: str, /) -> None:
        """Drop a claim whose call did not run."""
        with self._lock:
            if self._rows.get(key, "") is None:
                del self._rows[key]


class SQLiteLedger:
    """A durable ledger in one SQLite file; several processes may share it.

    The claim is an ``INSERT`` on the primary key, so two processes racing on the same call get
    exactly one winner.

    Durability, one ``fsync`` per call: each thread keeps one connection (WAL journal). The
    claim commits with ``synchronous=FULL`` — it is on disk before the tool runs, which is what
    keeps a crash from running a call twice. The result (and a release) commit with
    ``synchronous=NORMAL``: written to the WAL, so a killed process loses nothing, and made
    durable by the next claim's ``fsync``. Only a power loss or OS crash in between can lose
    it; the call then reads as started without a result and is not run again (fail closed).
    """

    def __init__(self, path: str | Path) -> None:
        if not str(path):
            raise ConfigurationError("SQLiteLedger needs a file path")
        self._path = str(path)
        self._local = threading.local()
        self._connection().execute(
            "CREATE TABLE IF NOT EXISTS guardrails_ledger "
            "(key TEXT PRIMARY KEY, result TEXT, done INTEGER NOT NULL DEFAULT 0)"
        )

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (a new one after ``fork``: never share one across it)."""
        local = self._local
        db: sqlite3.Connection | None = getattr(local, "db", None)
        if db is None or local.pid != os.getpid():
            db = sqlite3.connect(self._path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            local.db, local.pid, local.full = db, os.getpid(), None
        return db

    def _sync(self, db: sqlite3.Connection, full: bool) -> None:
        if self._local.full is not full:
            db.execute("PRAGMA synchronous=FULL" if full else "PRAGMA synchronous=NORMAL")
            self._local.full = full

    def claim(self, key: str, /) -> str | None:
        """Claim ``key``; see :class:`ExecutionLedger`."""
        db = self._connection()
        self._sync(db, True)
        try:
            db.execute("INSERT INTO guardrails_ledger (key) VALUES (?)", (key,))
            return None
        except sqlite3.IntegrityError:
            row = db.execute(
                "SELECT result, done FROM guardrails_ledger WHERE key = ?", (key,)
            ).fetchone()
        if row is None or not row[1]:
            return "in_flight"
        return str(row[0])

    def complete(self, key: str, result: str, /) -> None:
        """Record the result of a claimed call."""
        db = self._connection()
        self._sync(db, False)
        db.execute("UPDATE guardrails_ledger SET result = ?, done = 1 WHERE key = ?", (result, key))

    def release(self, key: str, /) -> None:
        """Drop a claim whose call did not run."""
        db = self._connection()
        self._sync(db, False)
        db.execute("DELETE FROM guardrails_ledger WHERE key = ? AND done = 0", (key,))
