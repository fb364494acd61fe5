"""A ``response_format`` that ``create_agent`` serves through tool calling (``ToolStrategy``, or a
bare schema on a model without native structured output) reaches the provider masked: its output
tool's description, field descriptions, examples and enum values, keyword by keyword, the schema
still valid; the answer still parses into the schema class. The real ``ChatOpenAI`` client talks
to the loopback server, which shows what the provider received."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from langchain.agents import create_agent
from langchain.agents.structured_output import ToolStrategy
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import BaseModel, Field

from guardrails.redactor import Redactor
from integrations.langchain import GuardrailsMiddleware
from tests.support.openai_server import ChatReply, OpenAIServer, RecordedRequest, ToolCall

EMAIL = "jane.doe@example.com"
PERSON = "Jane Doe"
RAW = (EMAIL, PERSON)


class Contact(BaseModel):
    """The customer's contact (escalations go to jane.doe@example.com)."""

    name: Literal["Jane Doe", "team_42"] = Field(description="who answers")
    email: str = Field(description=f"an address like {EMAIL}", examples=[EMAIL])


class Ticket(BaseModel):
    """A support ticket for Jane Doe's team."""

    subject: str = Field(description="one line")


@tool
def notify(email: str, body: str) -> str:
    """Notify a customer."""
    return "sent"


@dataclass(frozen=True)
class AnswerWithEnum:
    """The model answers through the output tool, picking the enum value it was shown."""

    pick: int  # index into the ``name`` enum the provider received
    tool: str = "Contact"

    def render(self, request: RecordedRequest) -> tuple[int, str, bytes]:
        (spec,) = [t for t in request.json()["tools"] if t["function"]["name"] == self.tool]
        shown = spec["function"]["parameters"]["properties"]["name"]["enum"]
        args = {"name": shown[self.pick], "email": "<EMAIL_ADDRESS_1>"}
        call = ToolCall(name=self.tool, arguments=args, id="call_out")
        return ChatReply(tool_calls=[call]).render(request)


def _agent(server: OpenAIServer, model_name: str, response_format: Any) -> tuple[Any, Any]:
    model = ChatOpenAI(
        model=model_name, base_url=server.base_url, api_key="sk-test-key", max_retries=0
    )
    mw = GuardrailsMiddleware(redactor=Redactor(), vault_key=b"n" * 32)
    saver = InMemorySaver()
    agent = create_agent(
        model, [notify], middleware=[mw], response_format=response_format, checkpointer=saver
    )
    return mw.protect(agent), saver


def _output_tool(body: dict[str, Any], name: str) -> dict[str, Any]:
    (spec,) = [t for t in body["tools"] if t["function"]["name"] == name]
    return dict(spec["function"])


def _run(agent: Any, thread: str, *, use_async: bool = False) -> dict[str, Any]:
    inputs = {"messages": [{"role": "user", "content": "Who is my contact?"}]}
    cfg = {"configurable": {"thread_id": thread, "user_id": "alice"}}
    if use_async:
        return dict(asyncio.run(agent.ainvoke(inputs, cfg)))
    return dict(agent.invoke(inputs, cfg))


@pytest.mark.parametrize(
    ("model_name", "explicit", "pick", "use_async"),
    [
        ("gpt-test", True, 1, False),  # ToolStrategy; the model answers a plain enum value
        ("gpt-test", True, 0, False),  # ToolStrategy; it answers the masked enum value
        ("gpt-test", True, 0, True),  # the same through ainvoke (awrap_model_call)
        ("local-llm", False, 0, False),  # a bare schema on a model without native output
    ],
)
def test_output_tool_schemas_reach_the_provider_masked_and_the_answer_parses(
    openai_server: OpenAIServer, model_name: str, explicit: bool, pick: int, use_async: bool
) -> None:
    """No raw value of the schema on the wire; the tool's schema keeps its structure; parsed."""
    openai_server.script(AnswerWithEnum(pick))
    fmt = ToolStrategy(Contact) if explicit else Contact
    agent, saver = _agent(openai_server, model_name, fmt)
    out = _run(agent, f"ts-{model_name}-{pick}-{use_async}", use_async=use_async)

    wire = openai_server.wire_text()
    for value in RAW:
        assert value not in wire, value
    (body,) = [r.json() for r in openai_server.requests]
    assert "response_format" not in body  # served through tool calling, not natively
    assert [t["function"]["name"] for t in body["tools"]] == ["notify", "Contact"]
    assert body["tool_choice"] == "required"
    sent = _output_tool(body, "Contact")
    assert sent["description"] == "The customer's contact (escalations go to <EMAIL_ADDRESS_1>)."
    props = sent["parameters"]["properties"]
    assert props["name"]["enum"][1] == "team_42"
    assert props["name"]["enum"][0].startswith("<PERSON_")
    assert props["name"]["type"] == "string"
    assert props["email"] == {
        "description": "an address like <EMAIL_ADDRESS_1>",
        "examples": ["<EMAIL_ADDRESS_1>"],
        "type": "string",
    }
    assert sent["parameters"]["required"] == ["name", "email"]

    structured = out["structured_response"]
    assert isinstance(structured, Contact)
    assert structured.email == "<EMAIL_ADDRESS_1>"
    # a masked enum value parses into the class (restored), then is masked again in state
    assert structured.name == ("team_42" if pick else props["name"]["enum"][0])
    stored = repr(saver.storage) + repr(saver.writes)
    for value in RAW:
        assert value not in stored, value


def test_a_union_tool_strategy_masks_every_output_tool(openai_server: OpenAIServer) -> None:
    """Each schema of a union is its own output tool: every one is masked; the chosen parses."""
    reply = ChatReply(
        tool_calls=[ToolCall(name="Ticket", arguments={"subject": "refund"}, id="call_t")]
    )
    openai_server.script(reply)
    agent, _ = _agent(openai_server, "gpt-test", ToolStrategy(Contact | Ticket))
    out = _run(agent, "ts-union")
    wire = openai_server.wire_text()
    for value in RAW:
        assert value not in wire, value
    (body,) = [r.json() for r in openai_server.requests]
    assert [t["function"]["name"] for t in body["tools"]] == ["notify", "Contact", "Ticket"]
    assert _output_tool(body, "Ticket")["description"].startswith("A support ticket for <PERSON_")
    assert out["structured_response"] == Ticket(subject="refund")


def test_without_the_middleware_the_schema_reaches_the_wire_raw(
    openai_server: OpenAIServer,
) -> None:
    """Control: the same agent with no middleware sends the raw values (what this test guards)."""
    openai_server.script(AnswerWithEnum(1))
    model = ChatOpenAI(
        model="gpt-test", base_url=openai_server.base_url, api_key="sk-test-key", max_retries=0
    )
    agent = create_agent(model, [notify], response_format=ToolStrategy(Contact))
    out = agent.invoke({"messages": [{"role": "user", "content": "Who is my contact?"}]})
    assert out["structured_response"].name == "team_42"
    body = openai_server.requests[0].json()
    assert EMAIL in json.dumps(_output_tool(body, "Contact"))
    assert PERSON in json.dumps(_output_tool(body, "Contact"))


def test_a_masked_enum_answer_parses_with_handle_errors_off(openai_server: OpenAIServer) -> None:
    """handle_errors=False raises on a bad answer; a masked enum value is still parsed."""
    openai_server.script(AnswerWithEnum(0))
    fmt = ToolStrategy(Contact, handle_errors=False)
    agent, saver = _agent(openai_server, "gpt-test", fmt)
    out = _run(agent, "ts-strict")
    assert isinstance(out["structured_response"], Contact)
    assert out["structured_response"].name.startswith("<PERSON_")
    assert PERSON not in repr(saver.storage) + repr(saver.writes)


def test_a_wrong_answer_is_retried_and_the_retry_carries_no_raw_value(
    openai_server: OpenAIServer,
) -> None:
    """A value outside the enum: create_agent's error goes back to the model, masked; then it
    answers right."""
    bad = ToolCall(name="Contact", arguments={"name": "nobody", "email": "x"}, id="call_bad")
    openai_server.script(ChatReply(tool_calls=[bad]), AnswerWithEnum(1))
    agent, _ = _agent(openai_server, "gpt-test", ToolStrategy(Contact))
    out = _run(agent, "ts-retry")
    assert len(openai_server.requests) == 2
    retry = openai_server.requests[1].json()["messages"]
    assert [m["role"] for m in retry] == ["user", "assistant", "tool"]
    assert "literal_error" in retry[2]["content"]  # the validation error the model is shown
    assert "'team_42'" in retry[2]["content"]
    for value in RAW:
        assert value not in openai_server.wire_text(), value
    assert out["structured_response"].name == "team_42"
