"""Red team: a permit travels through untrusted hands (a resume payload kept in the checkpoint, a
browser), and its payload is only base64: the reviewer's free-text reason inside it is masked
before signing, as the service masks every stored reason."""

from __future__ import annotations

import base64
import json

import pytest

from guardrails.approvals import ApprovalService, Decision
from guardrails.identity import Principal
from guardrails.policy import Policy, ToolCall
from guardrails.testing import FixedClock

KEY = b"permit-key-for-tests-32-bytes-ok"
POLICY = """
name: permits
approval:
  approvers: {groups: [finance]}
  expires_in: 10m
rules:
  - name: email
    tools: [send_email]
    effect: require_approval
"""
EMAIL = "jane.roe@example.com"
BOB = Principal(id="bob", groups=frozenset({"finance"}))


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


@pytest.fixture
def service() -> ApprovalService:
    return ApprovalService(
        Policy.from_yaml(POLICY, source="p.yaml"), clock=FixedClock(), permit_key=KEY
    )


def test_a_permit_carries_the_masked_reason(service: ApprovalService) -> None:
    """The e-mail a reviewer typed as the reason is not in the permit's payload."""
    req = service.gate(
        ToolCall(name="send_email", args={}), requester=Principal(id="alice")
    ).request
    assert req is not None
    token = service.issue_permit(
        req.id,
        Decision(
            verdict="reject",
            approver=BOB,
            args_digest=req.args_digest,
            reason=f"customer {EMAIL} asked us to stop",
        ),
    )
    assert EMAIL not in token
    assert EMAIL not in json.dumps(_claims(token))
    assert "<EMAIL_ADDRESS" in str(_claims(token)["rsn"])
    outcome = service.decide_permit(req.id, token)  # still verifies and decides
    assert outcome.status == "rejected"
    assert EMAIL not in outcome.request.votes[-1].reason


def test_a_permit_without_a_reason_is_unchanged(service: ApprovalService) -> None:
    """No reason, nothing to mask: the permit approves as before."""
    req = service.gate(
        ToolCall(name="send_email", args={}), requester=Principal(id="alice")
    ).request
    assert req is not None
    token = service.issue_permit(
        req.id, Decision(verdict="approve", approver=BOB, args_digest=req.args_digest)
    )
    assert _claims(token)["rsn"] == ""
    assert service.decide_permit(req.id, token).status == "approved"
