"""``/api/history`` comes from shared state: two replicas on one SQLite store agree, a restart keeps it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from guardrails.approvals import ApprovalService, SQLiteApprovalStore
from guardrails.audit import AuditLog
from guardrails.policy import Policy
from integrations.http import InboxChannel, create_app
from tests.integrations.http.conftest import open_request
from tests.support.channel_fixtures import EMAIL


class Replica:
    """One app process's worth of objects over the shared files (its own service, store, trail)."""

    def __init__(self, tmp: Path, policy: Policy, verifier: Any) -> None:
        self.store = SQLiteApprovalStore(tmp / "approvals.db")
        self.audit = AuditLog(tmp / "audit.db")
        self.service = ApprovalService(policy, store=self.store, audit=self.audit)
        self.client = TestClient(create_app(self.service, verifier=verifier))

    def close(self) -> None:
        self.client.close()
        self.store.close()
        self.audit.close()


def _decide(client: TestClient, rid: str, headers: dict[str, str], verdict: str, why: str) -> None:
    card = client.get(f"/api/requests/{rid}", headers=headers).json()
    body = {"verdict": verdict, "reason": why, "args_digest": card["args_digest"]}
    r = client.post(f"/api/requests/{rid}/decision", json=body, headers=headers)
    assert r.status_code == 200, r.text


def test_a_decision_on_one_replica_is_in_the_other_replicas_history(
    tmp_path: Path, policy: Policy, verifier: Any, as_user: Callable[[str], dict[str, str]]
) -> None:
    """Bob rejects via replica A; replica B's history shows it (from the shared trail and store)."""
    a, b = Replica(tmp_path, policy, verifier), Replica(tmp_path, policy, verifier)
    try:
        bob = as_user("sub-bob")
        assert b.client.get("/api/history", headers=bob).json() == {
            "requests": [],
            "source": "audit",
        }
        rid = open_request(a.service)
        _decide(a.client, rid, bob, "reject", "not this one")
        seen = b.client.get("/api/history", headers=as_user("sub-carol")).json()
        assert seen["source"] == "audit"
        [card] = seen["requests"]
        assert (card["request_id"], card["status"], card["decision_reason"]) == (
            rid,
            "rejected",
            "not this one",
        )
        assert card["decided_by"] == ["bob"]
    finally:
        a.close()
        b.close()


def test_history_survives_a_restart_newest_first(
    tmp_path: Path, policy: Policy, verifier: Any, as_user: Callable[[str], dict[str, str]]
) -> None:
    """Decisions made before a restart are in the new process's history, newest first."""
    first = Replica(tmp_path, policy, verifier)
    bob = as_user("sub-bob")
    try:
        old = open_request(first.service)
        _decide(first.client, old, bob, "reject", "first")
        assert [
            c["request_id"]
            for c in first.client.get("/api/history", headers=bob).json()["requests"]
        ] == [old]
        new = open_request(first.service)
        _decide(first.client, new, bob, "approve", "second")
    finally:
        first.close()
    again = Replica(tmp_path, policy, verifier)  # the restart: nothing shared but the files
    try:
        rows = again.client.get("/api/history", headers=bob).json()["requests"]
        assert [(c["request_id"], c["status"]) for c in rows] == [
            (new, "approved"),
            (old, "rejected"),
        ]
        # incremental: one more decision after the index was built comes first
        third = open_request(again.service)
        _decide(again.client, third, bob, "reject", "third")
        rows = again.client.get("/api/history?limit=2", headers=bob).json()["requests"]
        assert [c["request_id"] for c in rows] == [third, new]
    finally:
        again.close()


def test_history_holds_masked_args_only(
    tmp_path: Path, policy: Policy, verifier: Any, as_user: Callable[[str], dict[str, str]]
) -> None:
    """The raw e-mail in the call's arguments is in no history response, only its placeholder."""
    replica = Replica(tmp_path, policy, verifier)
    try:
        rid = open_request(replica.service)
        _decide(replica.client, rid, as_user("sub-bob"), "reject", "no")
        text = replica.client.get("/api/history", headers=as_user("sub-carol")).text
        assert rid in text
        assert "<EMAIL_ADDRESS_1>" in text
        assert EMAIL not in text
    finally:
        replica.close()


def test_open_requests_are_not_history(
    tmp_path: Path, policy: Policy, verifier: Any, as_user: Callable[[str], dict[str, str]]
) -> None:
    """A pending request (its trail has only approval.requested) is not listed."""
    replica = Replica(tmp_path, policy, verifier)
    try:
        open_request(replica.service)
        assert (
            replica.client.get("/api/history", headers=as_user("sub-bob")).json()["requests"] == []
        )
    finally:
        replica.close()


def test_without_an_audit_trail_history_is_this_process_re_read_from_the_store(
    policy: Policy, verifier: Any, as_user: Callable[[str], dict[str, str]]
) -> None:
    """No audit log: the cards this process saw close, marked source 'process'."""
    service = ApprovalService(policy)
    with TestClient(create_app(service, verifier=verifier)) as client:
        rid = open_request(service)
        _decide(client, rid, as_user("sub-bob"), "reject", "no")
        seen = client.get("/api/history", headers=as_user("sub-bob")).json()
    assert seen["source"] == "process"
    assert [c["request_id"] for c in seen["requests"]] == [rid]


def test_an_id_the_store_does_not_hold_is_not_shown(
    policy: Policy, verifier: Any, as_user: Callable[[str], dict[str, str]]
) -> None:
    """An event naming an id the store does not hold adds nothing to the history."""
    from guardrails.testing import capture_audit

    audit = capture_audit()
    service = ApprovalService(policy, audit=audit)
    audit.record("approval.decided", request_id="apr_not_in_this_store")
    with TestClient(create_app(service, verifier=verifier, inbox=InboxChannel())) as client:
        seen = client.get("/api/history", headers=as_user("sub-bob")).json()
    assert seen == {"requests": [], "source": "audit"}
