"""History is masked in state without a ``before_model`` step: by ``before_agent`` and the model call."""

from __future__ import annotations

from langchain.agents.middleware import AgentMiddleware
from langchain_core.messages import HumanMessage

from tests.integrations.langchain.conftest import EMAIL, SSN, cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply, text_sent


def test_new_input_is_masked_in_state_from_the_first_node_on(tools, make_agent) -> None:
    """After before_agent, every state the graph emits holds the input masked (no extra node)."""
    model = ScriptedChatModel(script=[reply("noted")])
    agent, _ = make_agent(model, list(tools.values()))
    assert "GuardrailsMiddleware.before_model" not in agent.get_graph().nodes
    chunks = list(
        agent.stream(
            {"messages": [{"role": "user", "content": f"I am {EMAIL}"}]},
            cfg("sr1", "alice"),
            stream_mode="updates",
        )
    )
    (first,) = chunks[0].values()
    assert str(first["messages"][0].content) == "I am <EMAIL_ADDRESS_1>"
    final = agent.get_state(cfg("sr1", "alice")).values
    assert [str(m.content) for m in final["messages"]] == ["I am <EMAIL_ADDRESS_1>", "noted"]


def test_a_raw_message_added_after_before_agent_is_masked_in_state_by_the_model_call(
    tools, make_agent
) -> None:
    """Another middleware's raw message: the model sees it masked and state keeps it masked."""

    class Notes(AgentMiddleware):
        def before_model(self, state, runtime):
            return {"messages": [HumanMessage(f"note: ssn {SSN}", id="note-1")]}

    model = ScriptedChatModel(script=[reply("ok")])
    agent, _ = make_agent(model, list(tools.values()), middleware=[Notes()])
    agent.invoke({"messages": [{"role": "user", "content": "hi"}]}, cfg("sr2", "alice"))
    assert SSN not in text_sent(model)
    final = agent.get_state(cfg("sr2", "alice")).values
    assert SSN not in str(final["messages"])
    note = next(m for m in final["messages"] if m.id == "note-1")
    assert str(note.content) == "note: ssn <US_SSN_1>"


def test_vault_is_written_by_a_tool_step_only_when_the_output_taught_it_a_value(
    tools, make_agent
) -> None:
    """A tool output with new values saves the grown vault; one with none leaves the channel."""
    model = ScriptedChatModel(
        script=[
            reply("", call("lookup_customer", {"customer_id": "cus_1"}, "v1")),
            reply("", call("lookup_customer", {"customer_id": "cus_1"}, "v2")),
            reply("done"),
        ]
    )
    agent, mw = make_agent(model, list(tools.values()))
    updates = [
        u["tools"]
        for u in agent.stream(
            {"messages": [{"role": "user", "content": "look up cus_1 twice"}]},
            cfg("sr3", "alice"),
            stream_mode="updates",
        )
        if "tools" in u
    ]
    assert [("guardrails_vault" in u) for u in updates] == [True, False]
    final = agent.get_state(cfg("sr3", "alice")).values
    assert mw.restore(str(final["messages"][-2].content), final).count(EMAIL) == 1
