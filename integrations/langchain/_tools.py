"""``guard_tools``: LangChain tools wrapped so each call goes through the guard.

A wrapped tool keeps the original's name, description, args schema, response format, tags and
metadata, and works sync and async (and so with LangChain's callbacks and event streaming).
Inside a LangGraph graph a gated call pauses with the same interrupt as the middleware; outside
one it raises :class:`~guardrails.ApprovalRequired` (a signal carrying the masked request).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import json
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, get_type_hints

from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import var_child_runnable_config
from langchain_core.tools import BaseTool, StructuredTool
from langchain_core.tools.base import _get_runnable_config_param
from langgraph.constants import TAG_NOSTREAM
from pydantic import ConfigDict, PrivateAttr

from guardrails import ActionBlocked, ApprovalRequired
from guardrails.guard import ToolGuard, ToolInfo
from integrations.langgraph._common import ToolInfos
from integrations.langgraph._context import call_context
from integrations.langgraph._guarded import GraphGuard
from integrations.langgraph._tracing import masked_callbacks

__all__ = ["GuardedTool", "guard_tools"]

_CALL_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "guardrails_call_id", default=None
)
_SCRATCHPAD = "__pregel_scratchpad"


class GuardedTool(BaseTool):
    """A tool whose calls pass policy, approval, once-only execution and output redaction.

    Built by :func:`guard_tools`; see its example.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    inner: BaseTool
    _gg: GraphGuard = PrivateAttr()

    def __init__(self, inner: BaseTool, graph_guard: GraphGuard) -> None:
        super().__init__(
            inner=inner,
            name=inner.name,
            description=inner.description,
            args_schema=inner.args_schema,
            return_direct=inner.return_direct,
            response_format=inner.response_format,
            tags=list(inner.tags or []),
            metadata=dict(inner.metadata or {}),
            handle_tool_error=inner.handle_tool_error,
            handle_validation_error=inner.handle_validation_error,
        )
        self._gg = graph_guard

    @functools.cached_property
    def _glue(self) -> _Glue:
        # A plain attribute once read (pydantic answers a private attribute such as ``_gg``
        # through ``__getattr__``: ~2 us a read, several reads a call).
        return _Glue(self._gg, self.inner)

    @property
    def tool_call_schema(self) -> Any:  # what the model sees: the original's
        return self.inner.tool_call_schema

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        token = _CALL_ID.set(_call_id(input))
        try:
            return super().invoke(input, config, **kwargs)
        finally:
            _CALL_ID.reset(token)

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        token = _CALL_ID.set(_call_id(input))
        try:
            return await super().ainvoke(input, config, **kwargs)
        finally:
            _CALL_ID.reset(token)

    def _plan(self, glue: _Glue, kwargs: Mapping[str, Any], config: RunnableConfig) -> Any:
        gg = glue.gg
        call_id = _CALL_ID.get() or "call_" + secrets.token_hex(16)
        user = gg.resolve_user(config)
        ctx = call_context(config, requester=user, approver=user)
        session = gg.keeper.session(ctx.thread_id, None)
        masked = session.redact_data(_plain(kwargs))
        ruling = gg.guard.rule(
            call_id, masked, glue.info(self.inner, self.name), ctx, vault=session.vault
        )
        if ruling.outcome == "deny":
            return f"Blocked: {gg.guard.block(ruling, ctx).reason}", None
        approval: tuple[str, str] | None = None
        if ruling.outcome == "approval":
            in_graph = _SCRATCHPAD in (config.get("configurable") or {})
            if not in_graph:
                raise ApprovalRequired(gg.guard.open(ruling, ctx))
            resolution = gg.decision(ruling, ctx, session)
            if resolution.verdict == "reject":
                reason = session.redact_text(resolution.message) if resolution.message else ""
                return f"Not run: {reason or 'rejected by a reviewer'}", None
            # Consumed when the tool runs (single use, bound to the digest, expiry checked
            # then), as the middleware and GuardedToolNode do.
            approval = (ruling.request_id, ruling.digest)
            if resolution.verdict == "edit":
                edited = session.redact_data(dict(resolution.masked_args or {}))
                new = gg.guard.rule(call_id, edited, ruling.tool, ctx, vault=session.vault)
                if new.outcome == "deny":
                    return f"Blocked: {gg.guard.block(new, ctx).reason}", None
                ruling = replace(new, ledger_key=new.ledger_key + ":edit")
        return None, (ruling, ctx, session, approval)

    @contextlib.contextmanager
    def _inner_run(
        self, gg: GraphGuard, config: RunnableConfig, session: Any
    ) -> Iterator[RunnableConfig]:
        """Around the inner tool's run: its context tagged ``nostream`` (see :func:`_nostream`)
        with every callback handler seeing it masked (see :mod:`~integrations.langgraph._tracing`;
        yields that config), and an exception it raises masked before LangGraph saves or shows
        it."""
        with masked_callbacks(session) as masked:
            inner: RunnableConfig = masked(_nostream(config))  # type: ignore[assignment]
            token = var_child_runnable_config.set(inner)
            try:
                yield inner
            except Exception as exc:
                err = gg.redact_error(exc, session)
                if err is exc:
                    raise
                raise err from None
            finally:
                var_child_runnable_config.reset(token)

    def _output(self, gg: GraphGuard, out: Any, ruling: Any, session: Any) -> Any:
        if isinstance(out, tuple) and self.response_format == "content_and_artifact":
            return tuple(gg.guard.redact_output(x, session.vault, ruling) for x in out)
        return gg.guard.redact_output(out, session.vault, ruling)

    def _run(self, *args: Any, config: RunnableConfig, **kwargs: Any) -> Any:
        glue = self._glue
        blocked, plan = self._plan(glue, kwargs, config)
        if plan is None:
            return (blocked, []) if self.response_format == "content_and_artifact" else blocked
        ruling, ctx, session, approval = plan
        gg = glue.gg
        raw: list[Any] = []

        def run(a: Mapping[str, Any]) -> Any:
            with self._inner_run(gg, config, session) as inner:
                raw.append(glue.run(self.inner, a, inner))
            return self._output(gg, raw[0], ruling, session)

        encode, decode = self._codec(gg, ruling, session, raw)
        try:
            return gg.guard.execute(
                ruling, ctx, run, encode=encode, decode=decode, approval=approval
            )
        except ActionBlocked as exc:
            return f"Not run: {exc.reason}"

    async def _arun(self, *args: Any, config: RunnableConfig, **kwargs: Any) -> Any:
        glue = self._glue
        blocked, plan = self._plan(glue, kwargs, config)
        if plan is None:
            return (blocked, []) if self.response_format == "content_and_artifact" else blocked
        ruling, ctx, session, approval = plan
        gg = glue.gg
        raw: list[Any] = []

        async def run(a: Mapping[str, Any]) -> Any:
            with self._inner_run(gg, config, session) as inner:
                raw.append(await glue.arun(self.inner, a, inner))
            return self._output(gg, raw[0], ruling, session)

        encode, decode = self._codec(gg, ruling, session, raw)
        try:
            return await gg.guard.aexecute(
                ruling, ctx, run, encode=encode, decode=decode, approval=approval
            )
        except ActionBlocked as exc:
            return f"Not run: {exc.reason}"

    def _codec(
        self, gg: GraphGuard, ruling: Any, session: Any, raw: list[Any]
    ) -> tuple[Callable[[Any], str], Callable[[str], Any]]:
        """The ledger record: the *raw* result sealed with the vault key, redacted again with
        the vault of the replay (a placeholder kept from before a restart could name another
        value by then; see ``GraphGuard._encoder``)."""
        keeper = gg.keeper

        def encode(out: Any) -> str:
            value = raw[0] if raw else out
            if type(value) is str:  # the common case: no JSON (its escaping costs)
                data = b"s" + value.encode("utf-8", "surrogatepass")
            else:
                data = b"j" + _enc(value).encode("utf-8")
            return _SEALED + keeper.seal(data, ruling.ledger_key)

        def decode(text: str) -> Any:
            if text.startswith("error: "):  # the tool raised (the guard records the class only)
                return f"Not run: this call failed before ({text[7:]}); it was not run again."
            if not text.startswith(_SEALED):
                return _dec(text)  # a record written before results were sealed: masked
            opened = keeper.open(text[len(_SEALED) :], ruling.ledger_key)
            if opened is None:
                return "Not run: this call ran before; its recorded result cannot be read."
            body = opened[1:].decode("utf-8", "surrogatepass")
            value = body if opened[:1] == b"s" else _dec(body)
            return self._output(gg, value, ruling, session)

        return encode, decode


class _Glue:
    """What every call of one :class:`GuardedTool` reads: the guard, the inner tool's config
    parameters and its :class:`~guardrails.guard.ToolInfo`.

    LangChain finds a function's ``RunnableConfig`` parameter by resolving its type hints on
    every call (~30 us when the tool's module postpones annotations); here it is looked up once
    per function. The ToolInfo is rebuilt only when the tool's name, tags, metadata or
    description change (plain, mutable fields).
    """

    __slots__ = ("_infos", "_params", "config_param", "gg")

    def __init__(self, gg: GraphGuard, inner: BaseTool) -> None:
        self.gg = gg
        self.config_param = _get_runnable_config_param(inner._run)
        self._infos = ToolInfos(max_tools=8)
        self._params: dict[int, tuple[Callable[..., Any], str | None]] = {}

    def _config_kwargs(self, fn: Callable[..., Any], config: RunnableConfig) -> dict[str, Any]:
        """``{name: config}`` for ``fn``'s config parameter, or ``{}``."""
        cached = self._params.get(id(fn))
        if cached is None or cached[0] is not fn:
            if len(self._params) >= 8:  # functions replaced on the tool: keep it small
                self._params.clear()
            cached = self._params[id(fn)] = (fn, _get_runnable_config_param(fn))
        return {cached[1]: config} if cached[1] else {}

    def run(self, tool: BaseTool, args: Mapping[str, Any], config: RunnableConfig) -> Any:
        """``tool._run(**args)`` under ``config``. A ``StructuredTool`` whose ``_run`` is
        LangChain's own gets its function called as that ``_run`` calls it (no run manager is
        passed, so no ``callbacks`` argument), its config parameter found once."""
        func = getattr(tool, "func", None) if type(tool)._run is _STRUCTURED_RUN else None
        if func is None:
            extra = {self.config_param: config} if self.config_param else {}
            return tool._run(**args, **extra)
        return func(**args, **self._config_kwargs(func, config))

    async def arun(self, tool: BaseTool, args: Mapping[str, Any], config: RunnableConfig) -> Any:
        """Async :meth:`run` (a ``StructuredTool`` without a coroutine runs as LangChain runs
        it: its function in an executor)."""
        coro = getattr(tool, "coroutine", None) if type(tool)._arun is _STRUCTURED_ARUN else None
        if coro is None:
            extra = {self.config_param: config} if self.config_param else {}
            return await tool._arun(**args, **extra)
        return await coro(**args, **self._config_kwargs(coro, config))

    def info(self, tool: BaseTool, name: str) -> ToolInfo:
        return self._infos.get(tool, name)


# LangChain inspects ``_run``/``_arun`` on every call (``inspect.signature`` and
# ``get_type_hints``, to find the config parameter); under postponed annotations that means
# evaluating the annotation strings each time (~100 µs a call). Resolve them once, here; the
# signature keeps every annotation, ``__annotations__`` only the one LangChain looks for
# (``get_type_hints`` walks them all on each call: 4 -> 2 us).
for _method in (GuardedTool._run, GuardedTool._arun):
    _method.__signature__ = inspect.signature(_method, eval_str=True)  # type: ignore[union-attr]
    _method.__annotations__ = {"config": get_type_hints(_method)["config"]}
del _method


def _nostream(config: RunnableConfig) -> RunnableConfig:
    """The inner tool's run context with the ``nostream`` tag: the config the tool runner set
    for this run's children (its callbacks parent them under this tool's run), else ``config``.

    The inner tool sees the raw, restored arguments; a model it calls (a summarizer, a
    sub-agent) would write into LangGraph's ``messages`` stream raw. Runs started under this
    config inherit the tag and stay out of that stream; the tool's result reaches it redacted,
    from the node's output. (GuardedToolNode and the middleware tag the tool's run themselves;
    this covers guard_tools on LangGraph's own ToolNode or any other caller.)
    """
    current = var_child_runnable_config.get() or config
    tags = list(current.get("tags") or [])
    if TAG_NOSTREAM in tags:
        return current
    return {**current, "tags": [*tags, TAG_NOSTREAM]}


def _enc(value: Any) -> str:
    return json.dumps(value, default=str)


def _dec(text: str) -> Any:
    value = json.loads(text)
    return tuple(value) if isinstance(value, list) and len(value) == 2 else value


_STRUCTURED_RUN = StructuredTool._run
_STRUCTURED_ARUN = StructuredTool._arun
_SCALARS = (str, int, float, bool, type(None))
_SEALED = "sealed:"  # a ledger record holding a sealed raw result (base64 follows)


def _plain(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The args as plain JSON values (what reviewers, the policy and the digest see).

    Flat scalar args (the common case) are already plain; anything else (dates, enums, models
    parsed by the args schema) goes through a JSON round trip, unknown types as ``str``.
    """
    args = dict(kwargs)
    if all(type(v) in _SCALARS for v in args.values()):
        return args
    plain: dict[str, Any] = json.loads(json.dumps(args, default=str))
    return plain


def _call_id(input: Any) -> str | None:
    if isinstance(input, Mapping) and input.get("type") == "tool_call":
        cid = input.get("id")
        return str(cid) if cid else None
    return None


def guard_tools(
    tools: Sequence[BaseTool],
    *,
    guard: ToolGuard | GraphGuard | None = None,
    vault_key: bytes | None = None,
    **guard_kwargs: Any,
) -> list[GuardedTool]:
    """Wrap ``tools`` so every call is guarded; share ``guard`` with the middleware or nodes.

    Example:
        >>> from langchain_core.tools import tool
        >>> @tool
        ... def echo(text: str) -> str:
        ...     '''Echo text.'''
        ...     return text
        >>> (wrapped,) = guard_tools([echo])
        >>> wrapped.name, wrapped.invoke({"text": "hi"})
        ('echo', 'hi')
    """
    if isinstance(guard, GraphGuard):
        gg = guard
    else:
        gg = GraphGuard(guard or ToolGuard(**guard_kwargs), vault_key=vault_key)
    return [GuardedTool(t, gg) for t in tools]
