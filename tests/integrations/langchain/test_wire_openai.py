"""The real ChatOpenAI client against a loopback server: no seeded value ever goes over the wire."""

from __future__ import annotations

import pytest
from langchain.agents import create_agent
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from guardrails.redactor import Redactor
from integrations.langchain import GuardrailsMiddleware
from tests.support.openai_server import ChatReply, OpenAIServer, ToolCall

SEEDED = {
    "email": "jane.doe@example.com",
    "phone": "+1 415 555 0101",
    "card": "4111 1111 1111 1111",
    "ssn": "536-22-8714",
    "github": "ghp_R8x2mQ9vLk3Tz7Wn4Yp1Bc6Df0Gh5Jk2Lm8N",
    "openai": "sk-proj-Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6kM9",
    "iban": "DE89370400440532013000",
    "password": "hunter2-Pa55!",
    "name": "Jane Doe",
}
HARMLESS = ["cus_8812", "enterprise-2024", "ORD-88231", "2026-03-14", "2026-04-01", "gold"]


@pytest.mark.parametrize("streaming", [False, True])  # JSON replies / SSE streams
def test_multi_turn_agent_sends_no_seeded_value(
    openai_server: OpenAIServer, streaming: bool
) -> None:
    """Prompt, tool output and history carry PII and secrets; the wire carries placeholders only."""
    ran: list[dict[str, str]] = []

    @tool
    def lookup_customer(customer_id: str) -> dict[str, str]:
        """Look up a customer."""
        ran.append({"customer_id": customer_id})
        return {
            "customer_id": customer_id,
            "email": SEEDED["email"],
            "iban": SEEDED["iban"],
            "password": SEEDED["password"],
            "plan": "gold",
            "renewal": "2026-04-01",
        }

    @tool
    def send_email(to: str, body: str) -> str:
        """Send an e-mail."""
        ran.append({"to": to})
        return f"sent to {to}"

    send_email.tags = ["privileged"]
    openai_server.script(
        ChatReply(
            tool_calls=[
                ToolCall(name="lookup_customer", arguments={"customer_id": "cus_8812"}, id="w1")
            ]
        ),
        ChatReply(
            tool_calls=[
                ToolCall(
                    name="send_email",
                    arguments={"to": "<EMAIL_ADDRESS_1>", "body": "Your plan is gold"},
                    id="w2",
                )
            ]
        ),
        ChatReply(text="Done: mailed <EMAIL_ADDRESS_1> about plan gold."),
        ChatReply(text="You are welcome."),
    )
    model = ChatOpenAI(
        model="gpt-test",
        base_url=openai_server.base_url,
        api_key="sk-test-key",
        max_retries=0,
        streaming=streaming,
    )
    mw = GuardrailsMiddleware(redactor=Redactor(), vault_key=b"w" * 32)
    agent = create_agent(
        model, [lookup_customer, send_email], middleware=[mw], checkpointer=InMemorySaver()
    )
    alice = {"configurable": {"thread_id": "wire", "user_id": "alice"}}
    prompt = (
        f"Customer {SEEDED['name']} ({SEEDED['email']}, {SEEDED['phone']}, card {SEEDED['card']}, ssn "
        f"{SEEDED['ssn']}) on plan enterprise-2024, order ORD-88231 from 2026-03-14. Our keys: "
        f"{SEEDED['github']} {SEEDED['openai']}. Look up cus_8812 and e-mail them their plan."
    )
    out = agent.invoke({"messages": [{"role": "user", "content": prompt}]}, alice, version="v2")
    assert out.interrupts
    agent.invoke(
        Command(resume={out.interrupts[0].id: {"type": "approve"}}),
        {"configurable": {"thread_id": "wire", "user_id": "bob"}},
        version="v2",
    )
    agent.invoke({"messages": [{"role": "user", "content": "thanks!"}]}, alice, version="v2")
    assert len(openai_server.requests) == 4
    wire = openai_server.wire_text()
    for name, value in SEEDED.items():
        assert value not in wire, name
    for value in HARMLESS:
        assert value in wire, value
    assert ran == [{"customer_id": "cus_8812"}, {"to": "<EMAIL_ADDRESS_1>"}]
