"""Adversarial review of the approval core: each test is an attack that must be refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from guardrails import DecisionRefused
from guardrails.approvals import ApprovalService, Decision
from guardrails.identity import CallableDirectory, Principal
from guardrails.policy import Policy, ToolCall
from guardrails.testing import AuditCapture, FixedClock, capture_audit

KEY = b"permit-key-for-tests-32-bytes-ok"

POLICY = """
name: security
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

ALICE = Principal(id="alice", groups=frozenset({"sales"}))


def finance(pid: str) -> Principal:
    return Principal(id=pid, groups=frozenset({"finance"}))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def audit(clock: FixedClock) -> AuditCapture:
    return capture_audit(clock=clock)


@pytest.fixture
def service(clock: FixedClock, audit: AuditCapture) -> ApprovalService:
    return ApprovalService(
        Policy.from_yaml(POLICY, source="security.yaml"), clock=clock, audit=audit, permit_key=KEY
    )


def approve(req: Any, who: Principal | None) -> Decision:
    return Decision(verdict="approve", approver=who, args_digest=req.args_digest)


def open_wire(service: ApprovalService, requester: Principal = ALICE) -> Any:
    request = service.gate(ToolCall(name="wire", args={"amount": 5}), requester=requester).request
    assert request is not None
    return request


@pytest.mark.parametrize(
    "variant",
    [
        "Bob",  # case variant from a case-insensitive IdP
        "bob ",  # trailing whitespace
        " BOB\t",  # both
        "\uff42\uff4f\uff42",  # fullwidth letters (NFKC-equal to "bob")
        "bo\u0062",  # same string spelled with an escape: exact duplicate
    ],
)
def test_quorum_is_not_filled_by_one_human_under_two_spellings(
    service: ApprovalService, variant: str
) -> None:
    """Ids equal after NFKC, case folding and trimming count as one human toward a quorum."""
    req = open_wire(service)
    service.decide(req.id, approve(req, finance("bob")))
    with pytest.raises(DecisionRefused) as info:
        service.decide(req.id, approve(req, finance(variant)))
    assert info.value.code == "duplicate_approver"
    assert service.status(req.id) == "pending"


@pytest.mark.parametrize(
    "variant",
    [
        "Alice",  # case variant
        "alice\n",  # trailing newline
        "\uff41lice",  # fullwidth first letter
    ],
)
def test_requester_cannot_approve_under_another_spelling(
    service: ApprovalService, variant: str
) -> None:
    """A requester resolved under a case/whitespace/width variant of their id is still refused."""
    req = service.gate(ToolCall(name="send_email", args={}), requester=ALICE).request
    assert req is not None
    with pytest.raises(DecisionRefused) as info:
        service.decide(req.id, approve(req, finance(variant)))
    assert info.value.code == "self_approval"
    assert service.status(req.id) == "pending"


@dataclass(frozen=True, slots=True, kw_only=True)
class _LyingPrincipal(Principal):
    """A subclass whose ``is_human`` says yes whatever its kind."""

    @property  # type: ignore[misc]
    def is_human(self) -> bool:  # type: ignore[override]
        return True


def test_agent_cannot_pass_as_human_through_a_principal_subclass(
    service: ApprovalService,
) -> None:
    """An agent principal whose subclass overrides ``is_human`` is still refused as not human."""
    req = service.gate(ToolCall(name="send_email", args={}), requester=ALICE).request
    assert req is not None
    bot = _LyingPrincipal(id="bot", kind="agent", groups=frozenset({"finance"}))
    with pytest.raises(DecisionRefused) as info:
        service.decide(req.id, approve(req, bot))
    assert info.value.code == "not_human"


@pytest.mark.parametrize(
    "returned",
    [
        {"id": "bot", "kind": "human", "groups": ["finance"]},  # a dict claiming to be human
        "bob",  # a bare id string
    ],
)
def test_directory_callable_returning_a_non_principal_resolves_to_nobody(
    clock: FixedClock, returned: object
) -> None:
    """A directory callable returning a dict or string is treated as unknown (fail closed)."""
    policy = Policy.from_yaml(POLICY, source="security.yaml")
    directory = CallableDirectory(lambda channel, subject: returned)  # type: ignore[arg-type,return-value]
    service = ApprovalService(policy, clock=clock, directory=directory)
    assert service.resolve("token", "bot") is None


def test_directory_callable_raising_resolves_to_nobody(clock: FixedClock) -> None:
    """A directory that raises makes the approver unknown, so the decision is unauthenticated."""

    def broken(channel: str, subject: str) -> Principal | None:
        raise RuntimeError(f"lookup of {subject} failed")

    policy = Policy.from_yaml(POLICY, source="security.yaml")
    service = ApprovalService(policy, clock=clock, directory=CallableDirectory(broken))
    req = service.gate(ToolCall(name="send_email", args={}), requester=ALICE).request
    assert req is not None
    with pytest.raises(DecisionRefused) as info:
        service.decide(req.id, approve(req, service.resolve("token", "bob")))
    assert info.value.code == "unauthenticated"


def test_permit_is_refused_after_the_request_was_superseded_by_an_edit(
    service: ApprovalService,
) -> None:
    """A permit issued before an edit superseded its request cannot approve the old arguments."""
    req = open_wire(service)
    permit = service.issue_permit(req.id, approve(req, finance("carol")))
    edit = Decision(
        verdict="edit",
        approver=finance("bob"),
        args_digest=req.args_digest,
        edited_args={"amount": 6},
    )
    assert service.decide(req.id, edit).status == "superseded"
    with pytest.raises(DecisionRefused) as info:
        service.decide_permit(req.id, permit)
    assert info.value.code == "not_pending"


def test_permit_is_refused_at_the_exact_expiry_instant(
    service: ApprovalService, clock: FixedClock
) -> None:
    """At exactly ``expires_at`` a permit (and the request) no longer counts."""
    req = open_wire(service)
    permit = service.issue_permit(req.id, approve(req, finance("bob")))
    clock.advance(timedelta(minutes=10))
    with pytest.raises(DecisionRefused) as info:
        service.decide_permit(req.id, permit)
    assert info.value.code == "permit_expired"
    assert service.status(req.id) == "pending"  # untrusted permit changes nothing


def test_decision_one_microsecond_before_expiry_counts_and_at_expiry_does_not(
    service: ApprovalService, clock: FixedClock
) -> None:
    """Expiry is a half-open interval: valid strictly before ``expires_at``, expired at it."""
    early, late = open_wire(service), open_wire(service)
    clock.advance(timedelta(minutes=10) - timedelta(microseconds=1))
    service.decide(early.id, approve(early, finance("bob")))
    clock.advance(timedelta(microseconds=1))
    with pytest.raises(DecisionRefused) as info:
        service.decide(late.id, approve(late, finance("bob")))
    assert info.value.code == "expired"
    assert service.status(late.id) == "expired"


@pytest.mark.parametrize(
    "token",
    [
        "gp1.\u00e9\u00e9.sig",  # non-ASCII payload
        "gp1.abc.\u00e9",  # non-ASCII signature
        "gp1.\ud800.x",  # lone surrogate
        "gp1..",  # empty parts
    ],
)
def test_malformed_permit_is_a_bad_signature_refusal(
    service: ApprovalService, audit: AuditCapture, token: str
) -> None:
    """A permit that is not ASCII is refused as ``bad_signature`` (audited), not a crash."""
    req = open_wire(service)
    with pytest.raises(DecisionRefused) as info:
        service.decide_permit(req.id, token)
    assert info.value.code == "bad_signature"
    assert audit.kinds()[-1] == "approval.refused"
