"""Red team: an edit made in another channel that switches the tool (the service allows it for
tools it knows, under that tool's policy) must not run the *original* tool with the edited
arguments. The adapters run the tool they were handed, so the guard refuses the call instead."""

from __future__ import annotations

import pytest

from guardrails import DecisionRefused
from guardrails._clock import FixedClock
from guardrails.approvals import ApprovalService
from guardrails.audit import AuditLog
from guardrails.channels import submit_decision
from guardrails.guard import CallContext, ToolGuard, ToolInfo
from guardrails.identity import Principal
from guardrails.policy import Policy, ToolCall

POLICY = """
name: edit-switch
default: allow
approval:
  expires_in: 10m
rules:
  - name: wire
    tools: [wire]
    effect: require_approval
    approval: {quorum: 2}
"""

WIRE = ToolInfo(name="wire")


def _guard() -> tuple[ToolGuard, ApprovalService]:
    clock = FixedClock()
    policy = Policy.from_yaml(POLICY, source="edit-switch.yaml")
    service = ApprovalService(policy, clock=clock, tools={"lookup": ToolCall(name="lookup")})
    return ToolGuard(
        policy=policy, approvals=service, audit=AuditLog(clock=clock), clock=clock
    ), service


def test_an_edit_to_another_tool_does_not_run_the_original_tool() -> None:
    """bob edits wire(amount=5) into lookup(amount=900000) in the inbox: wire never runs."""
    guard, service = _guard()
    ctx = CallContext(thread_id="t1", requester="alice", approver="alice", scope="m1")
    ruling = guard.rule("c1", {"amount": 5}, WIRE, ctx)
    assert ruling.outcome == "approval"
    guard.open(ruling, ctx)
    out = submit_decision(
        service,
        ruling.request_id,
        channel="http",
        approver=Principal(id="bob"),
        verdict="edit",
        edited_tool="lookup",
        edited_args={"amount": 900000},
    )
    assert out.status == "approved"  # lookup is allowed: one reviewer sufficed
    resolution = guard.decided(ruling, ctx)
    assert resolution is not None
    # wire (quorum 2) with the edited amount would run on one reviewer's word
    assert resolution.verdict == "reject"
    assert "lookup" in resolution.message


def test_authorize_refuses_to_run_a_tool_the_edit_switched_away_from() -> None:
    """The single-use consume point checks it too: wire cannot consume lookup's approval."""
    guard, service = _guard()
    ctx = CallContext(thread_id="t1", requester="alice", approver="alice", scope="m1")
    ruling = guard.rule("c1", {"amount": 5}, WIRE, ctx)
    guard.open(ruling, ctx)
    submit_decision(
        service,
        ruling.request_id,
        channel="http",
        approver=Principal(id="bob"),
        verdict="edit",
        edited_tool="lookup",
        edited_args={"amount": 900000},
    )
    ran: list[int] = []
    with pytest.raises(DecisionRefused):
        guard.execute(
            ruling,
            ctx,
            lambda a: ran.append(1),
            args={"amount": 900000},
            approval=(ruling.request_id, ruling.digest),
        )
    assert ran == []
    assert service.get(ruling.request_id).status == "approved"  # not consumed


def test_an_edit_of_the_same_tool_still_runs_edited() -> None:
    """The usual edit (same tool) is unchanged: the guard hands back the edited arguments."""
    guard, service = _guard()
    ctx = CallContext(thread_id="t1", requester="alice", approver="alice", scope="m1")
    ruling = guard.rule("c1", {"amount": 5}, WIRE, ctx)
    guard.open(ruling, ctx)
    for who in ("bob", "carol"):
        submit_decision(
            service,
            ruling.request_id,
            channel="http",
            approver=Principal(id=who),
            verdict="approve",
        )
    resolution = guard.decided(ruling, ctx)
    assert resolution is not None
    assert resolution.verdict == "approve"
