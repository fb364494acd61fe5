"""The guard's view of the core services: redactor + vault, policy, approvals, audit.

Every call from the guard into :mod:`guardrails.policy`, :mod:`guardrails.approvals`,
:mod:`guardrails.audit` and the redactor goes through here, so the orchestration in
:mod:`guardrails.guard._guard` reads as the steps it performs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from guardrails._clock import Clock
from guardrails._errors import ApprovalError, RedactionError
from guardrails.guard._values import Answer, CallContext, Resolution, Ruling, ToolInfo, Verdict

__all__ = ["Backend", "Evaluation"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    """What the guard needs from a policy decision plus the tool's data settings."""

    outcome: Literal["allow", "deny", "approval"]
    rule: str | None
    reason: str
    allowed_decisions: tuple[Verdict, ...]
    restore_entities: frozenset[str]
    redact_output: bool
    expires_in_s: float | None
    policy_hash: str | None
    chat_replies: bool = True
    decision: Any = None


_OUTCOME: dict[str, Literal["allow", "deny", "approval"]] = {
    "allow": "allow",
    "deny": "deny",
    "require_approval": "approval",
}


class Backend:
    """Holds the core services and translates between them and the guard's values."""

    def __init__(
        self,
        *,
        redactor: Any,
        policy: Any,
        approvals: Any,
        audit: Any,
        clock: Clock,
        store: Any = None,
    ) -> None:
        from guardrails.audit import AuditLog
        from guardrails.policy import Policy

        if redactor is None:
            from guardrails.redactor import Redactor

            redactor = Redactor()
        self.redactor = redactor
        if policy is None:
            policy = approvals.policy if approvals is not None else Policy.default_policy()
        self.policy = policy
        if audit is None:
            audit = getattr(approvals, "audit", None) or AuditLog(clock=clock)
        self.audit = audit
        if approvals is None:
            from guardrails.approvals import ApprovalService

            approvals = ApprovalService(policy, store=store, audit=audit, clock=clock)
        self.approvals = approvals
        self.clock = clock

    # -- policy -------------------------------------------------------------------------------

    def evaluate(
        self, tool: ToolInfo, masked: Mapping[str, Any], ctx: CallContext, vault: Any = None
    ) -> Evaluation:
        """Evaluate the policy for ``tool``; never raises for a policy error (deny).

        Conditions see the real values (an allowlist of destinations must compare addresses,
        not placeholders); nothing else does.
        """
        from guardrails.policy import ToolCall

        settings = self.policy.tool_settings(tool.name)
        tags = set(tool.tags)
        if tool.privileged:
            tags.add("privileged")
        raw = dict(vault.restore(dict(masked))) if vault is not None else dict(masked)
        call = ToolCall(
            name=tool.name, args=raw, tags=frozenset(tags), metadata=dict(tool.metadata)
        )
        decision = self.policy.evaluate(
            call, requester=self.requester(ctx), context={"thread_id": ctx.thread_id}
        )
        spec = decision.approval
        return Evaluation(
            outcome=_OUTCOME[decision.effect],
            rule=decision.rule,
            reason=decision.reason,
            allowed_decisions=tuple(sorted(spec.decisions))
            if spec
            else ("approve", "edit", "reject"),
            restore_entities=frozenset(settings.restore_entities),
            redact_output=bool(settings.redact_output),
            expires_in_s=spec.expires_in.total_seconds() if spec else None,
            policy_hash=decision.policy_hash,
            decision=decision,
        )

    def requester(self, ctx: CallContext) -> Any:
        """The requester as a principal (``None`` when unknown)."""
        if ctx.requester is None:
            return None
        from guardrails.identity import Principal

        directory = getattr(self.policy, "directory", None)
        found = directory.resolve("principal", ctx.requester) if directory else None
        return found or Principal(id=ctx.requester)

    # -- redaction ----------------------------------------------------------------------------

    def restore(
        self, masked: Mapping[str, Any], vault: Any, entities: frozenset[str]
    ) -> dict[str, Any]:
        """Placeholders restored for ``entities`` only; everything else stays masked."""
        if vault is None or not entities:
            return dict(masked)
        restored = vault.restore(dict(masked), entities=entities)
        return dict(restored)

    def redact_any(self, value: Any, vault: Any) -> Any:
        """Redact text or structured data; fails closed with :class:`RedactionError`."""
        try:
            if isinstance(value, str):
                return self.redactor.redact(value, vault=vault).text
            return self.redactor.redact_data(value, vault=vault)
        except RedactionError:
            raise
        except Exception as exc:
            raise RedactionError(
                f"redaction failed ({type(exc).__name__}); nothing was passed on"
            ) from exc

    # -- audit --------------------------------------------------------------------------------

    def _record(self, kind: str, ruling: Ruling, ctx: CallContext, **data: Any) -> None:
        self.audit.record(
            kind,
            principal=ctx.requester,
            thread_id=ctx.thread_id or None,
            run_id=ctx.run_id,
            policy_hash=ruling.policy_hash,
            request_id=ruling.request_id if ruling.outcome == "approval" else None,
            tool_call_id=ruling.call_id or None,
            tool=ruling.tool.name,
            **data,
        )

    def denied(self, ruling: Ruling, ctx: CallContext) -> None:
        self._record("policy.denied", ruling, ctx, rule=ruling.rule, reason=ruling.reason)

    def refused(self, ruling: Ruling, ctx: CallContext, code: str) -> None:
        self._record("approval.refused", ruling, ctx, code=code, approver=ctx.approver)

    def executed(
        self, ruling: Ruling, ctx: CallContext, ms: float, outcome: str, request_id: str | None
    ) -> None:
        self._record(
            "tool.executed" if outcome == "ok" else "tool.failed",
            ruling,
            ctx,
            args=_jsonable(ruling.masked_args),
            outcome=outcome,
            duration_ms=ms,
            approved_by_request=request_id,
        )

    # -- approvals (through guardrails.approvals.ApprovalService) -----------------------------

    def _principal(self, user_id: str | None) -> Any:
        if user_id is None:
            return None
        from guardrails.identity import Principal

        directory = getattr(self.policy, "directory", None)
        found = directory.resolve("principal", user_id) if directory else None
        return found or Principal(id=user_id)

    def open_request(self, ruling: Ruling, ctx: CallContext) -> Any:
        """The service's request for ``ruling``: created with the deterministic id if absent."""
        existing = self.approvals.store.get(ruling.request_id)
        if existing is not None:
            return existing
        from guardrails.policy import ToolCall

        call = ToolCall(
            name=ruling.tool.name,
            args=dict(ruling.args),
            id=ruling.call_id,
            tags=frozenset(_tags(ruling.tool)),
            metadata=dict(ruling.tool.metadata),
        )
        try:
            return self.approvals.request(
                call,
                ruling.decision,
                requester=self._principal(ctx.requester),
                masked_args=_jsonable(ruling.masked_args),
                thread_id=ctx.thread_id or None,
                run_id=ctx.run_id,
                request_id=ruling.request_id,
            )
        except ApprovalError:
            # Another task or process created it first (same deterministic id): use theirs.
            found = self.approvals.store.get(ruling.request_id)
            if found is None:
                raise
            return found

    def _target(self, request_id: str) -> Any:
        """The request a decision now applies to (an edit's follow-up, when there is one)."""
        req = self.approvals.store.get(request_id)
        for _ in range(8):
            if req is None or req.status != "superseded" or req.follow_up_id is None:
                break
            req = self.approvals.store.get(req.follow_up_id)
        return req

    def existing_decision(self, ruling: Ruling, ctx: CallContext) -> Resolution | None:
        """The recorded outcome (from any channel), or ``None`` while a decision is pending.

        A pending request past its expiry is expired now (fail closed, audited once).
        """
        req = self._target(ruling.request_id)
        if req is None:
            return None
        if req.status == "pending" and self.clock.now() >= req.expires_at:
            self.approvals.expire_due()
            req = self._target(ruling.request_id)
        return _resolution(req)

    def decide(self, ruling: Ruling, ctx: CallContext, answer: Answer) -> Resolution:
        """Verify and record ``answer`` through the approval service.

        LangGraph re-validates a saved resume each time the node re-runs: an answer this
        approver already gave (or any answer once the request is settled) returns the recorded
        outcome instead of voting again; the first valid decision wins.
        """
        from guardrails.approvals import Decision

        req = self._target(ruling.request_id)
        if req is None:
            self.open_request(ruling, ctx)
            req = self._target(ruling.request_id)
        settled = _resolution(req)
        if settled is not None:
            return settled
        if answer.permit is not None:
            outcome = self.approvals.decide_permit(req.id, answer.permit)
        else:
            decision = Decision(
                verdict=answer.verdict,
                approver=self._principal(ctx.approver),
                args_digest=req.args_digest,
                reason=answer.message,
                edited_tool=answer.tool_name if answer.verdict == "edit" else None,
                edited_args=dict(answer.args)
                if answer.verdict == "edit" and answer.args is not None
                else None,
                channel=answer.channel,
            )
            outcome = self.approvals.decide(req.id, decision)
        done = _resolution(self._target(ruling.request_id))
        if done is not None:
            return done
        return Resolution(
            verdict="approve",
            approver=ctx.approver,
            request_id=outcome.request.id,
            pending=True,
            channel=answer.channel,
        )

    def authorize(self, ruling: Ruling) -> Any:
        """Consume the approval (single use) for the call about to run; raises if not approved."""
        return self.approvals.authorize(ruling.request_id, args_digest=ruling.digest)

    def mark_executed(self, request_id: str, ok: bool, ms: float, error: str | None) -> None:
        self.approvals.mark_executed(request_id, ok=ok, duration_ms=ms, error=error)


def _tags(tool: ToolInfo) -> set[str]:
    tags = set(tool.tags)
    if tool.privileged:
        tags.add("privileged")
    return tags


def _resolution(req: Any) -> Resolution | None:
    """Translate a settled request into a resolution; ``None`` while it waits."""
    if req is None or req.status == "pending":
        return None
    last = req.votes[-1] if req.votes else None
    channel = last.channel if last is not None else ""
    approver = last.approver.id if last is not None else None
    if req.status == "expired":
        return Resolution(
            verdict="reject",
            approver=None,
            request_id=req.id,
            expired=True,
            channel="clock",
            message="the approval request expired before a decision; the call did not run",
        )
    if req.status == "rejected":
        return Resolution(
            verdict="reject",
            approver=approver,
            request_id=req.id,
            message=last.reason if last is not None else "",
            channel=channel,
        )
    if req.edited_args is not None:
        return Resolution(
            verdict="edit",
            approver=approver,
            request_id=req.id,
            masked_args=dict(req.edited_args),
            channel=channel,
        )
    # approved, consumed or executed: the ledger tells a re-run it already ran.
    return Resolution(verdict="approve", approver=approver, request_id=req.id, channel=channel)


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))
