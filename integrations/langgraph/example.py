"""An example guarded agent: ``graph`` for ``langgraph.json`` / Studio, ``build_graph()`` for code.

A support agent that looks a customer up by e-mail and issues refunds. ``issue_refund`` is tagged
``privileged``: it waits for a human who is not the requester. The model is ``ChatOpenAI`` when
``OPENAI_API_KEY`` is set (``OPENAI_MODEL``, default ``gpt-4o-mini``; ``OPENAI_BASE_URL`` is
honoured by the client), else a scripted local model, so the example runs offline.

Example:
    >>> from integrations.langgraph.example import build_graph
    >>> from langgraph.checkpoint.memory import InMemorySaver
    >>> g = build_graph(checkpointer=InMemorySaver())
    >>> out = g.invoke({"messages": [{"role": "user", "content": "Refund jane.doe@example.com 40"}]},
    ...                {"configurable": {"thread_id": "doc", "user_id": "alice"}}, version="v2")
    >>> out.interrupts[0].value["name"]
    'issue_refund'
"""

from __future__ import annotations

import json
import os
import re
import zlib
from collections.abc import Sequence
from typing import Any

from langchain.agents import create_agent
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool

from integrations.langchain import GuardrailsMiddleware

__all__ = ["ScriptedSupportModel", "build_graph", "example_policy", "graph", "tools"]

_PLACEHOLDER = re.compile(r"<EMAIL_ADDRESS_\d+>")
_AMOUNT = re.compile(r"\b(\d{1,6})\b")


@tool
def lookup_customer(email: str) -> str:
    """Find a customer record by e-mail address."""
    return json.dumps(
        {
            "customer_id": "cus_8812",
            "name": "Jane Doe",
            "email": email,
            "phone": "+1 415 555 0101",
            "plan": "gold",
            "card": "4111 1111 1111 1111",
        }
    )


@tool
def issue_refund(customer_id: str, amount: int) -> str:
    """Refund ``amount`` dollars to a customer."""
    return f"refund of {amount} issued to {customer_id} (ref RF-{zlib.crc32(f'{customer_id}:{amount}'.encode()) % 10**6:06d})"


issue_refund.tags = ["privileged"]
tools = [lookup_customer, issue_refund]


class ScriptedSupportModel(BaseChatModel):
    """A deterministic local model: look up the e-mail it was given, refund, then summarize.

    It only ever sees placeholders (the middleware redacts before every call) and uses them as a
    real model would.
    """

    @property
    def _llm_type(self) -> str:
        return "scripted-support"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedSupportModel:  # type: ignore[override]
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._next(messages))])

    def _next(self, messages: list[BaseMessage]) -> AIMessage:
        last = messages[-1]
        human = next((m for m in reversed(messages) if m.type == "human"), None)
        text = str(human.content) if human is not None else ""
        if isinstance(last, ToolMessage) and last.status == "error":
            return AIMessage(f"I could not complete that: {last.content}")
        if isinstance(last, ToolMessage) and last.name == "lookup_customer":
            amount = int(next(iter(_AMOUNT.findall(text.replace(",", ""))), "10"))
            customer = json.loads(str(last.content)).get("customer_id", "unknown")
            return AIMessage(
                "",
                tool_calls=[
                    {
                        "name": "issue_refund",
                        "args": {"customer_id": customer, "amount": amount},
                        "id": f"call_refund_{len(messages)}",
                    }
                ],
            )
        if isinstance(last, ToolMessage):
            return AIMessage(f"Done: {last.content}")
        found = _PLACEHOLDER.search(text)
        if found:
            return AIMessage(
                "",
                tool_calls=[
                    {
                        "name": "lookup_customer",
                        "args": {"email": found.group(0)},
                        "id": f"call_lookup_{len(messages)}",
                    }
                ],
            )
        return AIMessage("Tell me the customer's e-mail address and the amount to refund.")


def _model() -> BaseChatModel:
    if os.environ.get("OPENAI_API_KEY"):
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(model=os.environ.get("OPENAI_MODEL", "gpt-4o-mini"))
    return ScriptedSupportModel()


def example_policy() -> Any:
    """The example's policy: the lookup may receive e-mail addresses; refunds need approval."""
    from guardrails.policy import Policy

    return Policy.from_dict({"tools": {"lookup_customer": {"restore": ["EMAIL_ADDRESS"]}}})


def build_graph(
    *, checkpointer: Any = None, model: BaseChatModel | None = None, **middleware: Any
) -> Any:
    """The guarded support agent; keyword arguments go to :class:`GuardrailsMiddleware`."""
    if "approvals" not in middleware and "guard" not in middleware:
        middleware.setdefault("policy", example_policy())
    return create_agent(
        model or _model(),
        tools,
        middleware=[GuardrailsMiddleware(**middleware)],
        checkpointer=checkpointer,
        system_prompt="You are a support agent. Look customers up by e-mail before refunding.",
    )


# LangGraph Studio / `langgraph dev` provide the checkpointer and the authenticated user.
graph = build_graph()
