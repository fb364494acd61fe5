"""Function calls the model requested: policy, approval, restore, run once — through core ToolGuard.

The model only ever saw placeholders, so the arguments it returns hold placeholders. Before the
application runs a function it calls :meth:`ToolCalls.call_tool` (or :meth:`check_tool_call`):
the policy rules on the call (tags, conditions); a privileged call raises
:class:`~guardrails.ApprovalRequired` until a verified decision exists (same approval service and
audit trail as the LangGraph integration); only the entity types the policy lets this tool
receive are restored; the function runs at most once per call.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from guardrails import ApprovalRejected, ApprovalRequired, InputError
from guardrails.guard import Answer, CallContext, Resolution, Ruling, ToolGuard, ToolInfo

if TYPE_CHECKING:
    from guardrails.session import RedactionSession

__all__ = ["CheckedCall", "ToolCalls", "parse_call"]


def parse_call(call: Any) -> tuple[str, str, Any]:
    """``(call_id, name, arguments)`` from a chat tool call, a Responses ``function_call`` item
    or an equivalent dict."""
    if isinstance(call, Mapping):
        fn = call.get("function")
        if isinstance(fn, Mapping):
            return str(call.get("id") or ""), str(fn.get("name") or ""), fn.get("arguments")
        return (
            str(call.get("call_id") or call.get("id") or ""),
            str(call.get("name") or ""),
            call.get("arguments"),
        )
    fn = getattr(call, "function", None)
    if fn is not None:
        return str(getattr(call, "id", "") or ""), str(fn.name), fn.arguments
    if hasattr(call, "name") and hasattr(call, "arguments"):
        cid = getattr(call, "call_id", None) or getattr(call, "id", None) or ""
        return str(cid), str(call.name), call.arguments
    raise InputError(f"not a function call: {type(call).__name__}")


def _arguments(raw: Any, name: str) -> dict[str, Any]:
    if isinstance(raw, Mapping):
        return dict(raw)
    if not isinstance(raw, str):
        raise InputError(f"arguments of {name!r} must be a JSON object string")
    try:
        args = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise InputError(f"arguments of {name!r} are not valid JSON") from None
    if not isinstance(args, dict):
        raise InputError(f"arguments of {name!r} must be a JSON object")
    return args


@dataclass(frozen=True, kw_only=True)
class CheckedCall:
    """A call the policy lets run now. ``args`` are restored for this tool only (kept out of repr).

    Example:
        >>> from integrations.openai import OpenAIGuard
        >>> guard = OpenAIGuard(conversation_id="c1")
        >>> call = {"id": "call_1", "function": {"name": "search", "arguments": '{"q": "x"}'}}
        >>> checked = guard.check_tool_call(call)
        >>> checked.name, dict(checked.args)
        ('search', {'q': 'x'})
    """

    name: str
    call_id: str
    args: Mapping[str, Any] = field(repr=False)
    ruling: Ruling = field(repr=False)
    ctx: CallContext = field(repr=False)
    resolution: Resolution | None = field(default=None, repr=False)
    approval: tuple[str, str] | None = None  # (request id, args digest), consumed when it runs


class ToolCalls:
    """Mixin of :class:`~integrations.openai.OpenAIGuard` for function calls."""

    _tool_guard: Any
    _tool_services: dict[str, Any]
    redactor: Any

    def session(self, conversation_id: str | None = None) -> RedactionSession:
        raise NotImplementedError

    @property
    def tool_guard(self) -> ToolGuard:
        """The core :class:`~guardrails.guard.ToolGuard` (built on first use)."""
        if self._tool_guard is None:
            self._tool_guard = ToolGuard(redactor=self.redactor, **self._tool_services)
        guard: ToolGuard = self._tool_guard
        return guard

    def _rule(
        self,
        call: Any,
        tool: ToolInfo | None,
        cid: str | None,
        *,
        requester: str | None = None,
        approver: str | None = None,
        scope: str = "",
    ) -> tuple[str, Ruling, CallContext, RedactionSession]:
        call_id, name, raw = parse_call(call)
        session = self.session(cid)
        info = tool if tool is not None else ToolInfo(name=name)
        if info.name != name:
            raise InputError(f"the call names tool {name!r} but ToolInfo describes {info.name!r}")
        ctx = CallContext(
            thread_id=session.conversation_id, requester=requester, approver=approver, scope=scope
        )
        masked = session.redact_data(_arguments(raw, name))
        ruling = self.tool_guard.rule(call_id, masked, info, ctx, vault=session.vault)
        return name, ruling, ctx, session

    def restore_arguments(
        self, call: Any, *, tool: ToolInfo | None = None, conversation_id: str | None = None
    ) -> dict[str, Any]:
        """The call's arguments with placeholders restored only for entity types the policy lets
        this tool receive (none by default); the rest stay placeholders. No approval check."""
        _, ruling, _, _ = self._rule(call, tool, conversation_id)
        return dict(ruling.args)

    def check_tool_call(
        self,
        call: Any,
        *,
        tool: ToolInfo | None = None,
        conversation_id: str | None = None,
        requester: str | None = None,
        approver: str | None = None,
        answer: Answer | None = None,
        scope: str = "",
    ) -> CheckedCall:
        """Apply the policy to a requested call; return it ready to run, or raise.

        ``approver`` is the *authenticated* reviewer delivering ``answer`` (or a permit inside it).
        For a call that needed approval the approval is consumed here (single use, expiry
        checked now): run the call once, right away; asking again for the same call raises
        ``DecisionRefused`` (``already_used``). :meth:`call_tool` consumes it when ``fn`` runs
        instead, and remembers the result.

        Raises:
            ActionDenied: the policy denies the call (``reason`` is safe to show the model).
            ApprovalRequired: approval is needed and no verified decision exists yet; the masked
                request (for reviewer cards) is ``exc.request``.
            ApprovalRejected / ApprovalExpired / DecisionRefused: the decision does not allow it.
        """
        checked = self._check(
            call,
            tool=tool,
            conversation_id=conversation_id,
            requester=requester,
            approver=approver,
            answer=answer,
            scope=scope,
        )
        if checked.approval is None:
            return checked
        # The caller runs the call itself: nothing else would consume the approval, and an
        # unconsumed one would let the same call run again, or long after it expired.
        request_id, digest = checked.approval
        self.tool_guard.backend.approvals.authorize(
            request_id, args_digest=digest, tool_name=checked.ruling.tool.name
        )
        return replace(checked, approval=None)

    def _check(
        self,
        call: Any,
        *,
        tool: ToolInfo | None = None,
        conversation_id: str | None = None,
        requester: str | None = None,
        approver: str | None = None,
        answer: Answer | None = None,
        scope: str = "",
    ) -> CheckedCall:
        """:meth:`check_tool_call` without consuming the approval (:meth:`call_tool` does)."""
        name, ruling, ctx, session = self._rule(
            call, tool, conversation_id, requester=requester, approver=approver, scope=scope
        )
        tg = self.tool_guard
        if ruling.outcome == "deny":
            raise tg.block(ruling, ctx)
        if ruling.outcome == "allow":
            return CheckedCall(
                name=name, call_id=ruling.call_id, args=ruling.args, ruling=ruling, ctx=ctx
            )
        req = tg.open(ruling, ctx)
        ctx = replace(ctx, requester=getattr(req, "requester", None) or requester)
        resolution = tg.decided(ruling, ctx)
        if resolution is None:
            if answer is None:
                raise ApprovalRequired(req)
            if answer.channel == "langgraph":  # the dataclass default; record the real channel
                answer = replace(answer, channel="openai")
            # What the reviewer typed (a reason, edited args) is stored and audited: masked.
            answer = replace(
                answer,
                message=session.redact_text(answer.message) if answer.message else "",
                args=session.redact_data(dict(answer.args)) if answer.args is not None else None,
            )
            resolution = tg.resolve(ruling, ctx, answer)
        approval = (ruling.request_id, ruling.digest)
        if resolution.verdict == "reject":
            # the reason may come from another channel (Slack, the HTTP inbox): masked here
            reason = session.redact_text(resolution.message) if resolution.message else ""
            why = f": {reason}" if reason else ""
            raise ApprovalRejected(
                f"the call to {name} was not approved{why}", request_id=ruling.request_id, tool=name
            )
        if resolution.verdict == "edit":
            masked = session.redact_data(dict(resolution.masked_args or {}))
            new = tg.rule(ruling.call_id, masked, ruling.tool, ctx, vault=session.vault)
            if new.outcome == "deny":
                raise tg.block(new, ctx)
            ruling = replace(new, ledger_key=new.ledger_key + ":edit")
        return CheckedCall(
            name=name, call_id=ruling.call_id, args=ruling.args, ruling=ruling, ctx=ctx,
            resolution=resolution,
            approval=approval,
        )  # fmt: skip

    def call_tool(self, call: Any, fn: Callable[..., Any], **kwargs: Any) -> Any:
        """:meth:`check_tool_call`, then run ``fn(**args)`` at most once for this call.

        Returns ``fn``'s raw result for the application; send it back as the tool message and the
        guarded client redacts it on the way out. The execution ledger keeps a redacted copy.
        """
        checked = self._check(call, **kwargs)
        session = self.session(kwargs.get("conversation_id"))
        return self.tool_guard.execute(
            checked.ruling,
            checked.ctx,
            lambda args: fn(**args),
            encode=lambda result: json.dumps(session.redact_data(_jsonable(result))),
            decode=json.loads,
            approval=checked.approval,
        )

    async def acall_tool(self, call: Any, fn: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
        """Async :meth:`call_tool`."""
        checked = self._check(call, **kwargs)
        session = self.session(kwargs.get("conversation_id"))
        return await self.tool_guard.aexecute(
            checked.ruling,
            checked.ctx,
            lambda args: fn(**args),
            encode=lambda result: json.dumps(session.redact_data(_jsonable(result))),
            decode=json.loads,
            approval=checked.approval,
        )


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value
