"""Decisions from other channels reach an OpenAI function call: signed permits, and a decision
recorded directly on the shared ApprovalService (as the Slack/Teams/HTTP handlers do)."""

from __future__ import annotations

import json

import pytest

from guardrails import ApprovalRequired, DecisionRefused, SessionStore
from guardrails.approvals import ApprovalService, Decision
from guardrails.audit import AuditLog
from guardrails.guard import Answer, ToolInfo
from guardrails.identity import Principal
from guardrails.policy import Policy
from integrations.openai import OpenAIGuard

WIRE = ToolInfo(name="wire_money", tags=frozenset({"privileged"}))
CALL = {
    "type": "function_call",
    "call_id": "call_9",
    "name": "wire_money",
    "arguments": json.dumps({"amount": 5000}),
}


@pytest.fixture
def setup(redactor):
    policy = Policy.default_policy()
    audit = AuditLog()
    service = ApprovalService(policy, audit=audit, permit_key=b"k" * 32)
    guard = OpenAIGuard(
        store=SessionStore(redactor),
        conversation_id="c1",
        policy=policy,
        approvals=service,
        audit=audit,
    )
    return guard, service, audit


def _pending(guard: OpenAIGuard):
    with pytest.raises(ApprovalRequired) as err:
        guard.call_tool(CALL, lambda **a: "wired", tool=WIRE, requester="alice")
    return err.value.request


def test_signed_permit_runs_the_call(setup) -> None:
    """A permit signed by the server key for this request and digest lets the call run once."""
    guard, service, audit = setup
    request = _pending(guard)
    token = service.issue_permit(
        request.id,
        Decision(verdict="approve", approver=Principal(id="bob"), args_digest=request.args_digest),
    )
    out = guard.call_tool(
        CALL,
        lambda **a: "wired",
        tool=WIRE,
        requester="alice",
        answer=Answer(verdict="approve", permit=token),
    )
    assert out == "wired"
    assert audit.verify().ok


def test_permit_from_another_key_refused(setup) -> None:
    """A permit signed with another key is refused and nothing runs."""
    guard, service, _ = setup
    request = _pending(guard)
    other = ApprovalService(service.policy, store=service.store, permit_key=b"x" * 32)
    token = other.issue_permit(
        request.id,
        Decision(verdict="approve", approver=Principal(id="bob"), args_digest=request.args_digest),
    )
    ran = []
    with pytest.raises(DecisionRefused):
        guard.call_tool(
            CALL,
            lambda **a: ran.append(a),
            tool=WIRE,
            requester="alice",
            answer=Answer(verdict="approve", permit=token),
        )
    assert ran == []


def test_decision_recorded_by_another_channel(setup) -> None:
    """A decision a channel recorded on the shared service is found; the call runs without an answer."""
    guard, service, _ = setup
    request = _pending(guard)
    service.decide(
        request.id,
        Decision(
            verdict="approve",
            approver=Principal(id="bob"),
            args_digest=request.args_digest,
            channel="slack",
        ),
    )
    assert guard.call_tool(CALL, lambda **a: "wired", tool=WIRE, requester="alice") == "wired"
