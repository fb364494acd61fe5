"""Restoring the model's text for the end user: whole, streamed across chunk boundaries, async."""

from __future__ import annotations

from integrations.openai import guard_of
from tests.integrations.openai._seeds import EMAIL, SSN
from tests.support.openai_server import ChatReply, OpenAIServer, ResponsesReply

REPLY = "Sent to <EMAIL_ADDRESS_1> about <US_SSN_1>."


def _teach(client) -> None:
    """Make the conversation's vault learn the values (as a first turn would)."""
    client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": f"{EMAIL} ssn {SSN}"}]
    )


def test_chat_stream_restored_across_chunk_boundaries(guarded, openai_server: OpenAIServer) -> None:
    """A placeholder split between deltas is restored whole; nothing else is changed."""
    _teach(guarded)
    openai_server.script(ChatReply(text=REPLY, chunk_size=3))
    stream = guarded.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "go"}], stream=True
    )
    chunks = list(stream)
    deltas = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert not any("<EMAIL_ADDRESS_1>" in d for d in deltas)  # the placeholder really is split
    out = list(guard_of(guarded).restore_stream(chunks))
    assert "".join(out) == f"Sent to {EMAIL} about {SSN}."


def test_responses_stream_restored(guarded, openai_server: OpenAIServer) -> None:
    """Responses output_text deltas are restored across boundaries too."""
    _teach(guarded)
    openai_server.script(ResponsesReply(text=REPLY, chunk_size=5))
    with guarded.responses.stream(model="m", input="go") as stream:
        text = "".join(guard_of(guarded).restore_stream(stream))
    assert text == f"Sent to {EMAIL} about {SSN}."


def test_unknown_placeholder_passes_untouched(guarded, openai_server: OpenAIServer) -> None:
    """A placeholder the model invents (or from another conversation) stays as it is."""
    _teach(guarded)
    openai_server.script(ChatReply(text="<EMAIL_ADDRESS_7> and <BADGE_1> and <EMAIL_ADDRESS_1>"))
    out = guarded.chat.completions.create(model="m", messages=[{"role": "user", "content": "go"}])
    restored = guard_of(guarded).restore_output(out)
    assert restored == f"<EMAIL_ADDRESS_7> and <BADGE_1> and {EMAIL}"


def test_restore_limited_to_entities(guarded, openai_server: OpenAIServer) -> None:
    """The application can restore only some entity types for display."""
    _teach(guarded)
    text = guard_of(guarded).restore_text(REPLY, entities=["EMAIL_ADDRESS"])
    assert text == f"Sent to {EMAIL} about <US_SSN_1>."


def test_response_object_left_masked(guarded, openai_server: OpenAIServer) -> None:
    """The SDK's own result objects keep placeholders; restoring is explicit."""
    _teach(guarded)
    openai_server.script(ResponsesReply(text=REPLY))
    out = guarded.responses.create(model="m", input="go")
    assert out.output_text == REPLY
    assert guard_of(guarded).restore_output(out) == f"Sent to {EMAIL} about {SSN}."


async def test_async_stream_restored(async_guarded, openai_server: OpenAIServer) -> None:
    """arestore_stream restores an async chat stream across chunk boundaries."""
    await async_guarded.embeddings.create(model="e", input=f"{EMAIL} ssn {SSN}")
    openai_server.script(ChatReply(text=REPLY, chunk_size=2))
    stream = await async_guarded.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "go"}], stream=True
    )
    out = [piece async for piece in guard_of(async_guarded).arestore_stream(stream)]
    assert "".join(out) == f"Sent to {EMAIL} about {SSN}."
