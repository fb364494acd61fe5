"""The guard's view of the core services: redactor + vault, policy, approvals, audit.

Every call from the guard into :mod:`guardrails.policy`, :mod:`guardrails.approvals`,
:mod:`guardrails.audit` and the redactor goes through here, so the orchestration in
:mod:`guardrails.guard._guard` reads as the steps it performs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from guardrails._clock import Clock
from guardrails._errors import RedactionError
from guardrails.guard._approvals import ApprovalsPort, _jsonable
from guardrails.guard._values import CallContext, Ruling, ToolInfo, Verdict

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


class _Restored(Mapping[str, Any]):
    """The args with every placeholder restored, computed on first read.

    Only a rule condition reads a call's args, and most calls match no conditional rule: the
    vault walk is then skipped. A restore error surfaces inside the policy's evaluation, which
    turns it into a deny (fail closed), as an eager restore here would have via ``rule()``.
    """

    __slots__ = ("_lock", "_masked", "_value", "_vault")

    def __init__(self, masked: Mapping[str, Any], vault: Any) -> None:
        self._masked = dict(masked)
        self._vault = vault
        self._value: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def _get(self) -> dict[str, Any]:
        with self._lock:
            if self._value is None:
                self._value = dict(self._vault.restore(dict(self._masked)))
            return self._value

    def __getitem__(self, key: str) -> Any:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __repr__(self) -> str:  # never the values
        return f"<restored args: {len(self._masked)} keys>"


class Backend(ApprovalsPort):
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
        self._edits = {}
        self._principals = {}
        self._log_type = AuditLog
        # ToolInfo (frozen) -> its tags as the policy sees them ("privileged" added when its
        # metadata says so): adapters reuse one ToolInfo per tool, so this is built once.
        self._tags: dict[int, tuple[ToolInfo, frozenset[str]]] = {}

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
        raw: Mapping[str, Any] = _Restored(masked, vault) if vault is not None else dict(masked)
        call = ToolCall(
            name=tool.name, args=raw, tags=self._tags_of(tool), metadata=dict(tool.metadata)
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

    def _tags_of(self, tool: ToolInfo) -> frozenset[str]:
        cached = self._tags.get(id(tool))
        if cached is not None and cached[0] is tool:
            return cached[1]
        tags = frozenset(tool.tags | {"privileged"}) if tool.privileged else tool.tags
        if len(self._tags) >= 1024:
            self._tags.clear()
        self._tags[id(tool)] = (tool, tags)
        return tags

    def requester(self, ctx: CallContext) -> Any:
        """The requester as a principal (``None`` when unknown)."""
        return self._principal(ctx.requester)

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
        audit = self.audit
        # The event is not read back: AuditLog.append skips parsing it (a subclass or another
        # log keeps its own record()).
        write = audit.append if type(audit) is self._log_type else audit.record
        write(
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
