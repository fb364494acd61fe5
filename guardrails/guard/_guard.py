"""``ToolGuard``: one tool call, start to finish, with no framework import.

Every integration (LangChain middleware, LangGraph tool node, ``guard_tools``, the OpenAI guard,
channels) runs a call through the same steps, in this order::

    rule()      policy evaluate on the args the tool would receive  (pure)
    open()      create the approval request, idempotently           (deterministic id)
    resolve()   verify a reviewer's answer via the approval service (refusals audited)
    execute()   claim in the ledger -> run once -> redact output -> audit

Nothing here knows about interrupts: an adapter calls :meth:`ToolGuard.rule` and
:meth:`ToolGuard.open` before it pauses (both are safe to repeat), and :meth:`ToolGuard.resolve` /
:meth:`ToolGuard.execute` after.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from guardrails._clock import Clock, SystemClock
from guardrails._errors import (
    ActionDenied,
    DecisionRefused,
    GuardrailsError,
)
from guardrails.guard._backend import Backend
from guardrails.guard._execution import ExecutionInFlight, ExecutionMixin
from guardrails.guard._ledger import ExecutionLedger, MemoryLedger
from guardrails.guard._values import (
    Answer,
    CallContext,
    Resolution,
    Ruling,
    ToolInfo,
    ledger_key_for,
    request_id_for,
)
from guardrails.policy._canonical import args_digest

__all__ = ["ExecutionInFlight", "ToolGuard"]

T = TypeVar("T")


class ToolGuard(ExecutionMixin):
    """Runs tool calls through policy, approval, restore, exactly-once execution and redaction.

    Args:
        redactor: a :class:`~guardrails.Redactor` (default: every built-in entity).
        policy: a policy (default: approval for tools tagged ``privileged``).
        approvals: an approval service (default: in-memory store).
        audit: an :class:`~guardrails.audit.AuditLog` (default: in-memory trail).
        ledger: an :class:`ExecutionLedger` (default: in-memory).
        clock: the time source.

    Example:
        >>> from guardrails.guard import CallContext, ToolGuard, ToolInfo
        >>> guard = ToolGuard()
        >>> ctx = CallContext(thread_id="t1", requester="alice")
        >>> ruling = guard.rule("c1", {"q": "x"}, ToolInfo(name="search"), ctx)
        >>> ruling.outcome
        'allow'
        >>> guard.execute(ruling, ctx, lambda args: "found " + args["q"])
        'found x'
    """

    def __init__(
        self,
        *,
        redactor: Any = None,
        policy: Any = None,
        approvals: Any = None,
        audit: Any = None,
        ledger: ExecutionLedger | None = None,
        store: Any = None,
        clock: Clock | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.backend = Backend(
            redactor=redactor,
            policy=policy,
            approvals=approvals,
            audit=audit,
            clock=self.clock,
            store=store,
        )
        self.ledger: ExecutionLedger = ledger if ledger is not None else MemoryLedger()

    # -- pure work: safe before an interrupt --------------------------------------------------

    def rule(
        self,
        call_id: str,
        args: Mapping[str, Any],
        tool: ToolInfo,
        ctx: CallContext,
        *,
        vault: Any = None,
    ) -> Ruling:
        """The policy's ruling on a call. Pure: no store write, no audit event.

        ``args`` are the model's arguments (placeholders). Placeholders are restored only for the
        entity types the policy lets ``tool`` receive; everything else stays masked. Any error
        while evaluating rules the call ``deny`` (fail closed).
        """
        masked = dict(args)
        try:
            ev = self.backend.evaluate(tool, masked, ctx, vault)
            restored = self.backend.restore(masked, vault, ev.restore_entities)
            plain = args_digest(restored)
            # What reviewers see (cards, payloads, request ids) is keyed by the approval service:
            # a plain hash next to the masked args would confirm a guess of a hidden value.
            digest = self.backend.approvals.key_digest(plain)
        except GuardrailsError as exc:
            return self._failed_ruling(call_id, masked, tool, ctx, type(exc).__name__)
        except Exception as exc:  # policy code is user code: any failure blocks the call
            return self._failed_ruling(call_id, masked, tool, ctx, type(exc).__name__)
        rid = request_id_for(ctx.thread_id, ctx.scope, call_id, digest, tool.name)
        return Ruling(
            outcome=ev.outcome,
            tool=tool,
            call_id=call_id,
            masked_args=masked,
            args=restored,
            digest=digest,
            request_id=rid,
            # the once-only ledger is server-side and must name the same call after a restart
            # even when the approval key is per process (in-memory store): plain digest there
            ledger_key=ledger_key_for(ctx.thread_id, ctx.scope, call_id, plain, tool.name),
            rule=ev.rule,
            reason=ev.reason,
            allowed_decisions=ev.allowed_decisions,
            restore_entities=ev.restore_entities,
            redact_output=ev.redact_output,
            expires_in_s=ev.expires_in_s,
            policy_hash=ev.policy_hash,
            chat_replies=ev.chat_replies,
            decision=ev.decision,
        )

    def _failed_ruling(
        self, call_id: str, masked: dict[str, Any], tool: ToolInfo, ctx: CallContext, err: str
    ) -> Ruling:
        rid = request_id_for(ctx.thread_id, ctx.scope, call_id, "error", tool.name)
        return Ruling(
            outcome="deny",
            tool=tool,
            call_id=call_id,
            masked_args=masked,
            args={},
            digest="",
            request_id=rid,
            ledger_key=rid,
            rule="policy_error",
            reason=f"The call was blocked because the policy could not be evaluated ({err}).",
        )

    # -- approval -----------------------------------------------------------------------------

    def open(self, ruling: Ruling, ctx: CallContext) -> Any:
        """Create (or find) the approval request for ``ruling``; audited once. Idempotent."""
        return self.backend.open_request(ruling, ctx)

    def decided(self, ruling: Ruling, ctx: CallContext) -> Resolution | None:
        """A decision already recorded for this request (e.g. from Slack), or ``None``.

        Raises:
            ApprovalExpired: the request expired without a valid decision.
        """
        return self.backend.existing_decision(ruling, ctx)

    def resolve(self, ruling: Ruling, ctx: CallContext, answer: Answer) -> Resolution:
        """Verify a reviewer's answer and record it (durably, before the tool runs).

        The approver is ``ctx.approver``: the authenticated user of the run delivering the
        answer, or the signer named in a valid permit. An edit must name the same tool and gets
        a new digest, evaluated again under that tool's policy.

        Raises:
            DecisionRefused: self-approval, unauthenticated or unauthorized approver, a bad or
                replayed permit, a tool switch, an edit the policy denies (``code`` says which).
            ApprovalExpired: the request expired; fails closed.
        """
        if answer.verdict not in ruling.allowed_decisions:
            self.backend.refused(ruling, ctx, "decision_not_allowed")
            raise DecisionRefused(
                f"the decision {answer.verdict!r} is not allowed for tool {ruling.tool.name!r}; "
                f"allowed: {', '.join(ruling.allowed_decisions)}",
                code="decision_not_allowed",
                request_id=ruling.request_id,
                tool=ruling.tool.name,
            )
        if answer.verdict == "edit" and answer.tool_name not in (None, ruling.tool.name):
            self.backend.refused(ruling, ctx, "tool_switch")
            raise DecisionRefused(
                f"an edit may not switch tool {ruling.tool.name!r} to another tool",
                code="tool_switch",
                request_id=ruling.request_id,
                tool=ruling.tool.name,
            )
        return self.backend.decide(ruling, ctx, answer)

    def reevaluate_edit(self, ruling: Ruling, resolution: Resolution, ctx: CallContext) -> Ruling:
        """The ruling for an edited call: new args, new digest, the tool's policy again."""
        edited = dict(resolution.masked_args or resolution.args or {})
        return self.rule(ruling.call_id + ":edit", edited, ruling.tool, ctx)

    # -- execution ----------------------------------------------------------------------------

    def block(self, ruling: Ruling, ctx: CallContext) -> ActionDenied:
        """Audit a policy deny and return the error to report (its reason is safe to show)."""
        self.backend.denied(ruling, ctx)
        return ActionDenied(ruling.reason or "denied by policy", tool=ruling.tool.name)

    # -- redaction ----------------------------------------------------------------------------

    def redact_output(self, value: Any, vault: Any, ruling: Ruling | None = None) -> Any:
        """Redact a tool's output (text or structured) into the thread's vault."""
        if ruling is not None and not ruling.redact_output:
            return value
        return self.backend.redact_any(value, vault)
