"""The middleware masks message ``name`` fields, the ``response_format`` schema and tool schemas
before the provider sees them, keeping each valid; the real ``ChatOpenAI`` client talks to the
loopback server, which shows what the provider received."""

from __future__ import annotations

import re
from typing import Any, Literal

import pytest
from langchain.agents import create_agent
from langchain.agents.structured_output import ProviderStrategy
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import BaseModel, Field

from guardrails.redactor import Redactor
from integrations.langchain import GuardrailsMiddleware
from tests.support.openai_server import ChatReply, OpenAIServer

EMAIL = "jane.doe@example.com"
PERSON = "Jane Doe"
RAW = (EMAIL, PERSON, "jane_doe")
NAME_OK = re.compile(r"^[^\s<|\\/>]+$")  # OpenAI's pattern for a message name


class Contact(BaseModel):
    """The customer's contact."""

    name: Literal["Jane Doe", "team_42"] = Field(description="who answers")
    email: str = Field(description=f"an address like {EMAIL}", examples=[EMAIL])


@tool
def notify(email: str, body: str) -> str:
    """Notify a customer (the default sender is jane.doe@example.com)."""
    return "sent"


def _agent(server: OpenAIServer, model_name: str, response_format: Any) -> tuple[Any, Any]:
    model = ChatOpenAI(
        model=model_name, base_url=server.base_url, api_key="sk-test-key", max_retries=0
    )
    mw = GuardrailsMiddleware(redactor=Redactor(), vault_key=b"n" * 32)
    saver = InMemorySaver()
    agent = create_agent(
        model, [notify], middleware=[mw], response_format=response_format, checkpointer=saver
    )
    # protect(): the input is masked before LangGraph checkpoints it (see the README).
    return mw.protect(agent), saver


@pytest.mark.parametrize(
    ("model_name", "as_strategy"),
    [
        ("gpt-test", True),  # an explicit ProviderStrategy
        ("gpt-4o", False),  # a bare schema create_agent serves with the native output
    ],
)
def test_names_and_schemas_reach_the_provider_masked_and_valid(
    openai_server: OpenAIServer, model_name: str, as_strategy: bool
) -> None:
    """Speaker name, response schema and tool schema: masked, valid; the answer still parses."""
    # Placeholders in order of first sight: the speaker's name, the tool's description, the
    # schema's description, then its enum value.
    openai_server.script(ChatReply(text='{"name": "<PERSON_2>", "email": "<EMAIL_ADDRESS_1>"}'))
    fmt = ProviderStrategy(Contact) if as_strategy else Contact
    agent, saver = _agent(openai_server, model_name, fmt)
    out = agent.invoke(
        {"messages": [{"role": "user", "name": "jane_doe", "content": "Who is my contact?"}]},
        {"configurable": {"thread_id": f"n-{model_name}", "user_id": "alice"}},
    )
    wire = openai_server.wire_text()
    for value in RAW:
        assert value not in wire, value
    (body,) = [r.json() for r in openai_server.requests]
    name = body["messages"][0]["name"]
    assert name == "PERSON_1"
    assert NAME_OK.match(name)

    sent = body["response_format"]["json_schema"]
    assert sent["name"] == "Contact"
    props = sent["schema"]["properties"]
    assert props["name"]["enum"] == ["<PERSON_2>", "team_42"]
    assert props["name"]["type"] == "string"
    assert props["email"]["type"] == "string"
    assert props["email"]["description"] == "an address like <EMAIL_ADDRESS_1>"
    assert props["email"]["examples"] == ["<EMAIL_ADDRESS_1>"]
    assert sent["schema"]["required"] == ["name", "email"]

    params = body["tools"][0]["function"]["parameters"]
    assert params["properties"]["email"]["type"] == "string"
    assert params["properties"]["body"]["type"] == "string"
    assert "<EMAIL_ADDRESS_1>" in body["tools"][0]["function"]["description"]

    # The model picked the masked enum value: parsed into the schema class, masked in state.
    structured = out["structured_response"]
    assert isinstance(structured, Contact)
    assert (structured.name, structured.email) == ("<PERSON_2>", "<EMAIL_ADDRESS_1>")
    assert out["messages"][0].name == "PERSON_1"
    stored = repr(saver.storage) + repr(saver.writes)
    for value in RAW:
        assert value not in stored, value


def test_a_name_in_the_history_keeps_its_placeholder(openai_server: OpenAIServer) -> None:
    """The masked name in state is not masked again on the next turn (no new placeholder)."""
    openai_server.script(ChatReply(text="hi"), ChatReply(text="hi again"))
    agent, _ = _agent(openai_server, "gpt-test", None)
    cfg = {"configurable": {"thread_id": "n2", "user_id": "alice"}}
    agent.invoke({"messages": [{"role": "user", "name": "jane_doe", "content": "hi"}]}, cfg)
    agent.invoke({"messages": [{"role": "user", "name": "jane_doe", "content": "again"}]}, cfg)
    second = openai_server.requests[1].json()["messages"]
    assert [m.get("name") for m in second if m["role"] == "user"] == ["PERSON_1", "PERSON_1"]
