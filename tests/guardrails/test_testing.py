"""The user test kit: fixed clock, scripted approver, audit capture — used as our users would."""

from __future__ import annotations

from datetime import timedelta

from guardrails import DecisionRefused
from guardrails.approvals import ApprovalService
from guardrails.identity import Principal
from guardrails.policy import Policy, ToolCall
from guardrails.testing import FixedClock, ScriptedApprover, ScriptStep, capture_audit

POLICY = Policy.from_yaml(
    """
rules:
  - name: deploys
    tools: [deploy]
    effect: require_approval
    approval: {approvers: {roles: [sre]}, quorum: 1, expires_in: 15m}
"""
)
SRE = Principal(id="sam", roles=frozenset({"sre"}))


def _service() -> tuple[ApprovalService, FixedClock, object]:
    clock = FixedClock()
    audit = capture_audit(clock=clock)
    return ApprovalService(POLICY, clock=clock, audit=audit), clock, audit


def test_scripted_approver_reports_refusals_instead_of_raising() -> None:
    """A scripted step that is refused comes back as the DecisionRefused, in order."""
    svc, _, _ = _service()
    req = svc.gate(
        ToolCall(name="deploy", args={"v": "1.2"}), requester=Principal(id="dev")
    ).request
    assert req is not None
    results = ScriptedApprover(svc, [("dev", "approve"), ScriptStep(approver=SRE)]).run(req.id)
    assert isinstance(results[0], DecisionRefused)
    assert results[0].code == "self_approval"
    assert getattr(results[1], "status", None) == "approved"


def test_scripted_edit_step() -> None:
    """An edit step changes the args the tool will run with."""
    svc, _, _ = _service()
    req = svc.gate(
        ToolCall(name="deploy", args={"v": "1.2"}), requester=Principal(id="dev")
    ).request
    assert req is not None
    step = ScriptStep(approver=SRE, verdict="edit", edited_args={"v": "1.1"})
    ScriptedApprover(svc, [step]).run(req.id)
    call = svc.authorize(req.id, args_digest=req.args_digest)
    assert dict(call.edited_args or {}) == {"v": "1.1"}


def test_fixed_clock_drives_expiry_and_audit_times() -> None:
    """The fixed clock stamps audit events and decides expiry."""
    svc, clock, audit = _service()
    req = svc.gate(ToolCall(name="deploy", args={}), requester=Principal(id="dev")).request
    assert req is not None
    clock.advance(timedelta(minutes=15))
    assert [r.status for r in svc.tick()] == ["expired"]
    event = audit.last("approval.expired")  # type: ignore[attr-defined]
    assert event.time == clock.now()
