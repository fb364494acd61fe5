"""``GuardrailsMiddleware``: zero data exposure and action-level approvals for ``create_agent``.

Hooks, and why each is where it is:

* ``before_agent`` runs once per run started with new input: it remembers who asked (the
  requester, from the run's authenticated config, because a resuming run is someone else; kept
  as an HMAC-authenticated entry in an append-only channel, so a tool, a resume's state update or
  ``update_state`` cannot name someone else) and redacts the *whole* history into state (not
  only the last message), so the new input is masked in state from the turn's first node on.
* ``wrap_model_call`` redacts the request (the whole history, so the model never sees a raw
  value whatever added it), writes any message of state that was not masked yet back into state
  (placeholders in the checkpoint and every stream), and redacts what the model wrote (content
  and tool-call args) before it enters state, so a raw model output never reaches a checkpoint or
  an ``updates`` stream, and another middleware's ``jump_to`` cannot skip it; the model call is
  tagged ``nostream`` so the ``messages`` stream carries the redacted message, not the model's
  raw tokens (``stream_model_tokens=True`` to trade that back). Doing this here,
  not in ``before_model``/``after_model`` nodes, saves graph steps (and checkpoint writes): two
  per model call.
* ``after_model`` exists only in ``batched`` mode (a subclass chosen at construction): it asks for
  every decision of the turn in one interrupt, which must not happen inside the model call.
* ``wrap_tool_call`` is the gate: whatever routed the call here (including another middleware's
  ``jump_to``), a gated tool does not run without a verified decision, runs at most once, gets
  placeholders restored only for the entity types its policy allows, and its output is redacted
  before it enters state.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any, Literal, NotRequired

from langchain.agents.middleware.types import (
    AgentMiddleware,
    AgentState,
    ExtendedModelResponse,
    ModelRequest,
    ModelResponse,
    OmitFromSchema,
    PrivateStateAttr,
    ToolCallRequest,
)
from langchain.agents.structured_output import (
    AutoStrategy,
    OutputToolBinding,
    ProviderStrategy,
    ProviderStrategyBinding,
    StructuredOutputValidationError,
    ToolStrategy,
)
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.runnables.config import var_child_runnable_config
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.config import get_config
from langgraph.constants import TAG_NOSTREAM
from langgraph.types import Command

from guardrails import ConfigurationError
from guardrails.guard import CallContext, ExecutionLedger, ToolGuard
from guardrails.session import RedactionSession
from integrations._schema import redact_schema, redact_tool
from integrations.langgraph._common import _state_get, _turn, merge_requesters
from integrations.langgraph._context import UserResolver, default_user
from integrations.langgraph._guarded import REQUESTER_KEY, GraphGuard
from integrations.langgraph._vault import VAULT_KEY, merge_vaults

__all__ = ["GuardrailsMiddleware", "GuardrailsState", "InputRedactingGraph"]


class GuardrailsState(AgentState[Any]):
    """Agent state plus the thread's encrypted vault and the current requester."""

    guardrails_vault: NotRequired[Annotated[dict[str, Any] | None, PrivateStateAttr, merge_vaults]]
    guardrails_requester: NotRequired[
        Annotated[dict[str, Any] | None, OmitFromSchema(input=True, output=True), merge_requesters]
    ]


class GuardrailsMiddleware(AgentMiddleware[GuardrailsState, Any, Any]):
    """Redaction, approvals and audit for a LangChain v1 agent.

    With no arguments: every built-in entity is replaced by a reversible placeholder before the
    model sees it, and every tool tagged ``privileged`` (tags or metadata, including tools added
    at run time) waits for an authenticated human who is not the requester.

    Args:
        redactor: a :class:`~guardrails.Redactor`.
        policy: a :class:`~guardrails.policy.Policy`.
        approvals: a :class:`~guardrails.approvals.ApprovalService` (shared with channels such
            as Slack, so a decision made there resumes the graph; permits verify through it).
        store: the approval store when ``approvals`` is not given (memory by default;
            :class:`~guardrails.approvals.SQLiteApprovalStore` to survive restarts).
        audit: an :class:`~guardrails.audit.AuditLog`.
        ledger: an :class:`~guardrails.guard.ExecutionLedger` (at-most-once execution).
        vault_key: 16/24/32-byte key encrypting the vault in state (default:
            ``GUARDRAILS_VAULT_KEY`` or a per-process key).
        accept_unbound_vaults: a one-time migration switch. A vault blob written before
            vaults were bound to their thread would open in any thread it is copied into, so
            it is refused by default (:class:`~guardrails.VaultDecryptionError`). With
            ``True`` it opens and the middleware's next vault write rewrites it bound.
        requester: how to read the authenticated user from a run config (default:
            ``langgraph_auth_user`` then ``configurable.user_id``).
        restore_output: restore placeholders in :meth:`final_answer` for the end user.
        interrupt_mode: ``"per_call"`` (one interrupt per gated call) or ``"batched"``.
        guard: a ready :class:`~guardrails.guard.ToolGuard` (overrides the service arguments).
        stream_model_tokens: let ``stream_mode="messages"`` carry the model's tokens as they
            come. They are the model's raw writing (redacted only when the call returns), so
            by default the stream carries the redacted message once the call returns instead.

    Example:
        >>> from langchain.agents import create_agent
        >>> from integrations.langchain import GuardrailsMiddleware
        >>> mw = GuardrailsMiddleware()
        >>> mw.name
        'GuardrailsMiddleware'
    """

    state_schema = GuardrailsState

    def __new__(cls, *args: Any, **kwargs: Any) -> GuardrailsMiddleware:
        # LangChain adds an ``after_model`` node when the class defines the hook: only batched
        # review needs one, so that mode gets the subclass that has it.
        batched = cls is GuardrailsMiddleware and kwargs.get("interrupt_mode") == "batched"
        return super().__new__(_BatchedGuardrailsMiddleware if batched else cls)

    @property
    def name(self) -> str:
        """``GuardrailsMiddleware`` in both modes (graph node names start with it)."""
        return "GuardrailsMiddleware"

    def __init__(
        self,
        *,
        redactor: Any = None,
        policy: Any = None,
        approvals: Any = None,
        store: Any = None,
        audit: Any = None,
        ledger: ExecutionLedger | None = None,
        vault_key: bytes | None = None,
        requester: UserResolver = default_user,
        restore_output: bool = False,
        interrupt_mode: Literal["per_call", "batched"] = "per_call",
        clock: Any = None,
        guard: ToolGuard | None = None,
        stream_model_tokens: bool = False,
        accept_unbound_vaults: bool = False,
    ) -> None:
        super().__init__()
        if interrupt_mode not in ("per_call", "batched"):
            raise ConfigurationError("interrupt_mode must be 'per_call' or 'batched'")
        self.guard = guard or ToolGuard(
            redactor=redactor,
            policy=policy,
            approvals=approvals,
            audit=audit,
            ledger=ledger,
            store=store,
            clock=clock,
        )
        self.graph_guard = GraphGuard(
            self.guard,
            vault_key=vault_key,
            resolve_user=requester,
            accept_unbound_vaults=accept_unbound_vaults,
        )
        # A tool call whose tool neither the tool node nor a model request showed this
        # middleware (an inner middleware adds and runs it) is gated as privileged.
        self.graph_guard.unknown_tools_privileged = True
        # Tool calls are bound to the requester of the run whose model wrote them.
        self.graph_guard.bind_calls = True
        self.restore_output = restore_output
        self.interrupt_mode = interrupt_mode
        self.stream_model_tokens = stream_model_tokens
        self.tools = []
        self._known_tools: dict[str, Any] = {}
        self._schemas: dict[int, tuple[Any, dict[str, Any] | None]] = {}
        self._masked: dict[tuple[int, int], tuple[Any, Any, int, Any]] = {}

    @property
    def audit(self) -> Any:
        """The audit log every step is recorded in."""
        return self.guard.backend.audit

    # -- hooks --------------------------------------------------------------------------------

    def before_agent(self, state: GuardrailsState, runtime: Any) -> dict[str, Any] | None:
        config = get_config()
        # A new turn's requester is this run's authenticated user, kept as an authenticated,
        # append-only entry (see GraphGuard.requester): what a tool or a resume writes to the
        # channel is not trusted.
        update: dict[str, Any] = {}
        session = self.graph_guard.session(state, self.graph_guard.context(state, config))
        size = session.vault_size
        before = list(state.get("messages") or [])
        after = self.graph_guard.redact_history(before, session)
        # The entry binds the turn's message as it stays in state (masked).
        view: Any = {**state, "messages": after}
        requester = self.graph_guard.requester_update(view, config)
        if requester is not None:
            update[REQUESTER_KEY] = requester
            view = {
                **view,
                REQUESTER_KEY: merge_requesters(_state_get(state, REQUESTER_KEY), requester),
            }
        ctx = self.graph_guard.context(view, config)
        self.graph_guard.note_redaction(ctx, session, size, "history")
        changed = self.graph_guard.changed(before, after)
        if changed:
            update["messages"] = changed
        stored = _state_get(state, VAULT_KEY)
        if changed or not self.graph_guard.keeper.holds(stored, session):
            update.update(self.graph_guard.vault_update(session))
        return update or None

    def _redact_request(
        self, request: ModelRequest
    ) -> tuple[ModelRequest, list[Any], RedactionSession, CallContext, dict[str, Any]]:
        """The request with every message masked, and the state messages that were not yet."""
        ctx = self.graph_guard.context(request.state, get_config())
        session = self.graph_guard.session(request.state, ctx)
        size = session.vault_size
        in_state = list(_state_get(request.state, "messages") or [])
        masked = self.graph_guard.redact_history(in_state, session)
        by_id = {id(a): b for a, b in zip(in_state, masked, strict=True)}
        # The request's messages are usually state's own objects: reuse their redaction.
        messages = [
            by_id[id(m)] if id(m) in by_id else self.graph_guard.redact_message(m, session)
            for m in request.messages
        ]
        system = request.system_message
        if system is not None:
            system = self.graph_guard.redact_message(system, session)  # type: ignore[assignment]
        self.graph_guard.note_redaction(ctx, session, size, "history")
        # Remember the tools offered to the model (including ones added at run time) so the
        # batched review and an outer middleware's unregistered tool are still known by tags.
        for t in request.tools:
            name = getattr(t, "name", None)
            if isinstance(name, str):
                self._known_tools[name] = t
        changed = self.graph_guard.changed(in_state, masked)
        entries: dict[str, Any] = {}
        if changed and ctx.requester is not None and _turn(masked) != _turn(in_state):
            # This pass re-masked the turn's own message (a value learned since): the turn
            # keeps its verified requester under the message's new form.
            entries = (
                self.graph_guard.requester_update(
                    {**request.state, "messages": masked}, get_config(), user=ctx.requester
                )
                or {}
            )
        tools = [self._masked_tool(t, session) for t in request.tools]
        override: dict[str, Any] = {"messages": messages, "system_message": system}
        if any(a is not b for a, b in zip(tools, request.tools, strict=True)):
            override["tools"] = tools
        response_format = _masked_format(request, session)
        if response_format is not request.response_format:
            override["response_format"] = response_format
        served = _tool_served_format(request, session)
        if served is not None:  # its output tools, masked, join the request's
            override["response_format"], output_tools = served
            override["tools"] = [*tools, *output_tools]
        redacted = request.override(**override)
        return redacted, changed, session, ctx, entries

    def _masked_tool(self, tool: Any, session: RedactionSession) -> Any:
        """The tool as the model is shown it, its description and args schema masked.

        Descriptions are often written from application data ("send the summary to the owner,
        jane@x.com"); they go to the provider with every call. The tool node keeps running the
        original (calls are matched by name); the copy is only what the model sees.
        """
        if isinstance(tool, dict):  # a provider-native tool spec
            return redact_tool(tool, session)
        if not isinstance(tool, BaseTool):
            return tool
        # Same tool, same session, same vault size: the same result (only newly learned values
        # can change a masking), without re-hashing the description and schema each call.
        key = (id(session), id(tool))
        hit = self._masked.get(key)
        if (
            hit is not None
            and hit[0] is session
            and hit[1] is tool
            and hit[2] == session.vault_size
        ):
            return hit[3]
        size = session.vault_size
        out = self._mask_tool(tool, session)
        if len(self._masked) > 4096:
            self._masked.clear()
        self._masked[key] = (session, tool, size, out)
        return out

    def _mask_tool(self, tool: BaseTool, session: RedactionSession) -> Any:
        description = session.redact_text(tool.description) if tool.description else ""
        schema = self._schema_of(tool)
        # Keyword by keyword: a generic walk would apply the ``email`` field rule to the
        # property's ``"type": "string"``.
        masked = redact_schema(schema, session) if schema is not None else None
        update: dict[str, Any] = {}
        if description != (tool.description or ""):
            update["description"] = description
        if masked is not None and masked != schema:
            update["args_schema"] = masked
        return tool.model_copy(update=update) if update else tool

    def _schema_of(self, tool: BaseTool) -> dict[str, Any] | None:
        """The JSON schema of a tool's call args (computed once per tool object)."""
        cached = self._schemas.get(id(tool))
        if cached is not None and cached[0] is tool:
            return cached[1]
        try:
            raw = tool.tool_call_schema
            if isinstance(raw, Mapping):
                schema: dict[str, Any] | None = dict(raw)
            else:  # pydantic v2 model (v1: .schema())
                render = getattr(raw, "model_json_schema", None) or raw.schema
                schema = dict(render())
        except Exception:  # a schema we cannot render: the description is still masked
            schema = None
        if len(self._schemas) > 1024:
            self._schemas.clear()
        self._schemas[id(tool)] = (tool, schema)
        return schema

    def wrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]
    ) -> ModelResponse | ExtendedModelResponse:
        redacted, changed, session, ctx, entries = self._redact_request(request)
        with self._model_stream():
            try:
                response = handler(redacted)
            except StructuredOutputValidationError as exc:
                response = _reparsed(redacted, request, exc, session)
            else:
                response = _tool_answer_restored(redacted, request, response, session)
        return self._redact_response(request, response, changed, session, ctx, turn_entry=entries)

    async def awrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], Awaitable[ModelResponse]]
    ) -> ModelResponse | ExtendedModelResponse:
        redacted, changed, session, ctx, entries = self._redact_request(request)
        with self._model_stream():
            try:
                response = await handler(redacted)
            except StructuredOutputValidationError as exc:
                response = _reparsed(redacted, request, exc, session)
            else:
                response = _tool_answer_restored(redacted, request, response, session)
        return self._redact_response(request, response, changed, session, ctx, turn_entry=entries)

    @contextmanager
    def _model_stream(self) -> Iterator[None]:
        """The model call tagged ``nostream`` unless ``stream_model_tokens``.

        LangGraph's ``messages`` stream taps the model's callbacks: it would carry the model's
        own writing (tokens, then the whole message) before this middleware redacts it, and
        then skip the redacted message as already sent. Untapped, the stream carries the
        redacted message once the call returns (from the node's output).
        """
        config = var_child_runnable_config.get()
        tags = list((config or {}).get("tags") or [])
        if self.stream_model_tokens or config is None or TAG_NOSTREAM in tags:
            yield
            return
        token = var_child_runnable_config.set({**config, "tags": [*tags, TAG_NOSTREAM]})
        try:
            yield
        finally:
            var_child_runnable_config.reset(token)

    def _redact_response(
        self,
        request: ModelRequest,
        response: ModelResponse,
        changed: list[Any],
        session: RedactionSession,
        ctx: CallContext,
        *,
        turn_entry: dict[str, Any] | None = None,
    ) -> ModelResponse | ExtendedModelResponse:
        """The model's messages redacted before they enter state, with the state messages that
        were not masked yet, the grown vault and the requester entries (the turn's, when its
        message was re-masked; one per tool call written)."""
        size = session.vault_size
        messages = [self.graph_guard.redact_message(m, session) for m in response.result]
        structured = response.structured_response
        if structured is not None:
            # Parsed from the model's raw output; it lands in state as ``structured_response``.
            structured = session.redact_data(structured)
        self.graph_guard.note_redaction(ctx, session, size, "model_output")
        if structured is not response.structured_response or any(
            a is not b for a, b in zip(messages, response.result, strict=True)
        ):
            response = ModelResponse(result=messages, structured_response=structured)
        stored = _state_get(request.state, VAULT_KEY)
        update: dict[str, Any] = {}
        calls = [tc for m in messages if isinstance(m, AIMessage) for tc in m.tool_calls]
        entries: dict[str, Any] = dict(turn_entry or {})
        if calls:
            # Who these calls are for: this turn's requester (a call written into state any
            # other way counts as requested by the user whose run executes it).
            entries.update(self.graph_guard.call_entries(calls, ctx.requester, get_config()))
        if entries:
            update[REQUESTER_KEY] = entries
        if changed:
            update["messages"] = changed  # replaced by id in state
        if changed or not self.graph_guard.keeper.holds(stored, session):
            update.update(self.graph_guard.vault_update(session))
        if not update:
            return response
        return ExtendedModelResponse(model_response=response, command=Command(update=update))

    def wrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], ToolMessage | Command[Any]],
    ) -> ToolMessage | Command[Any]:
        return self.graph_guard.call(self._with_tool(request), handler)  # type: ignore[no-any-return]

    async def awrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]],
    ) -> ToolMessage | Command[Any]:
        return await self.graph_guard.acall(self._with_tool(request), handler)  # type: ignore[no-any-return]

    def _with_tool(self, request: ToolCallRequest) -> ToolCallRequest:
        """Fill in a tool the node does not know but the model was offered (for its tags)."""
        if request.tool is not None:
            return request
        known = self._known_tools.get(request.tool_call["name"])
        return request.override(tool=known) if known is not None else request

    # -- for the application ------------------------------------------------------------------

    def final_answer(self, result: Any, *, thread_id: str = "") -> str:
        """The last AI answer of an ``invoke`` result; placeholders restored if ``restore_output``.

        The restored text is returned to the caller only: it never enters state or checkpoints.
        """
        values = getattr(result, "value", result)
        messages = values.get("messages", []) if isinstance(values, Mapping) else []
        last = next((m for m in reversed(messages) if isinstance(m, AIMessage)), None)
        text = last.text if last is not None else ""
        if not self.restore_output:
            return text
        return str(self.graph_guard.keeper.restore(text, values, thread_id))

    def redact_input(self, agent: Any, value: Any, config: Mapping[str, Any]) -> Any:
        """``value`` with its messages redacted before ``agent`` checkpoints it.

        Use ``agent.invoke(mw.redact_input(agent, input, config), config)`` to keep the raw
        prompt out of the turn's first checkpoints too (the hooks can only act after LangGraph
        stored the input).
        """
        snapshot = agent.get_state(config) if getattr(agent, "checkpointer", None) else None
        state = snapshot.values if snapshot is not None else None
        return self.graph_guard.redact_input(value, config, state)

    def protect(self, agent: Any) -> InputRedactingGraph:
        """``agent`` with every input redacted before LangGraph stores it (see :meth:`redact_input`).

        Example:
            >>> from langchain.agents import create_agent
            >>> from langgraph.checkpoint.memory import InMemorySaver
            >>> from integrations.langgraph.example import ScriptedSupportModel
            >>> mw = GuardrailsMiddleware(vault_key=b"k" * 32)
            >>> agent = mw.protect(create_agent(ScriptedSupportModel(), [], middleware=[mw],
            ...                                 checkpointer=InMemorySaver()))
            >>> cfg = {"configurable": {"thread_id": "p1"}}
            >>> out = agent.invoke({"messages": [{"role": "user", "content": "I am jane.doe@example.com"}]}, cfg)
            >>> out["messages"][0].content
            'I am <EMAIL_ADDRESS_1>'
        """
        return InputRedactingGraph(agent, self)

    def restore(self, value: Any, state: Any, *, thread_id: str = "") -> Any:
        """Placeholders in ``value`` replaced from the thread's vault (for the end user only)."""
        return self.graph_guard.keeper.restore(value, state, thread_id)


def _masked_format(request: ModelRequest, session: RedactionSession) -> Any:
    """The request's ``response_format`` as the provider is shown it: a provider-native
    schema (``ProviderStrategy``, or an ``AutoStrategy`` the model serves natively) with its
    text and example values masked (see :func:`integrations._schema.redact_schema`).

    The copy keeps the original schema class, so the answer is still parsed into it. A
    ``ToolStrategy`` is left as it is here (see :func:`_tool_served_format`).
    """
    fmt = request.response_format
    if fmt is None or isinstance(fmt, ToolStrategy):
        return fmt
    if not isinstance(fmt, ProviderStrategy):  # AutoStrategy or a bare schema
        schema = fmt.schema if isinstance(fmt, AutoStrategy) else fmt
        if not _native_structured_output(request):
            return fmt
        fmt = ProviderStrategy(schema)
    spec = fmt.schema_spec
    masked = redact_schema(spec.json_schema, session)
    description = session.redact_text(spec.description) if spec.description else ""
    if masked == spec.json_schema and description == (spec.description or ""):
        return request.response_format
    new_spec = copy.copy(spec)
    new_spec.json_schema = masked
    new_spec.description = description
    out = copy.copy(fmt)
    out.schema_spec = new_spec
    return out


def _tool_served_format(
    request: ModelRequest, session: RedactionSession
) -> tuple[ToolStrategy[Any], list[dict[str, Any]]] | None:
    """A ``response_format`` served through tool calling (``ToolStrategy``, or a bare schema the
    model does not serve natively), and its output tools as the provider is shown them.

    ``create_agent`` binds a ``ToolStrategy``'s output tools (one per schema) after every
    middleware ran, from tools it built with the agent: masking ``request.response_format``
    alone would not reach them. The copy returned names no schema, so ``create_agent`` adds
    none of its own output tools, yet it still forces a tool call, parses a call by its tool
    name into the original schema class and applies ``handle_errors``. Its output tools, as
    the OpenAI tool specs they would be sent as, with their description and schema masked
    (:func:`integrations._schema.redact_tool`), go after the request's tools, where
    ``create_agent`` puts them. ``None``: not served through tools.
    """
    fmt = request.response_format
    if fmt is None or isinstance(fmt, ProviderStrategy):
        return None
    if not isinstance(fmt, ToolStrategy):  # AutoStrategy or a bare schema
        if _native_structured_output(request):
            return None
        fmt = _tool_strategy(fmt.schema if isinstance(fmt, AutoStrategy) else fmt)
    if not fmt.schema_specs:  # served already (an outer guardrails middleware)
        return None
    tools = [redact_tool(_output_tool_spec(spec), session) for spec in fmt.schema_specs]
    out = copy.copy(fmt)
    out.schema_specs = []
    return out, tools


# schema -> its ToolStrategy, spec -> its output tool as sent: built once (a ToolStrategy renders
# the JSON schema of every member, ~0.2 ms), keyed by identity and checked against the key.
_STRATEGIES: dict[int, tuple[Any, ToolStrategy[Any]]] = {}
_OUTPUT_TOOLS: dict[int, tuple[Any, dict[str, Any]]] = {}


def _tool_strategy(schema: Any) -> ToolStrategy[Any]:
    """The ``ToolStrategy`` ``create_agent`` builds for a bare schema (its default options)."""
    hit = _STRATEGIES.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    if len(_STRATEGIES) > 256:
        _STRATEGIES.clear()
    strategy = ToolStrategy(schema)
    _STRATEGIES[id(schema)] = (schema, strategy)
    return strategy


def _output_tool_spec(spec: Any) -> dict[str, Any]:
    """The OpenAI tool spec ``create_agent``'s output tool for ``spec`` is sent as."""
    hit = _OUTPUT_TOOLS.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    if len(_OUTPUT_TOOLS) > 256:
        _OUTPUT_TOOLS.clear()
    tool = convert_to_openai_tool(OutputToolBinding.from_schema_spec(spec).tool)
    _OUTPUT_TOOLS[id(spec)] = (spec, tool)
    return tool


def _tool_answer_restored(
    redacted: ModelRequest, request: ModelRequest, response: Any, session: RedactionSession
) -> Any:
    """``response``, or, when its output tool call failed to parse, the call parsed again with
    its placeholders restored (see :func:`_restored_tool_answer`)."""
    fmt = redacted.response_format
    if (
        fmt is request.response_format
        or not isinstance(fmt, ToolStrategy)
        or getattr(response, "structured_response", None) is not None
    ):
        return response
    message = next((m for m in getattr(response, "result", ()) if isinstance(m, AIMessage)), None)
    fixed = _restored_tool_answer(fmt, message, session) if message is not None else None
    return response if fixed is None else fixed


def _restored_tool_answer(
    fmt: ToolStrategy[Any], message: AIMessage, session: RedactionSession
) -> ModelResponse | None:
    """The answer when the model called one output tool with a value only the masked schema
    offered (a masked ``enum`` value the schema class does not know), parsed again with its
    placeholders restored, as ``create_agent`` would have answered; ``None`` otherwise. What
    enters state is masked again (``_redact_response``)."""
    specs = {spec.name: spec for spec in _tool_strategy(fmt.schema).schema_specs}
    calls = [c for c in message.tool_calls if c["name"] in specs]
    if len(calls) != 1:
        return None
    (call,) = calls
    restored = session.restore_data(call["args"])
    if restored == call["args"]:
        return None
    try:
        structured = OutputToolBinding.from_schema_spec(specs[call["name"]]).parse(restored)
    except Exception:
        return None
    content = fmt.tool_message_content or f"Returning structured response: {structured}"
    answer = ToolMessage(content=content, tool_call_id=call["id"], name=call["name"])
    return ModelResponse(result=[message, answer], structured_response=structured)


def _native_structured_output(request: ModelRequest) -> bool:
    """Would ``create_agent`` answer an ``AutoStrategy`` with the provider's native output?"""
    try:
        from langchain.agents.factory import _supports_provider_strategy
    except ImportError:  # moved in another version: the format is left as it is
        return False
    return bool(_supports_provider_strategy(request.model, tools=request.tools))


def _reparsed(
    redacted: ModelRequest,
    request: ModelRequest,
    exc: StructuredOutputValidationError,
    session: RedactionSession,
) -> ModelResponse:
    """The answer parsed again with its placeholders restored, when the masked schema offered
    them: the model picked a masked ``enum`` value the original schema class does not know.
    What enters state is masked again (``_redact_response``)."""
    fmt = redacted.response_format
    if fmt is not request.response_format and isinstance(fmt, ToolStrategy):
        fixed = _restored_tool_answer(fmt, exc.ai_message, session)
        if fixed is None:
            raise exc
        return fixed
    if fmt is request.response_format or not isinstance(fmt, ProviderStrategy):
        raise exc
    message = exc.ai_message
    restored = message.model_copy(update={"content": session.restore_data(message.content)})
    try:
        structured = ProviderStrategyBinding.from_schema_spec(fmt.schema_spec).parse(restored)
    except Exception:
        raise exc from None
    return ModelResponse(result=[message], structured_response=structured)


class _BatchedGuardrailsMiddleware(GuardrailsMiddleware):
    """``GuardrailsMiddleware(interrupt_mode="batched")``: one interrupt for a turn's decisions."""

    def after_model(self, state: GuardrailsState, runtime: Any) -> dict[str, Any] | None:
        config = get_config()
        ctx = self.graph_guard.context(state, config)
        session = self.graph_guard.session(state, ctx)
        last = next((m for m in reversed(state["messages"]) if isinstance(m, AIMessage)), None)
        update: dict[str, Any] = {}
        if last is not None:
            # Already redacted by wrap_model_call (a cache hit); redone in case another
            # middleware's after_model added or changed it.
            size = session.vault_size
            redacted = self.graph_guard.redact_message(last, session)
            self.graph_guard.note_redaction(ctx, session, size, "model_output")
            if redacted is not last:
                update["messages"] = [redacted]
                update.update(self.graph_guard.vault_update(session))
                if redacted.tool_calls:  # type: ignore[attr-defined]
                    update[REQUESTER_KEY] = self.graph_guard.call_entries(
                        redacted.tool_calls,  # type: ignore[attr-defined]
                        ctx.requester,
                        config,
                    )
            if redacted.tool_calls:  # type: ignore[attr-defined]
                tools = dict(self._known_tools)
                view = {**state, "messages": [*state["messages"][:-1], redacted]}
                self.graph_guard.review_batch(view, config, redacted.tool_calls, tools)  # type: ignore[attr-defined]
        return update or None


class InputRedactingGraph:
    """A compiled graph whose ``invoke``/``stream``/``ainvoke``/``astream``/``astream_events``/
    ``batch``/``abatch`` redact the input first (a resume's reasons and edits included).

    Everything else is the wrapped graph's (``get_state``, ``update_state``, ...).
    """

    def __init__(self, graph: Any, middleware: GuardrailsMiddleware) -> None:
        self._graph = graph
        self._mw = middleware

    def __getattr__(self, name: str) -> Any:
        return getattr(self._graph, name)

    def _input(self, value: Any, config: Any) -> Any:
        return self._mw.redact_input(self._graph, value, config or {})

    def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        return self._graph.invoke(self._input(input, config), config, **kwargs)

    async def ainvoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        return await self._graph.ainvoke(self._input(input, config), config, **kwargs)

    def stream(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        return self._graph.stream(self._input(input, config), config, **kwargs)

    def astream(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        return self._graph.astream(self._input(input, config), config, **kwargs)

    def astream_events(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        """Events of runs tagged ``nostream`` are left out: a guarded tool's own run (its
        restored args, its raw output) and the model's raw tokens. The node-level events carry
        the redacted results."""
        exclude = list(kwargs.pop("exclude_tags", None) or [])
        if TAG_NOSTREAM not in exclude:
            exclude.append(TAG_NOSTREAM)
        return self._graph.astream_events(
            self._input(input, config), config, exclude_tags=exclude, **kwargs
        )

    def batch(self, inputs: Any, config: Any = None, **kwargs: Any) -> Any:
        return self._graph.batch(self._inputs(inputs, config), config, **kwargs)

    async def abatch(self, inputs: Any, config: Any = None, **kwargs: Any) -> Any:
        return await self._graph.abatch(self._inputs(inputs, config), config, **kwargs)

    def _inputs(self, inputs: Any, config: Any) -> list[Any]:
        """Each input of a batch with its own config (one config for all, or one per input)."""
        items = list(inputs)
        configs = config if isinstance(config, list) else [config] * len(items)
        return [self._input(i, c) for i, c in zip(items, configs, strict=True)]
