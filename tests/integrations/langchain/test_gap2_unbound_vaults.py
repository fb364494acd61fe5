"""Vault blobs written before vaults were bound to their thread: refused unless migrating."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from guardrails import VaultDecryptionError, VaultError
from guardrails.policy import Policy
from tests.integrations.langchain.conftest import EMAIL, KEY, cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply

_POLICY = {"tools": {"lookup_customer": {"restore": ["EMAIL_ADDRESS"]}}}
_LOOKUP = call("lookup_customer", {"customer_id": "<EMAIL_ADDRESS_1>"})


def _legacy_threads(make_agent: Any, tools: dict[str, Any], saver: InMemorySaver) -> None:
    """alice's thread holds her vault in the unbound format (encrypted under the vault key
    itself, as before the binding); mallory copied that blob into her own thread."""
    agent, mw = make_agent(
        ScriptedChatModel(script=[reply("noted"), reply("hi")]),
        list(tools.values()),
        policy=Policy.from_dict(_POLICY),
        checkpointer=saver,
    )
    agent.invoke({"messages": [{"role": "user", "content": f"I am {EMAIL}"}]}, cfg("vic", "alice"))
    agent.invoke({"messages": [{"role": "user", "content": "hello"}]}, cfg("att", "mallory"))
    values = agent.get_state(cfg("vic", "alice")).values
    session = mw.graph_guard.keeper.session("vic", values)
    legacy = {"n": session.vault_size, "blob": base64.b64encode(session.to_bytes(KEY)).decode()}
    agent.update_state(cfg("vic", "alice"), {"guardrails_vault": legacy})
    agent.update_state(cfg("att", "mallory"), {"guardrails_vault": legacy})


def _agent(make_agent: Any, tools: dict[str, Any], saver: InMemorySaver, *script: Any, **kw: Any):
    """A new process (no live session) on the same checkpoints."""
    model = ScriptedChatModel(script=list(script))
    agent, _ = make_agent(
        model, list(tools.values()), policy=Policy.from_dict(_POLICY), checkpointer=saver, **kw
    )
    return agent


def _blob(agent: Any, thread: str, user: str) -> dict[str, Any]:
    vault: dict[str, Any] = agent.get_state(cfg(thread, user)).values["guardrails_vault"]
    return vault


def test_an_unbound_vault_copied_into_another_thread_is_refused(tools, runs, make_agent) -> None:
    """By default the copied legacy blob fails closed: no tool runs with alice's value."""
    saver = InMemorySaver()
    _legacy_threads(make_agent, tools, saver)
    agent = _agent(make_agent, tools, saver, reply("", _LOOKUP), reply("done"))
    with pytest.raises(VaultDecryptionError) as err:
        agent.invoke(
            {"messages": [{"role": "user", "content": "look me up"}]}, cfg("att", "mallory")
        )
    assert isinstance(err.value, VaultError)
    assert "accept_unbound_vaults" in str(err.value)
    assert EMAIL not in str(err.value)
    assert runs.calls == []


def test_an_unbound_vault_is_refused_in_its_own_thread_too(tools, runs, make_agent) -> None:
    """The format cannot tell its thread, so without the migration switch even alice's fails."""
    saver = InMemorySaver()
    _legacy_threads(make_agent, tools, saver)
    agent = _agent(make_agent, tools, saver, reply("", _LOOKUP), reply("done"))
    with pytest.raises(VaultDecryptionError):
        agent.invoke({"messages": [{"role": "user", "content": "look me up"}]}, cfg("vic", "alice"))
    assert runs.calls == []


def test_with_the_switch_it_opens_and_the_next_write_binds_it(tools, runs, make_agent) -> None:
    """accept_unbound_vaults=True: alice's tool gets her value; the vault is rewritten bound."""
    saver = InMemorySaver()
    _legacy_threads(make_agent, tools, saver)
    migrating = _agent(
        make_agent, tools, saver, reply("", _LOOKUP), reply("done"), accept_unbound_vaults=True
    )
    migrating.invoke({"messages": [{"role": "user", "content": "look me up"}]}, cfg("vic", "alice"))
    assert runs.calls == [("lookup_customer", {"customer_id": EMAIL})]
    assert _blob(migrating, "vic", "alice")["blob"].startswith("v2.")
    # Bound now: a process without the switch opens it in alice's thread...
    plain = _agent(make_agent, tools, saver, reply("", _LOOKUP), reply("done"))
    plain.invoke({"messages": [{"role": "user", "content": "again"}]}, cfg("vic", "alice"))
    assert runs.calls[-1] == ("lookup_customer", {"customer_id": EMAIL})
    # ...and mallory's copy of the old blob is still refused there.
    with pytest.raises(VaultDecryptionError):
        plain.invoke({"messages": [{"role": "user", "content": "me too"}]}, cfg("att", "mallory"))


def test_the_switch_rewrites_it_even_when_the_vault_does_not_grow(tools, make_agent) -> None:
    """A turn with nothing new to mask still replaces the unbound blob by a bound one."""
    saver = InMemorySaver()
    _legacy_threads(make_agent, tools, saver)
    before = _blob(_agent(make_agent, tools, saver), "vic", "alice")
    migrating = _agent(make_agent, tools, saver, reply("ok"), accept_unbound_vaults=True)
    migrating.invoke({"messages": [{"role": "user", "content": "thanks"}]}, cfg("vic", "alice"))
    after = _blob(migrating, "vic", "alice")
    assert not before["blob"].startswith("v2.")
    assert after["blob"].startswith("v2.")
    assert after["n"] == before["n"]
