"""Tool descriptions and args schemas shown to the model are masked (they go with every call)."""

from __future__ import annotations

from langchain.agents import create_agent
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import BaseModel, Field

from guardrails.redactor import Redactor
from integrations.langchain import GuardrailsMiddleware
from tests.support.openai_server import ChatReply, OpenAIServer, ToolCall

EMAIL = "jane.doe@example.com"
SSN = "536-22-8714"


class _NoteArgs(BaseModel):
    note: str = Field(description=f"a note; never mention ssn {SSN}")


def test_tool_descriptions_and_schemas_reach_the_wire_masked(openai_server: OpenAIServer) -> None:
    """A description and a field description built from customer data: placeholders on the wire;
    the tool still runs by name with the model's args."""
    ran: list[str] = []

    @tool(description=f"Send the account summary to the owner {EMAIL}.", args_schema=_NoteArgs)
    def send_summary(note: str) -> str:
        ran.append(note)
        return "ok"

    openai_server.script(
        ChatReply(tool_calls=[ToolCall(name="send_summary", arguments={"note": "hi"}, id="s1")]),
        ChatReply(text="done"),
    )
    model = ChatOpenAI(
        model="gpt-test", base_url=openai_server.base_url, api_key="sk-test-key", max_retries=0
    )
    mw = GuardrailsMiddleware(redactor=Redactor(), vault_key=b"w" * 32)
    agent = create_agent(model, [send_summary], middleware=[mw], checkpointer=InMemorySaver())
    agent.invoke(
        {"messages": [{"role": "user", "content": "summarize"}]},
        {"configurable": {"thread_id": "ts", "user_id": "alice"}},
    )
    wire = openai_server.wire_text()
    assert EMAIL not in wire
    assert SSN not in wire
    assert "Send the account summary to the owner <EMAIL_ADDRESS_1>." in wire
    assert ran == ["hi"]
