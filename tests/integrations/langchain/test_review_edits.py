"""Edits that need a second approval, through the middleware: the edited call is what runs."""

from __future__ import annotations

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
