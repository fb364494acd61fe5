"""PostgreSQL approval store (psycopg 3): several processes or replicas share one set of requests.

Every read-modify-write locks its row (``SELECT … FOR UPDATE``) before ``change`` sees it, so two
approvers deciding at the same moment on two replicas are serialized: the second sees the first
decision, quorum is counted once per human and there is exactly one final outcome. Concurrent
updates in one process are grouped (``guardrails._group``): a batch costs one commit however many
decisions it holds, and one round trip when the process knows the rows' versions and the trail's
head (``_pg_known``: compare-and-set and audit inserts in one statement), otherwise two
(``_pg_batch``: the rows read ``FOR UPDATE``, then the updates, audit inserts and ``COMMIT``). With the audit trail in the same database (a
``PostgresSink``), a decision and its audit event are committed by that one transaction.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from guardrails._errors import (
    ApprovalError,
    ConfigurationError,
    MissingDependencyError,
    UnknownRequestError,
)
from guardrails._group import GroupCommit
from guardrails.approvals._codec import decode, encode
from guardrails.approvals._models import ApprovalRequest
from guardrails.approvals._sealing import LazySealer, Sealer
from guardrails.approvals.stores._cache import VersionCache
from guardrails.approvals.stores._pg_batch import Item, write_batch
from guardrails.approvals.stores._pg_known import STALE, write_known
from guardrails.approvals.stores._pg_sql import statements
from guardrails.approvals.stores._protocol import Change, Journal, check_page
from guardrails.audit import AuditSink, PostgresSink
from guardrails.audit._postgres import IDENTITY_SQL

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
        max_connections: the size of this process's connection pool (the group-commit leader,
            which writes decisions with their audit events, keeps one connection more).
        data_key: the 32-byte AES key sealing reviewers' edited arguments at rest (default: a
            random secret kept in this database; see ``guardrails.approvals._sealing``).

    Example:
        >>> store = PostgresApprovalStore("postgresql://127.0.0.1/test")  # doctest: +SKIP
    """

    def __init__(
        self,
        conninfo: str,
        *,
        schema: str = "public",
        max_connections: int = 8,
        data_key: bytes | None = None,
    ) -> None:
        try:
            import psycopg
            import psycopg_pool
        except ImportError as exc:
            raise MissingDependencyError("psycopg", "postgres") from exc
        if max_connections < 1:
            raise ConfigurationError("max_connections must be at least 1")
        if data_key is not None:
            Sealer(data_key)  # a bad key fails here, at construction
        if not _IDENT.match(schema):
            raise ConfigurationError("schema must be a plain SQL identifier")
        self._psycopg = psycopg
        self._pool_class = psycopg_pool.ConnectionPool
        self._conninfo = conninfo
        self._max = max_connections
        self.schema = schema
        self._pools: tuple[int, Any] | None = None  # (pid, pool): a pool never crosses a fork
        # (pid, connection) of the group-commit leader: batches never overlap, so one connection
        # serves them all without a pool checkout per decision.
        self._leader: tuple[int, psycopg.Connection[Any]] | None = None
        self._lock = threading.Lock()
        self._shared: dict[int, tuple[AuditSink, bool]] = {}  # id(sink) -> (sink, answer)
        self._group: GroupCommit[Item, ApprovalRequest] = GroupCommit(self._update_batch)
        self._seen = VersionCache()
        self._sealer = LazySealer(lambda: data_key or self.secret("edited-args"))
        self._q, ddl = statements(schema)
        try:
            with self._pool().connection() as conn, conn.transaction():
                # Two processes creating the same schema at once race on the catalog; serialize.
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('guardrails_approvals_ddl'))")
                for stmt in ddl:
                    conn.execute(stmt)
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            raise ApprovalError(
                f"cannot prepare the approvals table ({type(exc).__name__})"
            ) from exc

    def __repr__(self) -> str:
        return f"PostgresApprovalStore(schema={self.schema!r})"

    def _pool(self) -> Any:
        """This process's connection pool (threads come and go; connections are reused)."""
        pid = os.getpid()
        current = self._pools
        if current is not None and current[0] == pid:
            return current[1]
        with self._lock:
            if self._pools is None or self._pools[0] != pid:  # a forked child opens its own
                pool = self._pool_class(
                    self._conninfo,
                    min_size=1,
                    max_size=self._max,
                    kwargs={"autocommit": True},
                    open=True,
                    timeout=30.0,
                )
                self._pools = (pid, pool)
            return self._pools[1]

    def secret(self, name: str, /) -> bytes:
        """A random 32-byte secret named ``name``, created once, shared by every replica."""
        with self._pool().connection() as conn:
            conn.execute(self._q["secret_put"], (name, os.urandom(32)))
            row = conn.execute(self._q["secret_get"], (name,)).fetchone()
        if row is None:  # pragma: no cover - inserted just above
            raise ApprovalError("the approval store lost its secret")
        return bytes(row[0])

    def create(self, request: ApprovalRequest, /) -> None:
        """Insert a new request."""
        try:
            with self._pool().connection() as conn:
                conn.execute(
                    self._q["insert"],
                    (
                        request.id,
                        request.status,
                        request.created_at,
                        request.next_due,
                        encode(request, self._sealer),
                    ),
                )
        except self._psycopg.errors.UniqueViolation as exc:
            raise ApprovalError(f"approval request {request.id} already exists") from exc
        self._seen.put(request.id, 0, request)

    def get(self, request_id: str, /) -> ApprovalRequest | None:
        """The request, or ``None``."""
        if "\x00" in request_id:  # PostgreSQL text cannot hold NUL: no request has this id
            return None
        with self._pool().connection() as conn:
            row = conn.execute(self._q["read"], (request_id,)).fetchone()
        if row is None:
            return None
        request = decode(row[0], self._sealer)
        self._seen.put(request_id, row[1], request)
        return request

    def get_many(self, request_ids: Iterable[str], /) -> dict[str, ApprovalRequest]:
        """The requests that exist among ``request_ids``, by id (one round trip)."""
        ids = [i for i in request_ids if "\x00" not in i]  # see get()
        with self._pool().connection() as conn:
            rows = conn.execute(self._q["many"], (ids,)).fetchall()
        return {row[0]: decode(row[1], self._sealer) for row in rows}

    def shares_audit(self, sink: AuditSink, /) -> bool:
        """True for a :class:`~guardrails.audit.PostgresSink` in this store's database."""
        if not isinstance(sink, PostgresSink):
            return False
        known = self._shared.get(id(sink))
        if known is None or known[0] is not sink:
            try:
                with self._pool().connection() as conn:
                    mine = conn.execute(IDENTITY_SQL).fetchone()
                same = mine is not None and tuple(mine) == sink.identity()
            except Exception:  # cannot tell: not shared (the service records after the commit)
                return False
            known = self._shared[id(sink)] = (sink, same)
        return known[1]

    def update(
        self, request_id: str, change: Change, /, journal: Journal | None = None
    ) -> ApprovalRequest:
        """Atomically replace the request with ``change(current)`` (row locked ``FOR UPDATE``).

        With a ``journal`` (the audit trail in this database: :meth:`shares_audit`), its events
        are inserted in the same transaction. Concurrent calls in this process share one
        transaction and one commit (group commit); each returns only after that commit.
        """
        if "\x00" in request_id:  # see get(): a NUL would fail the statement, not name a row
            raise UnknownRequestError("no approval request with this id")
        if journal is not None:
            if not self.shares_audit(journal.sink):
                raise ConfigurationError(
                    "the journal's audit trail is not in this store's database"
                )
            return self._group.submit((request_id, change, journal))
        with self._pool().connection() as conn:
            return self._compare_and_set(conn, request_id, change)

    def _compare_and_set(
        self, conn: psycopg.Connection[Any], request_id: str, change: Change
    ) -> ApprovalRequest:
        seen = self._seen.get(request_id)
        if seen is not None:
            # One round trip when this process knows the row's version (it created or read the
            # request): compare-and-set on it. Only a write that matched is trusted; a change
            # that raised or changed nothing on what may be an old copy is re-run on a fresh read.
            version, current = seen
            try:
                new = change(current)
            except Exception:
                new = current
            if new is not current and new.id == request_id and self._write(conn, new, version):
                return new
        for _ in range(_MAX_ATTEMPTS):
            row = conn.execute(self._q["read"], (request_id,)).fetchone()
            if row is None:
                raise UnknownRequestError("no approval request with this id")
            current = decode(row[0], self._sealer)
            self._seen.put(request_id, row[1], current)
            new = change(current)
            if new is current:
                return new
            if new.id != request_id:
                raise ApprovalError("an update cannot change the request id")
            if self._write(conn, new, row[1]):
                return new
        raise ApprovalError(
            f"request {request_id} is contended; gave up after {_MAX_ATTEMPTS} tries"
        )

    def _write(self, conn: psycopg.Connection[Any], new: ApprovalRequest, version: int) -> bool:
        """Compare-and-set (autocommit): whether the row still had ``version`` and now has ``new``."""
        cur = conn.execute(
            self._q["cas"], (new.status, new.next_due, encode(new, self._sealer), new.id, version)
        )
        if cur.rowcount != 1:
            self._seen.drop(new.id)
            return False
        self._seen.put(new.id, version + 1, new)
        return True

    def _update_batch(self, items: list[Item]) -> list[ApprovalRequest | Exception]:
        # Runs in the group-commit leader; batches never overlap, so one connection serves them.
        # One round trip on the versions and trail heads this process knows (_pg_known); when
        # it knows too little, or another writer got there first, two on locked fresh rows.
        try:
            conn = self._leader_conn()
            try:
                done = write_known(conn, self._q, items, self._sealer, self._seen)
            except self._psycopg.Error as exc:
                if exc.sqlstate not in STALE:
                    raise
                self._forget(items)
                done = None
            out, seen = done or write_batch(conn, self._q, items, self._sealer)
        except self._psycopg.Error as exc:
            self._drop_leader()
            self._forget(items)
            raise ApprovalError(
                f"PostgreSQL approval update failed ({type(exc).__name__})"
            ) from exc
        for request_id, (version, request) in seen.items():
            self._seen.put(request_id, version, request)
        return out

    def _leader_conn(self) -> psycopg.Connection[Any]:
        """The group-commit leader's own autocommit connection (reopened after a fork or a
        failure). Raises ``psycopg.Error`` when it cannot connect."""
        held = self._leader
        if held is not None and held[0] == os.getpid() and not held[1].closed:
            return held[1]
        params = self._psycopg.conninfo.conninfo_to_dict(self._conninfo)
        timeout: dict[str, Any] = {} if "connect_timeout" in params else {"connect_timeout": 30}
        conn = self._psycopg.connect(self._conninfo, autocommit=True, **timeout)
        self._leader = (os.getpid(), conn)
        return conn

    def _drop_leader(self) -> None:
        """After an error: close the leader's connection unless it is plainly still usable (an
        error the server raised leaves an autocommit connection idle and healthy)."""
        held, self._leader = self._leader, None
        if held is None or held[0] != os.getpid():
            return
        conn = held[1]
        if conn.broken or conn.info.transaction_status != self._psycopg.pq.TransactionStatus.IDLE:
            conn.close()
        else:
            self._leader = held

    def _forget(self, items: list[Item]) -> None:
        """Drop what this process knew of the rows and trails of a failed batch."""
        for request_id, _, journal in items:
            self._seen.drop(request_id)
            if journal is not None:
                cast(PostgresSink, journal.sink).note_head(None)

    def pending(
        self,
        *,
        limit: int = 100,
        due_before: datetime | None = None,
        after: tuple[datetime, str] | None = None,
    ) -> list[ApprovalRequest]:
        """Pending requests, oldest first (``after``: the page after that ``(created_at, id)``)."""
        check_page(due_before, after)
        with self._pool().connection() as conn:
            if after is not None:
                rows = conn.execute(self._q["pending_after"], (*after, limit)).fetchall()
            elif due_before is None:
                rows = conn.execute(self._q["pending"], (limit,)).fetchall()
            else:
                rows = conn.execute(self._q["due"], (due_before, limit)).fetchall()
        return [decode(r[0], self._sealer) for r in rows]

    def close(self) -> None:
        """Close this process's connections (the store reopens a pool if used again)."""
        with self._lock:
            pools, self._pools = self._pools, None
            leader, self._leader = self._leader, None
        if pools is not None and pools[0] == os.getpid():
            pools[1].close()
        if leader is not None and leader[0] == os.getpid():
            leader[1].close()
