"""Red team: a batch refused part-way says which decisions were recorded.

The approval store has no undo: in a batch [approve send_email, approve delete_records] where
bob may approve only send_email, his first approval is recorded before the second is refused.
The error used to be only "not authorized", so bob believed the whole batch was refused, and
send_email ran at the next resume on his approval.
"""

from __future__ import annotations

import pytest
from langgraph.types import Command
from pydantic import ValidationError

from guardrails.policy import Policy
from tests.integrations.langchain.conftest import cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply

POLICY = {
    "rules": [
        {
            "name": "mail",
            "tools": ["send_email"],
            "effect": "require_approval",
            "approval": {"approvers": {"users": ["bob", "carol"]}},
        },
        {
            "name": "delete",
            "tools": ["delete_records"],
            "effect": "require_approval",
            "approval": {"approvers": {"users": ["carol"]}},
        },
    ]
}


def test_a_batch_refused_part_way_names_what_was_recorded(tools, runs, make_agent) -> None:
    """The refusal says decision 2 was refused and decision 1 stands (it does: it runs)."""
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
    agent, _ = make_agent(
        model, list(tools.values()), policy=Policy.from_dict(POLICY), interrupt_mode="batched"
    )
    out = agent.invoke(
        {"messages": [{"role": "user", "content": "mail jane.doe@example.com, delete"}]},
        cfg("pb", "alice"),
        version="v2",
    )
    iid = out.interrupts[0].id
    both = {"decisions": [{"type": "approve"}, {"type": "approve"}]}
    with pytest.raises(ValidationError, match=r"decision 2 was refused.*1-1 were recorded"):
        agent.invoke(Command(resume={iid: both}), cfg("pb", "bob"), version="v2")
    assert runs.calls == []
    carol = {"decisions": [{"type": "reject", "message": "no"}]}
    agent.invoke(Command(resume={iid: carol}), cfg("pb", "carol"), version="v2")
    assert [name for name, _ in runs.calls] == ["send_email"]


def test_a_batch_refused_at_its_first_decision_keeps_the_plain_error(
    tools, runs, make_agent
) -> None:
    """Nothing recorded: the refusal is the guard's own message, unchanged."""
    model = ScriptedChatModel(
        script=[
            reply(
                "",
                call("delete_records", {"table": "users"}, "d1"),
                call("send_email", {"to": "<EMAIL_ADDRESS_1>", "body": "hi"}, "s1"),
            ),
            reply("done"),
        ]
    )
    agent, _ = make_agent(
        model, list(tools.values()), policy=Policy.from_dict(POLICY), interrupt_mode="batched"
    )
    out = agent.invoke(
        {"messages": [{"role": "user", "content": "delete, mail jane.doe@example.com"}]},
        cfg("pf", "alice"),
        version="v2",
    )
    both = {"decisions": [{"type": "approve"}, {"type": "approve"}]}
    with pytest.raises(ValidationError) as info:
        agent.invoke(Command(resume={out.interrupts[0].id: both}), cfg("pf", "bob"), version="v2")
    assert "were recorded" not in str(info.value)
    assert "not authorized" in str(info.value)
