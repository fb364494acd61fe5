"""A decision in the inbox resumes the waiting LangGraph thread; the tool runs exactly once."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph
from langgraph.prebuilt import tools_condition

from guardrails.guard import ToolGuard
from guardrails.redactor import Redactor
from integrations.http import AutoResume, GraphResumer
from integrations.langgraph import (
    BoundModelNode,
    GraphGuard,
    GuardedState,
    GuardedToolNode,
    RedactionNode,
)
from tests.support.channel_fixtures import EMAIL
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply


class Agent:
    """A guarded graph whose `refund` tool needs finance approval; counts tool runs."""

    def __init__(self, service: Any, *, mode: str = "per_call", calls: int = 1) -> None:
        self.runs: list[int] = []

        @tool
        def refund(to: str, amount: int) -> str:
            """Refund a customer."""
            self.runs.append(amount)
            return f"refunded {amount}"

        script = [
            reply("", *[call("refund", {"to": EMAIL, "amount": 10 + i}) for i in range(calls)]),
            reply("all done"),
        ]
        self.model = ScriptedChatModel(script=script)
        gg = GraphGuard(ToolGuard(redactor=Redactor(), approvals=service), vault_key=b"h" * 32)
        b = StateGraph(GuardedState)
        b.add_node("redact", RedactionNode(gg))
        b.add_node(
            "model", BoundModelNode(lambda s: {"messages": [self.model.invoke(s["messages"])]}, gg)
        )
        b.add_node("tools", GuardedToolNode([refund], guard=gg, interrupt_mode=mode))
        b.add_edge(START, "redact")
        b.add_edge("redact", "model")
        b.add_conditional_edges("model", tools_condition)
        b.add_edge("tools", "redact")
        self.graph = b.compile(checkpointer=InMemorySaver())

    def start(self, thread: str = "t1") -> Any:
        config = {"configurable": {"thread_id": thread, "user_id": "alice"}}
        return self.graph.invoke(
            {"messages": [HumanMessage(f"refund {EMAIL}")]}, config, version="v2"
        )

    def state(self, thread: str = "t1") -> Any:
        return self.graph.get_state({"configurable": {"thread_id": thread}})


def _decide(client, rid, headers, verdict="approve", **extra):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/requests/{rid}/decision", json={"verdict": verdict, **extra}, headers=headers
    )


@pytest.fixture
def agent(service) -> Agent:  # type: ignore[no-untyped-def]
    return Agent(service)


@pytest.fixture
def auto(service, agent):  # type: ignore[no-untyped-def]
    resume = AutoResume(
        service, resumer=GraphResumer(graph=agent.graph, service=service), background=False
    )
    yield resume
    resume.close()


def test_inbox_approval_resumes_the_thread_and_the_tool_runs_once(
    client, service, audit, agent, auto, as_user
) -> None:
    """Refused attempts first (nothing runs), then Bob approves: the thread finishes, tool once."""
    out = agent.start()
    assert out.interrupts
    [card] = client.get("/api/requests", headers=as_user("sub-bob")).json()["requests"]
    assert EMAIL not in str(card)
    rid = card["request_id"]
    for sub in ("sub-alice", "sub-agent", "sub-nobody"):
        assert _decide(client, rid, as_user(sub)).status_code == 403
    assert _decide(client, rid, as_user("sub-dave")).status_code == 404  # not his to read
    assert agent.runs == []
    assert agent.state().interrupts  # still waiting
    res = _decide(client, rid, as_user("sub-bob"), reason="ticket 42")
    assert res.status_code == 200
    assert agent.runs == [10]
    state = agent.state()
    assert not state.interrupts
    assert state.values["messages"][-1].content == "all done"
    again = _decide(client, rid, as_user("sub-carol"))
    assert again.status_code == 409
    assert agent.runs == [10]
    assert audit.kinds().count("tool.executed") == 1
    assert audit.verify().ok
    assert EMAIL not in audit.text()


def test_inbox_rejection_resumes_the_thread_without_running_the_tool(
    client, service, agent, auto, as_user
) -> None:
    """Bob rejects with a reason: the model gets the rejection, the tool never runs."""
    agent.start()
    [card] = client.get("/api/requests", headers=as_user("sub-bob")).json()["requests"]
    _decide(client, card["request_id"], as_user("sub-bob"), verdict="reject", reason="duplicate")
    assert agent.runs == []
    messages = agent.state().values["messages"]
    tool_msgs = [m for m in messages if isinstance(m, ToolMessage)]
    assert "rejected" in tool_msgs[-1].content
    assert "duplicate" in tool_msgs[-1].content
    assert not agent.state().interrupts


def test_two_pending_calls_resume_only_when_both_are_decided_in_batched_mode(
    client, service
) -> None:
    """A batched interrupt over two requests waits for both decisions, then both run once."""
    agent = Agent(service, mode="batched", calls=2)
    auto = AutoResume(
        service, resumer=GraphResumer(graph=agent.graph, service=service), background=False
    )
    try:
        agent.start("tb")
        from tests.integrations.http.conftest import DEV_KEYS

        bob = {"Authorization": f"Bearer {next(k for k, v in DEV_KEYS.items() if v == 'sub-bob')}"}
        cards = client.get("/api/requests", headers=bob).json()["requests"]
        assert len(cards) == 2
        _decide(client, cards[0]["request_id"], bob)
        assert agent.runs == []
        assert agent.state("tb").interrupts
        _decide(client, cards[1]["request_id"], bob)
        assert sorted(agent.runs) == [10, 11]
        assert not agent.state("tb").interrupts
    finally:
        auto.close()


def test_background_resume_runs_off_the_request_thread(client, service, agent, as_user) -> None:
    """With the worker thread, the response returns and the tool runs once after drain()."""
    auto = AutoResume(service, resumer=GraphResumer(graph=agent.graph, service=service))
    try:
        agent.start()
        [card] = client.get("/api/requests", headers=as_user("sub-bob")).json()["requests"]
        assert _decide(client, card["request_id"], as_user("sub-bob")).status_code == 200
        auto.drain()
        assert agent.runs == [10]
        assert auto.errors == []
    finally:
        auto.close()


def test_expiry_resumes_the_thread_and_the_tool_never_runs(policy, audit) -> None:
    """Nobody decides: after the deadline a sweep expires it, the thread resumes, nothing runs."""
    from datetime import timedelta

    from guardrails.approvals import ApprovalService
    from guardrails.testing import FixedClock

    clock = FixedClock()
    service = ApprovalService(policy, audit=audit, clock=clock)
    agent = Agent(service)
    auto = AutoResume(
        service, resumer=GraphResumer(graph=agent.graph, service=service), background=False
    )
    try:
        agent.start("tx")
        clock.advance(timedelta(minutes=11))
        service.tick()
        assert agent.runs == []
        assert not agent.state("tx").interrupts
        tool_msgs = [m for m in agent.state("tx").values["messages"] if isinstance(m, ToolMessage)]
        assert "expired" in tool_msgs[-1].content
        assert "approval.expired" in audit.kinds()
    finally:
        auto.close()


def test_failed_resumes_are_kept_as_the_latest_only(service) -> None:  # type: ignore[no-untyped-def]
    """A resumer failing for days does not grow AutoResume.errors without end."""
    from integrations._worker import MAX_ERRORS

    class Broken:
        def resume(self, request):  # type: ignore[no-untyped-def]
            raise ConnectionError

    auto = AutoResume(service, resumer=Broken(), background=False)
    try:
        from tests.integrations.http.conftest import open_request

        request = service.get(open_request(service))
        for _ in range(MAX_ERRORS + 20):
            auto._resume(request)
        assert auto.errors == ["ConnectionError"] * MAX_ERRORS
    finally:
        auto.close()
