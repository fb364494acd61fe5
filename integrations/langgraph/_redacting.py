"""Redaction of messages, tool results, custom streams and inputs, for :class:`GraphGuard`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage, convert_to_messages
from langgraph.constants import TAG_NOSTREAM
from langgraph.types import Command, Send

from guardrails import InputError, RedactionError
from guardrails.guard import CallContext, Ruling
from guardrails.session import RedactionSession
from integrations._schema import redact_name
from integrations.langgraph._common import (
    _RUNTIME_KEY,
    REQUESTER_KEY,
    _redacting_writer,
    _state_get,
)
from integrations.langgraph._context import UserResolver, call_context
from integrations.langgraph._resume import ResumeError
from integrations.langgraph._vault import VAULT_KEY, VaultKeeper

if TYPE_CHECKING:
    from guardrails.guard import ToolGuard as _ToolGuard

__all__ = ["RedactingMixin"]

# State channels only the guard writes.
_OWN_KEYS = frozenset({VAULT_KEY, REQUESTER_KEY})

# Host control flow a tool may raise (LangGraph's interrupt, a parent-graph command): never touched.
_SIGNALS = frozenset({"GraphInterrupt", "GraphBubbleUp", "ParentCommand", "CancelledError"})


class RedactingMixin:
    """Placeholders everywhere a value could surface: state, checkpoints, every stream."""

    guard: _ToolGuard
    keeper: VaultKeeper
    resolve_user: UserResolver

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
        extra = msg.additional_kwargs
        if isinstance(msg, AIMessage) and msg.tool_calls:
            calls = [{**tc, "args": session.redact_data(dict(tc["args"]))} for tc in msg.tool_calls]
            if calls != msg.tool_calls:
                update["tool_calls"] = calls
                # Providers replay raw tool-call JSON from additional_kwargs; keep it in step.
                extra = {k: v for k, v in extra.items() if k != "tool_calls"}
                update["additional_kwargs"] = extra
        if isinstance(msg, AIMessage) and msg.invalid_tool_calls:
            # A malformed call keeps its raw args string (and the parser's error quoting it);
            # providers send it back as a tool call.
            bad = [_mask_invalid_call(dict(tc), session) for tc in msg.invalid_tool_calls]
            if bad != msg.invalid_tool_calls:
                update["invalid_tool_calls"] = bad
        if extra:
            # Provider fields (reasoning text, a raw function_call, audio transcripts...).
            masked_extra = _redact_fields(extra, session)
            if masked_extra != extra:
                update["additional_kwargs"] = masked_extra
        if isinstance(msg, ToolMessage) and msg.artifact is not None:
            update["artifact"] = session.redact_data(msg.artifact)
        if isinstance(msg.name, str) and msg.name:
            # Sent to the provider as the speaker's name: masked in a form it accepts.
            name = redact_name(msg.name, session, person=msg.type == "human")
            if name != msg.name:
                update["name"] = name
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
        if isinstance(value, Command):
            # A resume is saved by LangGraph as sent, before any node validates it: a reject
            # reason or an edit's args the reviewer typed must be masked here.
            update = value.update
            if isinstance(update, Mapping) and update.get("messages") is not None:
                update = self.redact_input(update, config, state)
            try:
                resume = _mask_resume(value.resume, session) if value.resume is not None else None
            except RecursionError:  # not a decision any parser reads; refused before it is saved
                raise ResumeError("a resume nested this deep is not a decision") from None
            stored = _get_vault(state)
            if (update is None or isinstance(update, Mapping)) and (
                session.vault_size > int(stored.get("n", 0) if isinstance(stored, Mapping) else 0)
            ):
                # The placeholders just given to what the reviewer typed must mean the same
                # values in any process that resumes later (the node may pause again first).
                update = {**(update or {}), **self.vault_update(session)}
            return replace(value, update=update, resume=resume)
        if not isinstance(value, Mapping) or value.get("messages") is None:
            return value
        given = value["messages"]
        # add_messages also takes one message (a str, a dict, a message) instead of a list.
        single = not isinstance(given, list)
        out: list[Any] = []
        for item in [given] if single else given:
            m = item
            if isinstance(item, Mapping):
                # A dict message may carry more than content (an assistant's tool_calls, a
                # name): as the message LangGraph would build from it, every field redacted.
                try:
                    m = convert_to_messages([dict(item)])[0]
                except (ValueError, TypeError, NotImplementedError):
                    out.append(session.redact_data(item))
                    continue
            if isinstance(m, BaseMessage):
                out.append(self.redact_message(m, session))
            elif isinstance(m, str):
                out.append(session.redact_text(m))
            else:
                out.append(session.redact_data(m))
        return {**value, "messages": out[0] if single else out}

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

    def _streams_redacted(self, request: Any, session: RedactionSession) -> Any:
        """The request with its custom stream writer redacting what the tool writes, and its
        run tagged ``nostream``.

        A tool reaches the writer two ways: ``runtime.stream_writer`` (a ``ToolRuntime``
        argument) and ``get_stream_writer()`` (the runtime in its config); both are replaced.
        A model the tool calls (a summarizer, a sub-agent) sees the raw, restored arguments:
        LangGraph's ``messages`` stream would carry its writing raw, so the tool's run (and
        every run under it) is tagged ``nostream``; the tool's result reaches the stream
        redacted, from the node's output.
        """
        runtime = request.runtime
        config = getattr(runtime, "config", None)
        if isinstance(config, dict):
            # This call's own config dict (ToolNode builds one per call, and runs the tool with
            # it); its tag list may be shared with other calls' copies: replace, do not append.
            tags = list(config.get("tags") or [])
            if TAG_NOSTREAM not in tags:
                config["tags"] = [*tags, TAG_NOSTREAM]
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
        if (
            isinstance(conf, dict)
            and graph_runtime is not None
            and hasattr(graph_runtime, "override")
        ):
            # The config dict is this call's own (ToolNode builds one per call): swap in place.
            config["configurable"] = {
                **conf,
                _RUNTIME_KEY: graph_runtime.override(stream_writer=writer),
            }
        return request.override(runtime=replace(runtime, stream_writer=writer))

    def redact_error(self, exc: BaseException, session: RedactionSession) -> BaseException:
        """The exception a tool raised, its message masked, to raise in its place.

        LangGraph saves a failed task's error in the checkpoint (``repr(exc)``) and shows it in
        ``get_state_history`` and Studio; LangChain hands it to callbacks and tracers and turns a
        ``ToolException`` into the tool's output. A tool's message often names the record it
        failed on (``no customer jane@x.com``). The same object is kept (its type and traceback)
        with each string argument redacted; when its text still holds a value (a custom
        ``__str__``/``__repr__`` or a non-string argument), a :class:`RedactionError` naming only
        the class is raised instead.
        """
        if not isinstance(exc, Exception) or any(c.__name__ in _SIGNALS for c in type(exc).__mro__):
            return exc
        try:
            exc.args = tuple(session.redact_text(a) if isinstance(a, str) else a for a in exc.args)
            texts = (str(exc), repr(exc))
            clean = all(session.redact_text(t) == t for t in texts)
        except Exception:  # an exception whose text cannot even be built: say nothing of it
            clean = False
        if clean:
            return exc
        return RedactionError(
            f"the tool raised {type(exc).__name__}; its message held sensitive data and is withheld"
        )

    def redact_result(self, result: Any, ruling: Ruling | None, session: RedactionSession) -> Any:
        """Tool output redacted before it enters state, checkpoints or any stream."""
        if ruling is not None and not ruling.redact_output:
            return result
        if isinstance(result, ToolMessage):
            return self.redact_message(result, session)
        if isinstance(result, Command):
            return self._redact_command(result, session)
        return result

    def _redact_command(self, command: Command[Any], session: RedactionSession) -> Command[Any]:
        """A tool's ``Command`` with every state value it writes (and every ``Send`` argument it
        routes) redacted, not only its messages: any key lands in state, checkpoints and the
        ``updates``/``values`` streams. Writes to the guard's own channels are dropped (a tool
        neither names the requester nor replaces the vault)."""
        raw = command.update
        if isinstance(raw, Mapping):
            items = list(raw.items())
        elif isinstance(raw, list | tuple) and all(
            isinstance(t, tuple) and len(t) == 2 and isinstance(t[0], str) for t in raw
        ):
            items = list(raw)
        elif raw is None:
            items = []
        else:  # a typed state object (dataclass / pydantic): redacted as one value
            items = [("", raw)]
        out: list[tuple[str, Any]] = []
        for key, value in items:
            if key in _OWN_KEYS:
                continue
            if key == "messages":
                many = isinstance(value, list | tuple)
                msgs = [
                    self.redact_message(m, session)
                    if isinstance(m, BaseMessage)
                    else session.redact_data(m)
                    for m in (value if many else [value])
                ]
                out.append((key, msgs if many else msgs[0]))
            else:
                out.append((key, session.redact_data(value)))
        if not items:
            update: Any = raw
        elif items[0][0] == "" and len(items) == 1:
            update = out[0][1]
        elif isinstance(raw, Mapping):
            update = dict(out)
        else:
            update = out
        goto = command.goto
        if isinstance(goto, Send):
            goto = Send(goto.node, session.redact_data(goto.arg))
        elif isinstance(goto, list | tuple):
            goto = [
                Send(g.node, session.redact_data(g.arg)) if isinstance(g, Send) else g for g in goto
            ]
        return replace(command, update=update, goto=goto)

    def _with_vault(self, result: Any, session: RedactionSession, state: Any = None) -> Any:
        """Attach the grown vault to the result so it is saved with the thread.

        When state already holds a vault of this size (the call taught it nothing) the result
        goes back as it is: no rewrite of the vault channel in every tool step's checkpoint.
        """
        if self.keeper.holds(_state_get(state, VAULT_KEY), session):
            return result
        vault = self.vault_update(session)
        if isinstance(result, ToolMessage):
            return Command(update={"messages": [result], **vault})
        if isinstance(result, Command) and isinstance(result.update, Mapping):
            return replace(result, update={**result.update, **vault})
        return result


_DECISION_TYPES = frozenset({"approve", "reject", "edit", "respond"})
_INTERRUPT_ID = re.compile(r"[0-9a-f]{32}")  # LangGraph's interrupt ids (xxh3 128 hex)


def _mask_resume(value: Any, session: RedactionSession) -> Any:
    """A resume value (one decision, ``{"decisions": [...]}``, a chat reply, a map of interrupt
    id to any of these, or any other shape) with everything a person could have typed masked.

    LangGraph stores the resume as sent, *before* a node validates it, a refused one included:
    so every part is masked, not just what the parser reads (an extra field, a non-string
    message, a list, a key). Kept as sent: a decision's known ``type``, a string ``permit``
    (signed text; masking would break it) and interrupt ids used as keys.
    """
    if isinstance(value, str):
        return session.redact_text(value)
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        rest: dict[Any, Any] = {}
        for key, item in value.items():
            if isinstance(item, str) and (
                (key == "type" and item in _DECISION_TYPES) or key == "permit"
            ):
                out[key] = item
            elif key == "edited_action" and isinstance(item, Mapping):
                out[key] = _mask_action(item, session)
            elif isinstance(key, str) and (key in _RESUME_KEYS or _INTERRUPT_ID.fullmatch(key)):
                out[key] = _mask_resume(item, session)
            else:
                rest[key] = item
        if rest:  # keys nobody reads as a decision: masked whole (keys too)
            out.update(_masked_data(rest, session) or {})
        return out
    if isinstance(value, list | tuple):
        return [_mask_resume(item, session) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return _masked_data(value, session)


# Keys whose values are walked as resume parts (their names are ours, not typed by a person).
_RESUME_KEYS = frozenset({"decisions", "message", "type", "permit"})


def _mask_action(action: Mapping[Any, Any], session: RedactionSession) -> dict[Any, Any]:
    """An edit's ``edited_action``: args as data (as the guard masks them: field rules, keys),
    the tool name as text, anything else masked whole."""
    out: dict[Any, Any] = {}
    rest = {k: v for k, v in action.items() if k not in ("name", "args")}
    if "name" in action:
        name = action["name"]
        out["name"] = session.redact_text(name) if isinstance(name, str) else None
    if "args" in action:
        args = action["args"]
        out["args"] = _masked_data(dict(args) if isinstance(args, Mapping) else args, session)
    if rest:
        out.update(_masked_data(rest, session) or {})
    return out


def _masked_data(value: Any, session: RedactionSession) -> Any:
    """``value`` through structured redaction; ``None`` where it cannot be inspected (bytes,
    an opaque object, nesting too deep): dropped rather than stored raw."""
    try:
        return session.redact_data(value)
    except (InputError, RecursionError):
        return None


def _redact_fields(fields: Mapping[str, Any], session: RedactionSession) -> dict[str, Any]:
    """Each field redacted; one that cannot be inspected (bytes, an opaque object) is dropped
    rather than kept raw."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        try:
            out[key] = session.redact_data(value)
        except InputError:
            continue
    return out


def _mask_invalid_call(call: dict[str, Any], session: RedactionSession) -> Any:
    for key in ("args", "error"):
        value = call.get(key)
        if isinstance(value, str):
            call[key] = session.redact_text(value)
    return call


def _get_vault(state: Any) -> Any:
    return _state_get(state, VAULT_KEY) if state is not None else None
