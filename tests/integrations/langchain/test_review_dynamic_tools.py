"""A privileged tool an inner middleware adds and runs is still gated by an outer guard."""

from __future__ import annotations

from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import AgentMiddleware
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from integrations.langchain import GuardrailsMiddleware
from tests.integrations.langchain.conftest import KEY, cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply


def _wire(ran: list[int]) -> Any:
    @tool
    def wire(amount: int) -> str:
        """Wire money."""
        ran.append(amount)
        return "wired"

    wire.tags = ["privileged"]
    return wire


class _DynamicTools(AgentMiddleware):
    """Offers a tool at run time and executes it itself (the LangChain dynamic-tools pattern)."""

    def __init__(self, extra: Any) -> None:
        super().__init__()
        self.extra = extra

    def wrap_model_call(self, request: Any, handler: Any) -> Any:
        return handler(request.override(tools=[*request.tools, self.extra]))

    def wrap_tool_call(self, request: Any, handler: Any) -> Any:
        if request.tool_call["name"] == self.extra.name:
            return handler(request.override(tool=self.extra))
        return handler(request)


@pytest.mark.parametrize("mode", ["per_call", "batched"])
def test_guard_listed_before_the_middleware_adding_the_tool_still_gates_it(redactor, mode) -> None:
    """GuardrailsMiddleware first (outer): the unseen privileged tool waits for approval."""
    ran: list[int] = []
    model = ScriptedChatModel(script=[reply("", call("wire", {"amount": 5}, "w1")), reply("ok")])
    mw = GuardrailsMiddleware(redactor=redactor, vault_key=KEY, interrupt_mode=mode)
    agent = create_agent(
        model, [], middleware=[mw, _DynamicTools(_wire(ran))], checkpointer=InMemorySaver()
    )
    out = agent.invoke(
        {"messages": [{"role": "user", "content": "wire 5"}]}, cfg("dy", "alice"), version="v2"
    )
    assert ran == []
    (pending,) = out.interrupts
    decision: Any = {"type": "approve"}
    if mode == "batched":
        decision = {"decisions": [decision]}
    agent.invoke(Command(resume={pending.id: decision}), cfg("dy", "bob"), version="v2")
    assert ran == [5]
