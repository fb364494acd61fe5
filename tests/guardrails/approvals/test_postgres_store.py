"""PostgreSQL store specifics: one-round-trip updates from known versions stay correct, a pool of
connections (not one per thread) serves threads that come and go."""

from __future__ import annotations

import threading

import pytest

from guardrails.approvals import ApprovalRequest
from tests.guardrails.approvals.conftest import PG_DSN
from tests.guardrails.approvals.test_stores import _request

pytestmark = pytest.mark.postgres


def _stores(schema: str, n: int = 2) -> list[object]:
    from guardrails.approvals.stores import PostgresApprovalStore

    return [PostgresApprovalStore(PG_DSN, schema=schema) for _ in range(n)]


def test_an_outdated_known_version_never_overwrites(pg_schema: str) -> None:
    """A replica's cached copy is stale after another replica wrote: the change reruns on the
    fresh row, so neither write is lost."""
    a, b = _stores(pg_schema)
    a.create(_request(1))  # type: ignore[attr-defined]
    b.update("apr_00001", lambda r: r.evolve(reason=r.reason + "b"))  # type: ignore[attr-defined]
    seen: list[str] = []

    def change(r: ApprovalRequest) -> ApprovalRequest:
        seen.append(r.reason)
        return r.evolve(reason=r.reason + "a")

    got = a.update("apr_00001", change)  # type: ignore[attr-defined]
    assert got.reason == "rba"
    assert seen == ["r", "rb"]  # first on the cached copy (refused by the version), then fresh
    assert b.get("apr_00001").reason == "rba"  # type: ignore[attr-defined]
    for s in (a, b):
        s.close()  # type: ignore[attr-defined]


def test_a_refusal_on_a_cached_copy_is_rechecked_on_the_row(pg_schema: str) -> None:
    """A change that raises on what may be an old copy is run again on the current row."""
    a, b = _stores(pg_schema)
    a.create(_request(1))  # type: ignore[attr-defined]
    b.update("apr_00001", lambda r: r.evolve(status="approved"))  # type: ignore[attr-defined]

    def consume(r: ApprovalRequest) -> ApprovalRequest:
        if r.status != "approved":
            raise ValueError("not approved")
        return r.evolve(status="consumed")

    assert a.update("apr_00001", consume).status == "consumed"  # type: ignore[attr-defined]
    for s in (a, b):
        s.close()  # type: ignore[attr-defined]


def test_threads_that_come_and_go_reuse_pooled_connections(pg_schema: str) -> None:
    """Forty short-lived threads leave at most max_connections connections open."""
    import psycopg

    from guardrails.approvals.stores import PostgresApprovalStore

    store = PostgresApprovalStore(PG_DSN, schema=pg_schema, max_connections=3)
    for i in range(40):
        store.create(_request(i))

    def touch(i: int) -> None:
        store.update(f"apr_{i:05d}", lambda r: r.evolve(reason="x"))

    for i in range(40):
        t = threading.Thread(target=touch, args=(i,))
        t.start()
        t.join()
    with psycopg.connect(PG_DSN) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
            " AND datname = current_database() AND application_name = ''"
            " AND query LIKE %s",
            (f"%{pg_schema}%",),
        ).fetchone()
    assert row is not None
    assert row[0] <= 3
    store.close()
