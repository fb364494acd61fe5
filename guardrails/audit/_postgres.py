"""PostgreSQL sink (psycopg 3) for several processes or replicas sharing one trail.

Each append is one transaction: ``pg_advisory_xact_lock`` on a key derived from the table name
serializes writers across connections *before* the head is read (a new statement, hence a fresh
snapshot under READ COMMITTED), then INSERT and COMMIT. The record is durable when ``append``
returns as far as the server's ``synchronous_commit`` setting makes commits durable (default on).

The sink remembers the head of its last committed append (:meth:`known_head`): an approval store
sharing the database appends after it in the one statement that commits a decision, without
reading the head first. A head another writer has since moved past makes that insert hit the
primary key of the row already there (seqs have no gaps), so a stale one fails; it never forks
the chain.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from guardrails._errors import AuditError, ConfigurationError, MissingDependencyError
from guardrails._group import GroupCommit
from guardrails.audit._events import GENESIS_HASH, Record
from guardrails.audit._sink import Builder, seal_batch

if TYPE_CHECKING:
    import psycopg

__all__ = ["IDENTITY_SQL", "PostgresSink"]

_IDENT = re.compile(r"[a-z_][a-z0-9_]{0,62}\Z")
_PAGE = 10_000
_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE, without importing psycopg at module import
# Same answer on two connections = same database of the same running server.
IDENTITY_SQL = (
    "SELECT inet_server_addr()::text, inet_server_port(), pg_postmaster_start_time()::text,"
    " current_database()"
)


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:
        raise MissingDependencyError("psycopg", "postgres") from exc
    return psycopg


class PostgresSink:
    """Audit records in a PostgreSQL table ``schema.table``.

    Example:
        >>> from guardrails.audit import AuditLog
        >>> sink = PostgresSink("host=127.0.0.1 dbname=test", schema="doc_audit")  # doctest: +SKIP
        >>> AuditLog(sink).record("tool.executed", tool="search").seq  # doctest: +SKIP
        1
    """

    def __init__(
        self,
        conninfo: str,
        *,
        schema: str = "guardrails_audit",
        table: str = "audit_events",
        connect_timeout: int = 10,
        create: bool = True,
    ) -> None:
        if not _IDENT.match(schema) or not _IDENT.match(table):
            raise ConfigurationError("schema and table must be lower-case SQL identifiers")
        self._pg = _psycopg()
        self._conninfo = conninfo
        self._timeout = connect_timeout
        self.schema, self.table = schema, table
        self._qualified = f'"{schema}"."{table}"'  # safe: both matched _IDENT
        digest = hashlib.sha256(f"guardrails.audit:{schema}.{table}".encode()).digest()
        self._lock_key = int.from_bytes(digest[:8], "big", signed=True)
        q = self._qualified
        # Identifiers were validated against _IDENT above; values always go as parameters.
        self._sql_lock = f"SELECT pg_advisory_xact_lock({self._lock_key})"
        # The one-record append as a function (lock, then insert): an approval store commits a
        # decision with its event as one prepared statement that calls it (see trail_append).
        self._append_fn = f'"{schema}".guardrails_append_{self._lock_key & (2**64 - 1):016x}'
        self._append_ready: bool | None = None
        self._sql_head = f"SELECT seq, hash FROM {q} ORDER BY seq DESC LIMIT 1"  # noqa: S608
        self._sql_begin = f"BEGIN; {self._sql_lock}; {self._sql_head}"
        self._sql_insert = f"INSERT INTO {q} (seq, body, hash) VALUES (%s, %s, %s)"  # noqa: S608
        self._sql_page = f"SELECT seq, body, hash FROM {q} WHERE seq > %s ORDER BY seq LIMIT %s"  # noqa: S608
        self._lock = threading.Lock()
        self._group: GroupCommit[Builder, Record] = GroupCommit(self._write_batch)
        self._con: psycopg.Connection[Any] | None = None
        # (seq, hash) of the last append this process committed, or None when unknown.
        self._known: tuple[int, str] | None = None
        if create:
            with self._lock:
                self._setup()

    def __repr__(self) -> str:
        return f"PostgresSink(schema={self.schema!r}, table={self.table!r})"

    def _conn(self) -> psycopg.Connection[Any]:
        if self._con is None or self._con.closed or self._con.broken:
            try:
                self._con = self._pg.connect(
                    self._conninfo, autocommit=True, connect_timeout=self._timeout
                )
            except self._pg.Error as exc:
                raise AuditError(
                    f"cannot connect to the PostgreSQL audit trail: {type(exc).__name__}"
                ) from exc
        assert self._con is not None
        return self._con

    def _setup(self) -> None:
        q = self._qualified
        trigger = f"{self.table}_append_only"
        statements = (
            f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"',
            f"CREATE TABLE IF NOT EXISTS {q} (seq BIGINT PRIMARY KEY, body TEXT NOT NULL, hash TEXT NOT NULL)",
            # Guards against accidents; revoke UPDATE/DELETE from the app role too. The chain is the proof.
            f'CREATE OR REPLACE FUNCTION "{self.schema}".{trigger}() RETURNS trigger LANGUAGE plpgsql AS '
            "$$ BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$",
            f"DROP TRIGGER IF EXISTS {trigger} ON {q}",
            f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE OR TRUNCATE ON {q} "
            f'FOR EACH STATEMENT EXECUTE FUNCTION "{self.schema}".{trigger}()',
            # identifiers matched _IDENT above; the lock key is our own integer
            f"CREATE OR REPLACE FUNCTION {self._append_fn}(p_seq bigint, p_body text, p_hash text) "  # noqa: S608
            f"RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
            f"PERFORM pg_advisory_xact_lock({self._lock_key}); "
            f"INSERT INTO {q} (seq, body, hash) VALUES (p_seq, p_body, p_hash); END $$",
        )
        con = self._conn()
        try:
            # Already set up: skip the DDL, whose locks would stall other writers for a moment.
            row = con.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = %s"
                " AND tgrelid = to_regclass(%s))"
                " AND to_regprocedure(%s) IS NOT NULL",
                (trigger, q, f"{self._append_fn}(bigint,text,text)"),
            ).fetchone()
            if row and row[0]:
                return
            with con.transaction():
                con.execute(self._sql_lock)
                for sql in statements:
                    con.execute(sql)
        except self._pg.Error as exc:
            raise AuditError(
                f"cannot set up the PostgreSQL audit trail: {type(exc).__name__}: {exc}"
            ) from exc

    def append(self, build: Builder) -> Record:
        """Advisory-locked transaction: read head, insert, commit (group commit)."""
        return self._group.submit(build)

    def _write_batch(self, builds: list[Builder]) -> list[Record | Exception]:
        # A lone append after the head this process committed last: one prepared call of the
        # append function (lock, insert; autocommit). Otherwise, or when another writer moved
        # the head on (the primary key refuses the insert: nothing written), two round trips
        # besides the commit's fsync: (1) BEGIN + lock + head read as one simple query (each
        # statement takes a fresh snapshot, so the head is read after the lock is held); (2) the
        # inserts and COMMIT in one pipeline.
        with self._lock:
            con = self._conn()
            if len(builds) == 1 and self._known is not None:
                done = self._append_known(con, builds)
                if done is not None:
                    return done
            out: list[Record | Exception] = []
            try:
                try:
                    cur = con.execute(self._sql_begin)
                    while cur.nextset():
                        pass
                    row = cur.fetchone()
                    head = (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)
                    sealed, rows, head = seal_batch(builds, head)
                    out.extend(sealed)
                    with con.pipeline():
                        if rows:
                            con.cursor().executemany(self._sql_insert, rows)
                        con.execute("COMMIT")
                except BaseException:
                    self._known = None
                    if not con.closed and con.info.transaction_status != _IDLE:
                        con.execute("ROLLBACK")
                    raise
                self._known = head
            except self._pg.Error as exc:
                raise AuditError(f"PostgreSQL audit append failed: {type(exc).__name__}") from exc
            return out

    def _append_known(
        self, con: psycopg.Connection[Any], builds: list[Builder]
    ) -> list[Record | Exception] | None:
        """One round trip after the known head, or ``None`` to take the locked path."""
        call = self._append_call()
        if call is None or self._known is None:
            return None
        sealed, rows, head = seal_batch(builds, self._known)
        if not rows:  # the builder failed: nothing to write
            return sealed
        try:
            con.execute(f"SELECT {call}", rows[0], prepare=True)
        except self._pg.Error as exc:
            self._known = None
            if exc.sqlstate == "23505":  # another writer appended after our head
                return None
            raise AuditError(f"PostgreSQL audit append failed: {type(exc).__name__}") from exc
        self._known = head
        return sealed

    def identity(self) -> tuple[Any, ...]:
        """What tells this trail's database apart: (server address, port, start time, database).

        A store whose connection reports the same may append to this trail in its own
        transactions (:meth:`append_in_transaction`).
        """
        with self._lock:
            row = self._conn().execute(IDENTITY_SQL).fetchone()
        return tuple(row) if row else ()

    def known_head(self) -> tuple[int, str] | None:
        """``(seq, hash)`` of the last append committed through this process, if known.

        It may be stale (another writer appended since): an insert after it then fails on the
        primary key. Only committed heads are kept, so it never names a record that is not there.
        """
        return self._known

    def note_head(self, head: tuple[int, str] | None) -> None:
        """Remember ``head``, committed by a transaction of the caller's (``None``: forget)."""
        self._known = head

    def lock_sql(self) -> str:
        """The statement taking this trail's append lock until the transaction ends."""
        return self._sql_lock

    def trail_append(self) -> str | None:
        """``"schema".fn(%b, %b, %b)``: a call appending one record ``(seq, body, hash)`` after
        taking this trail's lock, for another writer's statement (``SELECT … FROM`` it, so that
        the lock comes first); ``None`` when the function is missing (a trail opened with
        ``create=False`` that an older version set up)."""
        if self._append_ready is not None:  # known: no need to wait for the sink's lock
            return f"{self._append_fn}(%b, %b, %b)" if self._append_ready else None
        with self._lock:
            return self._append_call()

    def _append_call(self) -> str | None:
        # with self._lock held
        if self._append_ready is None:
            try:
                row = (
                    self._conn()
                    .execute(
                        "SELECT to_regprocedure(%s) IS NOT NULL",
                        (f"{self._append_fn}(bigint,text,text)",),
                    )
                    .fetchone()
                )
            except (self._pg.Error, AuditError):
                return None
            self._append_ready = bool(row and row[0])
        return f"{self._append_fn}(%b, %b, %b)" if self._append_ready else None

    def insert_sql(self, rows: int) -> str:
        """An ``INSERT`` of ``rows`` records, parameters ``(seq, body, hash)`` per record."""
        values = ", ".join(["(%s, %s, %s)"] * rows)
        return f"INSERT INTO {self._qualified} (seq, body, hash) VALUES {values}"  # noqa: S608

    def lock_and_head(self, con: psycopg.Connection[Any]) -> tuple[int, str]:
        """Take this trail's append lock in ``con``'s open transaction and read the head."""
        con.execute(self._sql_lock)
        row = con.execute(self._sql_head).fetchone()
        return (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)

    def append_in_transaction(
        self, con: psycopg.Connection[Any], builds: list[Builder], head: tuple[int, str]
    ) -> tuple[list[Record | Exception], tuple[int, str]]:
        """Insert records after ``head`` (from :meth:`lock_and_head` in the same transaction).

        The caller commits: the records are durable with whatever else that transaction wrote.
        """
        out, rows, new_head = seal_batch(builds, head)
        if rows:
            con.cursor().executemany(self._sql_insert, rows)
        return out, new_head

    def records(self, start: int = 1) -> Iterator[Record]:
        """Pages of records in seq order."""
        after = start - 1
        while True:
            with self._lock:
                try:
                    rows = self._conn().execute(self._sql_page, (after, _PAGE)).fetchall()
                except self._pg.Error as exc:
                    raise AuditError(f"PostgreSQL audit read failed: {type(exc).__name__}") from exc
            if not rows:
                return
            for seq, body, digest in rows:
                yield Record(int(seq), body, digest)
            after = int(rows[-1][0])

    def head(self) -> tuple[int, str]:
        """Last ``(seq, hash)``."""
        with self._lock:
            row = self._conn().execute(self._sql_head).fetchone()
        self._known = (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)
        return self._known

    def drop(self) -> None:
        """Drop the schema and everything in it (tests and teardown only)."""
        with self._lock:
            self._conn().execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None
