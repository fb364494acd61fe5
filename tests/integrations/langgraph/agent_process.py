"""A guarded custom StateGraph run as a separate process by the restart test.

``python -m tests.integrations.langgraph.agent_process DIR start|resume USER``: every store
(checkpoints, decisions, ledger, audit) is a SQLite file in DIR, so a new process picks up where a
killed one stopped. ``start`` pauses on the approval and then kills itself (SIGKILL).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import sys
from pathlib import Path

from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import START, StateGraph
from langgraph.prebuilt import tools_condition
from langgraph.types import Command

from guardrails.approvals import SQLiteApprovalStore
from guardrails.audit import AuditLog
from guardrails.guard import SQLiteLedger, ToolGuard
from guardrails.redactor import Redactor
from integrations.langgraph import (
    BoundModelNode,
    GraphGuard,
    GuardedState,
    GuardedToolNode,
    RedactionNode,
)
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply

KEY = b"v" * 32


def build(d: Path):
    @tool
    def refund(customer: str, amount: int) -> str:
        """Refund a customer."""
        with open(d / "ran.txt", "a") as fh:
            fh.write(f"refund {amount}\n")
        return f"refunded {amount} to {customer}"

    refund.tags = ["privileged"]
    audit = AuditLog(str(d / "audit.sqlite"))
    guard = ToolGuard(
        redactor=Redactor(),
        audit=audit,
        ledger=SQLiteLedger(d / "ledger.sqlite"),
        store=SQLiteApprovalStore(d / "decisions.sqlite"),
    )
    gg = GraphGuard(guard, vault_key=KEY)
    model = ScriptedChatModel(
        script=[
            reply("", call("refund", {"customer": "<EMAIL_ADDRESS_1>", "amount": 40}, "k1")),
            reply("refunded"),
        ]
    )
    b = StateGraph(GuardedState)
    b.add_node("redact", RedactionNode(gg))
    b.add_node("model", BoundModelNode(lambda s: {"messages": [model.invoke(s["messages"])]}, gg))
    b.add_node("tools", GuardedToolNode([refund], guard=gg))
    b.add_edge(START, "redact")
    b.add_edge("redact", "model")
    b.add_conditional_edges("model", tools_condition)
    b.add_edge("tools", "redact")
    conn = sqlite3.connect(d / "cp.sqlite", check_same_thread=False)
    return b.compile(checkpointer=SqliteSaver(conn)), audit, conn


def main() -> None:
    d, mode, user = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    graph, audit, conn = build(d)
    config = {"configurable": {"thread_id": "restart-1", "user_id": user}}
    if mode == "start":
        out = graph.invoke(
            {"messages": [HumanMessage("refund jane.doe@example.com 40 dollars")]},
            config,
            version="v2",
        )
        (d / "interrupt.json").write_text(
            json.dumps({"id": out.interrupts[0].id, "value": out.interrupts[0].value})
        )
        conn.commit()
        os.kill(os.getpid(), signal.SIGKILL)
    iid = json.loads((d / "interrupt.json").read_text())["id"]
    out = graph.invoke(Command(resume={iid: {"type": "approve"}}), config, version="v2")
    print(json.dumps({"last": str(out.value["messages"][-1].content), "verify": audit.verify().ok}))


if __name__ == "__main__":
    main()
