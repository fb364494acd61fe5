"""What a reviewer types (a reject reason, an edit's args) is masked before it is stored or sent."""

from __future__ import annotations

import sqlite3

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from tests.integrations.langchain.conftest import SSN, cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply, text_sent

NEW = "new.person@example.org"


def _paused(make_agent, tools, tmp_path, thread):
    model = ScriptedChatModel(
        script=[
            reply("", call("send_email", {"to": "<EMAIL_ADDRESS_1>", "body": "hi"}, "rv1")),
            reply("done"),
        ]
    )
    conn = sqlite3.connect(tmp_path / "rv.sqlite", check_same_thread=False)
    agent, mw = make_agent(model, list(tools.values()), checkpointer=SqliteSaver(conn))
    guarded = mw.protect(agent)
    out = guarded.invoke(
        {"messages": [{"role": "user", "content": "mail jane.doe@example.com"}]},
        cfg(thread, "alice"),
        version="v2",
    )
    return guarded, mw, model, out.interrupts[0].id


def _blob(tmp_path) -> bytes:
    return b"".join(p.read_bytes() for p in tmp_path.glob("rv.sqlite*"))


def test_a_reject_reason_with_a_value_never_reaches_state_store_or_model(
    tools, runs, make_agent, tmp_path
) -> None:
    """'reject: ... SSN ...': the model, the checkpoint and the approval store get a mask."""
    agent, mw, model, iid = _paused(make_agent, tools, tmp_path, "rv1")
    out = agent.invoke(
        Command(resume={iid: {"type": "reject", "message": f"never with ssn {SSN}"}}),
        cfg("rv1", "bob"),
        version="v2",
    )
    assert runs.calls == []
    assert SSN not in repr(out.value)
    assert SSN not in text_sent(model)
    assert SSN.encode() not in _blob(tmp_path)
    assert SSN not in repr([r.to_dict() for r in mw.guard.backend.approvals.store._rows.values()])


def test_an_edit_typed_with_a_raw_value_runs_it_but_stores_a_mask(
    tools, runs, make_agent, tmp_path
) -> None:
    """An edit naming a new address: the tool gets it (restore allowed), nothing stores it raw."""
    from guardrails.policy import Policy

    policy = Policy.from_dict({"tools": {"send_email": {"restore": ["EMAIL_ADDRESS"]}}})
    model = ScriptedChatModel(
        script=[
            reply("", call("send_email", {"to": "<EMAIL_ADDRESS_1>", "body": "hi"}, "rv2")),
            reply("done"),
        ]
    )
    conn = sqlite3.connect(tmp_path / "rv.sqlite", check_same_thread=False)
    agent, mw = make_agent(
        model, list(tools.values()), checkpointer=SqliteSaver(conn), policy=policy
    )
    guarded = mw.protect(agent)
    out = guarded.invoke(
        {"messages": [{"role": "user", "content": "mail jane.doe@example.com"}]},
        cfg("rv2", "alice"),
        version="v2",
    )
    edit = {
        "type": "edit",
        "edited_action": {"name": "send_email", "args": {"to": NEW, "body": "x"}},
    }
    guarded.invoke(Command(resume={out.interrupts[0].id: edit}), cfg("rv2", "bob"), version="v2")
    assert runs.calls == [("send_email", {"to": NEW, "body": "x"})]
    assert NEW.encode() not in _blob(tmp_path)
    assert NEW not in repr([r.to_dict() for r in mw.guard.backend.approvals.store._rows.values()])


def test_without_protect_the_reason_is_still_masked_in_state_and_store(
    tools, runs, make_agent, tmp_path
) -> None:
    """Plain agent: the tool message and the stored vote hold a mask (the raw resume itself is
    kept by LangGraph as sent: protect() masks it before that)."""
    model = ScriptedChatModel(
        script=[
            reply("", call("send_email", {"to": "<EMAIL_ADDRESS_1>", "body": "hi"}, "rv3")),
            reply("done"),
        ]
    )
    agent, mw = make_agent(model, list(tools.values()))
    out = agent.invoke(
        {"messages": [{"role": "user", "content": "mail jane.doe@example.com"}]},
        cfg("rv3", "alice"),
        version="v2",
    )
    agent.invoke(
        Command(resume={out.interrupts[0].id: f"reject: ssn is {SSN}"}),
        cfg("rv3", "bob"),
        version="v2",
    )
    values = agent.get_state(cfg("rv3", "bob")).values
    assert "ssn is <US_SSN_1>" in str(values["messages"][-2].content)
    assert SSN not in repr(values["messages"])
    assert SSN not in repr([r.to_dict() for r in mw.guard.backend.approvals.store._rows.values()])
