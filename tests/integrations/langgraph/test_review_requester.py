"""Custom graphs (RedactionNode + GuardedToolNode): the requester cannot be written by others."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from tests.integrations.langgraph.conftest import cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply


def _two_refunds() -> ScriptedChatModel:
    return ScriptedChatModel(
        script=[
            reply("", call("refund", {"amount": 5}, "r1")),
            reply("", call("refund", {"amount": 6}, "r2")),
            reply("done"),
        ]
    )


@pytest.mark.parametrize("forged", ["bob", {"9": {"id": "bob", "turn": "", "tag": "0" * 64}}])
def test_a_resume_writing_the_requester_does_not_change_who_asked(build_graph, forged) -> None:
    """bob rejects and writes a requester (a name, or a forged entry): alice's next call still
    names alice, and alice cannot approve it."""
    graph, _ = build_graph(_two_refunds(), InMemorySaver())
    out = graph.invoke({"messages": [HumanMessage("refund")]}, cfg("q1", "alice"), version="v2")
    iid = out.interrupts[0].id
    out = graph.invoke(
        Command(resume={iid: {"type": "reject"}}, update={"guardrails_requester": forged}),
        cfg("q1", "bob"),
        version="v2",
    )
    assert out.interrupts[0].value["requester"] == "alice"
    with pytest.raises(Exception, match="requester"):
        graph.invoke(
            Command(resume={out.interrupts[0].id: {"type": "approve"}}),
            cfg("q1", "alice"),
            version="v2",
        )


def test_the_requester_channel_is_append_only() -> None:
    """A turn's entry is kept; later writes add entries only, and non-mapping writes are ignored."""
    from integrations.langgraph._common import merge_requesters

    first = {"1": {"id": "alice"}}
    assert merge_requesters(first, {"1": {"id": "bob"}}) == first
    assert merge_requesters(first, "bob") == first  # type: ignore[arg-type]
    assert merge_requesters(first, None) == first
    assert merge_requesters(first, {"2": {"id": "bob"}}) == {
        "1": {"id": "alice"},
        "2": {"id": "bob"},
    }
    many = {str(i): {"id": "x"} for i in range(100)}
    assert sorted(map(int, merge_requesters(None, many) or {})) == list(range(36, 100))
