"""The PostgreSQL store's group-commit batch: many updates, their audit events, one commit.

Two round trips per batch however many decisions it holds: (1) ``BEGIN``, each shared audit
trail's append lock and head, and every row ``FOR UPDATE`` in id order (two processes' batches lock
rows in the same order, so they cannot deadlock); (2) the updates, the audit inserts and
``COMMIT``, sent as one pipeline. The changes run in Python between the two, each on the request as
the items before it in the batch left it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from guardrails._errors import ApprovalError, UnknownRequestError
from guardrails.approvals._codec import decode, encode
from guardrails.approvals._models import ApprovalRequest
from guardrails.approvals._sealing import LazySealer
from guardrails.approvals.stores._protocol import Change, Journal
from guardrails.audit import PostgresSink
from guardrails.audit._events import GENESIS_HASH
from guardrails.audit._sink import Builder

if TYPE_CHECKING:
    import psycopg

__all__ = ["Item", "apply_items", "write_batch"]

Item = tuple[str, Change, Journal | None]
_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE


def write_batch(
    conn: psycopg.Connection[Any], queries: dict[str, Any], items: list[Item], sealer: LazySealer
) -> tuple[list[ApprovalRequest | Exception], dict[str, tuple[int, ApprovalRequest]]]:
    """Apply ``items`` in one transaction on ``conn``; returns per item the new request or that
    caller's exception, and every row read as ``id -> (version now, request now)``.

    Raises (after rolling back) when the transaction fails: nothing in the batch is committed.
    """
    # update() admitted only journals whose sink shares_audit: PostgresSinks of this database
    sinks = {id(j.sink): cast(PostgresSink, j.sink) for _, _, j in items if j is not None}
    ids = sorted({request_id for request_id, _, _ in items})
    try:
        with conn.pipeline():
            conn.execute("BEGIN")
            heads = {key: _head_cursor(conn, sink) for key, sink in sinks.items()}
            rows = conn.execute(queries["lock"], (ids,))
        fetched = rows.fetchall()
        state = {row[0]: decode(row[1], sealer) for row in fetched}
        trail = {key: _head_of(cur) for key, cur in heads.items()}
        out, changed, builds = apply_items(items, state)
        with conn.pipeline():
            if changed:
                conn.cursor().executemany(
                    queries["write"],
                    [(r.status, r.next_due, encode(r, sealer), r.id) for r in changed.values()],
                )
            for key, sink in sinks.items():
                if builds.get(key):
                    _, trail[key] = sink.append_in_transaction(conn, builds[key], trail[key])
            conn.execute("COMMIT")
    except BaseException:
        for sink in sinks.values():
            sink.note_head(None)
        if not conn.closed and conn.info.transaction_status != _IDLE:
            conn.execute("ROLLBACK")
        raise
    for key, sink in sinks.items():  # committed: the next batch can append without reading it
        sink.note_head(trail[key])
    seen = {row[0]: (row[2] + (row[0] in changed), state[row[0]]) for row in fetched}
    return out, seen


def _head_cursor(conn: psycopg.Connection[Any], sink: PostgresSink) -> Any:
    conn.execute(sink._sql_lock)
    return conn.execute(sink._sql_head)


def _head_of(cur: Any) -> tuple[int, str]:
    row = cur.fetchone()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)


def apply_items(
    items: list[Item], state: dict[str, ApprovalRequest]
) -> tuple[list[ApprovalRequest | Exception], dict[str, ApprovalRequest], dict[int, list[Builder]]]:
    """Run each change on the request as the items before it left it (pure Python, no I/O).

    Returns per item the new request or that caller's exception, the rows to write, and the
    audit builders per sink (a change whose journal raises is dropped: nothing of it is written).
    """
    out: list[ApprovalRequest | Exception] = []
    changed: dict[str, ApprovalRequest] = {}
    builds: dict[int, list[Builder]] = {}
    for request_id, change, journal in items:
        try:
            current = state.get(request_id)
            if current is None:
                raise UnknownRequestError("no approval request with this id")
            new = change(current)
            if new is not current:
                if new.id != request_id:
                    raise ApprovalError("an update cannot change the request id")
                if journal is not None:
                    builds.setdefault(id(journal.sink), []).extend(journal.events(new))
                state[request_id] = changed[request_id] = new
        except Exception as exc:  # handed back to that one caller
            out.append(exc)
            continue
        out.append(new)
    return out, changed, builds
