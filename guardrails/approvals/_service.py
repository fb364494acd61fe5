"""The :class:`ApprovalService`: one instance shared by every channel.

It evaluates calls against the policy, opens requests, verifies and records decisions atomically in
the store, expires and escalates, authorizes each approved call exactly once, writes every step to
the audit trail and tells subscribed channels so their cards can update.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from guardrails._clock import Clock, SystemClock
from guardrails._errors import (
    ApprovalError,
    ApprovalExpired,
    ApprovalRejected,
    ApprovalRequired,
    ConfigurationError,
    DecisionRefused,
    InputError,
    UnknownRequestError,
)
from guardrails.approvals._models import (
    ApprovalEvent,
    ApprovalRequest,
    AuthorizedCall,
    Decision,
    DecisionOutcome,
    Vote,
    new_id,
)
from guardrails.approvals._permits import issue_permit, verify_permit
from guardrails.approvals._verify import check_decision, refuse
from guardrails.approvals.stores import ApprovalStore, InMemoryApprovalStore
from guardrails.identity import Principal
from guardrails.policy import Policy, PolicyDecision, ToolCall, args_digest

__all__ = ["ApprovalService", "AuditRecorder", "GateResult", "Listener", "hide_values"]

logger = logging.getLogger("guardrails.approvals")
logger.addHandler(logging.NullHandler())

Listener = Callable[[ApprovalEvent], None]
_MAX_CHAIN = 8


class AuditRecorder(Protocol):
    """What the service needs from :class:`guardrails.audit.AuditLog` (``record`` only)."""

    def record(
        self,
        kind: str,
        *,
        principal: str | None = None,
        thread_id: str | None = None,
        run_id: str | None = None,
        policy_hash: str | None = None,
        request_id: str | None = None,
        tool_call_id: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> object:
        """Append one event; durable on return."""
        ...


def hide_values(value: Any) -> Any:
    """Replace every leaf with ``"<hidden>"``: the reviewer view when no masked args were given."""
    if isinstance(value, Mapping):
        return {str(k): hide_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [hide_values(v) for v in value]
    return "<hidden>"


@dataclass(frozen=True, slots=True, kw_only=True)
class GateResult:
    """The outcome of :meth:`ApprovalService.gate`: the policy decision and, if any, the request."""

    decision: PolicyDecision
    request: ApprovalRequest | None = None

    @property
    def effect(self) -> str:
        """``allow``, ``deny`` or ``require_approval``."""
        return self.decision.effect


class ApprovalService:
    """Policy evaluation, approval requests, verified decisions, single-use authorization.

    Args:
        policy: the policy calls and edits are evaluated under.
        store: where requests live (default: in memory; use SQLite/PostgreSQL across processes).
        audit: an :class:`~guardrails.audit.AuditLog` (anything with its ``record``).
        clock: the time source (a :class:`~guardrails.FixedClock` in tests).
        permit_key: the HMAC key for :meth:`issue_permit`/:meth:`decide_permit` (>= 32 bytes);
            a sequence of keys verifies with any (rotation) and issues with the first.
        tools: tags/metadata of tools an edit may switch to, by name (an edit naming another tool
            is refused unless that tool is known here, so its own policy can apply).

    Example:
        >>> from guardrails.testing import FixedClock
        >>> svc = ApprovalService(Policy.default_policy(), clock=FixedClock())
        >>> alice, bob = Principal(id="alice"), Principal(id="bob")
        >>> call = ToolCall(name="wire", args={"amount": 10}, tags=frozenset({"privileged"}))
        >>> req = svc.gate(call, requester=alice).request
        >>> svc.decide(req.id, Decision(verdict="approve", approver=bob,
        ...                             args_digest=req.args_digest)).status
        'approved'
        >>> svc.authorize(req.id, args_digest=args_digest(call.args)).approvers
        ('bob',)
    """

    def __init__(
        self,
        policy: Policy,
        *,
        store: ApprovalStore | None = None,
        audit: AuditRecorder | None = None,
        clock: Clock | None = None,
        permit_key: bytes | Iterable[bytes] | None = None,
        tools: Mapping[str, ToolCall] | None = None,
    ) -> None:
        if not isinstance(policy, Policy):
            raise ConfigurationError("ApprovalService needs a Policy")
        self.policy = policy
        self.store: ApprovalStore = store if store is not None else InMemoryApprovalStore()
        self.audit = audit
        self.clock: Clock = clock or SystemClock()
        if permit_key is None:
            self._keys: list[bytes] = []
        elif isinstance(permit_key, bytes | bytearray):
            self._keys = [bytes(permit_key)]
        else:
            self._keys = [bytes(k) for k in permit_key]
        self._tools = dict(tools or {})
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ApprovalService(policy={self.policy.hash[:19]}…, store={self.store!r})"

    # -- listeners ----------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` on every event of this process; returns an unsubscribe function.

        Listener errors are logged and ignored: a channel failing to update a card must not undo
        a recorded decision.
        """
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _notify(self, kind: Any, request: ApprovalRequest, code: str | None = None) -> None:
        with self._lock:
            listeners = list(self._listeners)
        event = ApprovalEvent(kind=kind, request=request, code=code)
        for listener in listeners:
            try:
                listener(event)
            except Exception as exc:
                logger.warning("approval listener failed: %s", type(exc).__name__)

    def _audit(self, kind: str, request: ApprovalRequest | None, **data: Any) -> None:
        if self.audit is None:
            return
        principal = data.pop("principal", None)
        policy_hash = data.pop("policy_hash", None)
        thread_id = data.pop("thread_id", None)
        run_id = data.pop("run_id", None)
        tool_call_id = data.pop("tool_call_id", None)
        if request is not None:
            data.setdefault("tool", request.tool_name)
        self.audit.record(
            kind,
            principal=principal or None,
            thread_id=thread_id or (request.thread_id if request else None) or None,
            run_id=run_id or (request.run_id if request else None) or None,
            policy_hash=policy_hash or (request.policy_hash if request else self.policy.hash),
            request_id=request.id if request else None,
            # the audit log refuses empty ids: an unknown one is None, not ""
            tool_call_id=tool_call_id or (request.tool_call_id if request else None) or None,
            data=data,
        )

    # -- evaluation and requests --------------------------------------------------------------

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
        now = self.clock.now()
        request = ApprovalRequest(
            id=request_id or new_id(),
            tool_call_id=call.id,
            tool_name=call.name,
            requester=requester,
            args_digest=args_digest(call.args),
            masked_args=dict(masked_args) if masked_args is not None else hide_values(call.args),
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
            tool_metadata=call.metadata,
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

    def get(self, request_id: str) -> ApprovalRequest:
        """The request as it now stands.

        Raises:
            UnknownRequestError: no such request.
        """
        request = self.store.get(request_id)
        if request is None:
            raise UnknownRequestError(f"no approval request {request_id}")
        return request

    def pending(self, *, limit: int = 100) -> list[ApprovalRequest]:
        """Pending requests, oldest first (expired ones are swept by :meth:`tick`)."""
        return self.store.pending(limit=limit)

    # -- deciding -----------------------------------------------------------------------------

    def decide(self, request_id: str, decision: Decision) -> DecisionOutcome:
        """Verify ``decision`` and record it atomically; every refusal is audited and raised.

        Raises:
            DecisionRefused: verification failed (``code`` says why; see ``_verify``).
            UnknownRequestError: no such request.
        """
        now = self.clock.now()
        state: dict[str, Any] = {}

        def change(current: ApprovalRequest) -> ApprovalRequest:
            state.clear()
            try:
                check_decision(current, decision, now=now)
            except DecisionRefused as refusal:
                if refusal.code == "expired" and current.status == "pending":
                    state["expired_now"] = True  # record the expiry itself, then refuse
                    state["refusal"] = refusal
                    return current.evolve(status="expired", resolved_at=now)
                raise
            return self._apply(current, decision, now, state)

        try:
            updated = self.store.update(request_id, change)
        except DecisionRefused as refusal:
            self._refused(request_id, decision, refusal)
            raise
        if state.get("expired_now"):
            self._expired(updated)
            expired: DecisionRefused = state["refusal"]
            self._refused(request_id, decision, expired, request=updated)
            raise expired
        follow_up: ApprovalRequest | None = None
        if updated.status == "superseded" and state.get("follow_up") is not None:
            follow_up = self._open_follow_up(updated, decision, state)
        vote = updated.votes[-1]
        self._audit(
            "approval.decided",
            updated,
            principal=vote.approver.id,
            verdict=vote.verdict,
            status=updated.status,
            approvals=len(updated.approvals),
            quorum=updated.quorum,
            channel=vote.channel,
            provenance=vote.provenance,
            decision_id=vote.decision_id,
            reason_chars=len(vote.reason),
            edited_tool=vote.edited_tool,
            edited_args_digest=vote.edited_args_digest,
            follow_up_id=updated.follow_up_id,
        )
        self._notify("decided" if updated.status != "pending" else "vote", updated)
        return DecisionOutcome(request=updated, status=updated.status, follow_up=follow_up)

    def _apply(
        self, current: ApprovalRequest, decision: Decision, now: datetime, state: dict[str, Any]
    ) -> ApprovalRequest:
        approver = decision.approver
        assert approver is not None  # check_decision refused otherwise
        edited_digest: str | None = None
        edited_tool: str | None = None
        if decision.verdict == "edit":
            edited_tool = decision.edited_tool or current.tool_name
            try:
                edited_digest = args_digest(decision.edited_args or {})
            except InputError:
                raise refuse(
                    "edit_invalid", "edited arguments are not plain JSON", current
                ) from None
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
            return current.evolve(votes=votes, status="rejected", resolved_at=now)
        if decision.verdict == "approve":
            if len({v.approver.id for v in votes if v.verdict == "approve"}) >= current.quorum:
                return current.evolve(
                    votes=votes,
                    status="approved",
                    resolved_at=now,
                    approved_tool=current.tool_name,
                    approved_digest=current.args_digest,
                )
            return current.evolve(votes=votes)
        # An edit is a new call: evaluate it under the policy of the tool it names.
        assert edited_tool is not None
        assert decision.edited_args is not None
        call = self._edited_call(current, edited_tool, decision.edited_args)
        verdict = self.policy.evaluate(call, requester=current.requester, context=current.context)
        if verdict.effect == "deny":
            raise refuse(
                "edit_denied", f"the policy denies the edited call: {verdict.reason}", current
            )
        if verdict.effect == "allow" or (
            verdict.approval is not None
            and verdict.approval.quorum == 1
            and verdict.approval.approvers.admits(approver)
        ):
            return current.evolve(
                votes=votes,
                status="approved",
                resolved_at=now,
                approved_tool=edited_tool,
                approved_digest=edited_digest,
                edited_args=decision.edited_args,
            )
        follow_id = new_id()
        state["follow_up"] = (call, verdict, follow_id)
        return current.evolve(
            votes=votes, status="superseded", resolved_at=now, follow_up_id=follow_id
        )

    def _edited_call(
        self, current: ApprovalRequest, tool: str, args: Mapping[str, Any]
    ) -> ToolCall:
        if tool == current.tool_name:
            return ToolCall(
                name=tool,
                args=args,
                id=current.tool_call_id,
                tags=current.tool_tags,
                metadata=current.tool_metadata,
            )
        known = self._tools.get(tool)
        if known is None:
            raise refuse(
                "edit_unknown_tool", "the edit names a tool the service does not know", current
            )
        return ToolCall(
            name=tool, args=args, id=current.tool_call_id, tags=known.tags, metadata=known.metadata
        )

    def _open_follow_up(
        self, original: ApprovalRequest, decision: Decision, state: dict[str, Any]
    ) -> ApprovalRequest:
        call, verdict, follow_id = state["follow_up"]
        follow = self.request(
            call,
            verdict,
            requester=original.requester,
            masked_args=dict(call.args),
            context=original.context,
            thread_id=original.thread_id,
            run_id=original.run_id,
            parent_id=original.id,
            request_id=follow_id,
        )
        # The editor approved what they wrote: count it on the new request when the rule allows.
        approver = decision.approver
        if approver is not None and follow.eligible(self.clock.now()).admits(approver):
            try:
                return self.decide(
                    follow.id,
                    Decision(
                        verdict="approve",
                        approver=approver,
                        args_digest=follow.args_digest,
                        reason=decision.reason,
                        channel=decision.channel,
                        provenance=decision.provenance,
                    ),
                ).request
            except DecisionRefused:
                pass
        return follow

    def _refused(
        self,
        request_id: str,
        decision: Decision,
        refusal: DecisionRefused,
        *,
        request: ApprovalRequest | None = None,
    ) -> None:
        if request is None:
            request = self.store.get(request_id)
        self._audit(
            "approval.refused",
            request,
            principal=decision.approver.id if decision.approver else None,
            code=refusal.code,
            verdict=decision.verdict,
            channel=decision.channel,
            provenance=decision.provenance,
            decision_id=decision.id,
            **({} if request else {"unknown_request": request_id}),
        )
        if request is not None:
            self._notify("refused", request, refusal.code)

    # -- permits ------------------------------------------------------------------------------

    def issue_permit(
        self, request_id: str, decision: Decision, *, ttl: timedelta | None = None
    ) -> str:
        """Sign ``decision`` after checking it would be accepted now (nothing is recorded).

        The permit expires at the request's expiry or after ``ttl``, whichever is first.

        Raises:
            DecisionRefused: the decision would be refused (audited).
            ConfigurationError: the service has no permit key.
        """
        if not self._keys:
            raise ConfigurationError("this ApprovalService has no permit_key")
        request = self.get(request_id)
        now = self.clock.now()
        try:
            check_decision(request, decision, now=now)
        except DecisionRefused as refusal:
            self._refused(request_id, decision, refusal, request=request)
            raise
        expires = request.expires_at if ttl is None else min(request.expires_at, now + ttl)
        return issue_permit(
            self._keys[0], request_id=request_id, decision=decision, expires_at=expires
        )

    def decide_permit(self, request_id: str, token: str) -> DecisionOutcome:
        """Verify a permit (signature, expiry, request binding) and decide with it.

        Raises:
            DecisionRefused: ``bad_signature``, ``permit_expired``, ``wrong_request`` or any
                refusal of :meth:`decide`.
        """
        if not self._keys:
            raise ConfigurationError("this ApprovalService has no permit_key")
        placeholder = Decision(verdict="reject", approver=None, args_digest="", channel="permit")
        try:
            permit = verify_permit(self._keys, token, now=self.clock.now())
        except DecisionRefused as refusal:
            self._refused(request_id, placeholder, refusal)
            raise
        decision = permit.to_decision()
        if permit.request_id != request_id:
            wrong = refuse("wrong_request", "the permit was issued for another request")
            self._refused(request_id, decision, wrong)
            raise wrong
        return self.decide(request_id, decision)

    # -- execution ----------------------------------------------------------------------------

    def authorize(self, request_id: str, *, args_digest: str) -> AuthorizedCall:
        """Consume the approval of ``request_id`` for the call whose raw args hash to ``args_digest``.

        Follows an edit's follow-up request. Succeeds once; the request becomes ``consumed``.

        Raises:
            ApprovalRequired: still pending (the follow-up request, after an edit).
            ApprovalRejected: a human rejected it.
            ApprovalExpired: it expired (recorded as an expiry, never as a rejection).
            DecisionRefused: ``digest_mismatch`` or ``already_used``.
        """
        original = self.get(request_id)
        if original.args_digest != args_digest:
            refusal = refuse(
                "digest_mismatch", "the call's arguments changed after the request", original
            )
            self._audit("approval.refused", original, code=refusal.code, stage="authorize")
            raise refusal
        target = original
        for _ in range(_MAX_CHAIN):
            if target.status != "superseded" or target.follow_up_id is None:
                break
            target = self.get(target.follow_up_id)
        now = self.clock.now()
        state: dict[str, Any] = {}

        def change(current: ApprovalRequest) -> ApprovalRequest:
            state.clear()
            if current.status == "pending" and now >= current.expires_at:
                state["expired_now"] = True
                return current.evolve(status="expired", resolved_at=now)
            if current.status == "approved":
                if now >= current.expires_at:
                    state["expired_now"] = True
                    return current.evolve(status="expired", resolved_at=now)
                return current.evolve(status="consumed")
            return current

        updated = self.store.update(target.id, change)
        if state.get("expired_now"):
            self._expired(updated)
        if (
            updated.status == "consumed"
            and not state.get("expired_now")
            and target.status == "approved"
        ):
            approvers = tuple(
                sorted(
                    updated.approvals
                    | {v.approver.id for v in updated.votes if v.verdict == "edit"}
                )
            )
            self._audit(
                "approval.consumed",
                updated,
                approvers=list(approvers),
                approved_tool=updated.approved_tool,
                approved_digest=updated.approved_digest,
            )
            self._notify("consumed", updated)
            assert updated.approved_tool is not None
            assert updated.approved_digest is not None
            return AuthorizedCall(
                request_id=updated.id,
                tool_name=updated.approved_tool,
                args_digest=updated.approved_digest,
                approvers=approvers,
                edited_args=updated.edited_args,
            )
        raise self._blocked(updated)

    def _blocked(self, request: ApprovalRequest) -> Exception:
        status = request.status
        if status == "pending":
            return ApprovalRequired(request)
        if status == "rejected":
            vote = request.votes[-1] if request.votes else None
            why = f": {vote.reason}" if vote and vote.reason else ""
            return ApprovalRejected(
                f"a reviewer rejected the call{why}", request_id=request.id, tool=request.tool_name
            )
        if status == "expired":
            return ApprovalExpired(
                "the approval request expired before a decision",
                request_id=request.id,
                tool=request.tool_name,
            )
        refusal = refuse("already_used", f"the approval was already used ({status})", request)
        self._audit("approval.refused", request, code=refusal.code, stage="authorize")
        return refusal

    def mark_executed(
        self,
        request_id: str,
        *,
        ok: bool = True,
        duration_ms: float | None = None,
        error: str | None = None,
    ) -> ApprovalRequest:
        """Record that the authorized call ran (``error``: an error class name, never a message)."""

        def change(current: ApprovalRequest) -> ApprovalRequest:
            if current.status != "consumed":
                raise ApprovalError(f"request {request_id} was not authorized for execution")
            return current.evolve(status="executed")

        updated = self.store.update(request_id, change)
        self._audit(
            "tool.executed" if ok else "tool.failed",
            updated,
            masked_args=dict(updated.masked_args),
            outcome="ok" if ok else "error",
            duration_ms=duration_ms,
            error=error,
        )
        self._notify("executed", updated)
        return updated

    # -- sweeping -----------------------------------------------------------------------------

    def tick(self, *, limit: int = 1000) -> list[ApprovalRequest]:
        """Expire and escalate due requests; returns the requests that changed."""
        now = self.clock.now()
        changed: list[ApprovalRequest] = []
        for request in self.store.pending(limit=limit, due_before=now):
            kind, updated = self._sweep_one(request.id, now)
            if kind == "expired":
                self._expired(updated)
                changed.append(updated)
            elif kind == "escalated":
                assert updated.escalation is not None
                self._audit("approval.escalated", updated, to=updated.escalation.to.to_dict())
                self._notify("escalated", updated)
                changed.append(updated)
        return changed

    def _sweep_one(self, request_id: str, now: datetime) -> tuple[str | None, ApprovalRequest]:
        kind: list[str] = []

        def change(current: ApprovalRequest) -> ApprovalRequest:
            kind.clear()
            if current.status != "pending":
                return current
            if now >= current.expires_at:
                kind.append("expired")
                return current.evolve(status="expired", resolved_at=now)
            esc = current.escalate_at
            if esc is not None and not current.escalated and now >= esc:
                kind.append("escalated")
                return current.evolve(escalated=True)
            return current

        updated = self.store.update(request_id, change)
        return (kind[0] if kind else None), updated

    def expire_due(self) -> list[ApprovalRequest]:
        """Expire due requests (alias of :meth:`tick` restricted to expiries)."""
        return [r for r in self.tick() if r.status == "expired"]

    def _expired(self, request: ApprovalRequest) -> None:
        self._audit(
            "approval.expired",
            request,
            approvals=len(request.approvals),
            quorum=request.quorum,
            expires_at=request.expires_at.isoformat(),
        )
        self._notify("expired", request)
