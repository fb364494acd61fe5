"""Nodes for custom ``StateGraph``s: a guarded drop-in for ``ToolNode`` and a redaction node.

Example graph::

    builder = StateGraph(GuardedState)
    builder.add_node("redact", RedactionNode(guard))      # whole history -> placeholders
    builder.add_node("model", call_model)
    builder.add_node("tools", GuardedToolNode(tools, guard=guard))
    builder.add_edge(START, "redact"); builder.add_edge("redact", "model")
    builder.add_conditional_edges("model", tools_condition); builder.add_edge("tools", "redact")

``GuardedToolNode`` asks for every pending decision of its input *before* any tool runs (one
interrupt per gated call in order, or one batched interrupt), then runs the calls; so a
re-run after resume never runs a tool twice, and the order of interrupts is deterministic even
with parallel calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal, NotRequired

from langchain_core.messages import AIMessage, AnyMessage
from langchain_core.runnables import RunnableConfig
from langgraph.config import get_config
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode
from typing_extensions import TypedDict

from guardrails.guard import ToolGuard
from integrations.langgraph._common import merge_requesters
from integrations.langgraph._context import UserResolver, default_user
from integrations.langgraph._guarded import REQUESTER_KEY, GraphGuard, tool_info
from integrations.langgraph._vault import merge_vaults

__all__ = ["GuardedState", "GuardedToolNode", "RedactionNode"]


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


class GuardedToolNode(ToolNode):
    """``ToolNode`` with the guard at its choke point: policy, approval, once-only, redaction.

    Args:
        tools: the tools, as for ``ToolNode``.
        guard: a :class:`~guardrails.guard.ToolGuard` or a shared :class:`GraphGuard`.
        interrupt_mode: ``"per_call"`` or ``"batched"`` (one interrupt for all pending calls).
        vault_key: key of the vault in state (when ``guard`` is not a ``GraphGuard``).
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
        **kwargs: Any,
    ) -> None:
        gg = _graph_guard(guard, vault_key, resolve_user, accept_unbound_vaults)
        super().__init__(
            tools,
            name=name,
            wrap_tool_call=lambda r, h: gg.call(r, h, replay=False),
            awrap_tool_call=lambda r, h: gg.acall(r, h, replay=False),
            **kwargs,
        )
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
            gg.review_batch(state, config, calls, self.tools_by_name)
            return
        for tc in calls:
            ctx = gg.context(state, config, tc.get("id") or "")
            session = gg.session(state, ctx)
            masked = session.redact_data(dict(tc.get("args") or {}))
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
