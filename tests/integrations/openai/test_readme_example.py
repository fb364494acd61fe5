"""The README quickstart, run against the loopback server instead of api.openai.com."""

from __future__ import annotations

from openai import OpenAI

from integrations.openai import guard_of, guard_openai
from tests.support.openai_server import ChatReply, OpenAIServer, ToolCall


def test_readme_quickstart(openai_server: OpenAIServer) -> None:
    """Masked on the wire, restored for the user, the tool runs with what it may receive."""
    openai_server.script(
        ChatReply(
            text="Refunding <CREDIT_CARD_1>; I will mail <EMAIL_ADDRESS_1>.",
            tool_calls=[ToolCall(name="lookup_order", arguments={"email": "<EMAIL_ADDRESS_1>"})],
        )
    )
    TOOLS = {"lookup_order": lambda email: f"orders of {email}"}

    client = guard_openai(
        OpenAI(base_url=openai_server.base_url, api_key="sk-test", max_retries=0),
        conversation_id="ticket-42",
    )
    reply = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {
                "role": "user",
                "content": "Refund card 4111 1111 1111 1111 and mail jane.doe@example.com",
            },
        ],
    )
    guard = guard_of(client)
    shown = guard.restore_output(reply)
    results = [
        guard.call_tool(call, TOOLS[call.function.name], requester="alice")
        for call in reply.choices[0].message.tool_calls or []
    ]

    sent = openai_server.requests[0].json()["messages"][0]["content"]
    assert sent == "Refund card <CREDIT_CARD_1> and mail <EMAIL_ADDRESS_1>"
    assert shown == "Refunding 4111 1111 1111 1111; I will mail jane.doe@example.com."
    assert results == ["orders of <EMAIL_ADDRESS_1>"]  # the default policy restores nothing
