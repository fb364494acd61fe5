"""PostgreSQL approval store (psycopg 3): several processes or replicas share one set of requests.

Every read-modify-write is optimistic: read the row and its ``version``, compute the change, then
``UPDATE … WHERE id = %s AND version = %s``. Two approvers deciding at the same moment on two
replicas: one update matches, the other matches no row and re-runs its change on the fresh state
(where it now sees the first decision), so quorum is counted once per human and there is exactly
one final outcome. Two round trips per decision instead of four (``BEGIN``, ``SELECT … FOR
UPDATE``, ``UPDATE``, ``COMMIT``), and no lock is held while Python runs the change.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from guardrails._errors import (
    ApprovalError,
    ConfigurationError,
    MissingDependencyError,
    UnknownRequestError,
)
from guardrails.approvals._codec import decode, encode
from guardrails.approvals._models import ApprovalRequest
from guardrails.approvals.stores._protocol import Change

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresApprovalStore"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}\Z")
# Each retry means another writer committed in between; far more than any real quorum needs.
_MAX_ATTEMPTS = 100


class PostgresApprovalStore:
    """Approval requests in PostgreSQL (one connection per thread and process).

    Args:
        conninfo: a libpq connection string or ``postgresql://`` URL.
        schema: the schema holding the ``guardrails_approvals`` table (created if missing).

    Example:
        >>> store = PostgresApprovalStore("postgresql://127.0.0.1/test")  # doctest: +SKIP
    """

    def __init__(self, conninfo: str, *, schema: str = "public") -> None:
        try:
            import psycopg
            from psycopg import sql
        except ImportError as exc:
            raise MissingDependencyError("psycopg", "postgres") from exc
        if not _IDENT.match(schema):
            raise ConfigurationError("schema must be a plain SQL identifier")
        self._psycopg = psycopg
        self._conninfo = conninfo
        self.schema = schema
        self._local = threading.local()
        self._all: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()
        table = sql.Identifier(schema, "guardrails_approvals")
        self._q = {
            "insert": sql.SQL(
                "INSERT INTO {} (id, status, created_at, next_due, data) VALUES (%s, %s, %s, %s, %s)"
            ).format(table),
            "get": sql.SQL("SELECT data FROM {} WHERE id = %s").format(table),
            "many": sql.SQL("SELECT id, data FROM {} WHERE id = ANY(%s)").format(table),
            "read": sql.SQL("SELECT data, version FROM {} WHERE id = %s").format(table),
            "update": sql.SQL(
                "UPDATE {} SET status = %s, next_due = %s, data = %s, version = version + 1 "
                "WHERE id = %s AND version = %s"
            ).format(table),
            "pending": sql.SQL(
                "SELECT data FROM {} WHERE status = 'pending' ORDER BY created_at, id LIMIT %s"
            ).format(table),
            "due": sql.SQL(
                "SELECT data FROM {} WHERE status = 'pending' AND next_due <= %s "
                "ORDER BY next_due, id LIMIT %s"
            ).format(table),
        }
        ddl = [
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)),
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (id text PRIMARY KEY, status text NOT NULL, "
                "created_at timestamptz NOT NULL, next_due timestamptz NOT NULL, data text NOT NULL, "
                "version bigint NOT NULL DEFAULT 0)"
            ).format(table),
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (status, next_due)").format(
                sql.Identifier("guardrails_approvals_due"), table
            ),
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (status, created_at)").format(
                sql.Identifier("guardrails_approvals_created"), table
            ),
        ]
        conn = self._conn()
        try:
            with conn.transaction():
                # Two processes creating the same schema at once race on the catalog; serialize.
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('guardrails_approvals_ddl'))")
                for stmt in ddl:
                    conn.execute(stmt)
        except psycopg.Error as exc:
            raise ApprovalError(
                f"cannot prepare the approvals table ({type(exc).__name__})"
            ) from exc

    def __repr__(self) -> str:
        return f"PostgresApprovalStore(schema={self.schema!r})"

    def _conn(self) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed or getattr(self._local, "pid", None) != os.getpid():
            try:
                conn = self._psycopg.connect(self._conninfo, autocommit=True)
            except self._psycopg.Error as exc:
                raise ApprovalError(f"cannot connect to PostgreSQL ({type(exc).__name__})") from exc
            self._local.conn = conn
            self._local.pid = os.getpid()
            with self._lock:
                self._all.append(conn)
        return conn

    def create(self, request: ApprovalRequest, /) -> None:
        """Insert a new request."""
        try:
            self._conn().execute(
                self._q["insert"],
                (request.id, request.status, request.created_at, request.next_due, encode(request)),
            )
        except self._psycopg.errors.UniqueViolation as exc:
            raise ApprovalError(f"approval request {request.id} already exists") from exc

    def get(self, request_id: str, /) -> ApprovalRequest | None:
        """The request, or ``None``."""
        row = self._conn().execute(self._q["get"], (request_id,)).fetchone()
        return decode(row[0]) if row else None

    def get_many(self, request_ids: Iterable[str], /) -> dict[str, ApprovalRequest]:
        """The requests that exist among ``request_ids``, by id (one round trip)."""
        rows = self._conn().execute(self._q["many"], (list(request_ids),)).fetchall()
        return {row[0]: decode(row[1]) for row in rows}

    def update(self, request_id: str, change: Change, /) -> ApprovalRequest:
        """Atomically replace the request with ``change(current)`` (compare-and-set on version).

        ``change`` may run more than once under contention; it must be a pure function of the
        request it is given (the service's are).
        """
        conn = self._conn()
        for _ in range(_MAX_ATTEMPTS):
            row = conn.execute(self._q["read"], (request_id,)).fetchone()
            if row is None:
                raise UnknownRequestError(f"no approval request {request_id}")
            current = decode(row[0])
            new = change(current)
            if new is current:
                return new
            if new.id != request_id:
                raise ApprovalError("an update cannot change the request id")
            cur = conn.execute(
                self._q["update"], (new.status, new.next_due, encode(new), request_id, row[1])
            )
            if cur.rowcount == 1:
                return new
        raise ApprovalError(
            f"request {request_id} is contended; gave up after {_MAX_ATTEMPTS} tries"
        )

    def pending(
        self, *, limit: int = 100, due_before: datetime | None = None
    ) -> list[ApprovalRequest]:
        """Pending requests, oldest first."""
        conn = self._conn()
        if due_before is None:
            rows = conn.execute(self._q["pending"], (limit,)).fetchall()
        else:
            rows = conn.execute(self._q["due"], (due_before, limit)).fetchall()
        return [decode(r[0]) for r in rows]

    def close(self) -> None:
        """Close every connection this store opened."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()
