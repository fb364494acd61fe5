"""What the model writes is redacted inside the model call: state never holds it raw."""

from __future__ import annotations

from tests.integrations.langchain.conftest import cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply

LEAK = "leak.target@example.org"


def test_raw_model_output_never_reaches_a_stream_or_checkpoint(tools, make_agent) -> None:
    """A model writing a raw address (text and tool args): no update, value or checkpoint has it."""
    model = ScriptedChatModel(
        script=[
            reply(f"looking up {LEAK}", call("lookup_customer", {"customer_id": LEAK}, "m1")),
            reply(f"done for {LEAK}"),
        ]
    )
    agent, mw = make_agent(model, list(tools.values()))
    chunks = list(
        agent.stream(
            {"messages": [{"role": "user", "content": "find them"}]},
            cfg("mo1", "alice"),
            stream_mode=["updates", "values"],
        )
    )
    assert chunks
    assert LEAK not in str(chunks)
    history = list(agent.get_state_history(cfg("mo1", "alice")))
    assert LEAK not in str([h.values for h in history])
    final = history[0].values
    assert final["messages"][-1].content == "done for <EMAIL_ADDRESS_1>"
    assert mw.restore(final["messages"][-1].content, final) == f"done for {LEAK}"


def test_only_batched_mode_adds_an_after_model_step(tools, make_agent) -> None:
    """Per-call mode redacts in the model call (one graph step less); batched reviews after it."""
    model = ScriptedChatModel(script=[reply("hi")])
    per_call, mw = make_agent(model, list(tools.values()))
    batched, bmw = make_agent(model, list(tools.values()), interrupt_mode="batched")
    assert "GuardrailsMiddleware.after_model" not in per_call.get_graph().nodes
    assert "GuardrailsMiddleware.after_model" in batched.get_graph().nodes
    assert mw.name == bmw.name == "GuardrailsMiddleware"
