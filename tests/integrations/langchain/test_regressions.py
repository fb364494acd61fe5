"""Each LangChain failure of PRODUCT.md §3, reproduced on the same graph shape: it cannot happen here."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from langchain.agents.middleware import AgentMiddleware, hook_config
from langchain_core.tools import tool
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command
from pydantic import ValidationError

from tests.integrations.langchain.conftest import EMAIL, SSN, cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply, text_sent


def _start(agent: Any, text: str, thread: str = "t1", user: str = "alice") -> Any:
    return agent.invoke(
        {"messages": [{"role": "user", "content": text}]}, cfg(thread, user), version="v2"
    )


def test_history_is_redacted_not_only_the_last_message(tools, make_agent) -> None:
    """Earlier turns reach the model masked on every later call (PIIMiddleware checks only the last)."""
    model = ScriptedChatModel(script=[reply("noted"), reply("ok"), reply("ok")])
    agent, _ = make_agent(model, list(tools.values()))
    _start(agent, f"My email is {EMAIL} and SSN {SSN}")
    _start(agent, "what plan am I on?")
    _start(agent, "thanks")
    assert len(model.sent) == 3
    sent = text_sent(model)
    assert EMAIL not in sent
    assert SSN not in sent
    assert "<EMAIL_ADDRESS_1>" in str(model.sent[2][0].content)


def test_tool_output_never_lands_raw_in_any_checkpoint(tools, make_agent, tmp_path) -> None:
    """Raw tool output is redacted before it enters state: no checkpoint or write holds it."""
    db = tmp_path / "cp.sqlite"
    conn = sqlite3.connect(db, check_same_thread=False)
    model = ScriptedChatModel(
        script=[
            reply("", call("lookup_customer", {"customer_id": "cus_42"})),
            reply("You are on gold."),
        ]
    )
    agent, _ = make_agent(model, list(tools.values()), checkpointer=SqliteSaver(conn))
    _start(agent, "which plan is customer cus_42 on?")
    conn.commit()
    conn.close()
    blob = db.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("cp.sqlite-*"))
    assert EMAIL.encode() not in blob
    assert SSN.encode() not in blob
    assert b"cus_42" in blob  # harmless ids survive
    assert EMAIL not in text_sent(model)


def test_no_stream_mode_leaks_raw_tool_output(tools, make_agent) -> None:
    """values, updates, messages and custom streams carry placeholders only."""
    model = ScriptedChatModel(
        script=[reply("", call("lookup_customer", {"customer_id": "cus_7"})), reply("done")]
    )
    agent, _ = make_agent(model, list(tools.values()))
    chunks = list(
        agent.stream(
            {"messages": [{"role": "user", "content": "look up cus_7"}]},
            cfg("s1", "alice"),
            stream_mode=["values", "updates", "messages", "custom"],
        )
    )
    assert chunks
    dump = repr(chunks)
    assert EMAIL not in dump
    assert SSN not in dump
    assert "cus_7" in dump


@pytest.mark.parametrize("mode", ["per_call", "batched"])
@pytest.mark.parametrize("name", ["send_email", "delete_records"])  # tagged via tags / via metadata
def test_tag_and_metadata_gating_does_not_fail_open(tools, runs, make_agent, mode, name) -> None:
    """A privileged tool (tags or metadata) pauses in both interrupt modes (HITL's `when` fails open)."""
    model = ScriptedChatModel(
        script=[
            reply(
                "",
                call(
                    name, {"to": "x", "body": "y"} if name == "send_email" else {"table": "users"}
                ),
            ),
            reply("done"),
        ]
    )
    agent, _ = make_agent(model, list(tools.values()), interrupt_mode=mode)
    out = _start(agent, "do it")
    assert len(out.interrupts) == 1
    assert runs.count(name) == 0


def test_tool_added_at_run_time_is_gated(runs, make_agent) -> None:
    """A privileged tool added by middleware at run time (MCP-style) still waits for approval."""

    @tool
    def mcp_drop_database(name: str) -> str:
        """Drop a database."""
        runs.calls.append(("mcp_drop_database", {"name": name}))
        return "dropped"

    mcp_drop_database.tags = ["privileged"]

    class DynamicTools(AgentMiddleware):
        def wrap_model_call(self, request, handler):
            return handler(request.override(tools=[*request.tools, mcp_drop_database]))

        def wrap_tool_call(self, request, handler):
            if request.tool_call["name"] == "mcp_drop_database":
                return handler(request.override(tool=mcp_drop_database))
            return handler(request)

    model = ScriptedChatModel(
        script=[reply("", call("mcp_drop_database", {"name": "prod"})), reply("done")]
    )
    agent, _ = make_agent(model, [], middleware=[DynamicTools()])
    out = _start(agent, "drop prod")
    assert len(out.interrupts) == 1
    assert runs.count("mcp_drop_database") == 0


def test_jump_to_tools_from_other_middleware_cannot_skip_the_gate(tools, runs, make_agent) -> None:
    """Another middleware's after_model jump_to="tools" still hits the gate (langchain#40491)."""

    class Jumper(AgentMiddleware):
        @hook_config(can_jump_to=["tools"])
        def after_model(self, state, runtime):
            if state["messages"][-1].tool_calls:
                return {"jump_to": "tools"}
            return None

    model = ScriptedChatModel(
        script=[reply("", call("delete_records", {"table": "users"}, "j1")), reply("done")]
    )
    agent, _ = make_agent(model, list(tools.values()), middleware=[Jumper()])
    out = _start(agent, "clean up", "tj")
    assert len(out.interrupts) == 1
    agent.invoke(
        Command(resume={out.interrupts[0].id: {"type": "reject", "message": "no"}}),
        cfg("tj", "bob"),
        version="v2",
    )
    assert runs.count("delete_records") == 0


def test_edit_cannot_switch_to_another_tool(tools, runs, make_agent) -> None:
    """An edit naming another tool is refused before saving (langchain#40166); the thread resumes fine."""
    model = ScriptedChatModel(
        script=[reply("", call("send_email", {"to": "a", "body": "b"}, "e1")), reply("done")]
    )
    agent, _ = make_agent(model, list(tools.values()))
    out = _start(agent, "mail", "te")
    iid = out.interrupts[0].id
    bad = {"type": "edit", "edited_action": {"name": "delete_records", "args": {"table": "users"}}}
    with pytest.raises(ValidationError, match="may not switch tool"):
        agent.invoke(Command(resume={iid: bad}), cfg("te", "bob"), version="v2")
    assert runs.calls == []
    agent.invoke(Command(resume={iid: {"type": "approve"}}), cfg("te", "bob"), version="v2")
    assert [n for n, _ in runs.calls] == ["send_email"]


@pytest.mark.parametrize(
    "resume",
    [
        {"type": "bogus"},  # unknown decision type
        42,  # not a decision at all
        {"decisions": [{"type": "approve"}, {"type": "approve"}]},  # two decisions for one call
        {"type": "edit", "edited_action": {"name": "send_email"}},  # edit without args
    ],
)
def test_malformed_resume_is_refused_and_thread_stays_resumable(
    tools, runs, make_agent, resume
) -> None:
    """A malformed resume raises a clear error, is not saved, and a valid one still works."""
    model = ScriptedChatModel(
        script=[reply("", call("send_email", {"to": "a", "body": "b"}, "m1")), reply("done")]
    )
    agent, _ = make_agent(model, list(tools.values()))
    out = _start(agent, "mail", "tm")
    iid = out.interrupts[0].id
    with pytest.raises(ValidationError):
        agent.invoke(Command(resume={iid: resume}), cfg("tm", "bob"), version="v2")
    assert agent.get_state(cfg("tm", "bob")).interrupts[0].id == iid
    agent.invoke(Command(resume={iid: {"type": "approve"}}), cfg("tm", "bob"), version="v2")
    assert runs.count("send_email") == 1


@pytest.mark.parametrize(
    "jump", [False, True]
)  # Send per call / one task with every call (jump_to)
def test_parallel_calls_each_run_exactly_once_across_interrupt_and_resume(
    tools, runs, make_agent, jump
) -> None:
    """Three calls in one turn (one free, two gated): after approvals each ran exactly once."""

    class Jumper(AgentMiddleware):
        @hook_config(can_jump_to=["tools"])
        def after_model(self, state, runtime):
            return {"jump_to": "tools"} if state["messages"][-1].tool_calls else None

    model = ScriptedChatModel(
        script=[
            reply(
                "",
                call("lookup_customer", {"customer_id": "cus_1"}, "p1"),
                call("send_email", {"to": "x", "body": "y"}, "p2"),
                call("delete_records", {"table": "t"}, "p3"),
            ),
            reply("done"),
        ]
    )
    agent, _ = make_agent(model, list(tools.values()), middleware=[Jumper()] if jump else [])
    out = _start(agent, "all three", "tp")
    for _ in range(4):
        if not out.interrupts:
            break
        out = agent.invoke(
            Command(resume={i.id: {"type": "approve"} for i in out.interrupts}),
            cfg("tp", "bob"),
            version="v2",
        )
    assert not out.interrupts
    assert sorted(n for n, _ in runs.calls) == ["delete_records", "lookup_customer", "send_email"]


def test_interrupt_payload_has_no_raw_pii_even_when_the_model_writes_it(tools, make_agent) -> None:
    """Args the model wrote with a raw value are masked on the reviewer's card."""
    model = ScriptedChatModel(
        script=[reply("", call("send_email", {"to": EMAIL, "body": f"SSN {SSN}"}, "r1"))]
    )
    agent, _ = make_agent(model, list(tools.values()))
    out = _start(agent, "mail jane")
    value = out.interrupts[0].value
    assert EMAIL not in repr(value)
    assert SSN not in repr(value)
    assert value["args"]["to"].startswith("<EMAIL_ADDRESS_")
    for key in ("request_id", "rule", "reason", "requester", "expires_at", "args_digest"):
        assert value[key], key


def test_batched_payload_speaks_v1_hitl_format(tools, make_agent) -> None:
    """Batched mode: action_requests/review_configs, one per gated call, masked args."""
    model = ScriptedChatModel(
        script=[
            reply(
                "",
                call("send_email", {"to": EMAIL, "body": "x"}),
                call("delete_records", {"table": "t"}),
            )
        ]
    )
    agent, _ = make_agent(model, list(tools.values()), interrupt_mode="batched")
    out = _start(agent, "go")
    value = out.interrupts[0].value
    assert [a["name"] for a in value["action_requests"]] == ["send_email", "delete_records"]
    assert [c["action_name"] for c in value["review_configs"]] == ["send_email", "delete_records"]
    assert EMAIL not in repr(value)


def test_batched_decisions_apply_in_order(tools, runs, make_agent) -> None:
    """A batched resume approves the first call and rejects the second."""
    model = ScriptedChatModel(
        script=[
            reply(
                "",
                call("send_email", {"to": "x", "body": "x"}),
                call("delete_records", {"table": "t"}),
            ),
            reply("done"),
        ]
    )
    agent, _ = make_agent(model, list(tools.values()), interrupt_mode="batched")
    _start(agent, "go", "tb")
    agent.invoke(
        Command(resume={"decisions": [{"type": "approve"}, {"type": "reject", "message": "keep"}]}),
        cfg("tb", "bob"),
        version="v2",
    )
    assert [n for n, _ in runs.calls] == ["send_email"]


def test_with_redact_input_no_checkpoint_holds_the_raw_prompt(tools, make_agent, tmp_path) -> None:
    """Redacting the input before invoke keeps even the turn's first checkpoints free of it."""
    db = tmp_path / "in.sqlite"
    conn = sqlite3.connect(db, check_same_thread=False)
    model = ScriptedChatModel(script=[reply("noted"), reply("ok")])
    agent, mw = make_agent(model, list(tools.values()), checkpointer=SqliteSaver(conn))
    for text in (f"I am {EMAIL}", f"again {EMAIL}, ssn {SSN}"):
        config = cfg("ti", "alice")
        agent.invoke(
            mw.redact_input(agent, {"messages": [{"role": "user", "content": text}]}, config),
            config,
        )
    conn.commit()
    conn.close()
    blob = db.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("in.sqlite-*"))
    assert EMAIL.encode() not in blob
    assert SSN.encode() not in blob
    assert [str(m[0].content) for m in model.sent][:1] == ["I am <EMAIL_ADDRESS_1>"]
    assert "again <EMAIL_ADDRESS_1>" in text_sent(model)


@pytest.mark.parametrize("attempt", range(3))  # the race it guards against is timing-dependent
def test_answers_never_land_on_another_call_when_calls_share_a_task(
    tools, runs, make_agent, attempt
) -> None:
    """After a jump_to, two gated calls share one task: each answer applies to the call shown."""

    class Jumper(AgentMiddleware):
        @hook_config(can_jump_to=["tools"])
        def after_model(self, state, runtime):
            return {"jump_to": "tools"} if state["messages"][-1].tool_calls else None

    model = ScriptedChatModel(
        script=[
            reply(
                "",
                call("send_email", {"to": "x", "body": "y"}, "o1"),
                call("delete_records", {"table": "t"}, "o2"),
            ),
            reply("done"),
        ]
    )
    agent, _ = make_agent(model, list(tools.values()), middleware=[Jumper()])
    out = _start(agent, "both", f"to{attempt}")
    shown = []
    while out.interrupts:
        (intr,) = out.interrupts
        shown.append(intr.value["name"])
        verdict = {"type": "approve"} if intr.value["name"] == "send_email" else {"type": "reject"}
        out = agent.invoke(
            Command(resume={intr.id: verdict}), cfg(f"to{attempt}", "bob"), version="v2"
        )
    assert shown == ["send_email", "delete_records"]
    assert [n for n, _ in runs.calls] == ["send_email"]


@pytest.mark.parametrize(
    ("default", "paused"),
    [
        ("require_approval", True),  # a strict default gates tools nobody listed
        ("allow", False),  # a permissive default lets them through to the tool node
    ],
)
def test_unknown_tools_follow_the_policy_default(runs, make_agent, default, paused) -> None:
    """A tool with no rule and no tag gets the policy default, whatever its name."""
    from guardrails.policy import Policy

    @tool
    def brand_new(x: str) -> str:
        """A tool no rule names."""
        runs.calls.append(("brand_new", {"x": x}))
        return "ok"

    model = ScriptedChatModel(script=[reply("", call("brand_new", {"x": "1"})), reply("done")])
    agent, _ = make_agent(model, [brand_new], policy=Policy(default=default))
    out = _start(agent, "try it", f"tu-{default}")
    assert bool(out.interrupts) is paused
    assert runs.count("brand_new") == (0 if paused else 1)


def test_placeholders_are_stable_across_turns_and_a_restart(tools, make_agent) -> None:
    """A new middleware (as after a restart) reads the thread's vault: the same value keeps its placeholder."""
    from langgraph.checkpoint.memory import InMemorySaver

    saver = InMemorySaver()
    first = ScriptedChatModel(script=[reply("noted")])
    agent, _ = make_agent(first, list(tools.values()), checkpointer=saver)
    _start(agent, "contact: other@example.org", "tr2")
    _start(agent, f"and {EMAIL}", "tr2")
    second = ScriptedChatModel(script=[reply("ok")])
    agent2, _ = make_agent(second, list(tools.values()), checkpointer=saver)  # fresh process state
    _start(agent2, f"again {EMAIL} and other@example.org", "tr2")
    last = str(second.sent[-1][-1].content)
    assert last == "again <EMAIL_ADDRESS_2> and <EMAIL_ADDRESS_1>"


def test_protected_agent_keeps_raw_prompts_out_of_every_checkpoint(
    tools, make_agent, tmp_path
) -> None:
    """mw.protect(agent) redacts each input before LangGraph stores it, across turns and resumes."""
    db = tmp_path / "pr.sqlite"
    conn = sqlite3.connect(db, check_same_thread=False)
    model = ScriptedChatModel(
        script=[
            reply("", call("send_email", {"to": "<EMAIL_ADDRESS_1>", "body": "hi"}, "pr1")),
            reply("sent"),
            reply("bye"),
        ]
    )
    agent, mw = make_agent(model, list(tools.values()), checkpointer=SqliteSaver(conn))
    guarded = mw.protect(agent)
    out = guarded.invoke(
        {"messages": [{"role": "user", "content": f"mail {EMAIL}"}]},
        cfg("pr", "alice"),
        version="v2",
    )
    guarded.invoke(
        Command(resume={out.interrupts[0].id: "approve"}), cfg("pr", "bob"), version="v2"
    )
    guarded.invoke(
        {"messages": [{"role": "user", "content": f"thanks, my ssn is {SSN}"}]}, cfg("pr", "alice")
    )
    conn.commit()
    conn.close()
    blob = db.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("pr.sqlite-*"))
    assert EMAIL.encode() not in blob
    assert SSN.encode() not in blob


def test_a_placeholder_the_model_invents_passes_through(tools, runs, make_agent) -> None:
    """An unknown placeholder reaches the tool unchanged; the run does not abort (piighost does)."""
    from guardrails.policy import Policy

    policy = Policy.from_dict({"tools": {"lookup_customer": {"restore": ["EMAIL_ADDRESS"]}}})
    model = ScriptedChatModel(
        script=[
            reply("", call("lookup_customer", {"customer_id": "<EMAIL_ADDRESS_9>"})),
            reply("ok"),
        ]
    )
    agent, _ = make_agent(model, list(tools.values()), policy=policy)
    out = _start(agent, "look up the customer", "tinv")
    assert runs.calls == [("lookup_customer", {"customer_id": "<EMAIL_ADDRESS_9>"})]
    assert out.value["messages"][-1].content == "ok"
