"""Structured output the model writes is masked before it enters state."""

from __future__ import annotations

from langchain.agents import create_agent
from langchain.agents.structured_output import ToolStrategy
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import BaseModel

from integrations.langchain import GuardrailsMiddleware
from tests.integrations.langchain.conftest import EMAIL, KEY, cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply


class Contact(BaseModel):
    """A contact to follow up with."""

    email: str
    note: str


def test_structured_response_is_masked_in_state_and_streams(redactor) -> None:
    """A raw address in the model's structured answer: state and every stream see a mask."""
    model = ScriptedChatModel(
        script=[reply("", call("Contact", {"email": EMAIL, "note": "call back"}, "s1"))]
    )
    mw = GuardrailsMiddleware(redactor=redactor, vault_key=KEY)
    agent = create_agent(
        model,
        [],
        middleware=[mw],
        response_format=ToolStrategy(Contact),
        checkpointer=InMemorySaver(),
    )
    chunks = list(
        agent.stream(
            {"messages": [{"role": "user", "content": "who to call?"}]},
            cfg("so", "alice"),
            stream_mode=["updates", "values"],
        )
    )
    values = agent.get_state(cfg("so", "alice")).values
    assert values["structured_response"].email == "<EMAIL_ADDRESS_1>"
    assert EMAIL not in repr(chunks)
    assert EMAIL not in repr([h.values for h in agent.get_state_history(cfg("so", "alice"))])
