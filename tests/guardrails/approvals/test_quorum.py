"""Quorum counts distinct humans: the same person through two channels counts once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from guardrails import DecisionRefused
from guardrails.approvals import ApprovalService, Decision
from guardrails.identity import Principal, StaticDirectory
from guardrails.testing import AuditCapture, ScriptedApprover

from .conftest import BOB, CAROL


def test_two_distinct_humans_reach_quorum(
    service: ApprovalService, open_request: Callable[..., Any]
) -> None:
    """Quorum 2: the first approval leaves it pending, the second approves."""
    req = open_request()
    first, second = ScriptedApprover(service, [(BOB, "approve"), (CAROL, "approve")]).run(req.id)
    assert not isinstance(first, DecisionRefused)
    assert not isinstance(second, DecisionRefused)
    assert (first.status, first.approvals) == ("pending", 1)
    assert (second.status, second.approvals) == ("approved", 2)


def test_same_human_via_slack_and_teams_counts_once(
    service: ApprovalService, audit: AuditCapture, open_request: Callable[..., Any]
) -> None:
    """Bob's Slack id and Teams AAD id resolve to one principal: his second vote is refused."""
    directory = StaticDirectory(
        [BOB], identities={("slack", "U123"): "bob", ("teams", "aad-0f1e"): "bob"}
    )
    req = open_request()
    via_slack = directory.resolve("slack", "U123")
    via_teams = directory.resolve("teams", "aad-0f1e")
    service.decide(
        req.id,
        Decision(
            verdict="approve", approver=via_slack, args_digest=req.args_digest, channel="slack"
        ),
    )
    with pytest.raises(DecisionRefused) as info:
        service.decide(
            req.id,
            Decision(
                verdict="approve", approver=via_teams, args_digest=req.args_digest, channel="teams"
            ),
        )
    assert info.value.code == "duplicate_approver"
    after = service.get(req.id)
    assert (after.status, after.approvals) == ("pending", frozenset({"bob"}))
    assert audit.last("approval.refused").data["channel"] == "teams"


def test_one_person_in_two_approver_groups_counts_once(
    service: ApprovalService, open_request: Callable[..., Any]
) -> None:
    """Membership of several eligible groups does not buy extra votes (hoop.dev's bug)."""
    both = Principal(id="zoe", groups=frozenset({"finance", "oncall"}))
    req = open_request()
    results = ScriptedApprover(service, [(both, "approve"), (both, "approve")]).run(req.id)
    assert isinstance(results[1], DecisionRefused)
    assert results[1].code == "duplicate_approver"
    assert service.get(req.id).status == "pending"


def test_a_single_reject_ends_the_request(
    service: ApprovalService, open_request: Callable[..., Any]
) -> None:
    """Any authorized reviewer's reject is final, even with a quorum of 2 and one approval."""
    req = open_request()
    results = ScriptedApprover(service, [(BOB, "approve"), (CAROL, "reject", "no")]).run(req.id)
    assert [getattr(r, "status", None) for r in results] == ["pending", "rejected"]


def test_service_resolves_channel_identities_from_the_policy_file() -> None:
    """Principals listed in the policy file resolve per channel; unknown or failing lookups give
    None, which decide() refuses as unauthenticated."""
    from guardrails.identity import CallableDirectory
    from guardrails.policy import Policy

    policy = Policy.from_yaml(
        "principals:\n  - {id: bob, groups: [finance], identities: {slack: U1, teams: aad-1}}\n"
    )
    svc = ApprovalService(policy)
    assert svc.resolve("slack", "U1") == svc.resolve("teams", "aad-1") == policy.principals[0]
    assert svc.resolve("slack", "U2") is None

    def broken(channel: str, subject: str) -> Principal | None:
        raise RuntimeError("IdP down")

    assert (
        ApprovalService(policy, directory=CallableDirectory(broken)).resolve("slack", "U1") is None
    )


def test_cards_update_when_another_process_decides(tmp_path: object) -> None:
    """A decision made through another service instance (another process or replica, same store)
    reaches this process's listeners on the next tick()."""
    from pathlib import Path

    from guardrails.approvals import SQLiteApprovalStore
    from guardrails.policy import Policy, ToolCall

    db = Path(str(tmp_path)) / "shared.db"
    policy = Policy()
    slack_side = ApprovalService(policy, store=SQLiteApprovalStore(db))
    web_side = ApprovalService(policy, store=SQLiteApprovalStore(db))
    seen: list[tuple[str, str]] = []
    slack_side.subscribe(lambda e: seen.append((e.kind, e.request.status)))
    req = slack_side.gate(
        ToolCall(name="t", tags=frozenset({"privileged"})), requester=Principal(id="alice")
    ).request
    assert req is not None
    web_side.decide(req.id, Decision(verdict="approve", approver=BOB, args_digest=req.args_digest))
    slack_side.tick()
    assert seen == [("requested", "pending"), ("decided", "approved")]
    slack_side.tick()  # reported once
    assert len(seen) == 2
