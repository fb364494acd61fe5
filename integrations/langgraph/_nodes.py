"""Nodes for custom ``StateGraph``s: a guarded drop-in for ``ToolNode``, a redaction node and
a model-node wrapper that binds the tool calls the model writes to the run's user.

Example graph::

    builder = StateGraph(GuardedState)
    builder.add_node("redact", RedactionNode(guard))      # whole history -> placeholders
    builder.add_node("model", BoundModelNode(call_model, guard))  # calls bound to the user
    builder.add_node("tools", GuardedToolNode(tools, guard=guard))
    builder.add_edge(START, "redact"); builder.add_edge("redact", "model")
    builder.add_conditional_edges("model", tools_condition); builder.add_edge("tools", "redact")

``GuardedToolNode`` asks for every pending decision of its input *before* any tool runs (one
interrupt per gated call in order, or one batched interrupt), then runs the calls; so a
re-run after resume never runs a tool twice, and the order of interrupts is deterministic even
with parallel calls.

A tool call counts as requested by the user of the run whose model wrote it: ``BoundModelNode``
records that with an HMAC per call (the middleware does the same for ``create_agent``). A call
without a verified record was put into state some other way (``update_state``, a ``Command``
with a forged AI message, another graph): ``GuardedToolNode`` refuses it (not run, audited as
``tool.blocked``), or with ``unbound_calls="run_user"`` treats it as the request of whoever runs
it now (who then cannot approve it).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Annotated, Any, Literal, NotRequired

from langchain_core.messages import AIMessage, AnyMessage
from langchain_core.runnables import RunnableConfig
from langgraph.config import get_config
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode
from typing_extensions import TypedDict

from guardrails import ConfigurationError
from guardrails.guard import ToolGuard
from integrations.langgraph._common import merge_requesters
from integrations.langgraph._context import UserResolver, default_user
from integrations.langgraph._guarded import REQUESTER_KEY, GraphGuard, tool_info
from integrations.langgraph._vault import merge_vaults

__all__ = ["BoundModelNode", "GuardedState", "GuardedToolNode", "RedactionNode"]


class GuardedState(TypedDict):
    """Messages plus the thread's encrypted vault and requester."""

    messages: Annotated[list[AnyMessage], add_messages]
    guardrails_vault: NotRequired[Annotated[dict[str, Any] | None, merge_vaults]]
    guardrails_requester: NotRequired[Annotated[dict[str, Any] | None, merge_requesters]]


def _graph_guard(
    guard: ToolGuard | GraphGuard | None,
    vault_key: bytes | None,
    resolve_user: UserResolver,
    accept_unbound_vaults: bool,
) -> GraphGuard:
    if isinstance(guard, GraphGuard):
        return guard
    return GraphGuard(
        guard or ToolGuard(),
        vault_key=vault_key,
        resolve_user=resolve_user,
        accept_unbound_vaults=accept_unbound_vaults,
    )


class RedactionNode:
    """Redacts the whole history into state and records the requester of a new turn.

    Put it before every model node: the model, the checkpoint and every stream then see
    placeholders only. Repeated messages cost a cache lookup (see :mod:`guardrails.session`).

    Example:
        >>> from langchain_core.messages import HumanMessage
        >>> node = RedactionNode(vault_key=b"k" * 32)
        >>> out = node({"messages": [HumanMessage("mail jane.doe@example.com", id="m1")]},
        ...            {"configurable": {"thread_id": "t1", "user_id": "alice"}})
        >>> (out["messages"][0].content, out["guardrails_requester"]["1"]["id"])
        ('mail <EMAIL_ADDRESS_1>', 'alice')
    """

    def __init__(
        self,
        guard: ToolGuard | GraphGuard | None = None,
        *,
        vault_key: bytes | None = None,
        resolve_user: UserResolver = default_user,
        accept_unbound_vaults: bool = False,
    ) -> None:
        self.graph_guard = _graph_guard(guard, vault_key, resolve_user, accept_unbound_vaults)

    def __call__(self, state: Any, config: RunnableConfig) -> dict[str, Any]:
        gg = self.graph_guard
        ctx = gg.context(state, config)
        session = gg.session(state, ctx)
        size = session.vault_size
        before = list(state["messages"])
        after = gg.redact_history(before, session)
        changed = gg.changed(before, after)
        gg.note_redaction(ctx, session, size, "history")
        update: dict[str, Any] = gg.vault_update(session)
        if changed:
            update["messages"] = changed
        if before and before[-1].type == "human" and gg.resolve_user(config):
            # bound to the turn's message as it stays in state (masked)
            requester = gg.requester_update({**state, "messages": after}, config)
            if requester is not None:
                update[REQUESTER_KEY] = requester
        return update


class BoundModelNode:
    """Wraps a model node: the tool calls its AI messages hold are bound to the run's user.

    Each call gets a ``guardrails_requester`` entry ``"c:<digest>"``: the user this turn
    belongs to (the verified requester of the newest human message, else the run's own user),
    bound by an HMAC (a key derived from the vault key) to the thread, the call's id, tool
    name and masked arguments. :class:`GuardedToolNode` reads it back; a call planted into
    state without one is refused. The wrapped node returns a state update (a dict); anything
    else passes through unchanged, and its calls stay unbound.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> gg = GraphGuard(ToolGuard(), vault_key=b"k" * 32)
        >>> node = BoundModelNode(lambda s: {"messages": [AIMessage("", tool_calls=[
        ...     {"name": "refund", "args": {"amount": 5}, "id": "c1"}])]}, gg)
        >>> out = node({"messages": []}, {"configurable": {"thread_id": "t", "user_id": "al"}})
        >>> [entry["u"] for entry in out["guardrails_requester"].values()]
        ['al']
    """

    def __init__(self, node: Any, guard: GraphGuard) -> None:
        self.node = node
        self.graph_guard = guard
        guard.bind_calls = True
        try:
            params = list(inspect.signature(node).parameters)
        except (TypeError, ValueError):
            params = []
        self._takes_config = len(params) >= 2 or "config" in params

    def __call__(self, state: Any, config: RunnableConfig) -> Any:
        out = self.node(state, config) if self._takes_config else self.node(state)
        return self._bound(out, state, config)

    def _bound(self, out: Any, state: Any, config: RunnableConfig) -> Any:
        if not isinstance(out, dict) or out.get("messages") is None:
            return out
        given = out["messages"]
        messages = given if isinstance(given, list) else [given]
        calls = [tc for m in messages if isinstance(m, AIMessage) for tc in m.tool_calls]
        if not calls:
            return out
        gg = self.graph_guard
        ctx = gg.context(state, config)
        session = gg.session(state, ctx)
        size = session.vault_size
        # Digests over the arguments as GuardedToolNode will mask them (same session).
        entries: dict[str, Any] = {}
        for tc in calls:
            masked = session.redact_data(dict(tc.get("args") or {}))
            entries.update(gg.call_entries([{**tc, "args": masked}], ctx.requester, config))
        merged = merge_requesters(out.get(REQUESTER_KEY), entries)
        update = {**out, REQUESTER_KEY: merged}
        if session.vault_size > size:
            update.update(gg.vault_update(session))  # the placeholders the digests name
        return update

    async def acall(self, state: Any, config: RunnableConfig) -> Any:
        """For an async model node: ``add_node("model", BoundModelNode(fn, guard).acall)``."""
        out = self.node(state, config) if self._takes_config else self.node(state)
        if inspect.isawaitable(out):
            out = await out
        return self._bound(out, state, config)


class GuardedToolNode(ToolNode):
    """``ToolNode`` with the guard at its choke point: policy, approval, once-only, redaction.

    Args:
        tools: the tools, as for ``ToolNode``.
        guard: a :class:`~guardrails.guard.ToolGuard` or a shared :class:`GraphGuard`.
        interrupt_mode: ``"per_call"`` or ``"batched"`` (one interrupt for all pending calls).
        vault_key: key of the vault in state (when ``guard`` is not a ``GraphGuard``).
        unbound_calls: a call no verified entry binds to the run whose model wrote it (see
            :class:`BoundModelNode`): ``"refuse"`` (default: not run, audited) or
            ``"run_user"`` (the user running the node now is its requester; a call the model
            writes in an approver's resume run then counts as the approver's). This node's
            own setting: a ``GraphGuard`` it shares with the middleware or another node is
            not changed by it.
        accept_unbound_vaults: open vault blobs written before vaults were bound to their
            thread (a one-time migration; refused by default), when ``guard`` is not a
            ``GraphGuard``.

    Example:
        >>> from langchain_core.tools import tool
        >>> @tool
        ... def refund(amount: int) -> str:
        ...     '''Refund money.'''
        ...     return f"refunded {amount}"
        >>> refund.tags = ["privileged"]
        >>> node = GuardedToolNode([refund], vault_key=b"k" * 32)
        >>> sorted(node.tools_by_name)
        ['refund']
    """

    def __init__(
        self,
        tools: Sequence[Any],
        *,
        guard: ToolGuard | GraphGuard | None = None,
        interrupt_mode: Literal["per_call", "batched"] = "per_call",
        vault_key: bytes | None = None,
        resolve_user: UserResolver = default_user,
        name: str = "tools",
        accept_unbound_vaults: bool = False,
        unbound_calls: Literal["refuse", "run_user"] = "refuse",
        **kwargs: Any,
    ) -> None:
        if unbound_calls not in ("refuse", "run_user"):
            raise ConfigurationError("unbound_calls must be 'refuse' or 'run_user'")
        gg = _graph_guard(guard, vault_key, resolve_user, accept_unbound_vaults)
        # Every call counts as requested by the user of the run whose model wrote it (a
        # verified entry: BoundModelNode, or the middleware). An unbound one is refused, or
        # with "run_user" counts as the request of whoever runs it now (the middleware's rule).
        # The rule is this node's, passed on each call: a shared GraphGuard keeps none of it.
        gg.bind_calls = True
        refuse = unbound_calls == "refuse"
        super().__init__(
            tools,
            name=name,
            wrap_tool_call=lambda r, h: gg.call(r, h, replay=False, refuse_unbound=refuse),
            awrap_tool_call=lambda r, h: gg.acall(r, h, replay=False, refuse_unbound=refuse),
            **kwargs,
        )
        self.refuse_unbound = refuse
        self.graph_guard = gg
        self.interrupt_mode = interrupt_mode

    def _pending_calls(self, input: Any) -> list[Any]:
        messages = (
            input
            if isinstance(input, list)
            else (
                input.get("messages") if isinstance(input, dict) else getattr(input, "messages", [])
            )
        )
        last = next((m for m in reversed(messages or []) if isinstance(m, AIMessage)), None)
        return list(last.tool_calls) if last is not None else []

    def _review_first(self, input: Any, config: RunnableConfig) -> None:
        """Every decision this input needs, asked before any tool of it runs (pure + idempotent)."""
        if isinstance(input, list) and input and isinstance(input[0], dict) and "name" in input[0]:
            calls = input  # a Send of tool calls
            state = get_config()
        else:
            calls = self._pending_calls(input)
            state = input
        gg = self.graph_guard
        if self.interrupt_mode == "batched":
            gg.review_batch(
                state, config, calls, self.tools_by_name, refuse_unbound=self.refuse_unbound
            )
            return
        for tc in calls:
            ctx = gg.context(state, config, tc.get("id") or "")
            session = gg.session(state, ctx)
            masked = session.redact_data(dict(tc.get("args") or {}))
            if self.refuse_unbound and gg.unbound(state, config, tc, masked):
                continue  # refused when it is run (GraphGuard.prepare), never reviewed
            ctx = gg._call_context(state, config, tc, masked)
            ruling = gg.guard.rule(
                tc.get("id") or "",
                masked,
                tool_info(self.tools_by_name.get(tc["name"]), tc["name"]),
                ctx,
                vault=session.vault,
            )
            if ruling.outcome == "approval":
                gg.decision(ruling, ctx, session)

    def _func(self, input: Any, config: RunnableConfig, runtime: Any) -> Any:
        self._review_first(input, config)
        return super()._func(input, config, runtime)

    async def _afunc(self, input: Any, config: RunnableConfig, runtime: Any) -> Any:
        self._review_first(input, config)
        return await super()._afunc(input, config, runtime)
