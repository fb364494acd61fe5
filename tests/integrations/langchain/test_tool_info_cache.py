"""A tool's ToolInfo is kept between calls (guard_tools, the middleware); a change is seen."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from langchain_core.tools import BaseTool, tool

from guardrails import ApprovalRequired
from integrations.langchain import guard_tools
from tests.integrations.langchain.conftest import cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply


def _refund_tool() -> BaseTool:
    @tool
    def refund(amount: int) -> str:
        """Refund an amount."""
        return f"refunded {amount}"

    return refund


def _tag_in_place(t: BaseTool) -> None:
    assert t.tags is not None
    t.tags.append("privileged")


def _tag_new_list(t: BaseTool) -> None:
    t.tags = ["privileged"]


def _meta_in_place(t: BaseTool) -> None:
    assert t.metadata is not None
    t.metadata["privileged"] = True


@pytest.mark.parametrize(
    "change",
    [
        _tag_in_place,  # the tags list the cache saw, appended to
        _tag_new_list,  # a new tags list
        _meta_in_place,  # metadata dict changed in place
    ],
)
def test_a_tool_made_privileged_after_a_call_needs_approval(
    change: Callable[[BaseTool], None],
) -> None:
    """A tool tagged privileged after it ran once is gated on its next call."""
    inner = _refund_tool()
    inner.tags, inner.metadata = [], {}
    (g,) = guard_tools([inner], vault_key=b"c" * 32)
    assert g.invoke({"amount": 5}) == "refunded 5"
    change(inner)
    with pytest.raises(ApprovalRequired):
        g.invoke({"amount": 6})


def test_a_tool_no_longer_privileged_runs() -> None:
    """Dropping the tag is seen too: the cached ruling input is not sticky."""
    inner = _refund_tool()
    inner.tags = ["privileged"]
    (g,) = guard_tools([inner], vault_key=b"c" * 32)
    with pytest.raises(ApprovalRequired):
        g.invoke({"amount": 5})
    inner.tags = []
    assert g.invoke({"amount": 6}) == "refunded 6"


def test_a_replaced_inner_tool_is_ruled_as_itself() -> None:
    """Swapping the wrapped tool object is seen (the cache is keyed by the tool object)."""
    first, second = _refund_tool(), _refund_tool()
    first.tags, second.tags = [], ["privileged"]
    (g,) = guard_tools([first], vault_key=b"c" * 32)
    assert g.invoke({"amount": 5}) == "refunded 5"
    g.inner = second
    with pytest.raises(ApprovalRequired):
        g.invoke({"amount": 6})


def test_the_middleware_sees_a_tool_tagged_privileged_between_turns(
    tools, runs, make_agent
) -> None:
    """create_agent: a tool that ran freely is gated once it is tagged privileged in place."""
    model = ScriptedChatModel(
        script=[
            reply("", call("lookup_customer", {"customer_id": "cus_1"}, "l1")),
            reply("found"),
            reply("", call("lookup_customer", {"customer_id": "cus_2"}, "l2")),
            reply("found again"),
        ]
    )
    lookup = tools["lookup_customer"]
    lookup.tags = []
    agent, _ = make_agent(model, [lookup])
    first = agent.invoke({"messages": [{"role": "user", "content": "a"}]}, cfg("tm", "alice"))
    assert runs.count("lookup_customer") == 1
    assert "found" in str(first["messages"][-1].content)
    lookup.tags.append("privileged")
    second = agent.invoke(
        {"messages": [{"role": "user", "content": "b"}]}, cfg("tm", "alice"), version="v2"
    )
    (intr,) = second.interrupts
    assert intr.value["type"] == "tool_approval"
    assert runs.count("lookup_customer") == 1
