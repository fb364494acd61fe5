"""mw.protect(agent): every field of a dict input message is masked before LangGraph stores it."""

from __future__ import annotations

import sqlite3
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver

from tests.integrations.langchain.conftest import EMAIL, SSN, cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply


def test_dict_history_with_tool_calls_is_masked_before_the_first_checkpoint(
    tools, make_agent, tmp_path
) -> None:
    """An assistant dict's tool-call args and a content-block list never reach the saver raw."""
    db = tmp_path / "pi.sqlite"
    conn = sqlite3.connect(db, check_same_thread=False)
    agent, mw = make_agent(
        ScriptedChatModel(script=[reply("ok")]),
        list(tools.values()),
        checkpointer=SqliteSaver(conn),
    )
    history = [
        {"role": "user", "content": "look me up"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"name": "lookup_customer", "args": {"customer_id": EMAIL}, "id": "h1"}],
        },
        {"role": "tool", "content": "none", "tool_call_id": "h1"},
        {"role": "user", "content": [{"type": "text", "text": f"my ssn is {SSN}"}]},
    ]
    mw.protect(agent).invoke({"messages": history}, cfg("pi", "alice"))
    conn.commit()
    conn.close()
    blob = db.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("pi.sqlite-*"))
    assert EMAIL.encode() not in blob
    assert SSN.encode() not in blob


def test_a_single_message_input_not_in_a_list_is_masked(tools, make_agent, tmp_path) -> None:
    """{"messages": "text"} (add_messages takes one message too) is redacted like a list."""
    db = tmp_path / "ps.sqlite"
    conn = sqlite3.connect(db, check_same_thread=False)
    agent, mw = make_agent(
        ScriptedChatModel(script=[reply("ok"), reply("ok")]),
        list(tools.values()),
        checkpointer=SqliteSaver(conn),
    )
    guarded = mw.protect(agent)
    guarded.invoke({"messages": f"mail {EMAIL}"}, cfg("ps", "alice"))
    guarded.invoke({"messages": {"role": "user", "content": f"ssn {SSN}"}}, cfg("ps", "alice"))
    conn.commit()
    conn.close()
    blob = db.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("ps.sqlite-*"))
    assert EMAIL.encode() not in blob
    assert SSN.encode() not in blob


def test_every_entry_point_of_a_protected_agent_masks_its_input(tools, make_agent) -> None:
    """astream_events, batch and abatch redact the input too (they bypassed the wrapper)."""
    import asyncio

    from langgraph.checkpoint.memory import InMemorySaver

    saver = InMemorySaver()
    agent, mw = make_agent(
        ScriptedChatModel(script=[reply("ok")] * 4), list(tools.values()), checkpointer=saver
    )
    guarded = mw.protect(agent)

    async def run() -> None:
        user = {"messages": [{"role": "user", "content": f"mail {EMAIL}"}]}
        async for _ in guarded.astream_events(user, cfg("pe1", "alice"), version="v2"):
            pass
        await guarded.abatch([user], [cfg("pe2", "alice")])

    asyncio.run(run())
    guarded.batch([{"messages": [{"role": "user", "content": f"ssn {SSN}"}]}], [cfg("pe3", "a")])
    stored = repr(saver.storage) + repr(saver.writes)
    assert EMAIL not in stored
    assert SSN not in stored


def test_protected_astream_events_carry_no_raw_tool_data(tools, make_agent) -> None:
    """A tool's own run events (restored args, raw output) are left out; the tools node's
    events carry its redacted result."""
    import asyncio

    model = ScriptedChatModel(
        script=[reply("", call("lookup_customer", {"customer_id": "c1"})), reply("done")]
    )
    agent, mw = make_agent(model, list(tools.values()))

    async def run() -> list[Any]:
        user = {"messages": [{"role": "user", "content": "look up c1"}]}
        return [
            e async for e in mw.protect(agent).astream_events(user, cfg("pv", "a"), version="v2")
        ]

    events = asyncio.run(run())
    assert EMAIL not in repr(events)
    assert SSN not in repr(events)
    assert any(e["event"] == "on_chain_end" and e["name"] == "tools" for e in events)
