"""The default durable sink: one SQLite table in WAL mode, safe for several threads and processes.

Each append is its own ``BEGIN IMMEDIATE`` transaction (the write lock is taken before the head is
read, so two processes can never both extend the same head) and returns after ``COMMIT``. With
``synchronous="FULL"`` (default) the WAL is fsynced at every commit: the record survives power loss.
``"NORMAL"`` skips that fsync (it survives an application crash, not an OS crash) for more records
per second - never the right trade for approval decisions.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from itertools import chain
from typing import Literal
from urllib.request import pathname2url

from guardrails._errors import AuditError, ConfigurationError
from guardrails._group import GroupCommit
from guardrails.audit._events import GENESIS_HASH, Record
from guardrails.audit._sink import Builder, seal_batch

__all__ = ["SQLiteSink", "append_in_transaction", "read_head"]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS audit_events "
    "(seq INTEGER PRIMARY KEY, body TEXT NOT NULL, hash TEXT NOT NULL)",
    # Guards against accidents, not attackers (a trigger can be dropped): the hash chain is the proof.
    "CREATE TRIGGER IF NOT EXISTS audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
)
_PAGE = 4096


def read_head(con: sqlite3.Connection) -> tuple[int, str]:
    """``(seq, hash)`` of the last record; call it inside the write transaction."""
    row = con.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


def append_in_transaction(
    con: sqlite3.Connection, builds: list[Builder], head: tuple[int, str]
) -> tuple[list[Record | Exception], tuple[int, str]]:
    """Insert records after ``head`` inside the caller's ``BEGIN IMMEDIATE`` transaction.

    Returns one stored record (or the builder's exception) per builder, and the new head. The
    caller commits: the records are durable with whatever else that transaction wrote.
    """
    out, rows, new_head = seal_batch(builds, head)
    con.executemany("INSERT INTO audit_events (seq, body, hash) VALUES (?, ?, ?)", rows)
    return out, new_head


class SQLiteSink:
    """Audit records in an SQLite file (WAL).

    Example:
        >>> import tempfile, os
        >>> from guardrails.audit import AuditLog
        >>> path = os.path.join(tempfile.mkdtemp(), "audit.db")
        >>> with AuditLog(SQLiteSink(path)) as log:
        ...     _ = log.record("policy.denied", tool="drop_table", reason="sensitive_table")
        ...     log.verify().count
        1
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        timeout: float = 30.0,
        readonly: bool = False,
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ConfigurationError("synchronous must be 'FULL' or 'NORMAL'")
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        self._group: GroupCommit[Builder, Record] = GroupCommit(self._write_batch)
        self.readonly = readonly
        try:
            if readonly:  # for verify/export: never creates or alters the evidence file
                if not os.path.exists(self.path):
                    raise AuditError(f"no audit database at {self.path}")
                uri = "file:" + pathname2url(os.path.abspath(self.path)) + "?mode=ro"
                self._con = sqlite3.connect(
                    uri, uri=True, timeout=timeout, isolation_level=None, check_same_thread=False
                )
                return
            # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves.
            self._con = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            self._setup(synchronous, timeout)
        except sqlite3.Error as exc:
            raise AuditError(f"cannot open the SQLite audit trail: {exc}") from exc

    def __repr__(self) -> str:
        return f"SQLiteSink({self.path!r})"

    def _setup(self, synchronous: str, timeout: float) -> None:
        """WAL mode and the schema. Switching a file to WAL while another process opens it can
        return SQLITE_BUSY at once, without the busy handler: retried until ``timeout``."""
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            try:
                self._con.execute("PRAGMA journal_mode=WAL")
                self._con.execute(f"PRAGMA synchronous={synchronous}")
                self._con.execute("BEGIN IMMEDIATE")
                for statement in _SCHEMA:
                    self._con.execute(statement)
                self._con.execute("COMMIT")
                return
            except sqlite3.OperationalError as exc:
                if self._con.in_transaction:
                    self._con.execute("ROLLBACK")
                if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.2)

    def append(self, build: Builder) -> Record:
        """Read head, insert, commit in one ``BEGIN IMMEDIATE`` transaction (group commit)."""
        if self.readonly:
            raise AuditError("this audit trail was opened read-only")
        return self._group.submit(build)

    def _write_batch(self, builds: list[Builder]) -> list[Record | Exception]:
        with self._lock:
            con = self._con
            try:
                con.execute("BEGIN IMMEDIATE")
                try:
                    out, _ = append_in_transaction(con, builds, read_head(con))
                    con.execute("COMMIT")
                except BaseException:
                    if con.in_transaction:
                        con.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise AuditError(f"SQLite audit append failed: {exc}") from exc
            return out

    def same_file(self, path: str | os.PathLike[str]) -> bool:
        """Whether ``path`` is this trail's database file (a store may then write into it)."""
        try:
            return not self.readonly and os.path.samefile(self.path, path)
        except OSError:
            return False

    def records(self, start: int = 1) -> Iterator[Record]:
        """Pages of records in seq order, each page read without blocking writers."""
        after = start - 1
        while True:
            with self._lock:
                try:
                    rows = self._con.execute(
                        "SELECT seq, body, hash FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?",
                        (after, _PAGE),
                    ).fetchall()
                except sqlite3.Error as exc:
                    raise AuditError(f"SQLite audit read failed: {exc}") from exc
            if not rows:
                return
            for seq, body, digest in rows:
                yield Record(seq, body, digest)
            after = rows[-1][0]

    def pairs(self, start: int = 1) -> Iterator[tuple[str, str]]:
        """``(body, hash)`` in seq order from one snapshot: what ``verify`` reads.

        A read-only connection of its own (WAL: writers are never blocked) and one query whose
        pages of row tuples are chained in C: no page queries, no ``Record`` per event.
        """
        if self.path == ":memory:" or self.path.startswith("file:"):
            return ((r.body, r.hash) for r in self.records(start))
        return chain.from_iterable(self._pages(start))

    def _pages(self, start: int) -> Iterator[list[tuple[str, str]]]:
        uri = "file:" + pathname2url(os.path.abspath(self.path)) + "?mode=ro"
        try:
            con = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            try:
                cur = con.execute(
                    "SELECT body, hash FROM audit_events WHERE seq >= ? ORDER BY seq", (start,)
                )
                while rows := cur.fetchmany(_PAGE):
                    yield rows
            finally:
                con.close()
        except sqlite3.Error as exc:
            raise AuditError(f"SQLite audit read failed: {exc}") from exc

    def head(self) -> tuple[int, str]:
        """Last ``(seq, hash)``."""
        with self._lock:
            return read_head(self._con)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._con.close()
