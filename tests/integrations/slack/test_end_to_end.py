"""End to end: a LangGraph agent interrupts, the card reaches Slack, a signed click resumes it."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
import pytest
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph
from langgraph.prebuilt import tools_condition

from guardrails.channels import FanOut
from guardrails.guard import ToolGuard
from guardrails.redactor import Redactor
from integrations.http import ApiKeys, AutoResume, GraphResumer, InboxChannel, create_app
from integrations.langgraph import (
    BoundModelNode,
    GraphGuard,
    GuardedState,
    GuardedToolNode,
    RedactionNode,
)
from integrations.slack import create_slack_app
from tests.integrations.http.conftest import Server
from tests.integrations.slack.conftest import PATH, SECRET
from tests.support.channel_fixtures import EMAIL
from tests.support.fake_slack import interaction
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply, text_sent


class Agent:
    """A guarded graph whose `refund` tool needs finance approval; counts tool runs."""

    def __init__(self, service: Any) -> None:
        self.runs: list[int] = []
        self.recipients: list[str] = []

        @tool
        def refund(to: str, amount: int) -> str:
            """Refund a customer."""
            self.runs.append(amount)
            self.recipients.append(to)
            return f"refunded {amount}"

        self.model = ScriptedChatModel(
            script=[
                lambda msgs: reply("", call("refund", {"to": _placeholder(msgs), "amount": 25})),
                reply("all done"),
            ]
        )
        gg = GraphGuard(ToolGuard(redactor=Redactor(), approvals=service), vault_key=b"s" * 32)
        b = StateGraph(GuardedState)
        b.add_node("redact", RedactionNode(gg))
        b.add_node(
            "model", BoundModelNode(lambda s: {"messages": [self.model.invoke(s["messages"])]}, gg)
        )
        b.add_node("tools", GuardedToolNode([refund], guard=gg))
        b.add_edge(START, "redact")
        b.add_edge("redact", "model")
        b.add_conditional_edges("model", tools_condition)
        b.add_edge("tools", "redact")
        self.graph = b.compile(checkpointer=InMemorySaver())
        self.config = {"configurable": {"thread_id": "t-slack", "user_id": "alice"}}

    def start(self) -> Any:
        message = HumanMessage(f"please refund {EMAIL} 25 EUR")
        return self.graph.invoke({"messages": [message]}, self.config, version="v2")

    def state(self) -> Any:
        return self.graph.get_state(self.config)


def _placeholder(messages: list[Any]) -> str:
    """Echo the e-mail placeholder the model was shown, as a real model would."""
    text = str(messages[-1].content)
    start = text.index("<EMAIL_ADDRESS")
    return text[start : text.index(">", start) + 1]


def _click(base: str, user: str, button_value: str, action_ts: str) -> httpx.Response:
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "trigger_id": "t.1",
        "actions": [
            {"action_id": "guardrails_approve", "value": button_value, "action_ts": action_ts}
        ],
    }
    body, headers = interaction(payload, SECRET)
    return httpx.post(base + PATH, content=body, headers=headers, timeout=10)


@pytest.fixture
def agent(service) -> Agent:  # type: ignore[no-untyped-def]
    return Agent(service)


def test_agent_interrupt_slack_click_resumes_and_the_tool_runs_once(
    service, interactions, slack, fake, audit, agent
) -> None:
    """Interrupt → card in Slack → alice refused → bob's signed click → resume → ran once."""
    fanout = FanOut(service, {"slack": slack})
    auto = AutoResume(service, resumer=GraphResumer(graph=agent.graph, service=service))
    server = Server(create_slack_app(interactions)).start()
    try:
        out = agent.start()
        assert out.interrupts  # waiting for a reviewer
        slack.drain()
        [posted] = fake.of("chat.postMessage")
        actions = next(b for b in posted.params["blocks"] if b["type"] == "actions")
        value = actions["elements"][0]["value"]
        assert EMAIL not in json.dumps(posted.params)  # the card is masked

        refused = _click(server.url, "UALICE", value, "1.1")  # the requester herself
        assert refused.json()["error"] == "self_approval"
        auto.drain()
        assert agent.runs == []
        assert agent.state().interrupts

        ok = _click(server.url, "UBOB", value, "1.2")
        assert ok.status_code == 200
        assert ok.json() == {"ok": True}
        auto.drain()
        slack.drain()

        assert agent.runs == [25]  # exactly once
        assert agent.recipients == [EMAIL]  # the raw address restored only for the tool
        state = agent.state()
        assert not state.interrupts
        assert state.values["messages"][-1].content == "all done"
        assert EMAIL not in text_sent(agent.model)

        replay = _click(server.url, "UBOB", value, "1.2")  # the same click again
        assert replay.json()["error"] == "replayed"
        auto.drain()
        assert agent.runs == [25]

        updates = fake.of("chat.update")
        assert updates, "the card was updated"
        assert "Approved by bob" in json.dumps(updates[-1].params["blocks"])
        assert all(EMAIL not in json.dumps(c.params) for c in fake.calls)
        assert audit.kinds().count("tool.executed") == 1
        assert audit.verify().ok
        audit.assert_absent(EMAIL)
        assert auto.errors == []
    finally:
        server.stop()
        auto.close()
        fanout.close()


def test_slack_and_http_deciding_at_once_give_one_outcome_and_both_cards_update(
    service, interactions, slack, fake, audit
) -> None:
    """Bob in Slack and Carol in the web inbox decide together: one wins, both cards close."""
    from tests.support.channel_fixtures import open_request

    inbox = InboxChannel()
    fanout = FanOut(service, {"slack": slack, "inbox": inbox})
    http = Server(
        create_app(
            service, verifier=ApiKeys({"dev-key-carol-0123456789": "sub-carol"}), inbox=inbox
        )
    ).start()
    hook = Server(create_slack_app(interactions)).start()
    try:
        request = open_request(service)
        slack.drain()
        value = json.dumps({"r": request.id, "d": request.args_digest})
        gate = threading.Barrier(2)
        results: dict[str, Any] = {}

        def via_slack() -> None:
            gate.wait()
            results["slack"] = _click(hook.url, "UBOB", value, "2.1").json()

        def via_http() -> None:
            gate.wait()
            results["http"] = httpx.post(
                f"{http.url}/api/requests/{request.id}/decision",
                json={"verdict": "approve", "args_digest": request.args_digest},
                headers={"Authorization": "Bearer dev-key-carol-0123456789"},
                timeout=10,
            )

        threads = [threading.Thread(target=via_slack), threading.Thread(target=via_http)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        slack_won = results["slack"] == {"ok": True}
        http_won = results["http"].status_code == 200
        assert slack_won != http_won  # exactly one outcome
        loser = results["http"].json()["error"] if slack_won else results["slack"]["error"]
        assert loser == "not_pending"
        final = service.get(request.id)
        assert final.status == "approved"
        assert len(final.votes) == 1
        assert final.votes[0].channel == ("slack" if slack_won else "http")
        assert audit.kinds().count("approval.decided") == 1
        assert audit.last("approval.refused").data["code"] == "not_pending"
        slack.drain()
        winner = "bob" if slack_won else "carol"
        assert f"Approved by {winner}" in json.dumps(fake.of("chat.update")[-1].params["blocks"])
        [closed] = inbox.history()
        assert closed.request_id == request.id
        assert closed.decided_by == (winner,)
    finally:
        hook.stop()
        http.stop()
        fanout.close()


def test_create_agent_with_the_middleware_resumes_from_a_slack_click(
    service, interactions, slack, fake, audit
) -> None:
    """The same flow through langchain's create_agent + GuardrailsMiddleware."""
    from langchain.agents import create_agent

    from integrations.langchain import GuardrailsMiddleware

    runs: list[str] = []

    @tool
    def refund(to: str, amount: int) -> str:
        """Refund a customer."""
        runs.append(to)
        return f"refunded {amount}"

    model = ScriptedChatModel(
        script=[
            lambda msgs: reply("", call("refund", {"to": _placeholder(msgs), "amount": 5})),
            reply("all done"),
        ]
    )
    mw = GuardrailsMiddleware(redactor=Redactor(), approvals=service, vault_key=b"m" * 32)
    agent = create_agent(model, [refund], middleware=[mw], checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t-mw", "user_id": "alice"}}
    fanout = FanOut(service, {"slack": slack})
    auto = AutoResume(service, resumer=GraphResumer(graph=agent, service=service))
    server = Server(create_slack_app(interactions)).start()
    try:
        message = HumanMessage(f"please refund {EMAIL} 5 EUR")
        assert agent.invoke({"messages": [message]}, config, version="v2").interrupts
        slack.drain()
        [posted] = fake.of("chat.postMessage")
        actions = next(b for b in posted.params["blocks"] if b["type"] == "actions")
        assert _click(server.url, "UBOB", actions["elements"][0]["value"], "3.1").json() == {
            "ok": True
        }
        auto.drain()
        slack.drain()
        assert runs == [EMAIL]  # ran once, with the restored address
        assert not agent.get_state(config).interrupts
        assert "Approved by bob" in json.dumps(fake.of("chat.update")[-1].params["blocks"])
        assert EMAIL not in text_sent(model)
        assert all(EMAIL not in json.dumps(c.params) for c in fake.calls)
        assert auto.errors == []
    finally:
        server.stop()
        auto.close()
        fanout.close()
