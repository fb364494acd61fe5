"""Who the run is for: LangGraph platform auth first, then configurable.user_id."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from integrations.langgraph import call_context, default_user


@pytest.mark.parametrize(
    ("configurable", "user"),
    [
        (
            {"langgraph_auth_user": SimpleNamespace(identity="u-1"), "user_id": "spoof"},
            "u-1",
        ),  # platform auth wins
        ({"langgraph_auth_user": {"identity": "u-2"}}, "u-2"),  # auth user as a dict
        ({"user_id": "alice"}, "alice"),  # an app that authenticates its own users
        ({"langgraph_auth_user": SimpleNamespace(identity="")}, None),  # empty identity is nobody
        ({}, None),  # anonymous run
    ],
)
def test_default_user(configurable, user) -> None:
    """The authenticated user of a run, or None."""
    assert default_user({"configurable": configurable}) == user


def test_call_context_separates_requester_and_approver() -> None:
    """The requester comes from the thread; the approver is the run's own user."""
    ctx = call_context(
        {"configurable": {"thread_id": "t", "user_id": "bob"}, "run_id": "r"}, requester="alice"
    )
    assert (ctx.thread_id, ctx.run_id, ctx.requester, ctx.approver) == ("t", "r", "alice", "bob")
