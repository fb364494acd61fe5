"""The execution choke point shared by the middleware, the guarded tool node and ``guard_tools``.

:class:`GraphGuard` turns a LangGraph ``ToolCallRequest`` into guard calls: rule, pause for a
decision (an ``interrupt`` whose ``response_schema`` verifies the answer before LangGraph saves
it), run once, redact the result. Only pure or idempotent work happens before ``interrupt()``:
the request id is derived from thread + scope + tool call id + args digest, and opening a request
twice stores it once.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, ToolMessage
from langgraph.config import get_config
from langgraph.types import Command, interrupt

from guardrails import ActionBlocked, GuardrailsError
from guardrails.guard import Answer, CallContext, Resolution, Ruling, ToolGuard, ToolInfo
from guardrails.session import RedactionSession
from integrations.langgraph._context import UserResolver, call_context, default_user
from integrations.langgraph._payloads import batched_request, tool_approval
from integrations.langgraph._resume import parse_answer, parse_decisions, response_schema
from integrations.langgraph._vault import VAULT_KEY, VaultKeeper

__all__ = ["REQUESTER_KEY", "GraphGuard", "tool_info"]

REQUESTER_KEY = "guardrails_requester"
_OWN_CHANNELS = frozenset({"langgraph", "chat"})


def tool_info(tool: Any, name: str) -> ToolInfo:
    """Name, tags, metadata and description of a LangChain tool (``None``: unknown tool)."""
    if tool is None:
        return ToolInfo(name=name)
    return ToolInfo(
        name=name,
        tags=frozenset(getattr(tool, "tags", None) or ()),
        metadata=dict(getattr(tool, "metadata", None) or {}),
        description=str(getattr(tool, "description", "") or ""),
    )


def _state_get(state: Any, key: str) -> Any:
    if isinstance(state, Mapping):
        return state.get(key)
    return getattr(state, key, None)


def _messages(state: Any) -> list[AnyMessage]:
    if isinstance(state, list):
        return state
    found = _state_get(state, "messages")
    return list(found or [])


def _scope(state: Any, call_id: str) -> str:
    """The id of the AI message that made the call: tells apart call ids a model reuses."""
    for msg in reversed(_messages(state)):
        if isinstance(msg, AIMessage) and any(tc.get("id") == call_id for tc in msg.tool_calls):
            return msg.id or ""
    return ""


_RUNTIME_KEY = "__pregel_runtime"
_SCRATCHPAD = "__pregel_scratchpad"


class _Turns:
    """Whose turn it is to ask, in one multi-call task."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.next = 0


def _redacting_writer(writer: Any, redact: Callable[[Any], Any]) -> Callable[[Any], None]:
    def write(chunk: Any) -> None:
        writer(redact(chunk))

    return write


class GraphGuard:
    """LangGraph-side glue around one :class:`~guardrails.guard.ToolGuard`."""

    def __init__(
        self,
        guard: ToolGuard,
        *,
        vault_key: bytes | None = None,
        resolve_user: UserResolver = default_user,
    ) -> None:
        self.guard = guard
        self.keeper = VaultKeeper(redactor=guard.backend.redactor, key=vault_key)
        self.resolve_user = resolve_user
        self._lock = threading.Lock()
        # id(scratchpad) -> (scratchpad, turns); holding the scratchpad keeps its id from being
        # reused by a later task while the entry lives. Bounded: old tasks are long finished.
        self._turns: OrderedDict[int, tuple[Any, _Turns]] = OrderedDict()

    # -- context ------------------------------------------------------------------------------

    def context(self, state: Any, config: Mapping[str, Any], call_id: str = "") -> CallContext:
        requester = _state_get(state, REQUESTER_KEY) or self.resolve_user(config)
        return call_context(
            config,
            requester=requester,
            scope=_scope(state, call_id) if call_id else "",
            resolve_user=self.resolve_user,
        )

    def session(self, state: Any, ctx: CallContext) -> RedactionSession:
        return self.keeper.session(ctx.thread_id, state)

    # -- redaction of messages ----------------------------------------------------------------

    def redact_message(self, msg: BaseMessage, session: RedactionSession) -> BaseMessage:
        """A copy of ``msg`` with content, tool-call args and artifacts redacted (same id)."""
        update: dict[str, Any] = {}
        content = msg.content
        new_content = (
            session.redact_text(content)
            if isinstance(content, str)
            else session.redact_data(content)
        )
        if new_content != content:
            update["content"] = new_content
        if isinstance(msg, AIMessage) and msg.tool_calls:
            calls = [{**tc, "args": session.redact_data(dict(tc["args"]))} for tc in msg.tool_calls]
            if calls != msg.tool_calls:
                update["tool_calls"] = calls
                # Providers replay raw tool-call JSON from additional_kwargs; keep it in step.
                update["additional_kwargs"] = {
                    k: v for k, v in msg.additional_kwargs.items() if k != "tool_calls"
                }
                update["invalid_tool_calls"] = []
        if isinstance(msg, ToolMessage) and msg.artifact is not None:
            update["artifact"] = session.redact_data(msg.artifact)
        return msg.model_copy(update=update) if update else msg

    def redact_history(
        self, messages: Sequence[BaseMessage], session: RedactionSession
    ) -> list[BaseMessage]:
        """Every message redacted; the session's cache makes already-seen ones cheap."""
        return [self.redact_message(m, session) for m in messages]

    def changed(
        self, before: Sequence[BaseMessage], after: Sequence[BaseMessage]
    ) -> list[BaseMessage]:
        """The messages that redaction changed (to replace by id in state)."""
        return [b for a, b in zip(before, after, strict=True) if a is not b]

    def redact_input(self, value: Any, config: Mapping[str, Any], state: Any = None) -> Any:
        """The caller's input with its messages redacted *before* the graph stores it.

        LangGraph checkpoints the input as it arrives, so a raw prompt would sit in the first
        checkpoints of the turn; redacting here keeps every checkpoint free of it. ``state`` is
        the thread's current state (``graph.get_state(config).values``) so placeholders stay
        stable with earlier turns.
        """
        ctx = call_context(config, requester=None, resolve_user=self.resolve_user)
        session = self.keeper.session(ctx.thread_id, state)
        if not isinstance(value, Mapping) or not isinstance(value.get("messages"), list):
            return value
        out = []
        for m in value["messages"]:
            if isinstance(m, BaseMessage):
                out.append(self.redact_message(m, session))
            elif isinstance(m, Mapping) and isinstance(m.get("content"), str):
                out.append({**m, "content": session.redact_text(m["content"])})
            elif isinstance(m, str):
                out.append(session.redact_text(m))
            else:
                out.append(session.redact_data(m))
        return {**value, "messages": out}

    def note_redaction(
        self, ctx: CallContext, session: RedactionSession, before: int, where: str
    ) -> None:
        """Audit what a redaction pass learned: entity counts only, never values."""
        if session.vault_size <= before:
            return
        counts: dict[str, int] = {}
        for entity in list(session.vault.placeholders().values())[before:]:
            counts[entity] = counts.get(entity, 0) + 1
        self.guard.backend.audit.record(
            "redaction",
            principal=ctx.requester,
            thread_id=ctx.thread_id or None,
            run_id=ctx.run_id,
            where=where,
            new_values=session.vault_size - before,
            entities=counts,
        )

    def vault_update(self, session: RedactionSession) -> dict[str, Any]:
        return {VAULT_KEY: self.keeper.dump(session)}

    # -- the choke point ----------------------------------------------------------------------

    def prepare(self, request: Any) -> tuple[Ruling, CallContext, RedactionSession]:
        config = request.runtime.config if request.runtime is not None else get_config()
        call = request.tool_call
        ctx = self.context(request.state, config, call.get("id") or "")
        session = self.session(request.state, ctx)
        masked = session.redact_data(dict(call.get("args") or {}))
        info = tool_info(request.tool, call["name"])
        ruling = self.guard.rule(call.get("id") or "", masked, info, ctx, vault=session.vault)
        return ruling, ctx, session

    def decision(
        self, ruling: Ruling, ctx: CallContext, session: RedactionSession, *, replay: bool = True
    ) -> Resolution:
        """Find or ask for a verified decision. Pauses the graph (``interrupt``) when none exists.

        Before the interrupt: opening the request (idempotent) and building the payload (pure).
        """
        req = self.guard.open(ruling, ctx)
        requester = req.requester.id if req.requester is not None else None
        ctx = replace(ctx, requester=requester)
        found = self.guard.decided(ruling, ctx)
        # A decision made through this graph's own resume is replayed through interrupt() so
        # the interrupt indices of a multi-call node stay the same on every re-run.
        if found is not None and (
            not replay or found.expired or found.channel not in _OWN_CHANNELS
        ):
            return found
        # One interrupt per vote still needed (a quorum of N asks up to N times, in order).
        for index in range(max(1, int(getattr(req, "quorum", 1))) + 1):
            current = self.guard.backend._target(ruling.request_id) or req
            payload = tool_approval(
                ruling,
                self._card_args(ruling, session),
                requester=requester,
                created=current.created_at,
                expires_at=current.expires_at,
                request_id=current.id,
                approvals=len(current.approvals),
                quorum=current.quorum,
            )
            schema = response_schema(
                lambda raw, k=index: self._verify(raw, ruling, requester, vote_index=k)
            )
            answered = interrupt(payload, response_schema=schema)
            resolution: Resolution = answered.root if hasattr(answered, "root") else answered
            if not resolution.pending:
                return resolution
        return self.guard.decided(ruling, ctx) or resolution

    def _card_args(self, ruling: Ruling, session: RedactionSession) -> Any:
        """The args a reviewer sees: masked, except entity types the rule lets reviewers see."""
        card = session.redact_data(json.loads(json.dumps(dict(ruling.masked_args), default=str)))
        spec = getattr(ruling.decision, "approval", None)
        visible = frozenset(getattr(spec, "reviewer_may_see", None) or ())
        return session.restore_data(card, visible) if visible else card

    def _verify(
        self, raw: Any, ruling: Ruling, requester: str | None, *, vote_index: int | None = None
    ) -> Resolution:
        """Runs inside LangGraph's resume validation, under the resuming run's config.

        LangGraph re-validates saved answers each time the node re-runs: the answer to the
        ``vote_index``-th interrupt is a replay when the request already holds that many votes,
        and it then returns the recorded state instead of voting again.
        """
        if vote_index is not None:
            current = self.guard.backend._target(ruling.request_id)
            if current is not None and len(current.votes) > vote_index:
                settled = self.guard.decided(ruling, CallContext(thread_id=""))
                return settled or Resolution(
                    verdict="approve",
                    approver=None,
                    request_id=current.id,
                    pending=True,
                    channel="langgraph",
                )
        config = get_config()
        ctx = call_context(config, requester=requester, scope="", resolve_user=self.resolve_user)
        answer = parse_answer(raw, chat_replies=ruling.chat_replies, tool_name=ruling.tool.name)
        return self.guard.resolve(ruling, ctx, answer)

    def _streams_redacted(self, request: Any, session: RedactionSession) -> Any:
        """The request with its custom stream writer redacting what the tool writes.

        A tool reaches the writer two ways: ``runtime.stream_writer`` (a ``ToolRuntime``
        argument) and ``get_stream_writer()`` (the runtime in its config); both are replaced.
        """
        runtime = request.runtime
        if runtime is None or getattr(runtime, "stream_writer", None) is None:
            return request

        def redact(chunk: Any) -> Any:
            return (
                session.redact_text(chunk) if isinstance(chunk, str) else session.redact_data(chunk)
            )

        writer = _redacting_writer(runtime.stream_writer, redact)
        config = runtime.config
        conf = config.get("configurable") if isinstance(config, dict) else None
        graph_runtime = conf.get(_RUNTIME_KEY) if isinstance(conf, dict) else None
        if graph_runtime is not None and hasattr(graph_runtime, "override"):
            # The config dict is this call's own (ToolNode builds one per call): swap in place.
            config["configurable"] = {
                **conf,
                _RUNTIME_KEY: graph_runtime.override(stream_writer=writer),
            }
        return request.override(runtime=replace(runtime, stream_writer=writer))

    def blocked_message(self, request: Any, text: str) -> ToolMessage:
        call = request.tool_call
        return ToolMessage(
            content=text, name=call["name"], tool_call_id=call.get("id") or "", status="error"
        )

    @contextmanager
    def _turn(self, request: Any, ruling: Ruling) -> Iterator[None]:
        """In a task that runs several calls at once, ask for decisions in call order.

        LangGraph numbers a task's interrupts in the order they are raised and matches resume
        values by that number; calls racing in threads would get different numbers on each
        re-run, so an answer could land on another call. A ``Send`` task holds one call and
        needs no ordering; a pulled task (e.g. after another middleware's ``jump_to``) runs every
        call of the last AI message, and its gated calls take turns here.
        """
        config = request.runtime.config if request.runtime is not None else {}
        path = (config.get("metadata") or {}).get("langgraph_path") or ()
        pad = (config.get("configurable") or {}).get(_SCRATCHPAD)
        if not path or path[0] != "__pregel_pull" or pad is None:
            yield
            return
        order = self._gated_order(request)
        if ruling.call_id not in order:
            yield
            return
        with self._lock:
            entry = self._turns.get(id(pad))
            if entry is None or entry[0] is not pad:
                entry = (pad, _Turns())
                self._turns[id(pad)] = entry
                while len(self._turns) > 256:
                    self._turns.popitem(last=False)
            turn = entry[1]
        position = order.index(ruling.call_id)
        with turn.cond:
            turn.cond.wait_for(lambda: turn.next >= position, timeout=60)
        try:
            yield
        finally:
            with turn.cond:
                turn.next = max(turn.next, position + 1)
                turn.cond.notify_all()

    def _gated_order(self, request: Any) -> list[str]:
        """Ids of the last AI message's calls that need approval, in order (pure)."""
        state = request.state
        last = next((m for m in reversed(_messages(state)) if isinstance(m, AIMessage)), None)
        if last is None:
            return []
        tools = {t.name: t for t in (getattr(request.runtime, "tools", None) or [])}
        if request.tool is not None:
            tools.setdefault(request.tool_call["name"], request.tool)
        config = request.runtime.config
        out = []
        for tc in last.tool_calls:
            ctx = self.context(state, config, tc.get("id") or "")
            session = self.session(state, ctx)
            masked = session.redact_data(dict(tc.get("args") or {}))
            info = tool_info(tools.get(tc["name"]), tc["name"])
            if (
                self.guard.rule(tc.get("id") or "", masked, info, ctx, vault=session.vault).outcome
                == "approval"
            ):
                out.append(tc.get("id") or "")
        return out

    def _outcome(
        self, request: Any, *, replay: bool = True
    ) -> tuple[Ruling, CallContext, RedactionSession, tuple[str, str] | None] | ToolMessage:
        ruling, ctx, session = self.prepare(request)
        if ruling.outcome == "deny":
            err = self.guard.block(ruling, ctx)
            return self.blocked_message(request, f"Blocked: {err.reason}")
        if ruling.outcome == "allow":
            return ruling, ctx, session, None
        with self._turn(request, ruling):
            resolution = self.decision(ruling, ctx, session, replay=replay)
        approval = (ruling.request_id, ruling.digest)
        if resolution.verdict == "reject":
            if resolution.expired:
                return self.blocked_message(request, f"Not run: {resolution.message}")
            why = f" Reason: {resolution.message}" if resolution.message else ""
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
            ruling = replace(new, ledger_key=new.request_id + ":edit")
        return ruling, ctx, session, approval

    def _finish(self, result: Any, ruling: Ruling, session: RedactionSession) -> Any:
        return self.redact_result(result, ruling, session)

    def redact_result(self, result: Any, ruling: Ruling | None, session: RedactionSession) -> Any:
        """Tool output redacted before it enters state, checkpoints or any stream."""
        if ruling is not None and not ruling.redact_output:
            return result
        if isinstance(result, ToolMessage):
            return self.redact_message(result, session)
        if isinstance(result, Command) and isinstance(result.update, Mapping):
            update = dict(result.update)
            msgs = update.get("messages")
            if isinstance(msgs, list):
                update["messages"] = [
                    self.redact_message(m, session)
                    if isinstance(m, BaseMessage)
                    else session.redact_data(m)
                    for m in msgs
                ]
            return replace(result, update=update)
        return result

    def _with_vault(self, result: Any, session: RedactionSession) -> Any:
        """Attach the (grown) vault to the result so it is saved with the thread."""
        vault = self.vault_update(session)
        if isinstance(result, ToolMessage):
            return Command(update={"messages": [result], **vault})
        if isinstance(result, Command) and isinstance(result.update, Mapping):
            return replace(result, update={**result.update, **vault})
        return result

    def _encode(self, result: Any) -> str:
        if isinstance(result, ToolMessage):
            return json.dumps({"content": result.content, "status": result.status})
        if isinstance(result, Command) and isinstance(result.update, Mapping):
            msgs = [m for m in result.update.get("messages", []) if isinstance(m, ToolMessage)]
            if msgs:
                return json.dumps({"content": msgs[0].content, "status": msgs[0].status})
        return json.dumps({"content": str(result), "status": "success"})

    def _decoder(self, request: Any) -> Callable[[str], ToolMessage]:
        call = request.tool_call

        def decode(text: str) -> ToolMessage:
            data = json.loads(text)
            return ToolMessage(
                content=data["content"],
                name=call["name"],
                tool_call_id=call.get("id") or "",
                status=data.get("status", "success"),
            )

        return decode

    def call(self, request: Any, handler: Callable[[Any], Any], *, replay: bool = True) -> Any:
        """``wrap_tool_call``: the gate every tool call passes, whatever routed it here.

        ``replay=False`` when the node already asked for every decision before running calls
        (:class:`GuardedToolNode`): a recorded decision is used as is.
        """
        try:
            out = self._outcome(request, replay=replay)
        except ActionBlocked as exc:
            return self.blocked_message(request, f"Not run: {exc.reason}")
        if isinstance(out, ToolMessage):
            return out
        ruling, ctx, session, approval = out
        to_run = self._streams_redacted(
            request.override(tool_call={**request.tool_call, "args": dict(ruling.args)}), session
        )

        def run(_: Mapping[str, Any]) -> Any:
            before = session.vault_size
            out = self.redact_result(handler(to_run), ruling, session)
            self.note_redaction(ctx, session, before, f"tool:{ruling.tool.name}")
            return out

        try:
            result = self.guard.execute(
                ruling,
                ctx,
                run,
                encode=self._encode,
                decode=self._decoder(request),
                approval=approval,
            )
        except ActionBlocked as exc:
            return self.blocked_message(request, f"Not run: {exc.reason}")
        return self._with_vault(result, session)

    async def acall(
        self, request: Any, handler: Callable[[Any], Awaitable[Any]], *, replay: bool = True
    ) -> Any:
        """Async ``wrap_tool_call``."""
        try:
            out = self._outcome(request, replay=replay)
        except ActionBlocked as exc:
            return self.blocked_message(request, f"Not run: {exc.reason}")
        if isinstance(out, ToolMessage):
            return out
        ruling, ctx, session, approval = out
        to_run = self._streams_redacted(
            request.override(tool_call={**request.tool_call, "args": dict(ruling.args)}), session
        )

        async def run(_: Mapping[str, Any]) -> Any:
            before = session.vault_size
            out = self.redact_result(await handler(to_run), ruling, session)
            self.note_redaction(ctx, session, before, f"tool:{ruling.tool.name}")
            return out

        try:
            result = await self.guard.aexecute(
                ruling,
                ctx,
                run,
                encode=self._encode,
                decode=self._decoder(request),
                approval=approval,
            )
        except ActionBlocked as exc:
            return self.blocked_message(request, f"Not run: {exc.reason}")
        return self._with_vault(result, session)

    # -- batched review (one interrupt for a turn) ---------------------------------------------

    def review_batch(
        self, state: Any, config: Mapping[str, Any], calls: Sequence[Any], tools: Mapping[str, Any]
    ) -> None:
        """Ask for every pending decision of a turn in one batched interrupt.

        Decisions are verified and recorded by the approval store; the tools themselves are
        still gated one by one at execution (``call``), which finds them there.
        """
        pending: list[tuple[Ruling, CallContext, Any, datetime]] = []
        for tc in calls:
            ctx = self.context(state, config, tc.get("id") or "")
            session = self.session(state, ctx)
            masked = session.redact_data(dict(tc.get("args") or {}))
            ruling = self.guard.rule(
                tc.get("id") or "",
                masked,
                tool_info(tools.get(tc["name"]), tc["name"]),
                ctx,
                vault=session.vault,
            )
            if ruling.outcome != "approval":
                continue
            req = self.guard.open(ruling, ctx)
            rid = req.requester.id if req.requester is not None else None
            if self.guard.decided(ruling, replace(ctx, requester=rid)) is not None:
                continue
            pending.append(
                (
                    ruling,
                    replace(ctx, requester=rid),
                    self._card_args(ruling, session),
                    req.created_at,
                )
            )
        if not pending:
            return
        requester = pending[0][1].requester
        payload = batched_request([(r, m, c) for r, _, m, c in pending], requester=requester)

        def check(raw: Any) -> list[Resolution]:
            decisions = parse_decisions(raw, len(pending))
            cfg = get_config()
            answers = []
            for (ruling, ctx, _, _), d in zip(pending, decisions, strict=True):
                answers.append(
                    (
                        ruling,
                        ctx,
                        # Own channel: the per-call gate finds it and does not ask again.
                        replace(
                            parse_answer(
                                d, chat_replies=ruling.chat_replies, tool_name=ruling.tool.name
                            ),
                            channel="langgraph_batch",
                        ),
                    )
                )
            out = []
            for ruling, ctx, answer in answers:
                vctx = call_context(cfg, requester=ctx.requester, resolve_user=self.resolve_user)
                out.append(self.guard.resolve(ruling, vctx, answer))
            return out

        interrupt(payload, response_schema=response_schema(check, "GuardrailsDecisions"))


_ = (Answer, GuardrailsError)
