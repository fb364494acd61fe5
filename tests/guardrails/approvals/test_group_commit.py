"""Concurrent updates (group-committed on SQLite) keep their order, errors and durability."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from guardrails.approvals import ApprovalRequest, ApprovalStore
from tests.guardrails.approvals.conftest import make_store
from tests.guardrails.approvals.test_stores import _request

THREADS = 16


def _run_together(fn: object, n: int = THREADS) -> list[object]:
    barrier = threading.Barrier(n)

    def call(i: int) -> object:
        barrier.wait()
        try:
            return fn(i)  # type: ignore[operator]
        except Exception as exc:  # the test inspects it
            return exc

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(call, range(n)))


def test_concurrent_updates_of_one_request_lose_nothing(store: ApprovalStore) -> None:
    """Each update sees the previous one's write, even inside one shared transaction."""
    store.create(_request(1))
    _run_together(lambda i: store.update("apr_00001", lambda r: r.evolve(reason=r.reason + "x")))
    got = store.get("apr_00001")
    assert got is not None
    assert got.reason == "r" + "x" * THREADS


def test_only_one_concurrent_decision_wins(store: ApprovalStore) -> None:
    """Compare-and-set inside a batch: exactly one of the racing changes sees 'pending'."""
    store.create(_request(1))

    def decide(r: ApprovalRequest) -> ApprovalRequest:
        if r.status != "pending":
            raise ValueError("not pending")
        return r.evolve(status="approved")

    results = _run_together(lambda i: store.update("apr_00001", decide))
    assert sum(isinstance(r, ApprovalRequest) for r in results) == 1
    assert sum(isinstance(r, ValueError) for r in results) == THREADS - 1


def test_a_failing_change_fails_only_its_caller(store: ApprovalStore) -> None:
    """One change raising in a batch leaves the other requests' updates committed."""
    for i in range(THREADS):
        store.create(_request(i))

    def change(i: int) -> ApprovalRequest:
        def apply(r: ApprovalRequest) -> ApprovalRequest:
            if i == 3:
                raise KeyError("boom")
            return r.evolve(status="rejected")

        return store.update(f"apr_{i:05d}", apply)

    results = _run_together(change)
    assert isinstance(results[3], KeyError)
    statuses = {i: store.get(f"apr_{i:05d}").status for i in range(THREADS)}  # type: ignore[union-attr]
    assert statuses[3] == "pending"
    assert all(s == "rejected" for i, s in statuses.items() if i != 3)


@pytest.mark.parametrize(
    "kind",
    [
        "sqlite",  # a second sqlite3 connection to the same file
        pytest.param("postgres", marks=pytest.mark.postgres),  # a second PostgreSQL session
    ],
)
def test_each_update_is_committed_when_it_returns(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A second store (own connections) sees every concurrent update right after its call returns."""
    schema = request.getfixturevalue("pg_schema") if kind == "postgres" else None
    store, other = make_store(kind, tmp_path, schema), make_store(kind, tmp_path, schema)
    for i in range(THREADS):
        store.create(_request(i))

    def change(i: int) -> str:
        store.update(f"apr_{i:05d}", lambda r: r.evolve(status="rejected"))
        seen = other.get(f"apr_{i:05d}")
        return seen.status if seen else "missing"

    try:
        assert _run_together(change) == ["rejected"] * THREADS
    finally:
        store.close()  # type: ignore[attr-defined]
        other.close()  # type: ignore[attr-defined]


def test_unknown_id_in_a_batch_is_that_callers_error(store: ApprovalStore) -> None:
    """An unknown id raises UnknownRequestError for its caller only."""
    from guardrails import UnknownRequestError

    store.create(_request(0))
    results = _run_together(
        lambda i: store.update("apr_00000" if i else "apr_nope", lambda r: r), n=4
    )
    assert isinstance(results[0], UnknownRequestError)
    assert all(isinstance(r, ApprovalRequest) for r in results[1:])
