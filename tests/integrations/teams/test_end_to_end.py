"""End to end through Teams: the agent interrupts, the bot card is posted, a validated click resumes."""

from __future__ import annotations

import json

from guardrails.channels import FanOut
from integrations.http import AutoResume, GraphResumer
from integrations.teams import TeamsBotChannel
from tests.integrations.slack.test_end_to_end import Agent
from tests.integrations.teams.conftest import invoke
from tests.integrations.teams.test_connector import Connector
from tests.support.channel_fixtures import EMAIL


def test_agent_interrupt_teams_click_resumes_and_the_tool_runs_once(service, send, audit) -> None:
    """Interrupt → bot card posted → alice refused → bob's invoke → resume → ran once → card PUT."""
    connector = Connector()
    channel = TeamsBotChannel(
        service_url=connector.url, conversation_id="19:room", token=lambda: "tok"
    )
    agent = Agent(service)
    fanout = FanOut(service, {"teams": channel})
    auto = AutoResume(service, resumer=GraphResumer(graph=agent.graph, service=service))
    try:
        assert agent.start().interrupts
        channel.drain()
        [(method, _, posted, _)] = connector.calls
        assert method == "POST"
        assert EMAIL not in json.dumps(posted)
        [request] = service.pending()
        assert "You requested" in json.dumps(send(invoke("aad-alice", request)).json())
        auto.drain()
        assert agent.runs == []
        res = send(invoke("aad-bob", request))
        assert "Approved by bob" in json.dumps(res.json()["value"])
        auto.drain()
        channel.drain()
        assert agent.runs == [25]
        assert not agent.state().interrupts
        assert connector.calls[-1][0] == "PUT"
        assert "Approved by bob" in json.dumps(connector.calls[-1][2])
        assert audit.kinds().count("tool.executed") == 1
        assert audit.verify().ok
        audit.assert_absent(EMAIL)
        assert auto.errors == []
    finally:
        auto.close()
        fanout.close()
        channel.close()
        connector.stop()
