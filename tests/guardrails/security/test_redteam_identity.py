"""Red team: an id that differs from another only by characters that render as nothing
(zero-width spaces and joiners, soft hyphen, word joiner, variation selectors, tag characters)
is the same human to self-approval and quorum checks."""

from __future__ import annotations

import pytest

from guardrails import DecisionRefused
from guardrails._clock import FixedClock
from guardrails.approvals import ApprovalService, Decision
from guardrails.audit import AuditLog
from guardrails.guard import Answer, CallContext, ToolGuard, ToolInfo
from guardrails.identity import Principal, identity_key
from guardrails.policy import Policy, ToolCall

POLICY = """
name: redteam-identity
approval:
  approvers: {groups: [finance]}
  expires_in: 10m
rules:
  - name: wire
    tools: [wire]
    effect: require_approval
    approval: {quorum: 2}
  - name: email
    tools: [send_email]
    effect: require_approval
"""

INVISIBLE = [
    "\u200b",  # zero width space
    "\u200c",  # zero width non-joiner
    "\u200d",  # zero width joiner
    "\u2060",  # word joiner
    "\u00ad",  # soft hyphen
    "\ufeff",  # byte order mark / zero width no-break space
    "\ufe0f",  # variation selector 16
    "\u034f",  # combining grapheme joiner
    "\U000e0062",  # tag latin small letter b
    "\u180e",  # mongolian vowel separator
]


def finance(pid: str) -> Principal:
    return Principal(id=pid, groups=frozenset({"finance"}))


@pytest.fixture
def service() -> ApprovalService:
    return ApprovalService(Policy.from_yaml(POLICY, source="rt.yaml"), clock=FixedClock())


@pytest.mark.parametrize("mark", INVISIBLE)
def test_invisible_characters_do_not_make_another_identity(mark: str) -> None:
    """identity_key ignores characters that render as nothing, wherever they sit."""
    assert identity_key(f"ali{mark}ce") == identity_key("alice")
    assert identity_key(f"alice{mark}") == identity_key("alice")


@pytest.mark.parametrize("mark", INVISIBLE)
def test_requester_cannot_approve_with_an_invisible_character(
    service: ApprovalService, mark: str
) -> None:
    """alice resolved as 'ali<invisible>ce' is still the requester: self_approval."""
    alice = finance("alice")
    req = service.gate(ToolCall(name="send_email", args={}), requester=alice).request
    assert req is not None
    decision = Decision(
        verdict="approve", approver=finance(f"ali{mark}ce"), args_digest=req.args_digest
    )
    with pytest.raises(DecisionRefused) as info:
        service.decide(req.id, decision)
    assert info.value.code == "self_approval"
    assert service.status(req.id) == "pending"


def test_one_human_does_not_fill_a_quorum_with_an_invisible_character(
    service: ApprovalService,
) -> None:
    """bob and 'b<soft hyphen>ob' are one approver: the second vote is a duplicate."""
    req = service.gate(ToolCall(name="wire", args={}), requester=finance("alice")).request
    assert req is not None
    service.decide(
        req.id, Decision(verdict="approve", approver=finance("bob"), args_digest=req.args_digest)
    )
    with pytest.raises(DecisionRefused) as info:
        service.decide(
            req.id,
            Decision(verdict="approve", approver=finance("b\u00adob"), args_digest=req.args_digest),
        )
    assert info.value.code == "duplicate_approver"
    assert service.status(req.id) == "pending"


def test_a_resuming_user_named_with_a_zero_width_space_is_the_requester() -> None:
    """Through the guard (the approver is the resuming run's user id): refused, never run."""
    clock = FixedClock()
    guard = ToolGuard(audit=AuditLog(clock=clock), clock=clock)
    wire = ToolInfo(name="wire", tags=frozenset({"privileged"}))
    asked = CallContext(thread_id="t1", requester="alice", approver="alice", scope="m1")
    ruling = guard.rule("c1", {"amount": 5}, wire, asked)
    guard.open(ruling, asked)
    resumed = CallContext(thread_id="t1", requester="alice", approver="alice\u200b", scope="m1")
    with pytest.raises(DecisionRefused) as info:
        guard.resolve(ruling, resumed, Answer(verdict="approve"))
    assert info.value.code == "self_approval"
    assert guard.decided(ruling, resumed) is None
