"""Review of guard_tools (c3e018c): args handling unchanged for odd values; replays re-redacted."""

from __future__ import annotations

import json
import math
from datetime import date
from enum import Enum
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import ToolMessage
from langchain_core.tools import tool

from guardrails.guard import MemoryLedger, ToolGuard
from guardrails.redactor import Redactor
from integrations.langchain import guard_tools
from integrations.langchain._tools import _plain
from integrations.langgraph import GraphGuard

EMAIL = "jane.doe@example.com"
OTHER = "other.person@example.org"


def _old_plain(kwargs: dict[str, Any]) -> Any:
    """What guard_tools did before c3e018c: a JSON round trip of every argument."""
    return json.loads(json.dumps(dict(kwargs), default=str))


class _Color(Enum):
    RED = "red"


class _Card:
    def __str__(self) -> str:
        return f"card of {EMAIL}"


class _Str(str):
    def __str__(self) -> str:
        return f"sub {EMAIL}"


_ODD = st.sampled_from(
    [
        float("nan"),
        float("inf"),
        -0.0,
        2**80,
        -(2**70),
        True,
        None,
        "\ud800",  # a lone surrogate
        b"\xff\x00",
        _Color.RED,
        date(2024, 1, 2),
        _Card(),
        _Str("x"),
        [1, {"a": _Card()}],
    ]
)


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON documents, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "to"]), _ODD | st.text() | st.integers()))
def test_plain_args_are_what_the_json_round_trip_gave(kwargs: dict[str, Any]) -> None:
    """The fast path for flat scalars hands reviewers, policy and digest the same values."""
    assert _same(_plain(kwargs), _old_plain(kwargs))


def test_an_object_whose_str_carries_pii_is_masked_for_the_policy_and_card() -> None:
    """An argument object is seen as its text, redacted like before (not passed through raw)."""

    @tool
    def note(text: str) -> str:
        """Keep a note."""
        return "ok"

    note.tags = ["privileged"]
    (wrapped,) = guard_tools([note], vault_key=b"g" * 32)
    from guardrails import ApprovalRequired

    with pytest.raises(ApprovalRequired) as info:
        wrapped._run(text=_Card(), config={})  # type: ignore[arg-type]
    assert EMAIL not in repr(info.value.request.masked_args)


def test_a_replayed_result_is_redacted_with_the_vault_of_the_replay() -> None:
    """guard_tools keeps the raw result sealed; a new guard replaying it numbers the value in its
    own vault instead of handing back a placeholder that now means someone else."""

    @tool
    def lookup(customer_id: str) -> str:
        """Look up a customer."""
        runs.append(customer_id)
        return f"{customer_id} email {EMAIL}"

    runs: list[str] = []
    ledger = MemoryLedger()
    config = {"configurable": {"thread_id": "t1"}}
    call = {"name": "lookup", "args": {"customer_id": "c1"}, "id": "x1", "type": "tool_call"}

    def wrapped() -> tuple[Any, GraphGuard]:
        gg = GraphGuard(ToolGuard(redactor=Redactor(), ledger=ledger), vault_key=b"g" * 32)
        return guard_tools([lookup], guard=gg)[0], gg

    first, _ = wrapped()
    assert isinstance(first.invoke(call, config), ToolMessage)
    second, gg = wrapped()  # a restart: same ledger and key, a vault that moved on
    assert gg.keeper.session("t1", None).redact_text(f"cc {OTHER}") == "cc <EMAIL_ADDRESS_1>"
    out = second.invoke(call, config)
    assert runs == ["c1"]
    assert EMAIL not in str(out.content)
    assert gg.keeper.restore(str(out.content), None, "t1") == f"c1 email {EMAIL}"
    assert all(EMAIL not in v and "c1 email" not in v for v in ledger._rows.values() if v)


def test_a_replayed_tool_error_is_reported_not_a_decode_crash() -> None:
    """A call whose tool raised is replayed as a refusal text, without running it again."""

    @tool
    def flaky(customer_id: str) -> str:
        """Fails."""
        runs.append(customer_id)
        raise ValueError("boom")

    runs: list[str] = []
    gg = GraphGuard(ToolGuard(redactor=Redactor(), ledger=MemoryLedger()), vault_key=b"g" * 32)
    (wrapped,) = guard_tools([flaky], guard=gg)
    call = {"name": "flaky", "args": {"customer_id": "c1"}, "id": "x2", "type": "tool_call"}
    with pytest.raises(ValueError):
        wrapped.invoke(call, {"configurable": {"thread_id": "t2"}})
    out = wrapped.invoke(call, {"configurable": {"thread_id": "t2"}})
    assert runs == ["c1"]
    assert "ValueError" in str(out.content)
    assert "not run again" in str(out.content)
