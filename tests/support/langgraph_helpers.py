"""A scripted chat model that records what it was sent, and small tool fixtures for graph tests.

The model is a real :class:`~langchain_core.language_models.BaseChatModel` (so ``create_agent`` can
bind tools to it); it answers from a script and keeps every message list it received, which is
what the "no raw PII reached the model" assertions read.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr

__all__ = ["ScriptedChatModel", "call", "reply", "text_sent"]

_ids = itertools.count(1)


def call(name: str, args: dict[str, Any], call_id: str | None = None) -> dict[str, Any]:
    """One tool call for a scripted reply."""
    return {"name": name, "args": args, "id": call_id or f"call_{next(_ids)}", "type": "tool_call"}


def reply(text: str = "", *calls: dict[str, Any]) -> AIMessage:
    """A scripted AI turn with optional tool calls."""
    return AIMessage(content=text, tool_calls=list(calls))


class ScriptedChatModel(BaseChatModel):
    """Answers with the scripted replies in order; records each request's messages.

    A reply may be a callable taking the messages it was sent (to echo placeholders back, as a
    real model does). When the script runs out, it answers ``"done"``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    script: list[Any] = Field(default_factory=list)
    _sent: list[list[BaseMessage]] = PrivateAttr(default_factory=list)
    _pos: int = PrivateAttr(default=0)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    @property
    def sent(self) -> list[list[BaseMessage]]:
        """Every message list the model received, in order."""
        return self._sent

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:  # type: ignore[override]
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        with self._lock:
            self._sent.append(list(messages))
            item = self.script[self._pos] if self._pos < len(self.script) else AIMessage("done")
            self._pos += 1
        msg: AIMessage = item(messages) if isinstance(item, Callable) else item  # type: ignore[arg-type]
        return ChatResult(generations=[ChatGeneration(message=msg.model_copy())])


def text_sent(model: ScriptedChatModel) -> str:
    """Everything the model was sent, as one string (contents and tool-call args)."""
    parts: list[str] = []
    for messages in model.sent:
        for m in messages:
            parts.append(str(m.content))
            parts.extend(str(tc.get("args")) for tc in getattr(m, "tool_calls", []) or [])
    return "\n".join(parts)
