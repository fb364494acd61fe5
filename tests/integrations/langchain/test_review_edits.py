"""Edits that need a second approval, through the middleware: the edited call is what runs."""

from __future__ import annotations

from typing import Any

from langgraph.types import Command

from guardrails.policy import Policy
from tests.integrations.langchain.conftest import cfg
from tests.integrations.langchain.test_approvals import _paused

_QUORUM_TWO = {
    "rules": [
        {
            "name": "two",
            "tools": ["send_email"],
            "effect": "require_approval",
            "approval": {"quorum": 2},
        }
    ]
}
_EDIT = {
    "type": "edit",
    "edited_action": {"name": "send_email", "args": {"to": "<EMAIL_ADDRESS_1>", "body": "EDITED"}},
}


def test_edit_needing_quorum_runs_the_edited_args_once_approved(tools, runs, make_agent) -> None:
    """bob edits (quorum 2 again), carol approves: the edited body runs, never the original."""
    policy = Policy.from_dict(_QUORUM_TWO)
    agent, _, iid = _paused(make_agent, tools, thread="te", policy=policy)
    out = agent.invoke(Command(resume={iid: _EDIT}), cfg("te", "bob"), version="v2")
    assert runs.calls == []
    (second,) = out.interrupts
    # carol is asked about the edited call (its request, its args), not the replaced one
    assert second.value["args"]["body"] == "<hidden>"
    agent.invoke(Command(resume={second.id: {"type": "approve"}}), cfg("te", "carol"), version="v2")
    assert [c[1]["body"] for c in runs.calls] == ["EDITED"]


def test_a_masked_edit_survives_a_restart_before_its_follow_up_is_approved(
    tools, runs, make_agent, clock
) -> None:
    """protect(): bob's edit names a new address (masked into the vault as the resume is sent);
    the follow-up waits; a new process resumes with carol's approval: the tool gets the address
    (the vault that learned it was saved with the resume, not only in bob's process)."""
    from langgraph.checkpoint.memory import InMemorySaver

    from guardrails.approvals import ApprovalService
    from guardrails.audit import AuditLog
    from guardrails.guard import MemoryLedger
    from tests.support.langgraph_helpers import ScriptedChatModel, call, reply

    new = "new.person@example.org"
    policy = Policy.from_dict(
        {**_QUORUM_TWO, "tools": {"send_email": {"restore": ["EMAIL_ADDRESS"]}}}
    )
    svc = ApprovalService(policy, audit=AuditLog(clock=clock), clock=clock)
    saver, ledger = InMemorySaver(), MemoryLedger()

    def process() -> Any:
        model = ScriptedChatModel(
            script=[
                reply("", call("send_email", {"to": "<EMAIL_ADDRESS_1>", "body": "hi"}, "rs1")),
                reply("done"),
            ]
        )
        agent, mw = make_agent(
            model, list(tools.values()), checkpointer=saver, approvals=svc, ledger=ledger
        )
        return mw.protect(agent)

    first = process()
    out = first.invoke(
        {"messages": [{"role": "user", "content": "mail jane.doe@example.com"}]},
        cfg("rs", "alice"),
        version="v2",
    )
    edit = {
        "type": "edit",
        "edited_action": {"name": "send_email", "args": {"to": new, "body": "x"}},
    }
    out = first.invoke(Command(resume={out.interrupts[0].id: edit}), cfg("rs", "bob"), version="v2")
    (second,) = out.interrupts
    restarted = process()  # a new process: its own vault cache and guard memory
    restarted.invoke(
        Command(resume={second.id: {"type": "approve"}}), cfg("rs", "carol"), version="v2"
    )
    assert runs.calls == [("send_email", {"to": new, "body": "x"})]
