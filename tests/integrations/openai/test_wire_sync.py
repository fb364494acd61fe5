"""Sync client on the wire: seeded PII and secrets never leave the process; harmless values do."""

from __future__ import annotations

import pydantic

from tests.integrations.openai._seeds import (
    EMAIL,
    IBAN,
    OPENAI_KEY,
    PERSON,
    PHONE,
    SSN,
    assert_clean,
    chat_history,
)
from tests.support.openai_server import (
    ChatReply,
    EmbeddingsReply,
    OpenAIServer,
    ResponsesReply,
    ToolCall,
)


def test_chat_create_whole_history(guarded, openai_server: OpenAIServer) -> None:
    """Every message of the history is redacted, not only the last one."""
    guarded.chat.completions.create(model="m", messages=chat_history())
    assert_clean(openai_server.wire_text())
    sent = openai_server.requests[0].json()["messages"]
    assert "<EMAIL_ADDRESS_1>" in sent[1]["content"]
    assert "<EMAIL_ADDRESS_1>" in sent[2]["tool_calls"][0]["function"]["arguments"]


def test_chat_placeholders_stable_across_turns(guarded, openai_server: OpenAIServer) -> None:
    """A value keeps its placeholder in every turn of one conversation."""
    history = chat_history()
    guarded.chat.completions.create(model="m", messages=history)
    history += [
        {"role": "assistant", "content": "Done."},
        {"role": "user", "content": f"And again {EMAIL}"},
    ]
    guarded.chat.completions.create(model="m", messages=history)
    first, second = (r.json()["messages"] for r in openai_server.requests)
    assert second[: len(first)] == first
    assert second[-1]["content"] == "And again <EMAIL_ADDRESS_1>"


def test_chat_stream_request_redacted(guarded, openai_server: OpenAIServer) -> None:
    """stream=True requests are redacted the same way."""
    stream = guarded.chat.completions.create(model="m", messages=chat_history(), stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "ok"
    assert_clean(openai_server.wire_text())


def test_chat_parse_redacted(guarded, openai_server: OpenAIServer) -> None:
    """chat.completions.parse with a pydantic response_format is redacted; parsing still works."""

    class Answer(pydantic.BaseModel):
        plan: str

    openai_server.script(ChatReply(text='{"plan": "B-42"}'))
    out = guarded.chat.completions.parse(model="m", messages=chat_history(), response_format=Answer)
    assert out.choices[0].message.parsed == Answer(plan="B-42")
    assert_clean(openai_server.wire_text())


def test_chat_stream_helper_redacted(guarded, openai_server: OpenAIServer) -> None:
    """chat.completions.stream (the helper) is redacted."""
    with guarded.chat.completions.stream(model="m", messages=chat_history()) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == "ok"
    assert_clean(openai_server.wire_text())


def test_responses_create_items_and_instructions(guarded, openai_server: OpenAIServer) -> None:
    """Responses input items (messages, function calls and outputs) and instructions are redacted."""
    guarded.responses.create(
        model="m",
        instructions=f"Customer: {PERSON}, phone {PHONE}. Serve plan B-42.",
        input=[
            {"role": "user", "content": f"My ssn is {SSN}; ticket T-9001"},
            {
                "type": "function_call",
                "call_id": "call_1",
                "name": "lookup",
                "arguments": f'{{"email": "{EMAIL}"}}',
            },
            {
                "type": "function_call_output",
                "call_id": "call_1",
                "output": f"IBAN {IBAN} order 1234567",
            },
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": f"key {OPENAI_KEY} on 2026-11-22 v1.2.3"}
                ],
            },
        ],
    )
    wire = openai_server.wire_text()
    for value in (PERSON, PHONE, SSN, EMAIL, IBAN, OPENAI_KEY):
        assert value not in wire
    assert all(h in wire for h in ("plan B-42", "T-9001", "order 1234567", "v1.2.3"))


def test_responses_parse_redacted(guarded, openai_server: OpenAIServer) -> None:
    """responses.parse with text_format is redacted and still parses."""

    class Plan(pydantic.BaseModel):
        plan: str

    openai_server.script(ResponsesReply(text='{"plan": "B-42"}'))
    out = guarded.responses.parse(model="m", input=f"mail {EMAIL}", text_format=Plan)
    assert out.output_parsed == Plan(plan="B-42")
    assert EMAIL not in openai_server.wire_text()


def test_responses_stream_redacted(guarded, openai_server: OpenAIServer) -> None:
    """responses.stream and responses.create(stream=True) are redacted."""
    openai_server.script(ResponsesReply(text="fine"), ResponsesReply(text="fine"))
    with guarded.responses.stream(model="m", input=f"mail {EMAIL}") as stream:
        assert stream.get_final_response().output_text == "fine"
    events = list(guarded.responses.create(model="m", input=f"ssn {SSN}", stream=True))
    assert events[-1].type == "response.completed"
    wire = openai_server.wire_text()
    assert EMAIL not in wire
    assert SSN not in wire


def test_embeddings_inputs_redacted(guarded, openai_server: OpenAIServer) -> None:
    """Embeddings inputs (one string or a list) are redacted; vectors come back."""
    openai_server.script(EmbeddingsReply(), EmbeddingsReply())
    one = guarded.embeddings.create(model="e", input=f"{EMAIL} plan B-42")
    many = guarded.embeddings.create(model="e", input=[f"ssn {SSN}", "order 1234567"])
    assert len(one.data) == 1
    assert len(many.data) == 2
    wire = openai_server.wire_text()
    assert EMAIL not in wire
    assert SSN not in wire
    assert "plan B-42" in wire
    assert "order 1234567" in wire


def test_with_raw_response_is_guarded(guarded, openai_server: OpenAIServer) -> None:
    """The raw-response path goes through the same transport."""
    raw = guarded.chat.completions.with_raw_response.create(
        model="m", messages=[{"role": "user", "content": f"mail {EMAIL}"}]
    )
    assert raw.parse().choices[0].message.content == "ok"
    assert EMAIL not in openai_server.wire_text()


def test_with_options_copy_stays_guarded(guarded, openai_server: OpenAIServer) -> None:
    """client.with_options(...) keeps the guarded transport."""
    guarded.with_options(timeout=5).embeddings.create(model="e", input=EMAIL)
    assert EMAIL not in openai_server.wire_text()


def test_tool_call_reply_round_trip(guarded, openai_server: OpenAIServer) -> None:
    """A model tool call with placeholders, answered with a raw tool result, stays redacted."""
    openai_server.script(
        ChatReply(tool_calls=[ToolCall(name="lookup", arguments={"email": "<EMAIL_ADDRESS_1>"})])
    )
    history = [{"role": "user", "content": f"find {EMAIL}"}]
    reply = guarded.chat.completions.create(model="m", messages=history).choices[0].message
    history += [
        reply.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": reply.tool_calls[0].id, "content": f"{PERSON}, {PHONE}"},
    ]
    guarded.chat.completions.create(model="m", messages=history)
    wire = openai_server.wire_text()
    assert all(v not in wire for v in (EMAIL, PERSON, PHONE))


def test_responses_output_items_fed_back(guarded, openai_server: OpenAIServer) -> None:
    """The common loop `input += response.output` is accepted (SDK objects, None fields) and redacted."""
    openai_server.script(
        ResponsesReply(
            text="Checking <EMAIL_ADDRESS_1>",
            function_calls=[ToolCall(name="lookup", arguments={"email": "<EMAIL_ADDRESS_1>"})],
        )
    )
    items: list = [{"role": "user", "content": f"find {EMAIL}"}]
    first = guarded.responses.create(model="m", input=items)
    items += first.output
    call = next(o for o in first.output if o.type == "function_call")
    items.append(
        {"type": "function_call_output", "call_id": call.call_id, "output": f"{PERSON} {PHONE}"}
    )
    guarded.responses.create(model="m", input=items)
    sent = openai_server.requests[-1].json()["input"]
    assert [i.get("type", "message") for i in sent] == [
        "message",
        "message",
        "function_call",
        "function_call_output",
    ]
    wire = openai_server.wire_text()
    assert all(v not in wire for v in (EMAIL, PERSON, PHONE))


def test_chat_message_object_fed_back(guarded, openai_server: OpenAIServer) -> None:
    """Appending the SDK's ChatCompletionMessage object itself (None fields included) is accepted."""
    openai_server.script(
        ChatReply(
            text="ok", tool_calls=[ToolCall(name="lookup", arguments={"q": "<EMAIL_ADDRESS_1>"})]
        )
    )
    history: list = [{"role": "user", "content": f"find {EMAIL}"}]
    message = guarded.chat.completions.create(model="m", messages=history).choices[0].message
    history += [message, {"role": "tool", "tool_call_id": "call_1", "content": f"ssn {SSN}"}]
    guarded.chat.completions.create(model="m", messages=history)
    sent = openai_server.requests[-1].json()["messages"]
    assert sent[1]["tool_calls"][0]["function"]["arguments"] == '{"q": "<EMAIL_ADDRESS_1>"}'
    assert SSN not in openai_server.wire_text()
