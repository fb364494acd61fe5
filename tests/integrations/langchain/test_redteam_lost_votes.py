"""Red team: a reviewer's answer to a quorum interrupt is never dropped as a "replay".

The guard treats the answer to the k-th interrupt as a replay (returns the recorded state, no
vote) when the request already holds more than k votes. A vote cast through another channel
(the inbox, Slack) between the interrupt and the resume made a fresh answer look like a replay:
bob's reject was dropped without a word and two others could then approve.
"""

from __future__ import annotations

from typing import Any

from langgraph.types import Command

from guardrails.approvals import ApprovalService, Decision
from guardrails.audit import AuditLog
from guardrails.identity import Principal
from guardrails.policy import Policy
from tests.integrations.langchain.conftest import cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply

POLICY = {
    "rules": [
        {
            "name": "two",
            "tools": ["send_email"],
            "effect": "require_approval",
            "approval": {"quorum": 2},
        }
    ]
}


def _paused(
    make_agent: Any, tools: Any, clock: Any, thread: str, **kw: Any
) -> tuple[Any, Any, Any]:
    svc = ApprovalService(Policy.from_dict(POLICY), audit=AuditLog(clock=clock), clock=clock)
    model = ScriptedChatModel(
        script=[
            reply("", call("send_email", {"to": "<EMAIL_ADDRESS_1>", "body": "hi"}, "q1")),
            reply("done"),
        ]
    )
    agent, _ = make_agent(
        model, list(tools.values()), approvals=svc, policy=Policy.from_dict(POLICY), **kw
    )
    out = agent.invoke(
        {"messages": [{"role": "user", "content": "mail jane.doe@example.com"}]},
        cfg(thread, "alice"),
        version="v2",
    )
    return agent, svc, out.interrupts[0]


def _inbox_vote(svc: Any, who: str) -> str:
    """``who`` approves in another channel (the HTTP inbox); the request's id."""
    (req,) = svc.pending()
    svc.decide(
        req.id,
        Decision(
            verdict="approve",
            approver=Principal(id=who),
            args_digest=req.args_digest,
            channel="http",
        ),
    )
    return str(req.id)


def _resume(agent: Any, iid: str, value: Any, thread: str, user: str) -> Any:
    return agent.invoke(Command(resume={iid: value}), cfg(thread, user), version="v2")


def test_a_reject_sent_after_another_channel_voted_is_not_dropped(
    tools, runs, make_agent, clock
) -> None:
    """carol approves in the inbox, then bob rejects the open interrupt: the call is rejected."""
    agent, svc, first = _paused(make_agent, tools, clock, "lv1")
    rid = _inbox_vote(svc, "carol")
    out = _resume(agent, first.id, {"type": "reject", "message": "no"}, "lv1", "bob")
    assert not out.interrupts  # settled: nobody is asked again (before: asked again)
    assert svc.get(rid).status == "rejected"
    assert [v.approver.id for v in svc.get(rid).votes] == ["carol", "bob"]
    assert runs.calls == []


def test_an_approval_after_another_channel_voted_completes_the_quorum(
    tools, runs, make_agent, clock
) -> None:
    """carol in the inbox + bob on the open interrupt = 2: it runs, bob is not asked twice."""
    agent, svc, first = _paused(make_agent, tools, clock, "lv2")
    rid = _inbox_vote(svc, "carol")
    out = _resume(agent, first.id, {"type": "approve"}, "lv2", "bob")
    assert not out.interrupts
    assert runs.count("send_email") == 1
    assert [v.approver.id for v in svc.get(rid).votes] == ["carol", "bob"]


def test_a_reject_after_a_batched_vote_is_not_dropped(tools, runs, make_agent, clock) -> None:
    """Batched review: bob's batch vote leaves the call waiting (quorum 2); carol's reject on
    the per-call interrupt that follows rejects it."""
    agent, svc, first = _paused(make_agent, tools, clock, "lv3", interrupt_mode="batched")
    out = agent.invoke(
        Command(resume={first.id: {"decisions": [{"type": "approve"}]}}),
        cfg("lv3", "bob"),
        version="v2",
    )
    (second,) = out.interrupts
    (req,) = svc.pending()
    out = _resume(agent, second.id, {"type": "reject", "message": "no"}, "lv3", "carol")
    assert not out.interrupts
    assert svc.get(req.id).status == "rejected"
    assert runs.calls == []


def test_a_replayed_answer_still_does_not_vote_for_the_next_reviewer(
    tools, runs, make_agent, clock
) -> None:
    """bob answers interrupt 0, carol interrupt 1: bob's saved answer re-validated in carol's
    run is not carol's vote (the replay rule still holds with the new count)."""
    agent, svc, first = _paused(make_agent, tools, clock, "lv4")
    out = _resume(agent, first.id, {"type": "approve"}, "lv4", "bob")
    (second,) = out.interrupts
    (req,) = svc.pending()
    _resume(agent, second.id, {"type": "approve"}, "lv4", "carol")
    assert [v.approver.id for v in svc.get(req.id).votes] == ["bob", "carol"]
    assert runs.count("send_email") == 1


def _edit(body: str) -> dict[str, Any]:
    return {
        "type": "edit",
        "edited_action": {"name": "send_email", "args": {"to": "<EMAIL_ADDRESS_1>", "body": body}},
    }


def test_a_saved_edit_is_not_the_next_reviewers_vote_after_a_second_edit(
    tools, runs, make_agent, clock
) -> None:
    """bob edits, carol edits again, dave approves: carol's body runs on carol + dave. Before,
    dave's run re-validated carol's saved edit as a fresh answer: a vote in dave's name he
    never cast (a third follow-up), and his own approval was refused 'already decided'."""
    agent, svc, first = _paused(make_agent, tools, clock, "lv5")
    out = _resume(agent, first.id, _edit("B"), "lv5", "bob")
    out = _resume(agent, out.interrupts[0].id, _edit("C"), "lv5", "carol")
    (third,) = out.interrupts
    out = _resume(agent, third.id, {"type": "approve"}, "lv5", "dave")
    assert not out.interrupts
    assert [c[1]["body"] for c in runs.calls] == ["C"]
    by_id = {r.id: r for r in svc.store._rows.values()}
    rows = [next(r for r in by_id.values() if r.parent_id is None)]
    while rows[-1].follow_up_id is not None:
        rows.append(by_id[rows[-1].follow_up_id])
    assert [r.status for r in rows] == ["superseded", "superseded", "executed"]
    assert [(v.approver.id, v.verdict) for v in rows[-1].votes] == [
        ("carol", "approve"),
        ("dave", "approve"),
    ]


def test_three_edits_under_quorum_two_still_ask_for_the_last_approval(
    tools, runs, make_agent, clock
) -> None:
    """bob, carol and dave each edit; erin approves: dave's body runs. Before, the review loop
    (quorum + 1 interrupts) ended after the third edit and ApprovalRequired escaped the run on
    every resume: the thread was stuck."""
    agent, _, first = _paused(make_agent, tools, clock, "lv6")
    out = _resume(agent, first.id, _edit("B"), "lv6", "bob")
    out = _resume(agent, out.interrupts[0].id, _edit("C"), "lv6", "carol")
    out = _resume(agent, out.interrupts[0].id, _edit("D"), "lv6", "dave")
    (last,) = out.interrupts
    assert last.value["approvals"] == 1  # dave's own edit counts on its follow-up
    out = _resume(agent, last.id, {"type": "approve"}, "lv6", "erin")
    assert not out.interrupts
    assert [c[1]["body"] for c in runs.calls] == ["D"]
