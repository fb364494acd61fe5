"""The :class:`ApprovalService`: one instance shared by every channel.

It evaluates calls against the policy, opens requests, verifies and records decisions atomically in
the store, expires and escalates, authorizes each approved call exactly once, writes every step to
the audit trail and tells subscribed channels so their cards can update.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from guardrails._clock import Clock, SystemClock
from guardrails._errors import ApprovalError, ConfigurationError, DecisionRefused
from guardrails.approvals._base import AuditRecorder, Listener, logger
from guardrails.approvals._lifecycle import Lifecycle, expired_event
from guardrails.approvals._models import (
    ApprovalRequest,
    Decision,
    DecisionOutcome,
    RequestStatus,
    new_id,
)
from guardrails.approvals._permits import issue_permit, verify_permit
from guardrails.approvals._verify import check_decision, refuse
from guardrails.approvals._votes import Applied, FollowUp, apply_decision
from guardrails.approvals.stores import ApprovalStore, InMemoryApprovalStore
from guardrails.identity import Directory, Principal
from guardrails.policy import Policy, PolicyDecision, ToolCall, canonical_json
from guardrails.policy._canonical import json_safe_items

__all__ = ["ApprovalService", "AuditRecorder", "GateResult", "Listener", "hide_values"]


def hide_values(value: Any) -> Any:
    """Replace every leaf with ``"<hidden>"``: the reviewer view when no masked args were given."""
    if isinstance(value, Mapping):
        return {str(k): hide_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [hide_values(v) for v in value]
    return "<hidden>"


@dataclass(frozen=True, slots=True, kw_only=True)
class GateResult:
    """The outcome of :meth:`ApprovalService.gate`: the policy decision and, if any, the request.

    Example:
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


class ApprovalService(Lifecycle):
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
        directory: maps channel identities to principals for :meth:`resolve` (default: the
            principals listed in the policy file, if any).
        digest_key: the key of the argument digests reviewers see (>= 32 bytes; default: a
            random secret kept by the store, shared by every process using it). See
            :meth:`args_digest`.

    Example:
        >>> from guardrails.testing import FixedClock
        >>> svc = ApprovalService(Policy.default_policy(), clock=FixedClock())
        >>> alice, bob = Principal(id="alice"), Principal(id="bob")
        >>> call = ToolCall(name="wire", args={"amount": 10}, tags=frozenset({"privileged"}))
        >>> req = svc.gate(call, requester=alice).request
        >>> svc.decide(req.id, Decision(verdict="approve", approver=bob,
        ...                             args_digest=req.args_digest)).status
        'approved'
        >>> svc.authorize(req.id, args_digest=svc.args_digest(call.args)).approvers
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
        directory: Directory | None = None,
        digest_key: bytes | None = None,
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
        if digest_key is not None and len(digest_key) < 32:
            raise ConfigurationError("digest_key must be at least 32 bytes")
        self._digest_key = digest_key
        self._tools = dict(tools or {})
        self.directory: Directory | None = directory if directory is not None else policy.directory
        self._listeners: list[Listener] = []
        self._seen: dict[str, tuple[str, int, bool]] = {}
        self._lock = threading.Lock()

    def resolve(self, channel: str, subject: str) -> Principal | None:
        """The principal a channel authenticated as ``subject`` (``None`` when unknown).

        A ``None`` approver is refused as ``unauthenticated`` by :meth:`decide`; a directory
        failure counts as unknown (fail closed).
        """
        if self.directory is None:
            return None
        try:
            return self.directory.resolve(channel, subject)
        except Exception as exc:
            logger.warning("directory lookup failed: %s", type(exc).__name__)
            return None

    def __repr__(self) -> str:
        return f"ApprovalService(policy={self.policy.hash[:19]}…, store={self.store!r})"

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
        # What the (possibly retried) transaction decided, for the steps after it commits.
        applied: list[Applied] = []
        expiry: list[DecisionRefused] = []

        def change(current: ApprovalRequest) -> ApprovalRequest:
            applied.clear()
            expiry.clear()
            try:
                check_decision(current, decision, now=now)
            except DecisionRefused as refusal:
                if refusal.code == "expired" and current.status == "pending":
                    expiry.append(refusal)  # record the expiry itself, then refuse
                    return current.evolve(status="expired", resolved_at=now)
                raise
            result = apply_decision(
                current,
                decision,
                now=now,
                policy=self.policy,
                tools=self._tools,
                digest=self.args_digest,
            )
            applied.append(result)
            return result.request

        def events(new: ApprovalRequest) -> list[tuple[str, dict[str, Any]]]:
            if expiry:
                return [expired_event(new)]
            if not applied:
                return []
            vote = new.votes[-1]
            return [
                (
                    "approval.decided",
                    {
                        "principal": vote.approver.id,
                        "verdict": vote.verdict,
                        "status": new.status,
                        "args_digest": new.args_digest,
                        "approvals": len(new.approvals),
                        "quorum": new.quorum,
                        "channel": vote.channel,
                        "provenance": vote.provenance,
                        "decision_id": vote.decision_id,
                        "reason_chars": len(vote.reason),
                        "edited_tool": vote.edited_tool,
                        "edited_args_digest": vote.edited_args_digest,
                        "follow_up_id": new.follow_up_id,
                    },
                )
            ]

        try:
            # The decision and its audit event commit together when the store journals them.
            updated = self._update(request_id, change, events)
        except DecisionRefused as refusal:
            self._refused(request_id, decision, refusal)
            raise
        if expiry:
            self._notify("expired", updated)
            self._refused(request_id, decision, expiry[0], request=updated)
            raise expiry[0]
        follow_up: ApprovalRequest | None = None
        plan = applied[0].follow_up if applied else None
        if plan is not None:
            follow_up = self._open_follow_up(updated, decision, plan)
        self._notify("decided" if updated.status != "pending" else "vote", updated)
        return DecisionOutcome(request=updated, status=updated.status, follow_up=follow_up)

    def _open_follow_up(
        self, original: ApprovalRequest, decision: Decision, plan: FollowUp
    ) -> ApprovalRequest:
        call = plan.call
        follow = self.request(
            call,
            plan.decision,
            requester=original.requester,
            masked_args=dict(call.args),
            context=original.context,
            thread_id=original.thread_id,
            run_id=original.run_id,
            parent_id=original.id,
            request_id=plan.id,
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
        try:
            permit = verify_permit(self._keys, token, now=self.clock.now())
        except DecisionRefused as refusal:
            # Nothing in an unverified permit can be trusted, not even who it claims decided.
            request = self.store.get(request_id)
            self._audit(
                "approval.refused",
                request,
                code=refusal.code,
                channel="permit",
                provenance="permit",
                **({} if request else {"unknown_request": request_id}),
            )
            if request is not None:
                self._notify("refused", request, refusal.code)
            raise
        decision = permit.to_decision()
        if permit.request_id != request_id:
            wrong = refuse("wrong_request", "the permit was issued for another request")
            self._refused(request_id, decision, wrong)
            raise wrong
        return self.decide(request_id, decision)
