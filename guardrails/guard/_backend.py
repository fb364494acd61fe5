"""The guard's view of the core services: redactor + vault, policy, approvals, audit.

Every call from the guard into :mod:`guardrails.policy`, :mod:`guardrails.approvals`,
:mod:`guardrails.audit` and the redactor goes through here, so the orchestration in
:mod:`guardrails.guard._guard` reads as the steps it performs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from guardrails._clock import Clock
from guardrails._errors import DecisionRefused, RedactionError
from guardrails.guard._decisions import (
    DecisionRecord,
    DecisionStore,
    MemoryDecisionStore,
    StoredRequest,
    iso,
)
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
        decisions: DecisionStore | None = None,
    ) -> None:
        from guardrails.audit import AuditLog
        from guardrails.policy import Policy

        if redactor is None:
            from guardrails.redactor import Redactor

            redactor = Redactor()
        self.redactor = redactor
        self.policy = policy if policy is not None else Policy.default_policy()
        self.audit = audit if audit is not None else AuditLog(clock=clock)
        self.approvals = approvals
        self.decisions: DecisionStore = (
            decisions if decisions is not None else MemoryDecisionStore()
        )
        self.clock = clock

    # -- policy -------------------------------------------------------------------------------

    def evaluate(self, tool: ToolInfo, masked: Mapping[str, Any], ctx: CallContext) -> Evaluation:
        """Evaluate the policy for ``tool``; never raises for a policy error (deny)."""
        from guardrails.policy import ToolCall

        settings = self.policy.tool_settings(tool.name)
        tags = set(tool.tags)
        if tool.privileged:
            tags.add("privileged")
        call = ToolCall(
            name=tool.name, args=dict(masked), tags=frozenset(tags), metadata=dict(tool.metadata)
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

    # -- approvals ----------------------------------------------------------------------------

    def open_request(self, ruling: Ruling, ctx: CallContext) -> StoredRequest:
        """Create the request if absent (audited once); return what is stored."""
        now = self.clock.now()
        req = StoredRequest(
            request_id=ruling.request_id,
            tool=ruling.tool.name,
            tool_call_id=ruling.call_id,
            thread_id=ctx.thread_id,
            requester=ctx.requester,
            digest=ruling.digest,
            masked_args=_jsonable(ruling.masked_args),
            rule=ruling.rule,
            reason=ruling.reason,
            created=iso(now),
            expires=iso(now + timedelta(seconds=ruling.expires_in_s))
            if ruling.expires_in_s is not None
            else None,
        )
        if self.decisions.add_request(req):
            self._record(
                "approval.requested",
                ruling,
                ctx,
                args=req.masked_args,
                args_digest=ruling.digest,
                rule=ruling.rule,
                reason=ruling.reason,
                expires_at=req.expires,
            )
            return req
        stored = self.decisions.get_request(ruling.request_id)
        return stored if stored is not None else req

    def _expired(self, req: StoredRequest) -> bool:
        return req.expires is not None and self.clock.now() >= datetime.fromisoformat(req.expires)

    def existing_decision(self, ruling: Ruling, ctx: CallContext) -> Resolution | None:
        """A decision recorded for this request (any channel), or ``None`` while pending.

        An expired request with no decision resolves to ``expired`` (fail closed, audited once).
        """
        rec = self.decisions.get_decision(ruling.request_id)
        if rec is None:
            req = self.decisions.get_request(ruling.request_id)
            if req is None or not self._expired(req):
                return None
            rec = self.decisions.set_decision(
                DecisionRecord(
                    request_id=ruling.request_id,
                    verdict="expired",
                    approver="<expiry>",
                    message="",
                    channel="clock",
                    time=iso(self.clock.now()),
                )
            )
            if rec.verdict == "expired":
                self._record("approval.expired", ruling, ctx, expired_at=req.expires)
        return _resolution(rec)

    def decide(self, ruling: Ruling, ctx: CallContext, answer: Answer) -> Resolution:
        """Verify and record ``answer``; idempotent for a re-validated identical answer."""
        existing = self.decisions.get_decision(ruling.request_id)
        if existing is not None:
            # LangGraph re-validates a saved resume each time the node re-runs: the decision it
            # recorded the first time stands, whoever runs the graph now. A different answer
            # changes nothing either: the first valid decision wins.
            return _resolution(existing)
        req = self.decisions.get_request(ruling.request_id)
        if req is None:
            req = self.open_request(ruling, ctx)
        approver = ctx.approver
        if answer.permit is not None:
            approver = self._verify_permit(ruling, ctx, answer)
        code, why = self._check_approver(approver, req.requester, answer)
        if code is not None:
            self._record("approval.refused", ruling, ctx, code=code, approver=approver)
            raise DecisionRefused(
                why, code=code, request_id=ruling.request_id, tool=ruling.tool.name
            )
        if self._expired(req):
            return self.existing_decision(ruling, ctx) or Resolution(
                verdict="reject", approver=None
            )
        assert approver is not None
        rec = self.decisions.set_decision(
            DecisionRecord(
                request_id=ruling.request_id,
                verdict=answer.verdict,
                approver=approver,
                message=answer.message,
                channel=answer.channel,
                time=iso(self.clock.now()),
                masked_args=_jsonable(answer.args) if answer.args is not None else None,
            )
        )
        if rec.approver != approver or rec.verdict != answer.verdict:
            raise DecisionRefused(
                f"request {ruling.request_id} was already decided",
                code="already_decided",
                request_id=ruling.request_id,
                tool=ruling.tool.name,
            )
        self.audit.record(
            "approval.decided",
            principal=approver,
            thread_id=ctx.thread_id or None,
            run_id=ctx.run_id,
            policy_hash=ruling.policy_hash,
            request_id=ruling.request_id,
            tool_call_id=ruling.call_id or None,
            tool=ruling.tool.name,
            verdict=answer.verdict,
            channel=answer.channel,
            requester=req.requester,
            args_digest=ruling.digest,
            reason=self.redact_any(answer.message, None) if answer.message else "",
        )
        return _resolution(rec)

    def _check_approver(
        self, approver: str | None, requester: str | None, answer: Answer
    ) -> tuple[str | None, str]:
        if approver is None:
            return "unauthenticated", (
                "the resuming run has no authenticated user (set langgraph_auth_user or "
                "configurable.user_id), so it cannot decide"
            )
        if requester is not None and approver == requester:
            return "self_approval", "the requester cannot decide on their own request"
        directory = getattr(self.policy, "directory", None)
        principal = directory.resolve("principal", approver) if directory else None
        if principal is not None and not principal.is_human:
            return "not_human", "only a human principal may decide"
        return None, ""

    def _verify_permit(self, ruling: Ruling, ctx: CallContext, answer: Answer) -> str | None:
        verify = getattr(self.approvals, "verify_permit", None)
        if verify is None:
            self._record(
                "approval.refused", ruling, ctx, code="bad_signature", approver=ctx.approver
            )
            raise DecisionRefused(
                "signed permits are not configured for this guard",
                code="bad_signature",
                request_id=ruling.request_id,
                tool=ruling.tool.name,
            )
        try:
            signer: str = verify(
                answer.permit,
                request_id=ruling.request_id,
                digest=ruling.digest,
                verdict=answer.verdict,
            )
        except DecisionRefused:
            self._record(
                "approval.refused", ruling, ctx, code="bad_signature", approver=ctx.approver
            )
            raise
        return signer


def _resolution(rec: DecisionRecord) -> Resolution:
    verdict = rec.verdict
    return Resolution(
        verdict="reject" if verdict == "expired" else verdict,  # type: ignore[arg-type]
        approver=rec.approver,
        masked_args=rec.masked_args,
        message="the approval request expired before a decision; the call did not run"
        if verdict == "expired"
        else rec.message,
        request_id=rec.request_id,
        expired=verdict == "expired",
        channel=rec.channel,
    )


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))
