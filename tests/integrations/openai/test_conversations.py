"""Vaults are scoped per conversation id and persist encrypted across guard instances."""

from __future__ import annotations

import asyncio

from guardrails import SessionStore, Vault
from guardrails.audit import AuditLog
from guardrails.session import InMemorySessionPersistence
from integrations.openai import CONVERSATION_HEADER, OpenAIGuard, guard_of
from tests.integrations.openai._seeds import EMAIL, PHONE
from tests.support.openai_server import OpenAIServer

OTHER = "bob.roe@example.org"


def _sent(server: OpenAIServer) -> list[str]:
    return [r.json()["input"] for r in server.requests]


def test_conversations_have_separate_vaults(guarded, openai_server: OpenAIServer) -> None:
    """Two conversations number their values independently and cannot restore each other's."""
    guarded.embeddings.create(model="e", input=EMAIL, extra_headers={CONVERSATION_HEADER: "a"})
    guarded.embeddings.create(
        model="e", input=f"{OTHER} {EMAIL}", extra_headers={CONVERSATION_HEADER: "b"}
    )
    assert _sent(openai_server) == ["<EMAIL_ADDRESS_1>", "<EMAIL_ADDRESS_1> <EMAIL_ADDRESS_2>"]
    guard = guard_of(guarded)
    assert guard.restore_text("<EMAIL_ADDRESS_1>", conversation_id="a") == EMAIL
    assert guard.restore_text("<EMAIL_ADDRESS_1>", conversation_id="b") == OTHER
    assert guard.restore_text("<EMAIL_ADDRESS_2>", conversation_id="a") == "<EMAIL_ADDRESS_2>"


def test_conversation_context_manager(guarded, openai_server: OpenAIServer) -> None:
    """Requests inside ``with guard.conversation(id)`` use that conversation's vault."""
    guard = guard_of(guarded)
    with guard.conversation("t-1") as session:
        guarded.embeddings.create(model="e", input=PHONE)
    assert session.restore_text("<PHONE_NUMBER_1>") == PHONE
    assert guard.session("c1").vault_size == 0


async def test_conversation_context_in_concurrent_tasks(
    async_guarded, openai_server: OpenAIServer
) -> None:
    """Concurrent async tasks each keep their own conversation (context variables)."""
    guard = guard_of(async_guarded)

    async def turn(cid: str, text: str) -> None:
        with guard.conversation(cid):
            await async_guarded.embeddings.create(model="e", input=text)

    await asyncio.gather(turn("x", EMAIL), turn("y", OTHER))
    assert guard.restore_text("<EMAIL_ADDRESS_1>", conversation_id="x") == EMAIL
    assert guard.restore_text("<EMAIL_ADDRESS_1>", conversation_id="y") == OTHER


def test_vault_persists_encrypted_across_restart(
    openai_client, redactor, openai_server: OpenAIServer
) -> None:
    """A new guard (a restarted process) with the same key and storage keeps the placeholders."""
    key = Vault.generate_key()
    storage = InMemorySessionPersistence()
    first = OpenAIGuard(
        store=SessionStore(redactor, persistence=storage, key=key), conversation_id="t"
    )
    first.wrap(openai_client).embeddings.create(model="e", input=f"{EMAIL} {PHONE}")
    assert EMAIL.encode() not in storage.blobs["t"]
    second = OpenAIGuard(
        store=SessionStore(redactor, persistence=storage, key=key), conversation_id="t"
    )
    second.wrap(openai_client).embeddings.create(model="e", input=f"again {PHONE}")
    assert _sent(openai_server)[-1] == "again <PHONE_NUMBER_1>"
    assert second.restore_text("<EMAIL_ADDRESS_1>") == EMAIL


def test_redaction_summary_audited_without_values(
    openai_client, redactor, openai_server: OpenAIServer
) -> None:
    """Each request that masked something adds a redaction event with counts only."""
    audit = AuditLog()
    guard = OpenAIGuard(store=SessionStore(redactor), conversation_id="t", audit=audit)
    guard.wrap(openai_client).embeddings.create(model="e", input=[EMAIL, PHONE, "plan B-42"])
    [event] = [e for e in audit.events() if e.kind == "redaction"]
    assert event.thread_id == "t"
    assert event.data["entities"] == {"EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1}
    assert EMAIL not in str(event.data)
    assert audit.verify().ok


def test_turn_cost_independent_of_history_length(guarded, openai_server: OpenAIServer) -> None:
    """One new message costs the same number of scans after 10 or 40 old ones (the rest are hits)."""
    guard = guard_of(guarded)

    def scans_for_new_turn(cid: str, n: int) -> int:
        history = [{"role": "user", "content": f"mail {EMAIL} about plan B-{i}"} for i in range(n)]
        with guard.conversation(cid) as session:
            guarded.chat.completions.create(model="m", messages=history)
            before = session.stats.misses
            history.append({"role": "user", "content": "one more"})
            guarded.chat.completions.create(model="m", messages=history)
            return session.stats.misses - before

    assert scans_for_new_turn("short", 10) == scans_for_new_turn("long", 40)
    assert guard.session("long").stats.hits >= 40


def test_value_learned_later_masked_in_resent_history(guarded, openai_server: OpenAIServer) -> None:
    """A name detection missed in turn 1 is masked as soon as any part of a request teaches it."""
    history = [{"role": "user", "content": "the account of Zed Quillfeather is locked"}]
    guarded.chat.completions.create(model="m", messages=history)
    assert "Quillfeather" in openai_server.requests[0].text  # detection alone misses it here
    history += [
        {
            "role": "assistant",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "who", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": '{"name": "Zed Quillfeather"}'},
    ]
    # The tool result teaches the vault the name; the earlier message in the same request is
    # redone before anything is sent.
    guarded.chat.completions.create(model="m", messages=history)
    last = openai_server.requests[-1].json()["messages"]
    assert last[0]["content"] == "the account of <PERSON_1> is locked"
    assert "Quillfeather" not in openai_server.requests[-1].text


def test_value_learned_from_input_masked_in_instructions(
    guarded, openai_server: OpenAIServer
) -> None:
    """Instructions are redone when an input item of the same request teaches the vault a value."""
    guarded.responses.create(
        model="m",
        instructions="the account of Zed Quillfeather is locked",
        input=[
            {
                "type": "function_call_output",
                "call_id": "c",
                "output": '{"name": "Zed Quillfeather"}',
            }
        ],
    )
    sent = openai_server.requests[0].json()
    assert sent["instructions"] == "the account of <PERSON_1> is locked"
    assert "Quillfeather" not in openai_server.requests[0].text
