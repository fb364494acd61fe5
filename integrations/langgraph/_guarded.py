"""The execution choke point shared by the middleware, the guarded tool node and ``guard_tools``.

:class:`GraphGuard` turns a LangGraph ``ToolCallRequest`` into guard calls: rule, pause for a
decision (an ``interrupt`` whose ``response_schema`` verifies the answer before LangGraph saves
it), run once, redact the result. Only pure or idempotent work happens before ``interrupt()``:
the request id is derived from thread + scope + tool call id + args digest, and opening a request
twice stores it once.
"""

from __future__ import annotations

import hmac
import json
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from langchain_core.messages import ToolMessage
from langgraph.config import get_config
from langgraph.types import Command

from guardrails import ActionBlocked
from guardrails.guard import CallContext, Ruling, ToolGuard
from guardrails.session import RedactionSession
from integrations.langgraph._common import (
    CALL_PREFIX,
    REQUESTER_KEY,
    ToolInfos,
    _scope,
    _state_get,
    _turn,
    _Turns,
    call_digest,
    tool_info,
)
from integrations.langgraph._context import UserResolver, call_context, default_user
from integrations.langgraph._redacting import RedactingMixin
from integrations.langgraph._review import ReviewMixin
from integrations.langgraph._tracing import masked_callbacks
from integrations.langgraph._vault import VaultKeeper

__all__ = ["REQUESTER_KEY", "GraphGuard", "tool_info"]

_SEALED = "sealed:"  # a ledger record holding a sealed raw result (base64 follows)


def _call_config(request: Any) -> dict[str, Any] | None:
    """The config dict ``ToolNode`` built for this call and runs the tool with (or None)."""
    config = getattr(request.runtime, "config", None)
    return config if isinstance(config, dict) else None


class GraphGuard(RedactingMixin, ReviewMixin):
    """LangGraph-side glue around one :class:`~guardrails.guard.ToolGuard`.

    One instance is shared by the nodes, the middleware and ``guard_tools`` of a graph so they
    use the same per-thread vaults.

    Example:
        >>> from guardrails.guard import ToolGuard
        >>> gg = GraphGuard(ToolGuard(), vault_key=b"k" * 32)
        >>> ctx = gg.context({"messages": []}, {"configurable": {"thread_id": "t", "user_id": "al"}})
        >>> (ctx.thread_id, ctx.requester, ctx.approver)
        ('t', 'al', 'al')
    """

    def __init__(
        self,
        guard: ToolGuard,
        *,
        vault_key: bytes | None = None,
        resolve_user: UserResolver = default_user,
        accept_unbound_vaults: bool = False,
    ) -> None:
        self.guard = guard
        # accept_unbound_vaults: a one-time migration switch for vault blobs written before
        # vaults were bound to their thread (refused by default; see VaultKeeper).
        self.keeper = VaultKeeper(
            redactor=guard.backend.redactor,
            key=vault_key,
            accept_unbound_vaults=accept_unbound_vaults,
        )
        self.resolve_user = resolve_user
        self._lock = threading.Lock()
        self.tool_infos = ToolInfos()  # a ToolInfo per tool object, not per call
        # id(scratchpad) -> (scratchpad, turns); holding the scratchpad keeps its id from being
        # reused by a later task while the entry lives. Bounded: old tasks are long finished.
        self._turns: OrderedDict[int, tuple[Any, _Turns]] = OrderedDict()
        self._tags_ok: dict[tuple[str, ...], None] = {}  # requester entries whose tag verified
        # A call whose tool object this guard cannot see counts as privileged (set by the
        # middleware, where an inner middleware may supply a tool added at run time).
        self.unknown_tools_privileged = False
        # Set by the middleware, which sees every model call: a tool call counts as requested
        # by the user of the run in which the model wrote it (a "c:" entry), never by the
        # thread's last requester when it was written into state some other way.
        self.bind_calls = False
        # Whether a call without a verified entry is refused is not kept here: it is each
        # consumer's own setting (GuardedToolNode's unbound_calls), passed to call/acall as
        # refuse_unbound, so a node and a middleware sharing this guard keep their own rules.

    # -- context ------------------------------------------------------------------------------

    def _requester_entries(self, state: Any, config: Mapping[str, Any]) -> tuple[int, Any]:
        """(the highest turn number held, the newest entry whose tag verifies or None)."""
        stored = _state_get(state, REQUESTER_KEY)
        if not isinstance(stored, Mapping):
            return 0, None
        thread = str((config.get("configurable") or {}).get("thread_id") or "")
        numbers = sorted(int(k) for k in stored if isinstance(k, str) and k.isdigit())
        for n in reversed(numbers):
            entry = stored[str(n)]
            if not isinstance(entry, Mapping):
                continue
            user, turn, tag = entry.get("id"), entry.get("turn"), entry.get("tag")
            if (
                (user is None or isinstance(user, str))
                and isinstance(turn, str)
                and isinstance(tag, str)
                and self._verified(thread, str(n), user or "", turn, tag)
            ):
                return numbers[-1], entry
        return (numbers[-1] if numbers else 0), None

    def _verified(self, *parts_and_tag: str) -> bool:
        """Does the tag (last) authenticate the parts? Verified ones are remembered: every
        tool call of a turn reads the same entry."""
        if parts_and_tag in self._tags_ok:
            return True
        *parts, tag = parts_and_tag
        if not hmac.compare_digest(tag, self.keeper.tag(*parts)):
            return False
        if len(self._tags_ok) >= 4096:
            self._tags_ok.clear()
        self._tags_ok[parts_and_tag] = None
        return True

    def requester_update(
        self, state: Any, config: Mapping[str, Any], *, user: str | None = None
    ) -> dict[str, Any] | None:
        """The requester entry to add when ``state`` ends a new turn (a human message no entry
        names yet): the run's authenticated user (or ``user``: the turn's verified requester,
        when the guard itself re-masked the turn's message), bound by an HMAC to the thread,
        the entry's number and the turn's message. ``None`` when the turn already has it."""
        turn = _turn(state)
        top, newest = self._requester_entries(state, config)
        if newest is not None and newest.get("turn") == turn:
            return None
        user = user if user is not None else self.resolve_user(config)
        thread = str((config.get("configurable") or {}).get("thread_id") or "")
        n = str(top + 1)
        return {n: {"id": user, "turn": turn, "tag": self.keeper.tag(thread, n, user or "", turn)}}

    def requester(self, state: Any, config: Mapping[str, Any]) -> str | None:
        """Who asked: the user of the newest requester entry whose tag verifies, else the run's
        own authenticated user.

        The channel is append-only (:func:`merge_requesters`) and every entry is authenticated,
        so what a tool, a resume's state update or ``update_state`` writes there — a name, or an
        earlier turn's entry copied back — never makes someone else the requester of this turn.
        """
        _, newest = self._requester_entries(state, config)
        if self.bind_calls and newest is not None and newest.get("turn") != _turn(state):
            # The newest human message has no entry: it was not started by a run through the
            # guard (a Command or update_state planted it). Whoever runs it now asked.
            return self.resolve_user(config)
        user = newest.get("id") if newest is not None else None
        return user or self.resolve_user(config)

    def call_entries(
        self, calls: list[Any], requester: str | None, config: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Entries binding each (masked) tool call the model just wrote to this turn's
        requester: HMAC over thread, call digest and user."""
        thread = str((config.get("configurable") or {}).get("thread_id") or "")
        out: dict[str, Any] = {}
        for tc in calls:
            digest = call_digest(tc, dict(tc.get("args") or {}))
            user = requester or ""
            out[CALL_PREFIX + digest] = {
                "u": requester,
                "tag": self.keeper.tag(thread, CALL_PREFIX + digest, user),
            }
        return out

    def call_requester(
        self, state: Any, config: Mapping[str, Any], call: Mapping[str, Any], masked: Any
    ) -> str | None:
        """Who requested ``call``: the user of the run whose model wrote it (a verified entry),
        else the user of the run executing it now (a call put into state by a ``Command``,
        ``update_state`` or another graph counts as that user's own request)."""
        bound, user = self.bound_user(state, config, call, masked)
        return user if bound else self.resolve_user(config)

    def bound_user(
        self, state: Any, config: Mapping[str, Any], call: Mapping[str, Any], masked: Any
    ) -> tuple[bool, str | None]:
        """(whether a verified entry binds ``call`` to a run, the user of that run)."""
        stored = _state_get(state, REQUESTER_KEY)
        thread = str((config.get("configurable") or {}).get("thread_id") or "")
        key = CALL_PREFIX + call_digest(call, masked)
        entry = stored.get(key) if isinstance(stored, Mapping) else None
        if isinstance(entry, Mapping):
            user, tag = entry.get("u"), entry.get("tag")
            if (
                (user is None or isinstance(user, str))
                and isinstance(tag, str)
                and self._verified(thread, key, user or "", tag)
            ):
                return True, user
        return False, None

    def unbound(
        self, state: Any, config: Mapping[str, Any], call: Mapping[str, Any], masked: Any
    ) -> bool:
        """Whether no verified entry binds ``call`` to the run whose model wrote it. Whether
        that refuses the call is the caller's setting (``refuse_unbound``)."""
        return not self.bound_user(state, config, call, masked)[0]

    def refuse_unbound(self, ctx: CallContext, call: Mapping[str, Any]) -> ActionBlocked:
        """Audit an unbound call and return the error that keeps it from running."""
        name = str(call.get("name") or "")
        self.guard.backend.audit.record(
            "tool.blocked",
            principal=ctx.requester,
            thread_id=ctx.thread_id or None,
            run_id=ctx.run_id,
            tool_call_id=str(call.get("id") or "") or None,
            tool=name,
            reason="unbound_call",
        )
        return ActionBlocked(
            "this tool call is not bound to the run of a user whose model wrote it (it was "
            "put into the thread's state some other way)",
            tool=name,
        )

    def context(self, state: Any, config: Mapping[str, Any], call_id: str = "") -> CallContext:
        requester = self.requester(state, config)
        return call_context(
            config,
            requester=requester,
            scope=_scope(state, call_id) if call_id else "",
            resolve_user=self.resolve_user,
        )

    def session(self, state: Any, ctx: CallContext) -> RedactionSession:
        return self.keeper.session(ctx.thread_id, state)

    # -- redaction of messages ----------------------------------------------------------------

    def prepare(
        self, request: Any, *, refuse_unbound: bool = False
    ) -> tuple[Ruling, CallContext, RedactionSession]:
        config = request.runtime.config if request.runtime is not None else get_config()
        call = request.tool_call
        ctx = self.context(request.state, config, call.get("id") or "")
        session = self.session(request.state, ctx)
        masked = session.redact_data(dict(call.get("args") or {}))
        if refuse_unbound and self.unbound(request.state, config, call, masked):
            # Audited under the user running it now: nobody's model wrote it.
            raise self.refuse_unbound(replace(ctx, requester=self.resolve_user(config)), call)
        if self.bind_calls:
            ctx = replace(ctx, requester=self.call_requester(request.state, config, call, masked))
        info = self.tool_infos.get(
            request.tool, call["name"], unknown_privileged=self.unknown_tools_privileged
        )
        ruling = self.guard.rule(call.get("id") or "", masked, info, ctx, vault=session.vault)
        return ruling, ctx, session

    def blocked_message(self, request: Any, text: str) -> ToolMessage:
        call = request.tool_call
        return ToolMessage(
            content=text, name=call["name"], tool_call_id=call.get("id") or "", status="error"
        )

    def _outcome(
        self, request: Any, *, replay: bool = True, refuse_unbound: bool = False
    ) -> tuple[Ruling, CallContext, RedactionSession, tuple[str, str] | None] | ToolMessage:
        ruling, ctx, session = self.prepare(request, refuse_unbound=refuse_unbound)
        if ruling.outcome == "deny":
            err = self.guard.block(ruling, ctx)
            return self.blocked_message(request, f"Blocked: {err.reason}")
        if ruling.outcome == "allow":
            return ruling, ctx, session, None
        with self._turn(request, ruling, refuse_unbound=refuse_unbound):
            resolution = self.decision(ruling, ctx, session, replay=replay)
        approval = (ruling.request_id, ruling.digest)
        if resolution.verdict == "reject":
            if resolution.expired:
                return self.blocked_message(request, f"Not run: {resolution.message}")
            # The reason may come from any channel (Slack, the HTTP inbox): masked for the model.
            reason = session.redact_text(resolution.message) if resolution.message else ""
            why = f" Reason: {reason}" if reason else ""
            return self.blocked_message(
                request,
                f"A human reviewer rejected the call to {ruling.tool.name}; it was not run.{why}",
            )
        if resolution.verdict == "edit":
            edited = dict(resolution.masked_args or {})
            masked = session.redact_data(edited)
            new = self.guard.rule(ruling.call_id, masked, ruling.tool, ctx, vault=session.vault)
            if new.outcome == "deny":
                err = self.guard.block(new, ctx)
                return self.blocked_message(request, f"Blocked after edit: {err.reason}")
            ruling = replace(new, ledger_key=new.ledger_key + ":edit")
        return ruling, ctx, session, approval

    @staticmethod
    def _message_of(result: Any) -> dict[str, Any]:
        """Content and status of a tool result (what the ledger keeps of it)."""
        if isinstance(result, ToolMessage):
            return {"content": result.content, "status": result.status}
        if isinstance(result, Command) and isinstance(result.update, Mapping):
            msgs = [m for m in result.update.get("messages", []) if isinstance(m, ToolMessage)]
            if msgs:
                return {"content": msgs[0].content, "status": msgs[0].status}
        return {"content": str(result), "status": "success"}

    def _encoder(self, ruling: Ruling, raw: list[Any]) -> Callable[[Any], str]:
        """The ledger record of a call: its *raw* result, sealed with the vault key.

        A replay (the node re-run after a crash or an interrupt, maybe in a new process) redacts
        it again with the thread's vault as it is then. Keeping the masked text instead would
        replay placeholders the vault may not hold any more (the process died before the
        checkpoint saved the grown vault), and the next new value would take their numbers:
        ``<EMAIL_ADDRESS_1>`` would then restore to someone else's address.
        """

        def encode(result: Any) -> str:
            message = self._message_of(raw[0] if raw else result)
            content, status = message["content"], str(message["status"])
            if isinstance(content, str):  # the common case: no JSON (its escaping costs)
                data = b"s" + status.encode() + b"\n" + content.encode("utf-8", "surrogatepass")
            else:
                data = b"j" + json.dumps(message, default=str).encode("utf-8")
            return _SEALED + self.keeper.seal(data, ruling.ledger_key)

        return encode

    def _decoder(
        self, request: Any, ruling: Ruling, session: RedactionSession
    ) -> Callable[[str], ToolMessage]:
        call = request.tool_call

        def decode(text: str) -> ToolMessage:
            if text.startswith("error: "):  # the tool raised (the guard records the class only)
                data: dict[str, Any] = {
                    "content": f"This call failed before ({text[7:]}); it was not run again.",
                    "status": "error",
                }
            elif text.startswith(_SEALED):
                opened = self.keeper.open(text[len(_SEALED) :], ruling.ledger_key)
                if opened is None:  # another vault key (a per-process key, rotated): fail closed
                    data = {
                        "content": "This call ran before; its recorded result cannot be read "
                        "with this vault key. It was not run again.",
                        "status": "error",
                    }
                elif opened[:1] == b"s":
                    status, _, body = opened[1:].partition(b"\n")
                    data = {
                        "content": body.decode("utf-8", "surrogatepass"),
                        "status": status.decode(),
                    }
                else:
                    data = json.loads(opened[1:])
            else:  # a record written before results were sealed (masked)
                data = json.loads(text)
            message = ToolMessage(
                content=data["content"],
                name=call["name"],
                tool_call_id=call.get("id") or "",
                status=data.get("status", "success"),
            )
            out: ToolMessage = self.redact_result(message, ruling, session)
            return out

        return decode

    def call(
        self,
        request: Any,
        handler: Callable[[Any], Any],
        *,
        replay: bool = True,
        refuse_unbound: bool = False,
    ) -> Any:
        """``wrap_tool_call``: the gate every tool call passes, whatever routed it here.

        ``replay=False`` when the node already asked for every decision before running calls
        (:class:`GuardedToolNode`): a recorded decision is used as is. ``refuse_unbound``: the
        caller's own rule for a call no verified entry binds (not run, audited), so consumers
        sharing this guard keep their own.
        """
        try:
            out = self._outcome(request, replay=replay, refuse_unbound=refuse_unbound)
        except ActionBlocked as exc:
            return self.blocked_message(request, f"Not run: {exc.reason}")
        if isinstance(out, ToolMessage):
            return out
        ruling, ctx, session, approval = out
        to_run = self._streams_redacted(
            request.override(tool_call={**request.tool_call, "args": dict(ruling.args)}), session
        )

        raw: list[Any] = []

        def run(_: Mapping[str, Any]) -> Any:
            before = session.vault_size
            try:
                with masked_callbacks(session, _call_config(to_run)):
                    raw.append(handler(to_run))
            except Exception as exc:
                masked = self.redact_error(exc, session)
                if masked is exc:
                    raise
                raise masked from None
            out = self.redact_result(raw[0], ruling, session)
            self.note_redaction(ctx, session, before, f"tool:{ruling.tool.name}")
            return out

        try:
            result = self.guard.execute(
                ruling,
                ctx,
                run,
                encode=self._encoder(ruling, raw),
                decode=self._decoder(request, ruling, session),
                approval=approval,
            )
        except ActionBlocked as exc:
            return self.blocked_message(request, f"Not run: {exc.reason}")
        return self._with_vault(result, session, request.state)

    async def acall(
        self,
        request: Any,
        handler: Callable[[Any], Awaitable[Any]],
        *,
        replay: bool = True,
        refuse_unbound: bool = False,
    ) -> Any:
        """Async ``wrap_tool_call``."""
        try:
            out = self._outcome(request, replay=replay, refuse_unbound=refuse_unbound)
        except ActionBlocked as exc:
            return self.blocked_message(request, f"Not run: {exc.reason}")
        if isinstance(out, ToolMessage):
            return out
        ruling, ctx, session, approval = out
        to_run = self._streams_redacted(
            request.override(tool_call={**request.tool_call, "args": dict(ruling.args)}), session
        )

        raw: list[Any] = []

        async def run(_: Mapping[str, Any]) -> Any:
            before = session.vault_size
            try:
                with masked_callbacks(session, _call_config(to_run)):
                    raw.append(await handler(to_run))
            except Exception as exc:
                masked = self.redact_error(exc, session)
                if masked is exc:
                    raise
                raise masked from None
            out = self.redact_result(raw[0], ruling, session)
            self.note_redaction(ctx, session, before, f"tool:{ruling.tool.name}")
            return out

        try:
            result = await self.guard.aexecute(
                ruling,
                ctx,
                run,
                encode=self._encoder(ruling, raw),
                decode=self._decoder(request, ruling, session),
                approval=approval,
            )
        except ActionBlocked as exc:
            return self.blocked_message(request, f"Not run: {exc.reason}")
        return self._with_vault(result, session, request.state)

    # -- batched review (one interrupt for a turn) ---------------------------------------------
