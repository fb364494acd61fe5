"""Evaluating calls and opening approval requests (part of :class:`ApprovalService`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from guardrails._errors import ApprovalError
from guardrails.approvals._lifecycle import Lifecycle
from guardrails.approvals._models import ApprovalRequest, RequestStatus, new_id
from guardrails.identity import Principal
from guardrails.policy import PolicyDecision, ToolCall, canonical_json
from guardrails.policy._canonical import json_safe_items

__all__ = ["GateResult", "Requests", "hide_values", "mask_edit"]

_PLACEHOLDER = re.compile(r"(?:<[A-Z][A-Z0-9_]*_[0-9]+>|\s)+")


def hide_values(value: Any) -> Any:
    """Replace every leaf with ``"<hidden>"``: the reviewer view when no masked args were given
    (argument names that do not look like field names are hidden too, as in :func:`mask_edit`)."""
    if isinstance(value, Mapping):
        return _named(value, hide_values)
    if isinstance(value, list | tuple):
        return [hide_values(v) for v in value]
    return "<hidden>"


@dataclass(frozen=True, slots=True, kw_only=True)
class GateResult:
    """The outcome of :meth:`ApprovalService.gate`: the policy decision and, if any, the request.

    Example:
        >>> from guardrails.approvals import ApprovalService
        >>> from guardrails.policy import Policy
        >>> svc = ApprovalService(Policy())
        >>> result = svc.gate(ToolCall(name="search"))
        >>> result.effect, result.request
        ('allow', None)
    """

    decision: PolicyDecision
    request: ApprovalRequest | None = None

    @property
    def effect(self) -> str:
        """``allow``, ``deny`` or ``require_approval``."""
        return self.decision.effect


_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")


def _named(mapping: Mapping[Any, Any], leaf: Any) -> dict[str, Any]:
    """``mapping`` with ``leaf`` applied to its values and its names kept only when they look
    like field names; others become ``<hidden_key_1>``, ``<hidden_key_2>``..."""
    out: dict[str, Any] = {}
    hidden = 0
    for k, v in mapping.items():
        name = str(k)
        if not _FIELD_NAME.fullmatch(name):
            hidden += 1
            name = f"<hidden_key_{hidden}>"
        out[name] = leaf(v)
    return out


def mask_edit(value: Any) -> Any:
    """What the reviewers of an edit's follow-up see: numbers, booleans, null and placeholders
    (``<EMAIL_ADDRESS_1>``) as typed, any other text ``"<hidden>"`` (it may be a raw value the
    editor typed: it is stored and audited as the follow-up's masked arguments). Argument names
    that look like field names stay; any other name (an e-mail typed as a key) is hidden too,
    as ``<hidden_key_1>``, ``<hidden_key_2>``... in its mapping."""
    if isinstance(value, Mapping):
        return _named(value, mask_edit)
    if isinstance(value, list | tuple):
        return [mask_edit(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) and _PLACEHOLDER.fullmatch(value):
        return value
    return "<hidden>"


class Requests(Lifecycle):
    """gate / request / status / pending of :class:`~guardrails.approvals.ApprovalService`."""

    _tools: dict[str, ToolCall]

    def gate(
        self,
        call: ToolCall,
        *,
        requester: Principal | None = None,
        masked_args: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        thread_id: str | None = None,
        run_id: str | None = None,
    ) -> GateResult:
        """Evaluate ``call``; open a request when approval is required. Denials are audited.

        ``call.args`` are the raw (restored) arguments: conditions see them, nobody else does.
        ``masked_args`` is what reviewers see (default: every value hidden). ``context`` is shown
        to reviewers and visible to conditions: pass masked values only.
        """
        decision = self.policy.evaluate(call, requester=requester, context=context)
        common = {
            "principal": requester.id if requester else None,
            "policy_hash": decision.policy_hash,
            "thread_id": thread_id,
            "run_id": run_id,
            "tool_call_id": call.id or None,
            "tool": call.name,
            "rule": decision.rule,
        }
        if decision.effect == "deny":
            kind = "policy.error" if decision.error else "policy.denied"
            self._audit(kind, None, reason=decision.reason, error=decision.error, **common)
            return GateResult(decision=decision)
        if decision.effect == "allow":
            self._audit("policy.allowed", None, **common)
            return GateResult(decision=decision)
        request = self.request(
            call,
            decision,
            requester=requester,
            masked_args=masked_args,
            context=context,
            thread_id=thread_id,
            run_id=run_id,
        )
        return GateResult(decision=decision, request=request)

    def request(
        self,
        call: ToolCall,
        decision: PolicyDecision,
        *,
        requester: Principal | None = None,
        masked_args: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        thread_id: str | None = None,
        run_id: str | None = None,
        parent_id: str | None = None,
        request_id: str | None = None,
    ) -> ApprovalRequest:
        """Open an approval request for ``call`` under ``decision`` (a ``require_approval``)."""
        if decision.effect != "require_approval" or decision.approval is None:
            raise ApprovalError("a request needs a require_approval policy decision")
        spec = decision.approval
        masked = dict(masked_args) if masked_args is not None else hide_values(call.args)
        # Everything stored must be plain JSON: refuse here (InputError), before anything is
        # written, rather than half-way through a store or audit write.
        canonical_json(masked)
        canonical_json(dict(context or {}))
        now = self.clock.now()
        request = ApprovalRequest(
            id=request_id or new_id(),
            tool_call_id=call.id,
            tool_name=call.name,
            requester=requester,
            args_digest=self.args_digest(call.args),
            masked_args=masked,
            rule=decision.rule,
            reason=decision.reason,
            why=decision.why,
            policy_hash=decision.policy_hash,
            created_at=now,
            expires_at=now + spec.expires_in,
            quorum=spec.quorum,
            approvers=spec.approvers,
            allowed_decisions=spec.decisions,
            reason_required=spec.reason_required,
            reviewer_may_see=spec.reviewer_may_see,
            escalation=spec.escalation,
            context=dict(context or {}),
            thread_id=thread_id,
            run_id=run_id,
            tool_tags=call.tags,
            tool_metadata=json_safe_items(call.metadata),
            parent_id=parent_id,
        )
        self.store.create(request)
        self._audit(
            "approval.requested",
            request,
            principal=requester.id if requester else None,
            rule=request.rule,
            args_digest=request.args_digest,
            masked_args=dict(request.masked_args),
            quorum=request.quorum,
            expires_at=request.expires_at.isoformat(),
            parent_id=parent_id,
        )
        self._notify("requested", request)
        return request

    # -- reading ------------------------------------------------------------------------------

    def status(self, request_id: str) -> RequestStatus:
        """The request's status (``pending``, ``approved``, ``expired``, …).

        Raises:
            UnknownRequestError: no such request.
        """
        return self.get(request_id).status

    def pending(
        self, *, limit: int = 100, after: tuple[datetime, str] | None = None
    ) -> list[ApprovalRequest]:
        """Pending requests, oldest first (expired ones are swept by :meth:`tick`).

        ``after``: the ``(created_at, id)`` of the last request of the previous page, to read
        the next one (``request.created_at, request.id``).
        """
        if after is None:  # a store written before paging existed takes no ``after``
            return self.store.pending(limit=limit)
        return self.store.pending(limit=limit, after=after)
