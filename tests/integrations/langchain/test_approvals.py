"""Who may decide, expiry, chat replies, restore rules and the audit trail, through the middleware."""

from __future__ import annotations

from datetime import timedelta

import pytest
from langgraph.types import Command
from pydantic import ValidationError

from guardrails.policy import Policy
from tests.integrations.langchain.conftest import EMAIL, cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply


def _paused(make_agent, tools, thread="ta", **kw):
    model = ScriptedChatModel(
        script=[
            reply("", call("send_email", {"to": "<EMAIL_ADDRESS_1>", "body": "hi"}, "a1")),
            reply("done"),
        ]
    )
    agent, mw = make_agent(model, list(tools.values()), **kw)
    out = agent.invoke(
        {"messages": [{"role": "user", "content": f"mail {EMAIL}"}]},
        cfg(thread, "alice"),
        version="v2",
    )
    return agent, mw, out.interrupts[0].id


@pytest.mark.parametrize(
    ("user", "code"),
    [
        ("alice", "self_approval"),  # the requester resumes their own request
        (None, "unauthenticated"),  # the resuming run carries no authenticated user
    ],
)
def test_forbidden_approver_is_refused_recorded_and_thread_stays_resumable(
    tools, runs, make_agent, user, code
) -> None:
    """Self-approval and anonymous resumes are refused before saving and recorded in the trail."""
    agent, mw, iid = _paused(make_agent, tools)
    with pytest.raises(ValidationError):
        agent.invoke(Command(resume={iid: {"type": "approve"}}), cfg("ta", user), version="v2")
    assert runs.calls == []
    refused = [e for e in mw.audit.events() if e.kind == "approval.refused"]
    assert [e.data["code"] for e in refused] == [code]
    agent.invoke(Command(resume={iid: {"type": "approve"}}), cfg("ta", "bob"), version="v2")
    assert runs.count("send_email") == 1


def test_expired_request_fails_closed(tools, runs, make_agent, clock) -> None:
    """After expiry an approval does not run the tool; the model is told it expired."""
    agent, mw, iid = _paused(make_agent, tools)
    clock.advance(timedelta(hours=2))
    out = agent.invoke(Command(resume={iid: {"type": "approve"}}), cfg("ta", "bob"), version="v2")
    assert runs.calls == []
    assert "expired" in str(out.value["messages"][-2].content)
    assert any(e.kind == "approval.expired" for e in mw.audit.events())


@pytest.mark.parametrize(
    ("text", "ran"),
    [
        ("approve", 1),  # plain chat approval
        ("reject: too broad", 0),  # chat rejection with a reason
    ],
)
def test_plain_chat_reply_is_accepted(tools, runs, make_agent, text, ran) -> None:
    """Studio-style text replies decide where the policy allows them."""
    agent, _, iid = _paused(make_agent, tools)
    out = agent.invoke(Command(resume={iid: text}), cfg("ta", "bob"), version="v2")
    assert runs.count("send_email") == ran
    if not ran:
        assert "too broad" in str(out.value["messages"][-2].content)


def test_tool_gets_only_the_entity_types_its_policy_allows(tools, runs, make_agent) -> None:
    """send_email may receive e-mail addresses restored; other placeholders stay masked."""
    policy = Policy.from_dict({"tools": {"send_email": {"restore": ["EMAIL_ADDRESS"]}}})
    model = ScriptedChatModel(
        script=[
            reply(
                "", call("send_email", {"to": "<EMAIL_ADDRESS_1>", "body": "ssn <US_SSN_1>"}, "r1")
            ),
            reply("ok"),
        ]
    )
    agent, _ = make_agent(model, list(tools.values()), policy=policy)
    out = agent.invoke(
        {"messages": [{"role": "user", "content": f"mail {EMAIL} my ssn 536-22-8714"}]},
        cfg("tr", "alice"),
        version="v2",
    )
    agent.invoke(
        Command(resume={out.interrupts[0].id: {"type": "approve"}}), cfg("tr", "bob"), version="v2"
    )
    assert runs.calls == [("send_email", {"to": EMAIL, "body": "ssn <US_SSN_1>"})]


def test_every_step_is_in_a_verifying_trail_with_thread_ids(tools, runs, make_agent) -> None:
    """requested, decided, executed: each with the thread id; no raw value; the chain verifies."""
    agent, mw, iid = _paused(make_agent, tools)
    agent.invoke(Command(resume={iid: {"type": "approve"}}), cfg("ta", "bob"), version="v2")
    events = list(mw.audit.events())
    kinds = [e.kind for e in events]
    assert (
        kinds.index("approval.requested")
        < kinds.index("approval.decided")
        < kinds.index("tool.executed")
    )
    assert all(e.thread_id == "ta" for e in events)
    assert EMAIL not in repr([e.to_dict() for e in events])
    assert mw.audit.verify().ok


def test_final_answer_restored_only_for_the_caller(tools, make_agent) -> None:
    """restore_output gives the end user real values; state keeps placeholders."""
    model = ScriptedChatModel(
        script=[lambda msgs: reply(f"I will write to {msgs[-1].content.split()[-1]}")]
    )
    agent, mw = make_agent(model, list(tools.values()), restore_output=True)
    result = agent.invoke(
        {"messages": [{"role": "user", "content": f"write to {EMAIL}"}]},
        cfg("tf", "alice"),
        version="v2",
    )
    assert mw.final_answer(result, thread_id="tf") == f"I will write to {EMAIL}"
    assert EMAIL not in str(result.value["messages"][-1].content)


def test_quorum_of_two_distinct_humans_asks_twice_and_runs_once(tools, runs, make_agent) -> None:
    """quorum 2: bob's vote keeps the call waiting; bob again is refused; carol's runs it."""
    policy = Policy.from_dict(
        {
            "rules": [
                {
                    "name": "two",
                    "tools": ["send_email"],
                    "effect": "require_approval",
                    "approval": {"quorum": 2},
                }
            ]
        }
    )
    agent, _, iid = _paused(make_agent, tools, thread="tq", policy=policy)
    out = agent.invoke(Command(resume={iid: {"type": "approve"}}), cfg("tq", "bob"), version="v2")
    assert runs.calls == []
    (second,) = out.interrupts
    assert (second.value["approvals"], second.value["quorum"]) == (1, 2)
    with pytest.raises(ValidationError):
        agent.invoke(
            Command(resume={second.id: {"type": "approve"}}), cfg("tq", "bob"), version="v2"
        )
    agent.invoke(Command(resume={second.id: {"type": "approve"}}), cfg("tq", "carol"), version="v2")
    assert runs.count("send_email") == 1


def test_signed_permit_decides_for_its_signer(tools, runs, make_agent, clock) -> None:
    """A permit signed by the service key approves as the human it names; a forged one is refused."""
    from guardrails.approvals import ApprovalService, Decision
    from guardrails.audit import AuditLog
    from guardrails.identity import Principal

    svc = ApprovalService(
        Policy.default_policy(), audit=AuditLog(clock=clock), clock=clock, permit_key=b"p" * 32
    )
    agent, _, iid = _paused(make_agent, tools, thread="tpm", approvals=svc)
    (req,) = svc.pending()
    token = svc.issue_permit(
        req.id,
        Decision(
            verdict="approve",
            approver=Principal(id="dana"),
            args_digest=req.args_digest,
            channel="slack",
            provenance="permit",
        ),
    )
    with pytest.raises(ValidationError):
        agent.invoke(
            Command(resume={iid: {"permit": token[:-4] + "AAAA"}}),
            cfg("tpm", "mallory"),
            version="v2",
        )
    agent.invoke(Command(resume={iid: {"permit": token}}), cfg("tpm", "mallory"), version="v2")
    assert runs.count("send_email") == 1
    assert svc.get(req.id).votes[-1].approver.id == "dana"


def test_redaction_summaries_are_audited_with_counts_only(tools, make_agent) -> None:
    """History and tool-output redactions each leave a 'redaction' event with entity counts."""
    from tests.support.langgraph_helpers import ScriptedChatModel, call, reply

    model = ScriptedChatModel(
        script=[reply("", call("lookup_customer", {"customer_id": "cus_3"})), reply("ok")]
    )
    agent, mw = make_agent(model, list(tools.values()))
    agent.invoke({"messages": [{"role": "user", "content": f"I am {EMAIL}"}]}, cfg("tz", "alice"))
    events = [e for e in mw.audit.events() if e.kind == "redaction"]
    where = {e.data["where"]: e.data["entities"] for e in events}
    assert where["history"] == {"EMAIL_ADDRESS": 1}
    assert where["tool:lookup_customer"] == {"US_SSN": 1}  # the e-mail was already known
    assert EMAIL not in repr([e.to_dict() for e in events])


def test_reviewer_sees_only_the_entity_types_the_rule_unmasks(tools, make_agent) -> None:
    """reviewer_may_see: EMAIL_ADDRESS shows the address on the card; the SSN stays masked."""
    policy = Policy.from_dict(
        {
            "rules": [
                {
                    "name": "mail",
                    "tools": ["send_email"],
                    "effect": "require_approval",
                    "approval": {"reviewer_may_see": ["EMAIL_ADDRESS"]},
                }
            ]
        }
    )
    model = ScriptedChatModel(
        script=[
            reply("", call("send_email", {"to": "<EMAIL_ADDRESS_1>", "body": "<US_SSN_1>"}, "v1"))
        ]
    )
    agent, _ = make_agent(model, list(tools.values()), policy=policy)
    out = agent.invoke(
        {"messages": [{"role": "user", "content": f"mail {EMAIL} ssn 536-22-8714"}]},
        cfg("tv", "alice"),
        version="v2",
    )
    args = out.interrupts[0].value["args"]
    assert args == {"to": EMAIL, "body": "<US_SSN_1>"}


def test_interrupt_publishes_the_allowed_decisions_as_its_response_schema(
    tools, make_agent
) -> None:
    """Clients get a schema listing approve/edit/reject, a permit and a chat reply."""
    agent, _, _ = _paused(make_agent, tools, thread="ts2")
    (intr,) = agent.get_state(cfg("ts2", "alice")).interrupts
    titles = [b.get("title") for b in intr.response_schema["anyOf"]]
    assert titles[:3] == ["Approve", "Edit", "Reject"]
    assert "Signed permit" in titles


def test_audit_events_carry_a_run_id(tools, runs, make_agent) -> None:
    """Requests, decisions and executions name the run they happened in."""
    agent, mw, iid = _paused(make_agent, tools, thread="tri")
    agent.invoke(Command(resume={iid: {"type": "approve"}}), cfg("tri", "bob"), version="v2")
    events = [
        e
        for e in mw.audit.events()
        if e.kind in ("approval.requested", "approval.decided", "tool.executed")
    ]
    assert len(events) == 3
    assert all(e.run_id for e in events)


def test_edit_runs_the_reviewers_args_after_policy_reevaluation(tools, runs, make_agent) -> None:
    """An edit's new args are what runs (placeholders the reviewer typed stay masked)."""
    agent, mw, iid = _paused(make_agent, tools, thread="ted")
    edit = {
        "type": "edit",
        "edited_action": {
            "name": "send_email",
            "args": {"to": "<EMAIL_ADDRESS_1>", "body": "shorter"},
        },
    }
    agent.invoke(Command(resume={iid: edit}), cfg("ted", "bob"), version="v2")
    assert runs.calls == [("send_email", {"to": "<EMAIL_ADDRESS_1>", "body": "shorter"})]
    assert any(
        e.kind == "approval.decided" and e.data["verdict"] == "edit" for e in mw.audit.events()
    )


def test_edit_into_args_the_policy_denies_is_refused(tools, runs, make_agent) -> None:
    """An edit is evaluated again: args a deny rule matches are refused before saving."""
    policy = Policy.from_dict(
        {
            "rules": [
                {"name": "mail", "tools": ["send_email"], "effect": "require_approval"},
                {
                    "name": "no-spam",
                    "tools": ["send_email"],
                    "when": "args.body == 'spam'",
                    "effect": "deny",
                    "reason": "no spam",
                },
            ]
        }
    )
    agent, _, iid = _paused(make_agent, tools, thread="tdn", policy=policy)
    edit = {
        "type": "edit",
        "edited_action": {"name": "send_email", "args": {"to": "x", "body": "spam"}},
    }
    with pytest.raises(ValidationError, match="denies the edited call"):
        agent.invoke(Command(resume={iid: edit}), cfg("tdn", "bob"), version="v2")
    assert runs.calls == []


def test_policy_deny_tells_the_model_and_is_audited(tools, runs, make_agent) -> None:
    """A denied call does not run; the model gets the policy's reason; policy.denied is recorded."""
    policy = Policy.from_dict(
        {
            "rules": [
                {
                    "name": "never",
                    "tools": ["delete_records"],
                    "effect": "deny",
                    "reason": "deletes are disabled",
                }
            ]
        }
    )
    model = ScriptedChatModel(
        script=[reply("", call("delete_records", {"table": "users"}, "d1")), reply("ok")]
    )
    agent, mw = make_agent(model, list(tools.values()), policy=policy)
    out = agent.invoke(
        {"messages": [{"role": "user", "content": "delete users"}]},
        cfg("tdd", "alice"),
        version="v2",
    )
    tool_msg = out.value["messages"][-2]
    assert "deletes are disabled" in str(tool_msg.content)
    assert runs.calls == []
    assert [e.data["rule"] for e in mw.audit.events() if e.kind == "policy.denied"] == ["never"]
