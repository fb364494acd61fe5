"""AsyncOpenAI on the wire: the same redaction for create, streams, responses and embeddings."""

from __future__ import annotations

from tests.integrations.openai._seeds import EMAIL, SSN, assert_clean, chat_history
from tests.support.openai_server import ChatReply, OpenAIServer, ResponsesReply


async def test_async_chat_create(async_guarded, openai_server: OpenAIServer) -> None:
    """Async chat completions redact the whole history."""
    out = await async_guarded.chat.completions.create(model="m", messages=chat_history())
    assert out.choices[0].message.content == "ok"
    assert_clean(openai_server.wire_text())


async def test_async_chat_stream(async_guarded, openai_server: OpenAIServer) -> None:
    """Async stream=True is redacted and streams back."""
    openai_server.script(ChatReply(text="streamed reply"))
    stream = await async_guarded.chat.completions.create(
        model="m", messages=chat_history(), stream=True
    )
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "streamed reply"
    assert_clean(openai_server.wire_text())


async def test_async_responses_stream(async_guarded, openai_server: OpenAIServer) -> None:
    """Async responses.stream is redacted."""
    openai_server.script(ResponsesReply(text="fine"))
    async with async_guarded.responses.stream(model="m", input=f"ssn {SSN}") as stream:
        final = await stream.get_final_response()
    assert final.output_text == "fine"
    assert SSN not in openai_server.wire_text()


async def test_async_embeddings(async_guarded, openai_server: OpenAIServer) -> None:
    """Async embeddings inputs are redacted."""
    await async_guarded.embeddings.create(model="e", input=[EMAIL, "plan B-42"])
    wire = openai_server.wire_text()
    assert EMAIL not in wire
    assert "plan B-42" in wire


async def test_async_large_body_redacted_off_loop(
    async_guarded, openai_server: OpenAIServer
) -> None:
    """A body over the offload threshold is redacted on a worker thread, just as completely."""
    import json

    history = chat_history() * 80
    assert len(json.dumps(history)) > 64 * 1024
    await async_guarded.chat.completions.create(model="m", messages=history)
    assert len(openai_server.requests[0].json()["messages"]) == len(history)
    assert_clean(openai_server.wire_text())
