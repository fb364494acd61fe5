"""The loopback server itself: what the real client sends is recorded, scripted shapes parse."""

from __future__ import annotations

import socket

import pytest

from tests.support.openai_server import (
    ChatReply,
    EmbeddingsReply,
    OpenAIServer,
    ResponsesReply,
    ToolCall,
    error_reply,
)

pytest.importorskip("openai")


def test_records_path_and_body(openai_server: OpenAIServer, openai_client) -> None:
    """Every request is kept with its path and raw JSON body."""
    openai_client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "plan B-42"}]
    )
    [req] = openai_server.requests
    assert req.path == "/v1/chat/completions"
    assert req.json()["messages"][0]["content"] == "plan B-42"


def test_streamed_tool_call_arguments_reassemble(
    openai_server: OpenAIServer, openai_client
) -> None:
    """Tool-call argument deltas arrive in pieces and join to the scripted JSON."""
    call = ToolCall(name="lookup", arguments={"order": "A-1234567"})
    openai_server.script(ChatReply(tool_calls=[call], chunk_size=3))
    stream = openai_client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "x"}], stream=True
    )
    pieces = [
        tc.function.arguments
        for chunk in stream
        for tc in (chunk.choices[0].delta.tool_calls or [])
        if tc.function and tc.function.arguments
    ]
    assert len(pieces) > 1
    assert "".join(pieces) == call.arguments_json()


def test_responses_stream_accumulates(openai_server: OpenAIServer, openai_client) -> None:
    """The Responses event sequence satisfies the client's ``responses.stream`` accumulator."""
    openai_server.script(
        ResponsesReply(text="done", function_calls=[ToolCall(name="f", arguments={"a": 1})])
    )
    with openai_client.responses.stream(model="m", input="go") as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    assert final.output_text == "done"
    assert final.output[1].arguments == '{"a": 1}'


def test_embeddings_base64_default(openai_server: OpenAIServer, openai_client) -> None:
    """The client's default base64 encoding is answered and decoded to one vector per input."""
    openai_server.script(EmbeddingsReply(dimensions=3))
    out = openai_client.embeddings.create(model="e", input=["a", "b"])
    assert [len(d.embedding) for d in out.data] == [3, 3]


def test_error_reply_raises_in_client(openai_server: OpenAIServer, openai_client) -> None:
    """A scripted HTTP error surfaces as the client's own status error."""
    import openai

    openai_server.script(error_reply(400, "bad"))
    with pytest.raises(openai.BadRequestError):
        openai_client.embeddings.create(model="e", input="a")


def test_stop_releases_port() -> None:
    """After stop() nothing listens on the port any more."""
    server = OpenAIServer().start()
    port = server.port
    server.stop()
    with socket.socket() as sock:
        sock.settimeout(1)
        with pytest.raises(OSError):
            sock.connect(("127.0.0.1", port))
