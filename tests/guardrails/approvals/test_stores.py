"""Every store keeps the same contract: create/get/update/pending, atomic update, no partial writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from guardrails import ApprovalError, UnknownRequestError
from guardrails.approvals import ApprovalRequest, ApprovalStore
from guardrails.identity import Principal
from guardrails.policy import ApproverSet

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)


def _request(i: int, *, minutes: int = 10) -> ApprovalRequest:
    return ApprovalRequest(
        id=f"apr_{i:05d}",
        tool_call_id=f"call_{i}",
        tool_name="wire",
        requester=Principal(id="alice"),
        args_digest="sha256:" + "0" * 64,
        masked_args={"to": "<EMAIL_ADDRESS_1>"},
        rule="wire",
        reason="r",
        why="w",
        policy_hash="sha256:" + "f" * 64,
        created_at=T0 + timedelta(seconds=i),
        expires_at=T0 + timedelta(seconds=i, minutes=minutes),
        quorum=1,
        approvers=ApproverSet(groups=frozenset({"finance"})),
    )


def test_round_trip(store: ApprovalStore) -> None:
    """What goes in comes back equal."""
    req = _request(1)
    store.create(req)
    assert store.get(req.id) == req
    assert store.get("apr_missing") is None


def test_duplicate_id_is_refused(store: ApprovalStore) -> None:
    """Creating the same id twice is an ApprovalError."""
    store.create(_request(1))
    with pytest.raises(ApprovalError):
        store.create(_request(1))


def test_update_replaces_atomically(store: ApprovalStore) -> None:
    """update() stores change(current) and returns it."""
    store.create(_request(1))
    new = store.update("apr_00001", lambda r: r.evolve(status="rejected"))
    assert new.status == "rejected"
    assert store.get("apr_00001") == new


def test_failed_change_writes_nothing(store: ApprovalStore) -> None:
    """An exception inside change() rolls back and propagates."""
    store.create(_request(1))

    def boom(r: ApprovalRequest) -> ApprovalRequest:
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        store.update("apr_00001", boom)
    assert store.get("apr_00001") == _request(1)


def test_update_of_unknown_id(store: ApprovalStore) -> None:
    """Updating a missing request raises UnknownRequestError."""
    with pytest.raises(UnknownRequestError):
        store.update("apr_missing", lambda r: r)


def test_pending_lists_oldest_first_and_filters_due(store: ApprovalStore) -> None:
    """pending() is oldest-first, skips decided requests and honours due_before."""
    for i, minutes in [(1, 10), (2, 1), (3, 10)]:
        store.create(_request(i, minutes=minutes))
    store.update("apr_00003", lambda r: r.evolve(status="approved"))
    assert [r.id for r in store.pending()] == ["apr_00001", "apr_00002"]
    assert [r.id for r in store.pending(limit=1)] == ["apr_00001"]
    due = store.pending(due_before=T0 + timedelta(minutes=2))
    assert [r.id for r in due] == ["apr_00002"]


def test_get_many_returns_existing_ids_only(store: ApprovalStore) -> None:
    """get_many() reads a batch; unknown ids are simply absent."""
    for i in range(3):
        store.create(_request(i))
    found = store.get_many(["apr_00000", "apr_00002", "apr_missing"])
    assert sorted(found) == ["apr_00000", "apr_00002"]
    assert found["apr_00002"] == _request(2)


def _same_second(i: int) -> ApprovalRequest:
    """Requests created at one instant (a burst): only the id orders them."""
    return _request(i).evolve(created_at=T0, expires_at=T0 + timedelta(minutes=10))


def test_pending_pages_with_after_never_repeat_nor_skip(store: ApprovalStore) -> None:
    """Keyset paging: every pending request exactly once, in order, ties on created_at broken by
    id, and a request decided between two pages simply drops out of the later ones."""
    for i in range(1, 26):
        store.create(_request(i) if i % 3 else _same_second(i))
    store.update("apr_00005", lambda r: r.evolve(status="rejected"))
    expected = [r.id for r in store.pending(limit=100)]
    assert len(expected) == 24
    seen: list[str] = []
    after = None
    while True:
        page = store.pending(limit=7) if after is None else store.pending(limit=7, after=after)
        seen.extend(r.id for r in page)
        if len(page) < 7:
            break
        after = (page[-1].created_at, page[-1].id)
        if len(seen) == 14:  # decided while the reviewer pages: gone from what follows
            store.update(expected[20], lambda r: r.evolve(status="approved"))
    assert seen == [i for i in expected if i != expected[20]]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"after": (T0, "apr_1"), "due_before": T0}, "not with 'due_before'"),
        ({"after": ("2026-01-01", "apr_1")}, "aware datetime"),
        ({"after": (datetime(2026, 1, 1), "apr_1")}, "aware datetime"),
        ({"after": (T0, 7)}, "aware datetime"),
        ({"after": [T0, "apr_1"]}, "aware datetime"),
    ],
)
def test_pending_refuses_a_bad_page_key(
    store: ApprovalStore, kwargs: dict[str, object], message: str
) -> None:
    """A malformed ``after`` is an InputError naming the rule, and reads nothing."""
    from guardrails import InputError

    store.create(_request(1))
    with pytest.raises(InputError, match=message):
        store.pending(**kwargs)  # type: ignore[arg-type]
