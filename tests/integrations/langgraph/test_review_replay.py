"""Ledger replays (a node re-run): the result is redacted again with the vault as it is then."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain.tools import ToolRuntime
from langchain_core.messages import ToolMessage
from langchain_core.tools import tool
from langgraph.graph import START, StateGraph
from langgraph.prebuilt.tool_node import ToolCallRequest
from typing_extensions import TypedDict

from guardrails.guard import MemoryLedger, ToolGuard
from guardrails.redactor import Redactor
from integrations.langgraph import GraphGuard
from integrations.langgraph._vault import VAULT_KEY

EMAIL = "jane.doe@example.com"
OTHER = "other.person@example.org"


@tool
def lookup(customer_id: str) -> str:
    """Look up a customer."""
    return f"{customer_id} email {EMAIL}"


class _S(TypedDict):
    out: list[Any]


def _in_node(body: Any) -> list[Any]:
    """Run ``body(config)`` inside a graph node (GraphGuard reads the run config there)."""
    b = StateGraph(_S)
    b.add_node("n", lambda s, config: {"out": body(config)})
    b.add_edge(START, "n")
    config = {"configurable": {"thread_id": "t1"}}
    return list(b.compile().invoke({"out": []}, config)["out"])


def _request(state: dict[str, Any], config: Any) -> ToolCallRequest:
    call = {"name": "lookup", "args": {"customer_id": "cus_1"}, "id": "c1", "type": "tool_call"}
    runtime = ToolRuntime(
        state=state, context=None, config=config, stream_writer=None, tool_call_id="c1", store=None
    )
    return ToolCallRequest(tool_call=call, tool=lookup, state=state, runtime=runtime)


def _guard(ledger: MemoryLedger, key: bytes = b"k" * 32) -> GraphGuard:
    return GraphGuard(ToolGuard(redactor=Redactor(), ledger=ledger), vault_key=key)


def _handler(runs: list[str], *, fail: bool = False) -> Any:
    def handler(req: ToolCallRequest) -> ToolMessage:
        runs.append("ran")
        if fail:
            raise ValueError("tool failed")
        return ToolMessage(content=lookup.invoke(req.tool_call["args"]), tool_call_id="c1")

    return handler


def _msg(result: Any) -> ToolMessage:
    msg: ToolMessage = result.update["messages"][0] if hasattr(result, "update") else result
    return msg


def test_a_replay_in_a_new_process_numbers_the_value_in_its_own_vault() -> None:
    """Replayed by another guard (a restart) whose vault already gave EMAIL_ADDRESS_1 to someone
    else: the replayed value gets its own placeholder, and restores to itself."""
    ledger, runs = MemoryLedger(), []
    first = _guard(ledger)
    _in_node(lambda cfg: [first.call(_request({"messages": []}, cfg), _handler(runs))])
    second = _guard(ledger)  # the new process: same key and ledger, a vault that moved on
    session = second.keeper.session("t1", None)
    assert session.redact_text(f"cc {OTHER}") == "cc <EMAIL_ADDRESS_1>"
    state = {"messages": [], VAULT_KEY: second.keeper.dump(session)}
    (out,) = _in_node(lambda cfg: [second.call(_request(state, cfg), _handler(runs))])
    assert runs == ["ran"]  # replayed, not run again
    text = str(_msg(out).content)
    assert EMAIL not in text
    assert second.keeper.restore(text, None, "t1") == f"cus_1 email {EMAIL}"
    assert second.keeper.restore("cc <EMAIL_ADDRESS_1>", None, "t1") == f"cc {OTHER}"
    assert out.update[VAULT_KEY]["n"] == 2  # the grown vault goes to state with the replay


def test_the_ledger_holds_the_result_sealed() -> None:
    """No raw value and no placeholder text in the ledger: the record is sealed."""
    ledger, runs = MemoryLedger(), []
    gg = _guard(ledger)
    _in_node(lambda cfg: [gg.call(_request({"messages": []}, cfg), _handler(runs))])
    (record,) = [v for v in ledger._rows.values() if v is not None]
    assert EMAIL not in record
    assert "cus_1" not in record
    assert json.loads(record)["result"].startswith("sealed:")


def test_a_replay_under_another_vault_key_fails_closed() -> None:
    """A record sealed under another key (a per-process key after a restart) is not run again."""
    ledger, runs = MemoryLedger(), []
    first = _guard(ledger, b"a" * 32)
    _in_node(lambda cfg: [first.call(_request({"messages": []}, cfg), _handler(runs))])
    second = _guard(ledger, b"b" * 32)
    (out,) = _in_node(lambda cfg: [second.call(_request({"messages": []}, cfg), _handler(runs))])
    assert runs == ["ran"]
    assert _msg(out).status == "error"
    assert "not run again" in str(_msg(out).content)


def test_a_replayed_tool_error_is_an_error_message_not_a_crash() -> None:
    """A call whose tool raised is replayed as an error result (not a JSON decode crash)."""
    ledger, runs = MemoryLedger(), []
    gg = _guard(ledger)

    def first(cfg: Any) -> list[Any]:
        with pytest.raises(ValueError):
            gg.call(_request({"messages": []}, cfg), _handler(runs, fail=True))
        return []

    _in_node(first)
    (out,) = _in_node(lambda cfg: [gg.call(_request({"messages": []}, cfg), _handler(runs))])
    assert runs == ["ran"]
    assert _msg(out).status == "error"
    assert "ValueError" in str(_msg(out).content)


def test_a_replayed_result_with_content_blocks_is_redacted_too() -> None:
    """A result whose content is a list of blocks round-trips through the sealed record."""
    ledger, runs = MemoryLedger(), []
    gg = _guard(ledger)

    def handler(req: ToolCallRequest) -> ToolMessage:
        runs.append("ran")
        return ToolMessage(content=[{"type": "text", "text": f"mail {EMAIL}"}], tool_call_id="c1")

    _in_node(lambda cfg: [gg.call(_request({"messages": []}, cfg), handler)])
    other = _guard(ledger)
    (out,) = _in_node(lambda cfg: [other.call(_request({"messages": []}, cfg), handler)])
    assert runs == ["ran"]
    assert _msg(out).content == [{"type": "text", "text": "mail <EMAIL_ADDRESS_1>"}]
