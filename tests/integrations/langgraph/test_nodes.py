"""GuardedToolNode and RedactionNode in a custom StateGraph."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from tests.integrations.langgraph.conftest import EMAIL, SSN, cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply, text_sent


def _three_calls() -> ScriptedChatModel:
    return ScriptedChatModel(
        script=[
            reply(
                "",
                call("lookup", {"customer_id": "cus_1"}, "n1"),
                call("refund", {"amount": 5}, "n2"),
                call("close_account", {"customer_id": "cus_1"}, "n3"),
            ),
            reply("all done"),
        ]
    )


@pytest.mark.parametrize("mode", ["per_call", "batched"])
def test_parallel_calls_in_one_node_run_once_each(build_graph, runs, mode) -> None:
    """One node, three calls (one free, two gated): no call runs before every decision, each once."""
    graph, _ = build_graph(_three_calls(), InMemorySaver(), mode=mode)
    out = graph.invoke({"messages": [HumanMessage("do all")]}, cfg("g1", "alice"), version="v2")
    seen = 0
    while out.interrupts:
        seen += 1
        assert runs.calls == []  # nothing ran while a decision is pending
        value = out.interrupts[0].value
        n = len(value["action_requests"]) if mode == "batched" else 1
        resume = (
            {"decisions": [{"type": "approve"}] * n}
            if mode == "batched"
            else {out.interrupts[0].id: {"type": "approve"}}
        )
        out = graph.invoke(Command(resume=resume), cfg("g1", "bob"), version="v2")
    assert seen == (1 if mode == "batched" else 2)
    assert sorted(runs.calls) == ["close_account", "lookup", "refund"]


def test_streams_and_model_see_placeholders_only(build_graph) -> None:
    """values/updates/messages/custom and the model: no raw value from the tool or the prompt."""
    model = ScriptedChatModel(
        script=[reply("", call("lookup", {"customer_id": "cus_5"}, "s1")), reply("ok")]
    )
    graph, _ = build_graph(model, InMemorySaver())
    chunks = list(
        graph.stream(
            {"messages": [HumanMessage(f"my ssn is {SSN}")]},
            cfg("g2", "alice"),
            stream_mode=["values", "updates", "messages", "custom"],
        )
    )
    custom = [c for mode, c in chunks if mode == "custom"]
    assert custom  # the tool's own progress event went through
    # The first chunk is the "values" echo of the caller's own input; everything after it is ours.
    assert chunks[0][0] == "values"
    dump = repr(chunks[1:])
    assert EMAIL not in dump
    assert SSN not in dump
    assert EMAIL not in text_sent(model)
    assert SSN not in text_sent(model)


def test_state_after_the_turn_holds_no_raw_value(build_graph) -> None:
    """The latest checkpoint: messages masked, vault encrypted."""
    model = ScriptedChatModel(
        script=[reply("", call("lookup", {"customer_id": "cus_5"}, "s1")), reply("ok")]
    )
    saver = InMemorySaver()
    graph, _ = build_graph(model, saver)
    graph.invoke({"messages": [HumanMessage(f"ssn {SSN}")]}, cfg("g3", "alice"))
    values = graph.get_state(cfg("g3", "alice")).values
    assert EMAIL not in repr(values)
    assert SSN not in repr(values)
    assert set(values["guardrails_vault"]) == {"n", "blob"}
