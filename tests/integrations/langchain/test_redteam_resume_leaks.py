"""Red team: what a resume carries besides reasons and edited args never reaches the checkpointer raw.

LangGraph saves a ``Command(resume=...)`` as sent, before any node validates it (a refused resume
included); ``protect()`` masks it first. These resumes hide a value where the masking did not look.
"""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.errors import GraphInterrupt
from langgraph.types import Command
from pydantic import ValidationError

from tests.integrations.langchain.conftest import SSN, cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply

RAW = "jane.roe@example.com"


def _paused(make_agent, tools, tmp_path, thread: str) -> tuple[Any, Any, str]:
    model = ScriptedChatModel(
        script=[
            reply("", call("send_email", {"to": "<EMAIL_ADDRESS_1>", "body": "hi"}, "lk1")),
            reply("done"),
        ]
    )
    conn = sqlite3.connect(tmp_path / "lk.sqlite", check_same_thread=False)
    agent, mw = make_agent(model, list(tools.values()), checkpointer=SqliteSaver(conn))
    guarded = mw.protect(agent)
    out = guarded.invoke(
        {"messages": [{"role": "user", "content": "mail jane.doe@example.com"}]},
        cfg(thread, "alice"),
        version="v2",
    )
    return guarded, mw, out.interrupts[0].id


def _blob(tmp_path) -> bytes:
    return b"".join(p.read_bytes() for p in tmp_path.glob("lk.sqlite*"))


def _resume(agent: Any, value: Any, thread: str) -> None:
    # Refused or not: what matters here is what was stored.
    with contextlib.suppress(ValidationError, GraphInterrupt):
        agent.invoke(Command(resume=value), cfg(thread, "bob"), version="v2")


# Each row: a resume hiding a raw value outside 'message' and 'edited_action.args' values.
CASES = [
    # an edit whose argument *name* is the value
    lambda iid: {
        iid: {"type": "edit", "edited_action": {"name": "send_email", "args": {RAW: "x"}}}
    },
    # an extra field on a decision (ignored by the parser, stored by LangGraph)
    lambda iid: {iid: {"type": "approve", "note": f"ssn {SSN}"}},
    # an approve whose message is not a string
    lambda iid: {iid: {"type": "approve", "message": {"why": f"ssn {SSN}"}}},
    # a list instead of a decision (refused, stored first)
    lambda iid: [f"reject: ssn {SSN}"],
    # a batched resume with an extra top-level field
    lambda iid: {"decisions": [{"type": "reject", "message": "no"}], "cc": RAW},
    # an edited tool name carrying the value
    lambda iid: {iid: {"type": "edit", "edited_action": {"name": RAW, "args": {}}}},
    # a permit that is not a string
    lambda iid: {iid: {"permit": {"x": RAW}}},
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_no_raw_value_of_a_resume_reaches_the_checkpointer(
    case, tools, runs, make_agent, tmp_path
) -> None:
    """Whatever shape the resume has, the SQLite checkpointer never holds its raw values."""
    agent, _, iid = _paused(make_agent, tools, tmp_path, f"lk{case}")
    _resume(agent, CASES[case](iid), f"lk{case}")
    blob = _blob(tmp_path)
    assert SSN.encode() not in blob
    assert RAW.encode() not in blob


def test_a_resume_nested_too_deep_is_refused_before_it_is_stored(
    tools, runs, make_agent, tmp_path
) -> None:
    """5,000 nested batches: a clean ResumeError (was RecursionError), nothing stored or run."""
    from integrations.langgraph import ResumeError

    agent, _, iid = _paused(make_agent, tools, tmp_path, "deep")
    value: Any = {"type": "reject", "message": f"ssn {SSN}"}
    for _ in range(5000):
        value = {"decisions": [value]}
    with pytest.raises(ResumeError, match="nested"):
        agent.invoke(Command(resume={iid: value}), cfg("deep", "bob"), version="v2")
    assert runs.calls == []
    assert SSN.encode() not in _blob(tmp_path)
    assert agent.get_state(cfg("deep", "bob")).interrupts[0].id == iid  # still awaiting


def test_deep_edit_args_without_protect_are_refused_and_the_call_still_waits(
    tools, runs, make_agent
) -> None:
    """Held before: edit args nested 5,000 deep (plain agent, no protect()) give a
    ValidationError, not a RecursionError, and the interrupt can still be answered."""
    from tests.integrations.langchain.test_approvals import _paused as _plain

    agent, _, iid = _plain(make_agent, tools, thread="dp")
    deep: Any = "x"
    for _ in range(5000):
        deep = {"a": deep}
    edit = {
        "type": "edit",
        "edited_action": {"name": "send_email", "args": {"to": "<EMAIL_ADDRESS_1>", "body": deep}},
    }
    with pytest.raises(ValidationError):
        agent.invoke(Command(resume={iid: edit}), cfg("dp", "bob"), version="v2")
    assert runs.calls == []
    assert agent.get_state(cfg("dp", "bob")).interrupts[0].id == iid


def test_one_decision_for_two_pending_interrupts_is_refused(tools, runs, make_agent) -> None:
    """Held before (LangGraph's own check): two calls paused per call, a resume without
    interrupt ids is refused rather than given to whichever call asks first."""
    model = ScriptedChatModel(
        script=[
            reply(
                "",
                call("send_email", {"to": "<EMAIL_ADDRESS_1>", "body": "hi"}, "s1"),
                call("delete_records", {"table": "users"}, "d1"),
            ),
            reply("done"),
        ]
    )
    agent, _ = make_agent(model, list(tools.values()))
    out = agent.invoke(
        {"messages": [{"role": "user", "content": "mail jane.doe@example.com, delete"}]},
        cfg("two", "alice"),
        version="v2",
    )
    assert len(out.interrupts) == 2
    with pytest.raises(RuntimeError, match="interrupt id"):
        agent.invoke(Command(resume={"type": "approve"}), cfg("two", "bob"), version="v2")
    assert runs.calls == []


def test_a_labelled_decision_survives_protect_masking(tools, runs, make_agent) -> None:
    """protect() masks every part of a resume; the payload's own labels (tool_call_id,
    request_id, args_digest) still match, so a labelled decision is accepted."""
    from tests.integrations.langchain.test_approvals import _paused as _plain

    agent, mw, iid = _plain(make_agent, tools, thread="lbl")
    guarded = mw.protect(agent)
    shown = guarded.get_state(cfg("lbl", "bob")).interrupts[0].value
    labelled = {"type": "approve", **{k: shown[k] for k in ("tool_call_id", "request_id")}}
    guarded.invoke(Command(resume={iid: labelled}), cfg("lbl", "bob"))
    assert runs.count("send_email") == 1
