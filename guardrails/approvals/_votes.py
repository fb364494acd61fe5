"""Applying a verified decision to a request: pure functions, run inside the store's transaction.

Approve adds a vote and approves once distinct approvers reach the quorum; reject ends the request;
edit is a new call — new digest, evaluated again under the policy of the tool it names — which is
approved at once when that policy allows it (or needs one approval the editor can give), and
otherwise supersedes the request with a follow-up request of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from guardrails._errors import InputError
from guardrails.approvals._models import ApprovalRequest, Decision, Vote, new_id
from guardrails.approvals._verify import refuse
from guardrails.policy import Policy, PolicyDecision, ToolCall

__all__ = ["Applied", "FollowUp", "apply_decision"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUp:
    """An edited call that needs its own approval request (id reserved in the transaction)."""

    id: str
    call: ToolCall
    decision: PolicyDecision


@dataclass(frozen=True, slots=True, kw_only=True)
class Applied:
    """The request after the decision, plus the follow-up to open, if any."""

    request: ApprovalRequest
    follow_up: FollowUp | None = None


def apply_decision(
    current: ApprovalRequest,
    decision: Decision,
    *,
    now: datetime,
    policy: Policy,
    tools: Mapping[str, ToolCall],
    digest: Callable[[Mapping[str, Any]], str],
) -> Applied:
    """Record ``decision`` (already verified by ``check_decision``) on ``current``.

    ``digest`` keys the edited arguments' digest like the request's (``ApprovalService.args_digest``).

    Raises:
        DecisionRefused: ``edit_invalid``, ``edit_unknown_tool`` or ``edit_denied``.
    """
    approver = decision.approver
    assert approver is not None  # check_decision refused otherwise
    edited_digest: str | None = None
    edited_tool: str | None = None
    if decision.verdict == "edit":
        edited_tool = decision.edited_tool or current.tool_name
        try:
            edited_digest = digest(decision.edited_args or {})
        except InputError:
            raise refuse("edit_invalid", "edited arguments are not plain JSON", current) from None
    vote = Vote(
        decision_id=decision.id,
        verdict=decision.verdict,
        approver=approver,
        decided_at=now,
        reason=decision.reason,
        channel=decision.channel,
        provenance=decision.provenance,
        edited_tool=edited_tool,
        edited_args_digest=edited_digest,
    )
    votes = (*current.votes, vote)
    if decision.verdict == "reject":
        return Applied(request=current.evolve(votes=votes, status="rejected", resolved_at=now))
    if decision.verdict == "approve":
        approvers = {v.approver.identity_key for v in votes if v.verdict == "approve"}
        if len(approvers) >= current.quorum:
            return Applied(
                request=current.evolve(
                    votes=votes,
                    status="approved",
                    resolved_at=now,
                    approved_tool=current.tool_name,
                    approved_digest=current.args_digest,
                )
            )
        return Applied(request=current.evolve(votes=votes))
    assert edited_tool is not None
    assert decision.edited_args is not None
    call = edited_call(current, edited_tool, decision.edited_args, tools)
    verdict = policy.evaluate(call, requester=current.requester, context=current.context)
    if verdict.effect == "deny":
        raise refuse("edit_denied", f"the policy denies the edited call: {verdict.reason}", current)
    if verdict.effect == "allow" or (
        verdict.approval is not None
        and verdict.approval.quorum == 1
        and verdict.approval.approvers.admits(approver)
    ):
        return Applied(
            request=current.evolve(
                votes=votes,
                status="approved",
                resolved_at=now,
                approved_tool=edited_tool,
                approved_digest=edited_digest,
                edited_args=decision.edited_args,
            )
        )
    follow = FollowUp(id=new_id(), call=call, decision=verdict)
    return Applied(
        request=current.evolve(
            votes=votes, status="superseded", resolved_at=now, follow_up_id=follow.id
        ),
        follow_up=follow,
    )


def edited_call(
    current: ApprovalRequest, tool: str, args: Mapping[str, Any], tools: Mapping[str, ToolCall]
) -> ToolCall:
    """The edited call with the tags/metadata of the tool it names (refused if unknown)."""
    if tool == current.tool_name:
        return ToolCall(
            name=tool,
            args=args,
            id=current.tool_call_id,
            tags=current.tool_tags,
            metadata=current.tool_metadata,
        )
    known = tools.get(tool)
    if known is None:
        raise refuse(
            "edit_unknown_tool", "the edit names a tool the service does not know", current
        )
    return ToolCall(
        name=tool, args=args, id=current.tool_call_id, tags=known.tags, metadata=known.metadata
    )
