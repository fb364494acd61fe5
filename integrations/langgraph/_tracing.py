"""Callbacks of a guarded tool's run see it masked: tracers, ``astream_events``, custom handlers.

A guarded tool runs with restored arguments and returns raw output; a model, retriever or
sub-graph it calls sees them too. LangChain reports all of that to every callback handler of the
run's config (LangSmith, ``astream_events``, the application's own handlers). Inside
:func:`masked_callbacks` each of those handlers is wrapped so it receives every event with its
payload redacted by the call's session (the same placeholders the model sees): runs stay traced,
with the same ids, parents, names and tags, values masked.

What the wrapper cannot mask it withholds: token events (``on_llm_new_token``: a value split
across tokens is not recognisable in any one of them; the run's end carries the whole text,
masked), retry states, and any payload object it cannot inspect (replaced by its type name).
Exceptions are replaced by a :class:`MaskedError` carrying the masked ``Type: message``.

Handlers that LangChain would *add* under the tool's run are kept out too: LangSmith tracing
from the environment or ``tracing_v2_enabled()`` (a fresh tracer there would record raw runs,
and ``@traceable`` functions inside the tool would start raw traces) is switched off inside the
scope, while the wrapped tracers of the caller keep posting the masked runs; context-variable
hooks (``collect_runs()``, ``get_usage_metadata_callback()``) get their handler wrapped, and a
hook a package registers with an environment variable (``register_configure_hook(var, …,
handler_class, env_var)``, turned on) is given the caller's handler of that class, wrapped, or a
fresh one, wrapped: LangChain would otherwise add a fresh raw instance under the tool's run.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar, Token
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackManager
from langchain_core.tracers.context import _configure_hooks, tracing_v2_callback_var
from langchain_core.utils.env import env_var_is_set
from langsmith.run_helpers import _set_tracing_context, get_tracing_context
from pydantic import BaseModel

from guardrails.session import RedactionSession

__all__ = ["MaskedError", "masked_callbacks"]

# Host control flow (an interrupt carries the masked approval request): passed as it is.
_SIGNALS = frozenset({"GraphInterrupt", "GraphBubbleUp", "ParentCommand", "CancelledError"})
# Event arguments that identify a run rather than carry its data.
_IDS = frozenset({"run_id", "parent_run_id", "tags", "name", "tool_call_id", "color"})
_MAX_DEPTH = 32
_SERIALIZED_IDS = frozenset({"lc", "type", "id", "name"})
# Events whose payload cannot be masked reliably: withheld.
_WITHHELD = frozenset({"on_llm_new_token", "on_retry"})


class MaskedError(Exception):
    """Stands in for an exception of a guarded tool's run in callbacks: ``Type: message``, masked."""


class _MaskingHandler:
    """One caller's handler, given every event with its payload redacted.

    Not a ``BaseCallbackHandler`` subclass on purpose: events are looked up on the instance
    (``getattr(handler, "on_tool_start")``), and a base class would answer them itself. Nor an
    instance of the wrapped handler's classes: LangChain would otherwise tap streamed chunks
    into it (``_StreamingCallbackHandler``) or treat it as its LangSmith tracer.
    """

    def __init__(self, inner: Any, mask: Callable[[Any], Any], tracing: Any) -> None:
        self._inner = inner
        self._mask = mask
        self._tracing = tracing  # LangSmith's ``enabled`` outside the scope

    # Masking happens where the event is raised, never in an executor thread.
    run_inline = True

    def __repr__(self) -> str:
        return f"<masked {type(self._inner).__name__}>"

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._inner, name)
        if not name.startswith("on_") or not callable(target):
            return target  # ignore_*, raise_error, ...
        if name in _WITHHELD:
            return _nothing

        def prepare(
            args: tuple[Any, ...], kwargs: Mapping[str, Any]
        ) -> tuple[tuple[Any, ...], dict[str, Any]]:
            return self._prepare(name, args, kwargs)

        if inspect.iscoroutinefunction(target):

            async def forward_async(*args: Any, **kwargs: Any) -> Any:
                a, kw = prepare(args, kwargs)
                with _tracing_as(self._tracing):
                    return await target(*a, **kw)

            return forward_async

        def forward(*args: Any, **kwargs: Any) -> Any:
            a, kw = prepare(args, kwargs)
            with _tracing_as(self._tracing):
                return target(*a, **kw)

        return forward

    def _prepare(
        self, event: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        mask = self._mask
        masked = [mask(a) for a in args]
        if event.endswith("_start") and args and isinstance(args[0], Mapping):
            # ``serialized`` describes the runnable: its class path and name are kept (a
            # field rule would read ``name`` as a person's), the rest is masked.
            masked[0] = {k: v if k in _SERIALIZED_IDS else mask(v) for k, v in args[0].items()}
        return tuple(masked), {k: v if k in _IDS else mask(v) for k, v in kwargs.items()}


def _nothing(*args: Any, **kwargs: Any) -> None:
    del args, kwargs


def _masker(session: RedactionSession) -> Callable[[Any], Any]:
    def mask(value: Any, depth: int = 0) -> Any:
        if value is None or isinstance(value, bool | int | float | UUID):
            return value
        if isinstance(value, str):
            return session.redact_text(value)
        if isinstance(value, BaseException):
            return _error(value, session)
        try:
            return session.redact_data(value)
        except Exception:  # a type the redactor does not walk: field by field, else withheld
            if depth >= _MAX_DEPTH:  # (a cycle the redactor refused, too)
                return f"<{type(value).__name__} withheld>"
            return _walk(value, lambda v: mask(v, depth + 1))

    return mask


def _walk(value: Any, mask: Callable[[Any], Any]) -> Any:
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        return value.model_copy(update={f: mask(getattr(value, f, None)) for f in fields})
    if isinstance(value, Mapping):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(mask(v) for v in value)
    if isinstance(value, list):
        return [mask(v) for v in value]
    return f"<{type(value).__name__} withheld>"


def _error(exc: BaseException, session: RedactionSession) -> BaseException:
    if any(c.__name__ in _SIGNALS for c in type(exc).__mro__):
        return exc
    try:
        text = f"{type(exc).__name__}: {exc}"
    except Exception:  # an exception whose text cannot even be built
        text = type(exc).__name__
    return MaskedError(session.redact_text(text))


def _wrap(callbacks: Any, wrap: Callable[[Any], Any]) -> Any:
    """``callbacks`` (a manager, a list of handlers or None) with every handler wrapped."""
    if isinstance(callbacks, BaseCallbackManager):
        return type(callbacks)(
            handlers=[wrap(h) for h in callbacks.handlers],
            inheritable_handlers=[wrap(h) for h in callbacks.inheritable_handlers],
            parent_run_id=callbacks.parent_run_id,
            tags=list(callbacks.tags),
            inheritable_tags=list(callbacks.inheritable_tags),
            metadata=dict(callbacks.metadata),
            inheritable_metadata=dict(callbacks.inheritable_metadata),
        )
    if isinstance(callbacks, list | tuple):
        return [wrap(h) for h in callbacks]
    return callbacks


class _Wrapper:
    """Wraps each handler once (the same wrapper in a manager's two lists and in a hook)."""

    def __init__(self, session: RedactionSession, tracing: Any) -> None:
        self._session = session
        self._mask_fn: Callable[[Any], Any] | None = None  # built on the first handler
        self._tracing = tracing
        self._done: dict[int, _MaskingHandler] = {}

    @property
    def _mask(self) -> Callable[[Any], Any]:
        if self._mask_fn is None:
            self._mask_fn = _masker(self._session)
        return self._mask_fn

    def __call__(self, handler: Any) -> Any:
        if isinstance(handler, _MaskingHandler):
            return handler
        wrapped = self._done.get(id(handler))
        if wrapped is None or wrapped._inner is not handler:
            wrapped = self._done[id(handler)] = _MaskingHandler(handler, self._mask, self._tracing)
        return wrapped


@contextlib.contextmanager
def masked_callbacks(
    session: RedactionSession, config: dict[str, Any] | None = None
) -> Iterator[Callable[[Mapping[str, Any]], dict[str, Any]]]:
    """Around a guarded tool's run: no handler under it sees a raw value.

    ``config`` (the call's own dict, as LangGraph's ``ToolNode`` builds it for each call and
    runs the tool with) gets its callbacks wrapped in place, and put back afterwards. Yields a
    function giving a copy of any other config with its callbacks wrapped the same way.
    """
    # (on every guarded call, so written flat: ~15 -> ~5 us per call with no handler at all)
    tracing = _current_tracing()
    wrapper = _Wrapper(session, tracing)
    saved = config.get("callbacks") if config is not None else None
    if config is not None and saved is not None:
        config["callbacks"] = _wrap(saved, wrapper)
    # No fresh LangSmith tracer (nor @traceable trace) under the tool: it would be raw.
    switched = tracing is not False
    if switched:
        _set_tracing_context({"enabled": False})
    tokens: list[tuple[ContextVar[Any], Token[Any]]] = [
        (tracing_v2_callback_var, tracing_v2_callback_var.set(None))
    ]

    def masked(c: Mapping[str, Any]) -> dict[str, Any]:
        tokens.extend(_adopt_env_hooks(c.get("callbacks"), wrapper))
        return {**c, "callbacks": _wrap(c.get("callbacks"), wrapper)}

    try:
        for var, *_ in _configure_hooks:
            handler = var.get()
            if handler is not None:
                tokens.append((var, var.set(wrapper(handler))))
        if saved is not None:
            tokens.extend(_adopt_env_hooks(saved, wrapper))
        yield masked
    finally:
        for var, token in reversed(tokens):
            var.reset(token)
        if switched:
            _set_tracing_context({"enabled": tracing})
        if config is not None and saved is not None:
            config["callbacks"] = saved


def _handlers(callbacks: Any) -> list[Any]:
    if isinstance(callbacks, BaseCallbackManager):
        return [*callbacks.handlers, *callbacks.inheritable_handlers]
    return list(callbacks) if isinstance(callbacks, list | tuple) else []


def _adopt_env_hooks(callbacks: Any, wrapper: _Wrapper) -> list[tuple[ContextVar[Any], Token[Any]]]:
    """Configure hooks registered with an environment variable, turned on, and not set.

    Under the tool's run LangChain would add a *fresh* ``handler_class()`` wherever no handler
    of that class is present, and the caller's own one is present only wrapped (not an instance
    of the class): the fresh one would see every event raw. Set the hook's variable instead: to
    the caller's handler of that class (wrapped: LangChain finds it already there and adds
    nothing) or, where the caller has none, to a fresh one, wrapped.
    """
    tokens: list[tuple[ContextVar[Any], Token[Any]]] = []
    for var, _inheritable, handler_class, env_var in _configure_hooks:
        if handler_class is None or env_var is None or var.get() is not None:
            continue
        if not env_var_is_set(env_var):
            continue
        found = [
            h
            for h in _handlers(callbacks)
            if isinstance(h._inner if isinstance(h, _MaskingHandler) else h, handler_class)
        ]
        handler = found[0] if found else handler_class()
        tokens.append((var, var.set(wrapper(handler))))
    return tokens


def _current_tracing() -> Any:
    return get_tracing_context().get("enabled")


@contextlib.contextmanager
def _tracing_as(enabled: Any) -> Iterator[None]:
    """LangSmith's ``enabled`` context set to ``enabled`` (None: from the environment)."""
    before = get_tracing_context().get("enabled")
    if before is enabled:
        yield
        return
    _set_tracing_context({"enabled": enabled})
    try:
        yield
    finally:
        _set_tracing_context({"enabled": before})
