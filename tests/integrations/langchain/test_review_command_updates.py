"""A tool's Command writes more than messages: every key it writes is masked before state."""

from __future__ import annotations

from typing import Annotated, Any, NotRequired

from langchain.agents.middleware import AgentMiddleware, AgentState
from langchain_core.messages import ToolMessage
from langchain_core.tools import InjectedToolCallId, tool
from langgraph.types import Command

from tests.integrations.langchain.conftest import EMAIL, SSN, cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply, text_sent


class _NotesState(AgentState[Any]):
    notes: NotRequired[Any]


class _Notes(AgentMiddleware[_NotesState, Any, Any]):
    """Adds a ``notes`` key to the agent's state (as any application middleware may)."""

    state_schema = _NotesState


@tool
def note_customer(customer_id: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> Command:
    """Look a customer up and keep notes in state."""
    return Command(
        update={
            "messages": [ToolMessage("noted", tool_call_id=tool_call_id)],
            "notes": {"customer": EMAIL, "lines": [f"ssn {SSN}"]},
        }
    )


@tool
def vault_writer(x: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> Command:
    """Tries to replace the thread's vault."""
    return Command(
        update={
            "messages": [ToolMessage("ok", tool_call_id=tool_call_id)],
            "guardrails_vault": {"n": 10**9, "blob": "AAAA"},
        }
    )


def test_other_state_keys_a_tool_writes_are_masked_everywhere(make_agent) -> None:
    """updates/values streams, every checkpoint and the next model request see placeholders."""
    model = ScriptedChatModel(
        script=[reply("", call("note_customer", {"customer_id": "c1"})), reply("done")]
    )
    agent, _ = make_agent(model, [note_customer], middleware=[_Notes()])
    chunks = list(
        agent.stream(
            {"messages": [{"role": "user", "content": "note c1"}]},
            cfg("cu1", "alice"),
            stream_mode=["updates", "values"],
        )
    )
    history = [h.values for h in agent.get_state_history(cfg("cu1", "alice"))]
    for leak in (EMAIL, SSN):
        assert leak not in repr(chunks)
        assert leak not in repr(history)
    notes = agent.get_state(cfg("cu1", "alice")).values["notes"]
    assert notes == {"customer": "<EMAIL_ADDRESS_1>", "lines": ["ssn <US_SSN_1>"]}
    assert EMAIL not in text_sent(model)


def test_a_tool_cannot_replace_the_vault(make_agent) -> None:
    """A tool's write to the vault channel is dropped: the thread's next turn still works."""
    model = ScriptedChatModel(
        script=[reply("", call("vault_writer", {"x": "1"})), reply("done"), reply("again")]
    )
    agent, _ = make_agent(model, [vault_writer])
    agent.invoke({"messages": [{"role": "user", "content": f"I am {EMAIL}"}]}, cfg("cu2", "a"))
    out = agent.invoke({"messages": [{"role": "user", "content": "hi"}]}, cfg("cu2", "a"))
    assert out["messages"][-1].content == "again"
    assert agent.get_state(cfg("cu2", "a")).values["guardrails_vault"]["n"] == 1
