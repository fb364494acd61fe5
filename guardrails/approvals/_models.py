"""Approval values: requests, decisions, recorded votes and outcomes. Frozen and JSON round-trippable.

Requests live in ``_request``, decisions and votes in ``_decision``; outcomes here.

Raw argument values never appear here: a request carries the *digest* of the raw arguments and the
*masked* arguments reviewers see. (An edit carries the arguments the reviewer typed, which are what
the tool will receive; they are sealed at rest, never audited.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from guardrails.approvals._decision import (
    TERMINAL,
    Decision,
    Provenance,
    RequestStatus,
    Vote,
    new_id,
)
from guardrails.approvals._request import ApprovalRequest

__all__ = [
    "TERMINAL",
    "ApprovalEvent",
    "ApprovalRequest",
    "AuthorizedCall",
    "Decision",
    "DecisionOutcome",
    "Provenance",
    "RequestStatus",
    "Vote",
    "new_id",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionOutcome:
    """What :meth:`ApprovalService.decide` did.

    Attributes:
        request: the request after the decision.
        status: its status: ``pending`` (vote counted, quorum not reached yet), ``approved``,
            ``rejected`` or ``superseded`` (an edit that needs its own approval: see ``follow_up``).
        follow_up: the new request created for an edited call that needs approval again.

    Example:
        >>> from guardrails.approvals import ApprovalService
        >>> from guardrails.identity import Principal
        >>> from guardrails.policy import Policy, ToolCall
        >>> svc = ApprovalService(Policy())
        >>> req = svc.gate(ToolCall(name="t", tags=frozenset({"privileged"}))).request
        >>> out = svc.decide(req.id, Decision(verdict="approve", approver=Principal(id="bob"),
        ...                                   args_digest=req.args_digest))
        >>> out.status, out.approvals, out.follow_up
        ('approved', 1, None)
    """

    request: ApprovalRequest
    status: RequestStatus
    follow_up: ApprovalRequest | None = None

    @property
    def approvals(self) -> int:
        """Distinct humans who approved so far."""
        return len(self.request.approvals)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorizedCall:
    """Permission to run one tool call once, returned by :meth:`ApprovalService.authorize`.

    ``edited_args`` is ``None`` when the original call was approved as is; otherwise run
    ``tool_name`` with these (reviewer-edited, possibly placeholder-bearing) args.

    Example:
        >>> call = AuthorizedCall(request_id="apr_1", tool_name="wire", args_digest="sha256:00",
        ...                       approvers=("bob",))
        >>> call.edited
        False
    """

    request_id: str
    tool_name: str
    args_digest: str
    approvers: tuple[str, ...]
    edited_args: Mapping[str, Any] | None = field(default=None, repr=False)

    @property
    def edited(self) -> bool:
        """True when a reviewer changed the call."""
        return self.edited_args is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalEvent:
    """What listeners receive: ``requested``, ``vote``, ``decided``, ``refused``, ``expired``,
    ``escalated``, ``consumed`` or ``executed``, with the request as it now stands.

    Example:
        >>> from guardrails.approvals import ApprovalService
        >>> from guardrails.policy import Policy, ToolCall
        >>> svc, seen = ApprovalService(Policy()), []
        >>> _ = svc.subscribe(lambda event: seen.append(event.kind))
        >>> _ = svc.gate(ToolCall(name="t", tags=frozenset({"privileged"})))
        >>> seen
        ['requested']
    """

    kind: Literal[
        "requested", "vote", "decided", "refused", "expired", "escalated", "consumed", "executed"
    ]
    request: ApprovalRequest
    code: str | None = None
