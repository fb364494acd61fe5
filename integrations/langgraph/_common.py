"""Small pieces shared by the LangGraph glue: tool info, state access, task turn-taking."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage

from guardrails.guard import ToolInfo

__all__ = ["REQUESTER_KEY", "tool_info"]

REQUESTER_KEY = "guardrails_requester"
_OWN_CHANNELS = frozenset({"langgraph", "chat"})


def tool_info(tool: Any, name: str) -> ToolInfo:
    """Name, tags, metadata and description of a LangChain tool (``None``: unknown tool)."""
    if tool is None:
        return ToolInfo(name=name)
    return ToolInfo(
        name=name,
        tags=frozenset(getattr(tool, "tags", None) or ()),
        metadata=dict(getattr(tool, "metadata", None) or {}),
        description=str(getattr(tool, "description", "") or ""),
    )


def _state_get(state: Any, key: str) -> Any:
    if isinstance(state, Mapping):
        return state.get(key)
    return getattr(state, key, None)


def _messages(state: Any) -> list[AnyMessage]:
    if isinstance(state, list):
        return state
    found = _state_get(state, "messages")
    return list(found or [])


def _scope(state: Any, call_id: str) -> str:
    """The id of the AI message that made the call: tells apart call ids a model reuses."""
    for msg in reversed(_messages(state)):
        if isinstance(msg, AIMessage) and any(tc.get("id") == call_id for tc in msg.tool_calls):
            return msg.id or ""
    return ""


_RUNTIME_KEY = "__pregel_runtime"
_SCRATCHPAD = "__pregel_scratchpad"


class _Turns:
    """Whose turn it is to ask, in one multi-call task."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.next = 0


def _redacting_writer(writer: Any, redact: Callable[[Any], Any]) -> Callable[[Any], None]:
    def write(chunk: Any) -> None:
        writer(redact(chunk))

    return write
