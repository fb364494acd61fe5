"""A vault copied from another thread's state does not open: no cross-thread restore."""

from __future__ import annotations

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from guardrails import VaultDecryptionError
from guardrails.policy import Policy
from tests.integrations.langchain.conftest import EMAIL, cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply

_POLICY = {"tools": {"lookup_customer": {"restore": ["EMAIL_ADDRESS"]}}}


def _plant(make_agent, tools, saver):
    """alice's thread learns her address; mallory copies its vault into her own thread."""
    model = ScriptedChatModel(
        script=[
            reply("noted"),
            reply("hi"),
            reply("", call("lookup_customer", {"customer_id": "<EMAIL_ADDRESS_1>"})),
            reply("done"),
        ]
    )
    agent, _ = make_agent(
        model, list(tools.values()), policy=Policy.from_dict(_POLICY), checkpointer=saver
    )
    agent.invoke({"messages": [{"role": "user", "content": f"I am {EMAIL}"}]}, cfg("vic", "alice"))
    stolen = agent.get_state(cfg("vic", "alice")).values["guardrails_vault"]
    agent.invoke({"messages": [{"role": "user", "content": "hello"}]}, cfg("att", "mallory"))
    return agent, stolen


def test_a_planted_vault_never_restores_another_threads_values(tools, runs, make_agent) -> None:
    """Command(update={'guardrails_vault': <alice's>}): the tool in mallory's thread gets a mask."""
    agent, stolen = _plant(make_agent, tools, InMemorySaver())
    plant = {"guardrails_vault": stolen, "messages": [{"role": "user", "content": "look me up"}]}
    agent.invoke(Command(update=plant, goto="model"), cfg("att", "mallory"))
    assert runs.calls == [("lookup_customer", {"customer_id": "<EMAIL_ADDRESS_1>"})]


def test_after_a_restart_a_planted_vault_fails_closed(tools, runs, make_agent) -> None:
    """A new process finds only the foreign vault in state: it refuses to use it."""
    saver = InMemorySaver()
    agent, stolen = _plant(make_agent, tools, saver)
    agent.update_state(cfg("att", "mallory"), {"guardrails_vault": stolen})
    fresh, _ = make_agent(
        ScriptedChatModel(script=[reply("", call("lookup_customer", {"customer_id": "x"}))]),
        list(tools.values()),
        policy=Policy.from_dict(_POLICY),
        checkpointer=saver,
    )
    with pytest.raises(VaultDecryptionError):
        fresh.invoke({"messages": [{"role": "user", "content": "again"}]}, cfg("att", "mallory"))
    assert all(EMAIL not in str(args) for _, args in runs.calls)


def test_a_vault_written_before_binding_opens_only_when_migrating(redactor) -> None:
    """State saved by the previous format (raw-key blob) is refused by default; with
    accept_unbound_vaults=True it is read, and the next dump is bound."""
    import base64

    from integrations.langgraph._vault import VAULT_KEY, VaultKeeper

    keeper = VaultKeeper(redactor=redactor, key=b"k" * 32)
    old = keeper.session("t-old", None)
    old.redact_text(f"mail {EMAIL}")
    legacy = {"n": 1, "blob": base64.b64encode(old.to_bytes(b"k" * 32)).decode()}
    with pytest.raises(VaultDecryptionError):
        VaultKeeper(redactor=redactor, key=b"k" * 32).restore("x", {VAULT_KEY: legacy}, "t-old")
    fresh = VaultKeeper(redactor=redactor, key=b"k" * 32, accept_unbound_vaults=True)
    assert fresh.restore("<EMAIL_ADDRESS_1>", {VAULT_KEY: legacy}, "t-old") == EMAIL
    assert not fresh.holds(legacy, fresh.session("t-old", None))
    bound = fresh.dump(fresh.session("t-old", None))
    assert bound["blob"].startswith("v2.")
    assert fresh.holds(bound, fresh.session("t-old", None))
