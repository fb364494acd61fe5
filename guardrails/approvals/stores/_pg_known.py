"""The PostgreSQL store's one-round-trip batch: decisions and their audit events in one statement.

When this process knows the version of every row a batch touches (it created, read or last wrote
them: ``VersionCache``) and the head of every audit trail the batch appends to (the sink's
:meth:`~guardrails.audit.PostgresSink.known_head`), the changes and the audit records are
computed here first and sent as *one* multi-statement query - an implicit transaction that commits
when its last statement succeeds and commits nothing when any fails:

1. ``pg_advisory_xact_lock`` of each trail (the same lock, taken first, as every other writer);
2. per row, in id order, ``guardrails_approvals_expect(id, version, …)``: the compare-and-set of
   the new request on the known version, or for a row no item changed, the check that the
   version is still the known one (the refusals computed on it stand). A mismatch raises
   ``serialization_failure``;
3. the audit records, numbered after the known head. A stale head meets the primary key of the
   record already there (seqs have no gaps) and raises ``unique_violation``.

Either error means another writer got there first: nothing was written, and the store runs the
locked two-round-trip batch (``_pg_batch``) on fresh rows instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from guardrails.approvals._codec import encode
from guardrails.approvals._models import ApprovalRequest
from guardrails.approvals._sealing import LazySealer
from guardrails.approvals.stores._cache import VersionCache
from guardrails.approvals.stores._pg_batch import Item, apply_items
from guardrails.audit import PostgresSink

if TYPE_CHECKING:
    import psycopg

__all__ = ["STALE", "write_known"]

# serialization_failure (our version check), unique_violation (a trail head moved on)
STALE = frozenset({"40001", "23505"})

Result = tuple[list[ApprovalRequest | Exception], dict[str, tuple[int, ApprovalRequest]]]


def write_known(
    conn: psycopg.Connection[Any],
    queries: dict[str, str],
    items: list[Item],
    sealer: LazySealer,
    versions: VersionCache,
) -> Result | None:
    """Apply ``items`` in one round trip on what this process knows; ``None`` when it does not
    know enough (nothing sent). Returns like ``_pg_batch.write_batch``.

    Raises ``psycopg.Error`` when the statement fails: nothing is committed (``sqlstate`` in
    :data:`STALE` when another writer moved a row or a trail on first).
    """
    base: dict[str, tuple[int, ApprovalRequest]] = {}
    for request_id, _, _ in items:
        if request_id not in base:
            known = versions.get(request_id)
            if known is None:
                return None
            base[request_id] = known
    # update() admitted only journals whose sink shares_audit: PostgresSinks of this database
    sinks = {id(j.sink): cast(PostgresSink, j.sink) for _, _, j in items if j is not None}
    heads: dict[int, tuple[int, str]] = {}
    for key, sink in sinks.items():
        head = sink.known_head()
        if head is None:
            return None
        heads[key] = head
    state = {request_id: request for request_id, (_, request) in base.items()}
    out, changed, builds = apply_items(items, state)
    records: dict[int, list[tuple[int, str, str]]] = {}
    for key, sink_builds in builds.items():
        if not sink_builds:
            continue
        seq, prev = heads[key]
        rows = records[key] = []
        for build in sink_builds:
            try:
                body, digest = build(seq + 1, prev)
            except Exception:  # builders do not raise; if one does, the locked path decides
                return None
            seq, prev = seq + 1, digest
            rows.append((seq, body, digest))
    one = _lone(base, records, sinks)
    if one is not None:
        request_id, append = one
        version = base[request_id][0]
        _commit_one(
            conn,
            queries["expect_one"],
            request_id=request_id,
            version=version,
            new=changed.get(request_id),
            append=append,
            sealer=sealer,
        )
    else:  # several rows or records (concurrent deciders): one multi-statement query
        _multi(
            conn,
            queries["expect"],
            base=base,
            changed=changed,
            records=records,
            sinks=sinks,
            sealer=sealer,
        )
    for key, rows in records.items():
        sinks[key].note_head((rows[-1][0], rows[-1][2]))
    seen = {
        request_id: (version + (request_id in changed), state[request_id])
        for request_id, (version, _) in base.items()
    }
    return out, seen


def _lone(
    base: dict[str, tuple[int, ApprovalRequest]],
    records: dict[int, list[tuple[int, str, str]]],
    sinks: dict[int, PostgresSink],
) -> tuple[str, tuple[str, tuple[int, str, str]] | None] | None:
    """``(request id, (append call, record) or None)`` when the batch is one row and at most one
    record on a trail with an append function; otherwise ``None``."""
    if len(base) != 1 or len(records) > 1:
        return None
    (request_id,) = base
    if not records:
        return request_id, None
    ((key, rows),) = records.items()
    call = sinks[key].trail_append()
    if len(rows) != 1 or call is None:
        return None
    return request_id, (call, rows[0])


def _commit_one(
    conn: psycopg.Connection[Any],
    expect: str,
    *,
    request_id: str,
    version: int,
    new: ApprovalRequest | None,
    append: tuple[str, tuple[int, str, str]] | None,
    sealer: LazySealer,
) -> None:
    """A lone decider's batch, one row and at most one record ``append`` (the trail's append
    call and the record), as one prepared statement: ``SELECT expect(…) FROM append(…)``. The
    function in ``FROM`` runs first (trail lock, then insert) and the row's compare-and-set
    after it, the lock order of every writer; ~50 us less than the multi-statement text (no
    parse or plan on the server, no quoting of the ~2 KB row on the client)."""
    params: tuple[Any, ...] = (
        request_id,
        version,
        None if new is None else new.status,
        None if new is None else new.next_due,
        None if new is None else encode(new, sealer),
    )
    if append is None:
        conn.execute(expect, params, prepare=True)
    else:
        conn.execute(f"{expect} FROM {append[0]}", params + append[1], prepare=True)


def _multi(
    conn: psycopg.Connection[Any],
    expect: str,
    *,
    base: dict[str, tuple[int, ApprovalRequest]],
    changed: dict[str, ApprovalRequest],
    records: dict[int, list[tuple[int, str, str]]],
    sinks: dict[int, PostgresSink],
    sealer: LazySealer,
) -> None:
    """The batch as one multi-statement query (an implicit transaction), for several trails."""
    from psycopg import ClientCursor, sql

    parts: list[Any] = []
    params: list[Any] = []
    # Lock order as in the locked batch: the trails' locks, then the rows in id order.
    for key in sorted(records):
        parts.append(sql.SQL(sinks[key].lock_sql()))  # our statement: no outside input
    for request_id in sorted(base):
        version = base[request_id][0]
        new = changed.get(request_id)
        parts.append(sql.SQL(expect))
        if new is None:
            params += (request_id, version, None, None, None)
        else:
            params += (request_id, version, new.status, new.next_due, encode(new, sealer))
    for key, rows in records.items():
        parts.append(sql.SQL(sinks[key].insert_sql(len(rows))))
        for row in rows:
            params += row
    ClientCursor(conn).execute(sql.SQL("; ").join(parts), params)  # one implicit transaction
