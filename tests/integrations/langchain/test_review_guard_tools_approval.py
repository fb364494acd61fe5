"""guard_tools consumes the approval when the tool runs: expiry and single use hold there too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode

from guardrails._clock import FixedClock
from guardrails.approvals import ApprovalService, Decision
from guardrails.audit import AuditLog
from guardrails.guard import ToolGuard
from guardrails.identity import Principal
from guardrails.policy import Policy
from integrations.langchain import guard_tools


def _graph(ran: list[int], clock: FixedClock) -> tuple[Any, ApprovalService]:
    @tool
    def wire(amount: int) -> str:
        """Wire money."""
        ran.append(amount)
        return "wired"

    wire.tags = ["privileged"]
    svc = ApprovalService(Policy.default_policy(), audit=AuditLog(clock=clock), clock=clock)
    (wrapped,) = guard_tools(
        [wire], guard=ToolGuard(approvals=svc, clock=clock), vault_key=b"g" * 32
    )
    b = StateGraph(MessagesState)
    b.add_node("tools", ToolNode([wrapped]))
    b.add_edge(START, "tools")
    return b.compile(checkpointer=InMemorySaver()), svc


_CFG = {"configurable": {"thread_id": "gx", "user_id": "alice"}}
_START = {
    "messages": [AIMessage("", tool_calls=[{"name": "wire", "args": {"amount": 9}, "id": "w1"}])]
}


def test_an_approval_that_expired_before_the_run_does_not_run_the_tool() -> None:
    """Approved (e.g. in Slack), resumed after the request expired: the call is not run."""
    clock, ran = FixedClock(), []
    graph, svc = _graph(ran, clock)
    graph.invoke(_START, _CFG)
    (req,) = svc.pending()
    svc.decide(
        req.id,
        Decision(
            verdict="approve",
            approver=Principal(id="bob"),
            args_digest=req.args_digest,
            channel="slack",
        ),
    )
    clock.advance(timedelta(days=2))
    out = graph.invoke(None, {"configurable": {"thread_id": "gx", "user_id": "bob"}})
    assert ran == []
    assert "expired" in str(out["messages"][-1].content)


def test_the_approval_is_consumed_when_the_tool_runs() -> None:
    """After the run the request is consumed (single use), as with the middleware."""
    clock, ran = FixedClock(), []
    graph, svc = _graph(ran, clock)
    graph.invoke(_START, _CFG)
    (req,) = svc.pending()
    svc.decide(
        req.id,
        Decision(
            verdict="approve",
            approver=Principal(id="bob"),
            args_digest=req.args_digest,
            channel="slack",
        ),
    )
    graph.invoke(None, {"configurable": {"thread_id": "gx", "user_id": "bob"}})
    assert ran == [9]
    assert svc.get(req.id).status in ("consumed", "executed")
