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


@pytest.mark.parametrize(
    "spelling",
    [
        "Agent-1",  # case
        "agent-1 ",  # trailing space
        "ＡＧＥＮＴ-1",  # fullwidth
        "agent\u200b-1",  # zero-width space
    ],
)
def test_the_agent_cannot_approve_under_another_spelling_of_its_id(spelling: str) -> None:
    """A resuming run whose user is a spelling of the listed agent principal is that agent."""
    policy = Policy(
        principals=(
            Principal(id="agent-1", kind="agent"),
            Principal(id="alice"),
            Principal(id="bob"),
        )
    )
    clock = FixedClock()
    guard = ToolGuard(policy=policy, audit=AuditLog(clock=clock), clock=clock)
    wire = ToolInfo(name="wire", tags=frozenset({"privileged"}))
    ctx = CallContext(thread_id="t1", requester="alice", approver=spelling, scope="m1")
    ruling = guard.rule("c1", {"amount": 5}, wire, ctx)
    guard.open(ruling, ctx)
    with pytest.raises(DecisionRefused) as info:
        guard.resolve(ruling, ctx, Answer(verdict="approve"))
    assert info.value.code == "not_human"
    assert guard.decided(ruling, ctx) is None


def test_a_spelling_of_a_listed_human_gets_none_of_their_groups() -> None:
    """'BOB' is not given bob's finance group (no impersonation by case): refused (an id the
    directory does not list is nobody to the guard)."""
    policy = Policy.from_yaml(
        POLICY
        + "principals:\n  - {id: bob, groups: [finance]}\n  - {id: carol, groups: [finance]}\n"
        + "  - {id: alice}\n",
        source="rt.yaml",
    )
    clock = FixedClock()
    guard = ToolGuard(policy=policy, audit=AuditLog(clock=clock), clock=clock)
    email = ToolInfo(name="send_email")
    ctx = CallContext(thread_id="t1", requester="alice", approver="BOB", scope="m1")
    ruling = guard.rule("c1", {}, email, ctx)
    guard.open(ruling, ctx)
    with pytest.raises(DecisionRefused) as info:
        guard.resolve(ruling, ctx, Answer(verdict="approve"))
    assert info.value.code == "unauthenticated"
    assert guard.decided(ruling, ctx) is None


def _listed_guard() -> tuple[ToolGuard, AuditLog]:
    policy = Policy(
        principals=(
            Principal(id="agent-1", kind="agent"),
            Principal(id="alice"),
            Principal(id="bob"),
        )
    )
    clock = FixedClock()
    audit = AuditLog(clock=clock)
    return ToolGuard(policy=policy, audit=audit, clock=clock), audit


def test_a_user_the_directory_does_not_list_cannot_approve() -> None:
    """With a directory that lists its principals, a resuming user it does not list (mallory)
    is refused under the default approvers (any human), as the HTTP, Slack and Teams channels
    refuse users they cannot resolve; the refusal is audited and the request stays pending."""
    guard, audit = _listed_guard()
    wire = ToolInfo(name="wire", tags=frozenset({"privileged"}))
    ctx = CallContext(thread_id="t1", requester="alice", approver="mallory", scope="m1")
    ruling = guard.rule("c1", {"amount": 5}, wire, ctx)
    guard.open(ruling, ctx)
    with pytest.raises(DecisionRefused) as info:
        guard.resolve(ruling, ctx, Answer(verdict="approve"))
    assert info.value.code == "unauthenticated"
    assert guard.decided(ruling, ctx) is None
    assert any(e.kind == "approval.refused" for e in audit.events())
    # a listed human still approves the same request
    bob = CallContext(thread_id="t1", requester="alice", approver="bob", scope="m1")
    assert guard.resolve(ruling, bob, Answer(verdict="approve")).verdict == "approve"


def test_without_a_directory_any_human_id_still_approves() -> None:
    """No directory: the guard cannot tell listed from unlisted, any human id approves."""
    clock = FixedClock()
    guard = ToolGuard(policy=Policy(), audit=AuditLog(clock=clock), clock=clock)
    wire = ToolInfo(name="wire", tags=frozenset({"privileged"}))
    ctx = CallContext(thread_id="t1", requester="alice", approver="mallory", scope="m1")
    ruling = guard.rule("c1", {"amount": 5}, wire, ctx)
    guard.open(ruling, ctx)
    assert guard.resolve(ruling, ctx, Answer(verdict="approve")).verdict == "approve"
