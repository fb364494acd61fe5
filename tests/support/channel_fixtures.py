"""What the HTTP, Slack and Teams channel tests share: one policy shape and one pending request.

Each channel links the same five people (alice the requester, bob and carol finance reviewers,
dave in sales, an agent) through its own identity kind; :func:`channel_policy` writes that policy.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from guardrails.approvals import ApprovalRequest, ApprovalService
from guardrails.policy import ToolCall
from guardrails.testing import AuditCapture, capture_audit

EMAIL = "jane.doe@example.com"
MASKED = {"to": "<EMAIL_ADDRESS_1>", "amount": 250}

_PEOPLE = (
    ("alice", "name: Alice Requester, groups: [finance]"),
    ("bob", "name: Bob Reviewer, groups: [finance]"),
    ("carol", "name: Carol Reviewer, groups: [finance]"),
    ("dave", "name: Dave Sales, groups: [sales]"),
    ("agent-1", "kind: agent, groups: [finance]"),
)


def channel_policy(
    name: str, identities: Mapping[str, str], *, tools: str = "", extra_principals: str = ""
) -> str:
    """The channel tests' policy: refunds need one finance reviewer, wires two.

    ``identities`` maps each of alice, bob, carol, dave and agent-1 to its YAML flow mapping
    (``"{slack: [UBOB]}"``); ``tools`` and ``extra_principals`` are YAML lines added verbatim.
    """
    people = "\n".join(
        f"  - {{id: {pid}, {attrs}, identities: {identities[pid]}}}" for pid, attrs in _PEOPLE
    )
    return f"""
name: {name}
approval:
  approvers: {{groups: [finance]}}
  expires_in: 10m
{tools}
rules:
  - name: refunds
    tools: [refund]
    effect: require_approval
    reason: refunds need a finance reviewer
  - name: wires
    tools: [wire]
    effect: require_approval
    reason: wires need two finance reviewers
    approval: {{quorum: 2}}
principals:
{people}
{extra_principals}
"""


def open_request(service: ApprovalService, tool: str = "refund") -> ApprovalRequest:
    """A pending request made for alice with masked args (the raw e-mail only in the digest)."""
    call = ToolCall(name=tool, args={"to": EMAIL, "amount": 250}, id="call_1")
    request = service.gate(
        call, requester=service.resolve("principal", "alice"), masked_args=MASKED
    ).request
    assert request is not None
    return request


@pytest.fixture
def audit() -> AuditCapture:
    return capture_audit()
