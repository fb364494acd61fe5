"""Decision verification: pure checks, each failure a :class:`DecisionRefused` with a stable code.

The order is fixed so that a refusal always names the most fundamental problem first: who decided,
then whether this decision was already used, then the request's state, then the binding to the
exact arguments, then what the rule allows.

=====================  ==========================================================================
code                   refused when
=====================  ==========================================================================
unauthenticated        no approver (the channel could not authenticate or resolve one)
not_human              the approver is an agent or service principal
mixed_script           the approver's id mixes scripts (``аlice`` with a Cyrillic ``а``)
self_approval          the approver is the requester
replayed               this decision (or permit nonce) was already recorded on the request
expired                the request expired before this decision
not_pending            the request was already approved, rejected, superseded or used
digest_mismatch        the decision is bound to other arguments than the request's
decision_not_allowed   the rule does not allow this verdict (e.g. ``edit``)
reason_required        the rule requires a reason and none was given
not_authorized         the approver is not among the rule's users/groups/roles (or escalation)
duplicate_approver     the same human already decided on this request (any channel)
wrong_request          a permit issued for another request
bad_signature          a permit that is malformed, altered or signed with another key
permit_expired         a permit past its own expiry
edit_unknown_tool      an edit names a tool the service does not know
edit_invalid           edited arguments are not plain JSON
edit_denied            the policy denies the edited call
=====================  ==========================================================================
"""

from __future__ import annotations

from datetime import datetime

from guardrails._confusables import mixed_script
from guardrails._errors import DecisionRefused
from guardrails.approvals._models import ApprovalRequest, Decision

__all__ = ["REFUSAL_CODES", "check_decision", "refuse"]

REFUSAL_CODES = frozenset(
    {
        "unauthenticated",
        "not_human",
        "mixed_script",
        "self_approval",
        "replayed",
        "expired",
        "not_pending",
        "digest_mismatch",
        "decision_not_allowed",
        "reason_required",
        "not_authorized",
        "duplicate_approver",
        "wrong_request",
        "bad_signature",
        "permit_expired",
        "edit_unknown_tool",
        "edit_invalid",
        "edit_denied",
        "already_used",
    }
)


def refuse(code: str, message: str, request: ApprovalRequest | None = None) -> DecisionRefused:
    """Build the refusal for ``code`` (the message never contains argument values)."""
    assert code in REFUSAL_CODES, code
    return DecisionRefused(
        message,
        code=code,
        request_id=request.id if request else None,
        tool=request.tool_name if request else None,
    )


def check_decision(request: ApprovalRequest, decision: Decision, *, now: datetime) -> None:
    """Raise :class:`DecisionRefused` unless ``decision`` may count on ``request`` at ``now``.

    Does not check expiry-driven state changes (the service marks the request expired) nor the
    policy re-evaluation of an edit.
    """
    approver = decision.approver
    if approver is None:
        raise refuse("unauthenticated", "the decision has no authenticated approver", request)
    # Read the kind field itself: a Principal subclass may override ``is_human``.
    if approver.kind != "human" or not approver.is_human:
        raise refuse("not_human", f"a {approver.kind} principal cannot approve", request)
    if mixed_script(approver.id):  # a look-alike of someone else's id: refuse, never guess
        raise refuse("mixed_script", "the approver's id mixes writing systems", request)
    me = approver.identity_key  # "Bob ", "bob" and "bоb" are one human to every check below
    if request.requester is not None and me == request.requester.identity_key:
        raise refuse("self_approval", "the requester cannot decide their own request", request)
    if any(v.decision_id == decision.id for v in request.votes):
        raise refuse("replayed", "this decision was already used", request)
    if request.status == "pending" and now >= request.expires_at:
        raise refuse("expired", "the request has expired", request)
    if request.status == "expired":
        raise refuse("expired", "the request has expired", request)
    if request.status != "pending":
        raise refuse("not_pending", f"the request is already {request.status}", request)
    if decision.args_digest != request.args_digest:
        raise refuse("digest_mismatch", "the decision is for different arguments", request)
    if decision.verdict not in request.allowed_decisions:
        raise refuse(
            "decision_not_allowed", f"the rule does not allow {decision.verdict!r}", request
        )
    if request.reason_required and not decision.reason.strip():
        raise refuse("reason_required", "the rule requires a reason", request)
    if not request.eligible(now).admits(approver):
        raise refuse("not_authorized", "the approver is not authorized by the rule", request)
    if any(v.approver.identity_key == me for v in request.votes):
        raise refuse("duplicate_approver", "this approver already decided", request)
