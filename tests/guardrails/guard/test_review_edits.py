"""An edit that needs its own approval runs the edited call, never the one it replaced."""

from __future__ import annotations

from guardrails._clock import FixedClock
from guardrails.approvals import ApprovalService
from guardrails.audit import AuditLog
from guardrails.guard import Answer, CallContext, ToolGuard, ToolInfo
from guardrails.policy import Policy

_POLICY = {
    "rules": [
        {
            "name": "two",
            "tools": ["wire"],
            "effect": "require_approval",
            "approval": {"quorum": 2},
        }
    ]
}
_TOOL = ToolInfo(name="wire")


def _service() -> ApprovalService:
    clock = FixedClock()
    policy = Policy.from_dict(_POLICY)
    return ApprovalService(policy, audit=AuditLog(clock=clock), clock=clock)


def _edited_by_bob(guard: ToolGuard) -> tuple[object, CallContext]:
    """alice asks to wire 10000; bob edits it to 100, which needs two approvals again."""
    ctx = CallContext(thread_id="t1", requester="alice")
    ruling = guard.rule("c1", {"amount": 10000}, _TOOL, ctx)
    guard.open(ruling, ctx)
    bob = CallContext(thread_id="t1", requester="alice", approver="bob")
    first = guard.resolve(ruling, bob, Answer(verdict="edit", args={"amount": 100}))
    assert first.pending  # the follow-up has bob's vote only
    return ruling, ctx


def test_follow_up_approval_resolves_to_the_edited_args() -> None:
    """carol's approval of the follow-up gives the edited args, not the original 10000."""
    svc = _service()
    guard = ToolGuard(approvals=svc, policy=svc.policy)
    ruling, ctx = _edited_by_bob(guard)
    carol = CallContext(thread_id="t1", requester="alice", approver="carol")
    done = guard.resolve(ruling, carol, Answer(verdict="approve"))
    assert (done.verdict, dict(done.masked_args or {})) == ("edit", {"amount": 100})
    assert guard.decided(ruling, ctx) == done


def test_follow_up_approval_without_the_edited_args_fails_closed() -> None:
    """Another process (no edit answer seen) must not fall back to the original args."""
    svc = _service()
    ruling, _ = _edited_by_bob(ToolGuard(approvals=svc, policy=svc.policy))
    other = ToolGuard(approvals=svc, policy=svc.policy)
    carol = CallContext(thread_id="t1", requester="alice", approver="carol")
    done = other.resolve(ruling, carol, Answer(verdict="approve"))
    assert done.verdict == "reject"
    assert "not run" in done.message


def test_edit_args_with_another_digest_are_not_taken() -> None:
    """Args noted for a follow-up must hash to its digest: other args are ignored."""
    svc = _service()
    guard = ToolGuard(approvals=svc, policy=svc.policy)
    ruling, _ = _edited_by_bob(guard)
    other = ToolGuard(approvals=svc, policy=svc.policy)
    other.backend.note_edit(ruling, {"amount": 10000})
    carol = CallContext(thread_id="t1", requester="alice", approver="carol")
    assert other.resolve(ruling, carol, Answer(verdict="approve")).verdict == "reject"
