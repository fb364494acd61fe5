"""SQLite approval store: the embedded default, shared by threads and processes on one machine.

WAL journal (readers never block the writer) and ``BEGIN IMMEDIATE`` for every read-modify-write:
the write lock is taken *before* the request is read, so two approvers deciding at the same moment
from two processes are serialized and exactly one of them sees the request still pending. Within one
process, concurrent updates share that transaction and its commit (``guardrails._group``). With
the audit trail in the same file (``AuditLog(path)`` on the store's path), a decision and its audit
event are written by that one transaction: both durable, or neither.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from guardrails._errors import ApprovalError, ConfigurationError, UnknownRequestError
from guardrails._group import GroupCommit
from guardrails.approvals._codec import decode, encode, ts
from guardrails.approvals._models import ApprovalRequest
from guardrails.approvals._sealing import LazySealer, Sealer
from guardrails.approvals.stores._protocol import Change, Journal, check_page
from guardrails.audit import AuditSink, SQLiteSink
from guardrails.audit._sink import Builder
from guardrails.audit._sqlite import append_in_transaction, read_head

__all__ = ["SQLiteApprovalStore"]

_Item = tuple[str, Change, Journal | None]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS guardrails_approvals (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    next_due TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS guardrails_approvals_due
    ON guardrails_approvals (status, next_due);
CREATE INDEX IF NOT EXISTS guardrails_approvals_created
    ON guardrails_approvals (status, created_at);
CREATE TABLE IF NOT EXISTS guardrails_secrets (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
"""


class SQLiteApprovalStore:
    """Approval requests in a SQLite file (one connection per thread and process).

    Args:
        path: the database file (created with its tables if missing).
        synchronous: ``"FULL"`` (default) makes each decision durable on power loss; ``"NORMAL"``
            is durable against a process crash only, and faster.
        timeout: seconds to wait for the write lock before failing.
        data_key: the 32-byte AES key sealing reviewers' edited arguments at rest (default: a
            random secret kept in this database; see ``guardrails.approvals._sealing``).

    Example:
        >>> import tempfile, os
        >>> store = SQLiteApprovalStore(os.path.join(tempfile.mkdtemp(), "approvals.db"))
        >>> store.pending()
        []
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        timeout: float = 30.0,
        data_key: bytes | None = None,
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ConfigurationError("synchronous must be 'FULL' or 'NORMAL'")
        if data_key is not None:
            Sealer(data_key)  # a bad key fails here, at construction
        self.path = Path(path)
        self._sync = synchronous
        self._timeout = timeout
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._shared: dict[int, tuple[AuditSink, bool]] = {}  # id(sink) -> (sink, shares_audit)
        self._sealer = LazySealer(lambda: data_key or self.secret("edited-args"))
        self._group: GroupCommit[_Item, ApprovalRequest] = GroupCommit(self._update_batch)
        conn = self._conn()
        conn.executescript(_SCHEMA)

    def __repr__(self) -> str:
        return f"SQLiteApprovalStore({str(self.path)!r})"

    def _conn(self) -> sqlite3.Connection:
        # A connection must not cross a fork or a thread: key it by both.
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self._sync}")
            conn.execute(f"PRAGMA busy_timeout={int(self._timeout * 1000)}")
            self._local.conn = conn
            self._local.pid = os.getpid()
            with self._lock:
                self._all.append(conn)
        return conn

    def secret(self, name: str, /) -> bytes:
        """A random 32-byte secret named ``name``, created once, shared by every process."""
        conn = self._conn()
        conn.execute(
            "INSERT OR IGNORE INTO guardrails_secrets (name, value) VALUES (?, ?)",
            (name, os.urandom(32)),
        )
        row = conn.execute(
            "SELECT value FROM guardrails_secrets WHERE name = ?", (name,)
        ).fetchone()
        return bytes(row[0])

    def create(self, request: ApprovalRequest, /) -> None:
        """Insert a new request."""
        try:
            self._conn().execute(
                "INSERT INTO guardrails_approvals (id, status, created_at, next_due, data) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    request.id,
                    request.status,
                    ts(request.created_at),
                    ts(request.next_due),
                    encode(request, self._sealer),
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise ApprovalError(f"approval request {request.id} already exists") from exc

    def get(self, request_id: str, /) -> ApprovalRequest | None:
        """The request, or ``None``."""
        row = (
            self._conn()
            .execute("SELECT data FROM guardrails_approvals WHERE id = ?", (request_id,))
            .fetchone()
        )
        return decode(row[0], self._sealer) if row else None

    def get_many(self, request_ids: Iterable[str], /) -> dict[str, ApprovalRequest]:
        """The requests that exist among ``request_ids``, by id (batched reads)."""
        ids = list(request_ids)
        out: dict[str, ApprovalRequest] = {}
        conn = self._conn()
        for i in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT id, data FROM guardrails_approvals WHERE id IN ({marks})",  # noqa: S608
                chunk,
            ).fetchall()
            out.update((row[0], decode(row[1], self._sealer)) for row in rows)
        return out

    def shares_audit(self, sink: AuditSink, /) -> bool:
        """True for an :class:`~guardrails.audit.SQLiteSink` on this store's database file."""
        key = id(sink)
        known = self._shared.get(key)
        if known is None or known[0] is not sink:
            known = self._shared[key] = (
                sink,
                isinstance(sink, SQLiteSink) and sink.same_file(self.path),
            )
        return known[1]

    def update(
        self, request_id: str, change: Change, /, journal: Journal | None = None
    ) -> ApprovalRequest:
        """Atomically replace the request with ``change(current)`` (``BEGIN IMMEDIATE``).

        With a ``journal`` (the audit trail in this database file: :meth:`shares_audit`), its
        events are inserted in the same transaction. Concurrent calls in this process share one
        transaction and one commit (group commit); each returns only after that commit.
        """
        if journal is not None and not self.shares_audit(journal.sink):
            raise ConfigurationError("the journal's audit trail is not in this store's database")
        return self._group.submit((request_id, change, journal))

    def _update_batch(self, items: list[_Item]) -> list[ApprovalRequest | Exception]:
        # Runs in the leader thread. Items are applied in order in one transaction, each reading
        # the row as the items before it left it; a change that raises only fails its own caller.
        conn = self._conn()
        out: list[ApprovalRequest | Exception] = []
        head: tuple[int, str] | None = None  # the audit trail's head, read once if needed
        conn.execute("BEGIN IMMEDIATE")
        try:
            for request_id, change, journal in items:
                try:
                    new, builds = self._apply(conn, request_id, change, journal)
                except sqlite3.Error:
                    raise
                except Exception as exc:  # handed back to that one caller
                    out.append(exc)
                    continue
                if builds:
                    head = read_head(conn) if head is None else head
                    _, head = append_in_transaction(conn, list(builds), head)
                out.append(new)
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):  # nothing in the batch was committed
                raise ApprovalError(
                    f"SQLite approval update failed ({type(exc).__name__})"
                ) from exc
            raise
        return out

    def _apply(
        self, conn: sqlite3.Connection, request_id: str, change: Change, journal: Journal | None
    ) -> tuple[ApprovalRequest, Sequence[Builder]]:
        row = conn.execute(
            "SELECT data FROM guardrails_approvals WHERE id = ?", (request_id,)
        ).fetchone()
        if row is None:
            raise UnknownRequestError("no approval request with this id")
        current = decode(row[0], self._sealer)
        new = change(current)
        if new is current:
            return new, ()
        if new.id != request_id:
            raise ApprovalError("an update cannot change the request id")
        # Built before anything is written: a journal that raises fails only this item.
        builds = journal.events(new) if journal is not None else ()
        conn.execute(
            "UPDATE guardrails_approvals SET status = ?, next_due = ?, data = ? WHERE id = ?",
            (new.status, ts(new.next_due), encode(new, self._sealer), request_id),
        )
        return new, builds

    def pending(
        self,
        *,
        limit: int = 100,
        due_before: datetime | None = None,
        after: tuple[datetime, str] | None = None,
    ) -> list[ApprovalRequest]:
        """Pending requests, oldest first (``after``: the page after that ``(created_at, id)``)."""
        check_page(due_before, after)
        if after is not None:
            rows = self._conn().execute(
                "SELECT data FROM guardrails_approvals WHERE status = 'pending' "
                "AND (created_at > ? OR (created_at = ? AND id > ?)) "
                "ORDER BY created_at, id LIMIT ?",
                (ts(after[0]), ts(after[0]), after[1], limit),
            )
        elif due_before is None:
            rows = self._conn().execute(
                "SELECT data FROM guardrails_approvals WHERE status = 'pending' "
                "ORDER BY created_at, id LIMIT ?",
                (limit,),
            )
        else:
            rows = self._conn().execute(
                "SELECT data FROM guardrails_approvals WHERE status = 'pending' AND next_due <= ? "
                "ORDER BY next_due, id LIMIT ?",
                (ts(due_before), limit),
            )
        return [decode(r[0], self._sealer) for r in rows.fetchall()]

    def close(self) -> None:
        """Close every connection this store opened in this process."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            # a connection opened by another thread may refuse; it dies with that thread
            with contextlib.suppress(sqlite3.ProgrammingError):
                conn.close()
        self._local = threading.local()
