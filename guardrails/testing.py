"""Test kit for your own tests: a fixed clock, a scripted approver and audit capture.

Example:
    >>> from guardrails.approvals import ApprovalService
    >>> from guardrails.identity import Principal
    >>> from guardrails.policy import Policy, ToolCall
    >>> clock, audit = FixedClock(), capture_audit()
    >>> svc = ApprovalService(Policy.default_policy(), clock=clock, audit=audit)
    >>> req = svc.gate(ToolCall(name="wire", tags=frozenset({"privileged"})),
    ...                requester=Principal(id="alice")).request
    >>> ScriptedApprover(svc, [("bob", "approve")]).run(req.id)[0].status
    'approved'
    >>> audit.kinds()
    ['approval.requested', 'approval.decided']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from guardrails._clock import FixedClock
from guardrails._errors import DecisionRefused
from guardrails.approvals import ApprovalService, Decision, DecisionOutcome
from guardrails.audit import AuditCapture, capture_audit
from guardrails.identity import Principal
from guardrails.policy import Verdict

__all__ = ["AuditCapture", "FixedClock", "ScriptStep", "ScriptedApprover", "capture_audit"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptStep:
    """One scripted decision: who decides what (and, for an edit, the new args/tool).

    Example:
        >>> ScriptStep(approver="bob", verdict="edit", edited_args={"amount": 10}).verdict
        'edit'
    """

    approver: Principal | str
    verdict: Verdict = "approve"
    reason: str = ""
    edited_args: Mapping[str, Any] | None = field(default=None, repr=False)
    edited_tool: str | None = None
    channel: str = "test"


class ScriptedApprover:
    """Decides requests by script, as given principals, through the real service checks.

    Each step is a :class:`ScriptStep` or a tuple ``(approver, verdict[, reason])``; a string
    approver becomes a human principal with that id. A refused step is returned as the
    :class:`~guardrails.DecisionRefused` instead of raising, so tests can assert on it.

    Example:
        >>> from guardrails.policy import Policy, ToolCall
        >>> svc = ApprovalService(Policy())
        >>> req = svc.gate(ToolCall(name="t", tags=frozenset({"privileged"})),
        ...                requester=Principal(id="alice")).request
        >>> [getattr(r, "code", None) or r.status
        ...  for r in ScriptedApprover(svc, [("alice", "approve"), ("bob", "reject", "no")]).run(req.id)]
        ['self_approval', 'rejected']
    """

    def __init__(
        self,
        service: ApprovalService,
        script: Iterable[ScriptStep | Sequence[Any]],
    ) -> None:
        self.service = service
        self.steps: list[ScriptStep] = [
            s if isinstance(s, ScriptStep) else ScriptStep(**_tuple_step(s)) for s in script
        ]

    def run(self, request_id: str) -> list[DecisionOutcome | DecisionRefused]:
        """Play every step against ``request_id``; returns one outcome or refusal per step."""
        results: list[DecisionOutcome | DecisionRefused] = []
        for step in self.steps:
            request = self.service.get(request_id)
            approver = (
                Principal(id=step.approver) if isinstance(step.approver, str) else step.approver
            )
            decision = Decision(
                verdict=step.verdict,
                approver=approver,
                args_digest=request.args_digest,
                reason=step.reason,
                edited_args=step.edited_args,
                edited_tool=step.edited_tool,
                channel=step.channel,
            )
            try:
                results.append(self.service.decide(request_id, decision))
            except DecisionRefused as refusal:
                results.append(refusal)
        return results


def _tuple_step(step: Sequence[Any]) -> dict[str, Any]:
    keys = ("approver", "verdict", "reason")
    if not 1 <= len(step) <= 3:
        raise ValueError("a script step tuple is (approver, verdict[, reason])")
    return dict(zip(keys, step, strict=False))
