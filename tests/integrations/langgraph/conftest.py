"""A custom StateGraph guarded with RedactionNode + GuardedToolNode, on any checkpointer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.tools import tool
from langgraph.config import get_stream_writer
from langgraph.graph import START, StateGraph
from langgraph.prebuilt import tools_condition

from guardrails._clock import FixedClock
from guardrails.audit import AuditLog
from guardrails.guard import ToolGuard
from guardrails.redactor import Redactor
from integrations.langgraph import (
    BoundModelNode,
    GraphGuard,
    GuardedState,
    GuardedToolNode,
    RedactionNode,
)
from tests.support.langgraph_helpers import ScriptedChatModel

EMAIL = "jane.doe@example.com"
SSN = "536-22-8714"


class Runs:
    def __init__(self) -> None:
        self.calls: list[str] = []


@pytest.fixture
def runs() -> Runs:
    return Runs()


@pytest.fixture
def graph_tools(runs: Runs) -> list[Any]:
    @tool
    def lookup(customer_id: str) -> str:
        """Look up a customer."""
        runs.calls.append("lookup")
        get_stream_writer()({"progress": f"found {EMAIL}"})
        return f"{customer_id} {EMAIL} {SSN} plan=gold"

    @tool
    def refund(amount: int) -> str:
        """Refund money."""
        runs.calls.append("refund")
        return f"refunded {amount}"

    @tool
    def close_account(customer_id: str) -> str:
        """Close an account."""
        runs.calls.append("close_account")
        return "closed"

    refund.tags = ["privileged"]
    close_account.metadata = {"privileged": True}
    return [lookup, refund, close_account]


@pytest.fixture
def build_graph(graph_tools: list[Any]) -> Callable[..., Any]:
    def build(
        model: ScriptedChatModel,
        checkpointer: Any,
        *,
        mode: str = "per_call",
        unbound_calls: str = "refuse",
    ) -> tuple[Any, GraphGuard]:
        audit = AuditLog(clock=FixedClock())
        gg = GraphGuard(
            ToolGuard(redactor=Redactor(), audit=audit, clock=FixedClock()), vault_key=b"n" * 32
        )
        b = StateGraph(GuardedState)
        b.add_node("redact", RedactionNode(gg))
        b.add_node(
            "model", BoundModelNode(lambda s: {"messages": [model.invoke(s["messages"])]}, gg)
        )
        b.add_node(
            "tools",
            GuardedToolNode(
                graph_tools, guard=gg, interrupt_mode=mode, unbound_calls=unbound_calls
            ),
        )
        b.add_edge(START, "redact")
        b.add_edge("redact", "model")
        b.add_conditional_edges("model", tools_condition)
        b.add_edge("tools", "redact")
        return b.compile(checkpointer=checkpointer), gg

    return build


def cfg(thread: str, user: str | None) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread, **({"user_id": user} if user else {})}}
