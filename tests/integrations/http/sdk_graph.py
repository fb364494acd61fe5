"""A guarded graph for `langgraph dev`, sharing its approval store (SQLite) with the test process.

Loaded by the server from a langgraph.json the SdkResumer test writes; the paths come from the
environment so the test can read the store and count tool runs.
"""

from __future__ import annotations

import os
from pathlib import Path

from langchain_core.tools import tool
from langgraph.graph import START, StateGraph
from langgraph.prebuilt import tools_condition

from guardrails.approvals import ApprovalService, SQLiteApprovalStore
from guardrails.guard import ToolGuard
from guardrails.policy import Policy
from guardrails.redactor import Redactor
from integrations.langgraph import (
    BoundModelNode,
    GraphGuard,
    GuardedState,
    GuardedToolNode,
    RedactionNode,
)
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply

POLICY = """
name: sdk
approval: {approvers: {groups: [finance]}, expires_in: 10m}
rules:
  - {name: refunds, tools: [refund], effect: require_approval, reason: refunds need finance}
principals:
  - {id: alice, groups: [finance]}
  - {id: bob, groups: [finance], identities: {token: [sub-bob]}}
"""


def service() -> ApprovalService:
    """The approval service over the shared SQLite store."""
    store = SQLiteApprovalStore(os.environ["GUARDRAILS_SDK_TEST_DB"])
    return ApprovalService(Policy.from_yaml(POLICY), store=store)


@tool
def refund(to: str, amount: int) -> str:
    """Refund a customer."""
    with Path(os.environ["GUARDRAILS_SDK_TEST_RUNS"]).open("a") as f:
        f.write(f"{amount}\n")
    return f"refunded {amount}"


def build() -> object:
    """The compiled graph (the server provides the checkpointer)."""
    model = ScriptedChatModel(
        script=[reply("", call("refund", {"to": "jane.doe@example.com", "amount": 7})), reply("ok")]
    )
    gg = GraphGuard(ToolGuard(redactor=Redactor(), approvals=service()), vault_key=b"s" * 32)
    b = StateGraph(GuardedState)
    b.add_node("redact", RedactionNode(gg))
    b.add_node("model", BoundModelNode(lambda s: {"messages": [model.invoke(s["messages"])]}, gg))
    b.add_node("tools", GuardedToolNode([refund], guard=gg))
    b.add_edge(START, "redact")
    b.add_edge("redact", "model")
    b.add_conditional_edges("model", tools_condition)
    b.add_edge("tools", "redact")
    return b.compile()


graph = build() if "GUARDRAILS_SDK_TEST_DB" in os.environ else None
