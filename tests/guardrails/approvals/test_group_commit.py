"""SQLite group commit: concurrent updates share a commit but keep their order, errors and durability."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from guardrails.approvals import ApprovalRequest, SQLiteApprovalStore
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


def test_concurrent_updates_of_one_request_lose_nothing(tmp_path: Path) -> None:
    """Each update sees the previous one's write, even inside one shared transaction."""
    store = SQLiteApprovalStore(tmp_path / "a.db")
    store.create(_request(1))
    _run_together(lambda i: store.update("apr_00001", lambda r: r.evolve(reason=r.reason + "x")))
    got = store.get("apr_00001")
    assert got is not None
    assert got.reason == "r" + "x" * THREADS


def test_only_one_concurrent_decision_wins(tmp_path: Path) -> None:
    """Compare-and-set inside a batch: exactly one of the racing changes sees 'pending'."""
    store = SQLiteApprovalStore(tmp_path / "a.db")
    store.create(_request(1))

    def decide(r: ApprovalRequest) -> ApprovalRequest:
        if r.status != "pending":
            raise ValueError("not pending")
        return r.evolve(status="approved")

    results = _run_together(lambda i: store.update("apr_00001", decide))
    assert sum(isinstance(r, ApprovalRequest) for r in results) == 1
    assert sum(isinstance(r, ValueError) for r in results) == THREADS - 1


def test_a_failing_change_fails_only_its_caller(tmp_path: Path) -> None:
    """One change raising in a batch leaves the other requests' updates committed."""
    store = SQLiteApprovalStore(tmp_path / "a.db")
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


def test_each_update_is_committed_when_it_returns(tmp_path: Path) -> None:
    """A second connection sees every concurrent update right after its call returns."""
    path = tmp_path / "a.db"
    store = SQLiteApprovalStore(path)
    for i in range(THREADS):
        store.create(_request(i))

    def change(i: int) -> str:
        store.update(f"apr_{i:05d}", lambda r: r.evolve(status="rejected"))
        with sqlite3.connect(path) as other:
            row = other.execute(
                "SELECT status FROM guardrails_approvals WHERE id = ?", (f"apr_{i:05d}",)
            ).fetchone()
        return str(row[0])

    assert _run_together(change) == ["rejected"] * THREADS


def test_unknown_id_in_a_batch_is_that_callers_error(tmp_path: Path) -> None:
    """An unknown id raises UnknownRequestError for its caller only."""
    from guardrails import UnknownRequestError

    store = SQLiteApprovalStore(tmp_path / "a.db")
    store.create(_request(0))
    results = _run_together(
        lambda i: store.update("apr_00000" if i else "apr_nope", lambda r: r), n=4
    )
    assert isinstance(results[0], UnknownRequestError)
    assert all(isinstance(r, ApprovalRequest) for r in results[1:])
