"""guard_tools: wrapped tools keep their interface and pass langchain-tests' standard tool tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from langchain_core.tools import BaseTool, tool
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests

from guardrails import ApprovalRequired
from integrations.langchain import guard_tools
from tests.integrations.langchain.conftest import EMAIL, SSN


@tool
def customer_card(customer_id: str, verbose: bool = False) -> str:
    """Return a customer's contact card."""
    return f"{customer_id}: {EMAIL} ssn {SSN}" + (" (verbose)" if verbose else "")


@tool
async def async_card(customer_id: str) -> str:
    """Async contact card."""
    return f"{customer_id}: {EMAIL}"


@tool
def wire(amount: int) -> str:
    """Wire money."""
    return f"wired {amount}"


wire.tags = ["privileged"]


def _wrapped(t: BaseTool) -> BaseTool:
    return guard_tools([t], vault_key=b"g" * 32)[0]


class TestGuardedToolUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> BaseTool:
        return _wrapped(customer_card)

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"customer_id": "cus_1"}


class TestGuardedToolIntegration(ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> BaseTool:
        return _wrapped(customer_card)

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"customer_id": "cus_1"}


def test_interface_is_kept() -> None:
    """Name, description, args schema, tags and metadata are the original's."""
    g = _wrapped(wire)
    assert (g.name, g.description, g.tags) == (wire.name, wire.description, wire.tags)
    assert g.tool_call_schema.model_json_schema() == wire.tool_call_schema.model_json_schema()
    assert g.args == wire.args


def test_output_is_redacted_sync_and_async() -> None:
    """The tool's raw output comes back with placeholders, sync and async."""
    g = _wrapped(customer_card)
    out = g.invoke(
        {"name": g.name, "args": {"customer_id": "cus_9"}, "id": "x1", "type": "tool_call"}
    )
    assert EMAIL not in str(out.content)
    assert SSN not in str(out.content)
    assert "cus_9" in str(out.content)


async def test_async_tool_output_is_redacted() -> None:
    """An async-only tool works through ainvoke and is redacted."""
    g = _wrapped(async_card)
    out = await g.ainvoke({"customer_id": "cus_3"})
    assert EMAIL not in out
    assert out.startswith("cus_3")


def test_privileged_tool_outside_a_graph_raises_the_approval_signal() -> None:
    """Without a graph to pause, a gated call raises ApprovalRequired and does not run."""
    g = _wrapped(wire)
    with pytest.raises(ApprovalRequired) as info:
        g.invoke({"amount": 5})
    assert info.value.request.tool_name == "wire"


def test_events_stream_through_the_wrapper() -> None:
    """astream_events still reports the tool's start and end."""
    import asyncio

    g = _wrapped(customer_card)

    async def collect() -> list[str]:
        return [e["event"] async for e in g.astream_events({"customer_id": "c"}, version="v2")]

    events = asyncio.run(collect())
    assert "on_tool_start" in events
    assert "on_tool_end" in events


@tool
def schedule(when: datetime, to: list[str]) -> str:
    """Schedule a mailing."""
    return "scheduled"


schedule.tags = ["privileged"]


def test_args_that_are_not_plain_json_reach_the_reviewer_as_json_and_masked() -> None:
    """Parsed args (a datetime, a list of addresses) are shown as JSON values, PII masked."""
    g = _wrapped(schedule)
    with pytest.raises(ApprovalRequired) as info:
        g.invoke({"when": "2030-01-02T03:04:05", "to": [EMAIL]})
    assert dict(info.value.request.masked_args) == {
        "when": "2030-01-02 03:04:05",
        "to": ["<EMAIL_ADDRESS_1>"],
    }


@pytest.mark.parametrize("use_async", [False, True])
def test_a_model_inside_a_guarded_tool_on_a_plain_tool_node_is_not_streamed_raw(
    use_async: bool,
) -> None:
    """guard_tools on LangGraph's own ToolNode (no middleware, no GuardedToolNode): a model the
    tool calls on raw data writes into LangGraph's ``messages`` stream unless its run is tagged
    ``nostream``; the guarded tool tags its inner run, so only the redacted result is streamed."""
    import asyncio

    from langchain_core.messages import AIMessage
    from langgraph.graph import START, MessagesState, StateGraph
    from langgraph.prebuilt import ToolNode

    from tests.support.langgraph_helpers import ScriptedChatModel, reply

    inner = ScriptedChatModel(script=[reply(f"summary: {EMAIL}")] * 2)

    @tool
    def summarize(x: str) -> str:
        """Summarize a record."""
        return str(inner.invoke(f"summarize {x}").content)

    @tool
    async def asummarize(x: str) -> str:
        """Summarize a record."""
        return str((await inner.ainvoke(f"summarize {x}")).content)

    wrapped = _wrapped(asummarize if use_async else summarize)
    b = StateGraph(MessagesState)
    b.add_node("tools", ToolNode([wrapped]))
    b.add_edge(START, "tools")
    graph = b.compile()
    name = wrapped.name
    start = {
        "messages": [AIMessage("", tool_calls=[{"name": name, "args": {"x": "1"}, "id": "c1"}])]
    }

    async def astream() -> list[Any]:
        return [c async for c in graph.astream(start, stream_mode="messages")]

    chunks = (
        asyncio.run(astream()) if use_async else list(graph.stream(start, stream_mode="messages"))
    )
    assert EMAIL not in repr(chunks)
    assert any(str(m.content) == "summary: <EMAIL_ADDRESS_1>" for m, _ in chunks)


def test_a_model_inside_a_guarded_tool_stays_a_child_of_the_tool_run() -> None:
    """Tagging the inner run keeps tracing intact: the model's run is parented to the tool's."""
    from uuid import UUID

    from langchain_core.callbacks import BaseCallbackHandler

    from tests.support.langgraph_helpers import ScriptedChatModel, reply

    inner = ScriptedChatModel(script=[reply("summary")])

    @tool
    def summarize(x: str) -> str:
        """Summarize a record."""
        return str(inner.invoke(f"summarize {x}").content)

    runs: dict[str, tuple[UUID, UUID | None, list[str]]] = {}

    class Runs(BaseCallbackHandler):
        def on_tool_start(self, serialized: Any, input_str: str, **kw: Any) -> None:
            runs["tool"] = (kw["run_id"], kw.get("parent_run_id"), kw.get("tags") or [])

        def on_chat_model_start(self, serialized: Any, messages: Any, **kw: Any) -> None:
            runs["model"] = (kw["run_id"], kw.get("parent_run_id"), kw.get("tags") or [])

    _wrapped(summarize).invoke({"x": "1"}, config={"callbacks": [Runs()]})
    assert runs["model"][1] == runs["tool"][0]
    assert "nostream" in runs["model"][2]
