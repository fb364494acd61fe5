"""Red team: hostile resume values on a custom graph (BoundModelNode + GuardedToolNode).

Batched decisions that do not match the action requests, an interrupt id from another thread,
the requester answering their own batch, an old resume replayed after the call ran: none runs a
tool or records a vote.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command
from pydantic import ValidationError

from tests.integrations.langgraph.conftest import cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply

APPROVE = {"type": "approve"}
REJECT = {"type": "reject", "message": "no"}


@pytest.fixture(params=["memory", "sqlite"])
def saver(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        yield InMemorySaver()
        return
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    yield SqliteSaver(conn)
    conn.close()


def _two_calls(build_graph: Any, saver: Any, thread: str, mode: str) -> tuple[Any, Any, Any]:
    """alice's turn paused on refund + close_account (both need approval)."""
    model = ScriptedChatModel(
        script=[
            reply(
                "",
                call("refund", {"amount": 5}, f"{thread}-r"),
                call("close_account", {"customer_id": "cus_1"}, f"{thread}-c"),
            ),
            reply("ok"),
        ]
    )
    graph, gg = build_graph(model, saver, mode=mode)
    out = graph.invoke(
        {"messages": [HumanMessage("refund and close")]}, cfg(thread, "alice"), version="v2"
    )
    return graph, gg, out.interrupts


def _votes(gg: Any) -> int:
    return sum(len(r.votes) for r in gg.guard.backend.approvals.store._rows.values())


# Each row: a batched resume that is not one decision per action request, in order.
BAD_BATCHES = [
    {"decisions": [APPROVE]},  # too few
    {"decisions": [APPROVE, APPROVE, APPROVE]},  # too many
    {"decisions": []},  # none
    {"decisions": APPROVE},  # not a list
    {"decisions": [APPROVE, 7]},  # a number for a decision
    {"decisions": [APPROVE, None]},  # null for a decision
    {"decisions": [APPROVE, {"type": "Approve"}]},  # case spelling of a type
    {"decisions": [APPROVE, {"type": "approve\u200b"}]},  # invisible character in a type
    {"decisions": [APPROVE, [APPROVE]]},  # a nested list
    APPROVE,  # one decision for two requests
    "approve",  # one chat reply for two requests
]


@pytest.mark.parametrize("value", BAD_BATCHES)
def test_a_batch_that_does_not_match_the_requests_is_refused_whole(
    build_graph, runs, saver, value
) -> None:
    """Nothing runs, no vote is recorded (not even the first), the interrupt is still open."""
    graph, gg, interrupts = _two_calls(build_graph, saver, "bb", "batched")
    assert len(interrupts[0].value["action_requests"]) == 2
    with pytest.raises(ValidationError):
        graph.invoke(Command(resume=value), cfg("bb", "bob"), version="v2")
    assert runs.calls == []
    assert _votes(gg) == 0
    assert graph.get_state(cfg("bb", "bob")).interrupts[0].id == interrupts[0].id
    # The same interrupt can still be answered properly.
    graph.invoke(Command(resume={"decisions": [APPROVE, REJECT]}), cfg("bb", "bob"))
    assert runs.calls == ["refund"]


def test_the_requester_cannot_approve_their_own_batch(build_graph, runs, saver) -> None:
    """alice answering the batch her own run raised: refused, nothing recorded."""
    graph, gg, _ = _two_calls(build_graph, saver, "bs", "batched")
    with pytest.raises(ValidationError):
        graph.invoke(Command(resume={"decisions": [APPROVE, APPROVE]}), cfg("bs", "alice"))
    assert runs.calls == []
    assert _votes(gg) == 0


def test_an_interrupt_id_of_another_thread_answers_nothing(build_graph, runs, saver) -> None:
    """bob resumes thread B with thread A's interrupt ids: B asks again, nothing runs anywhere."""
    _, gg_a, ints_a = _two_calls(build_graph, saver, "ta", "per_call")
    model = ScriptedChatModel(
        script=[reply("", call("refund", {"amount": 5}, "ta-r")), reply("ok")]
    )
    graph_b, gg_b = build_graph(model, saver)
    first = graph_b.invoke({"messages": [HumanMessage("refund")]}, cfg("tb", "alice"), version="v2")
    out = graph_b.invoke(
        Command(resume={i.id: APPROVE for i in ints_a}), cfg("tb", "bob"), version="v2"
    )
    assert [i.id for i in out.interrupts] == [i.id for i in first.interrupts]
    assert runs.calls == []
    assert _votes(gg_a) == 0
    assert _votes(gg_b) == 0


def test_an_old_resume_replayed_after_the_call_ran_runs_nothing_again(
    build_graph, runs, saver
) -> None:
    """Approve, run; the same Command(resume=...) sent again: the tool ran once."""
    graph, gg, ints = _two_calls(build_graph, saver, "rp", "per_call")
    resume = Command(resume={i.id: APPROVE for i in ints})
    out = graph.invoke(resume, cfg("rp", "bob"), version="v2")
    while out.interrupts:  # per-call: one interrupt per call, maybe in turn
        out = graph.invoke(
            Command(resume={i.id: APPROVE for i in out.interrupts}), cfg("rp", "bob"), version="v2"
        )
    assert sorted(runs.calls) == ["close_account", "refund"]
    votes = _votes(gg)
    again = graph.invoke(resume, cfg("rp", "bob"), version="v2")
    assert not again.interrupts
    assert sorted(runs.calls) == ["close_account", "refund"]
    assert _votes(gg) == votes
    tool_msgs = [
        m
        for m in graph.get_state(cfg("rp", "bob")).values["messages"]
        if isinstance(m, ToolMessage)
    ]
    assert len(tool_msgs) == 2


def test_labelled_batch_decisions_out_of_order_are_refused(build_graph, runs, saver) -> None:
    """Decisions labelled with the action's tool_call_id but sent in the wrong order: refused
    (before: matched by position, the reject hit refund and the approval ran close_account)."""
    graph, gg, interrupts = _two_calls(build_graph, saver, "bo", "batched")
    refund, close = interrupts[0].value["action_requests"]
    swapped = [
        {"type": "reject", "message": "no", "tool_call_id": close["tool_call_id"]},
        {"type": "approve", "tool_call_id": refund["tool_call_id"]},
    ]
    with pytest.raises(ValidationError, match="another tool call"):
        graph.invoke(Command(resume={"decisions": swapped}), cfg("bo", "bob"))
    assert runs.calls == []
    assert _votes(gg) == 0
    graph.invoke(Command(resume={"decisions": swapped[::-1]}), cfg("bo", "bob"))
    assert runs.calls == ["refund"]


def test_a_batch_decision_naming_another_request_is_refused(build_graph, runs, saver) -> None:
    """A decision labelled with another action's request_id: refused, nothing recorded."""
    graph, gg, interrupts = _two_calls(build_graph, saver, "bq", "batched")
    _, close = interrupts[0].value["action_requests"]
    decisions = [{"type": "approve", "request_id": close["request_id"]}, REJECT]
    with pytest.raises(ValidationError, match="another approval request"):
        graph.invoke(Command(resume={"decisions": decisions}), cfg("bq", "bob"))
    assert runs.calls == []
    assert _votes(gg) == 0


def test_a_per_call_decision_naming_another_call_is_refused(build_graph, runs, saver) -> None:
    """Per call: an approval labelled for close_account sent to refund's interrupt is refused;
    labelled with its own ids it is accepted."""
    graph, gg, interrupts = _two_calls(build_graph, saver, "pc", "per_call")
    (first,) = interrupts
    other = "pc-c" if first.value["tool_call_id"] == "pc-r" else "pc-r"
    with pytest.raises(ValidationError, match="another tool call"):
        graph.invoke(
            Command(resume={first.id: {"type": "approve", "tool_call_id": other}}),
            cfg("pc", "bob"),
        )
    assert _votes(gg) == 0
    own = {
        "type": "approve",
        "tool_call_id": first.value["tool_call_id"],
        "request_id": first.value["request_id"],
    }
    graph.invoke(Command(resume={first.id: own}), cfg("pc", "bob"))
    assert _votes(gg) == 1
