"""Model output fields beyond content and valid tool calls are masked before they enter state."""

from __future__ import annotations

from langchain_core.messages import AIMessage

from tests.integrations.langchain.conftest import EMAIL, SSN, cfg
from tests.support.langgraph_helpers import ScriptedChatModel


def test_invalid_tool_calls_and_provider_fields_are_masked(make_agent) -> None:
    """A malformed call's raw args string and reasoning in additional_kwargs: masked in state."""
    odd = AIMessage(
        content="",
        invalid_tool_calls=[
            {
                "name": "send_email",
                "args": f'{{"to": "{EMAIL}", "body": ',  # cut off: not valid JSON
                "id": "bad1",
                "error": "malformed",
                "type": "invalid_tool_call",
            }
        ],
        additional_kwargs={"reasoning_content": f"the ssn {SSN} belongs to the user"},
    )
    model = ScriptedChatModel(script=[odd])
    agent, _ = make_agent(model, [])
    chunks = list(
        agent.stream(
            {"messages": [{"role": "user", "content": "hi"}]},
            cfg("mf1", "alice"),
            stream_mode=["updates", "values", "messages"],
        )
    )
    history = [h.values for h in agent.get_state_history(cfg("mf1", "alice"))]
    for leak in (EMAIL, SSN):
        assert leak not in repr(chunks)
        assert leak not in repr(history)
    last = agent.get_state(cfg("mf1", "alice")).values["messages"][-1]
    assert "<EMAIL_ADDRESS_1>" in last.invalid_tool_calls[0]["args"]
