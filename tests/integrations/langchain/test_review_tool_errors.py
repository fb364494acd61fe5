"""A tool's exception message is masked before LangGraph checkpoints it or LangChain shows it."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from langchain_core.tools import ToolException, tool
from langgraph.checkpoint.sqlite import SqliteSaver

from guardrails import RedactionError
from integrations.langchain import guard_tools
from tests.integrations.langchain.conftest import EMAIL, cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply


class _Loud(Exception):
    """An exception whose text is built from an attribute, not from its args."""

    def __init__(self, who: str) -> None:
        super().__init__("lookup failed")
        self.who = who

    def __str__(self) -> str:
        return f"lookup failed for {self.who}"

    __repr__ = __str__


@tool
def failing(customer_id: str) -> str:
    """Look a customer up (fails naming the record)."""
    raise ValueError(f"no customer {EMAIL} for {customer_id}")


@tool
async def afailing(customer_id: str) -> str:
    """Async: look a customer up (fails naming the record)."""
    raise ValueError(f"no customer {EMAIL} for {customer_id}")


@tool
def loud(customer_id: str) -> str:
    """Fails with a custom __str__."""
    raise _Loud(EMAIL)


def _dump(conn: sqlite3.Connection) -> bytes:
    out = b""
    for table in ("checkpoints", "writes"):
        for row in conn.execute(f"SELECT * FROM {table}").fetchall():
            out += b"".join(c if isinstance(c, bytes) else str(c).encode() for c in row)
    return out


def _agent(make_agent: Any, fn: Any, tmp_path: Path) -> tuple[Any, sqlite3.Connection]:
    model = ScriptedChatModel(script=[reply("", call(fn.name, {"customer_id": "c1"})), reply("x")])
    conn = sqlite3.connect(tmp_path / "cp.sqlite", check_same_thread=False)
    agent, _ = make_agent(model, [fn], checkpointer=SqliteSaver(conn))
    return agent, conn


def test_a_tool_error_never_puts_a_raw_value_in_a_checkpoint(make_agent, tmp_path) -> None:
    """The error LangGraph saves (and the caller gets) names a placeholder, same class."""
    agent, conn = _agent(make_agent, failing, tmp_path)
    with pytest.raises(ValueError, match="EMAIL_ADDRESS") as info:
        agent.invoke({"messages": [{"role": "user", "content": "look up c1"}]}, cfg("te1", "a"))
    assert EMAIL not in repr(info.value)
    assert EMAIL.encode() not in _dump(conn)
    assert EMAIL not in repr(list(agent.get_state_history(cfg("te1", "a"))))


def test_an_async_tool_error_never_puts_a_raw_value_in_a_checkpoint(make_agent, tmp_path) -> None:
    """Same through ainvoke / awrap_tool_call, with the async SQLite saver."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    async def go() -> BaseException:
        async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "a.sqlite")) as saver:
            model = ScriptedChatModel(
                script=[reply("", call("afailing", {"customer_id": "c1"})), reply("x")]
            )
            agent, _ = make_agent(model, [afailing], checkpointer=saver)
            with pytest.raises(ValueError, match="EMAIL_ADDRESS") as info:
                await agent.ainvoke(
                    {"messages": [{"role": "user", "content": "go"}]}, cfg("te4", "a")
                )
            history = [h async for h in agent.aget_state_history(cfg("te4", "a"))]
            assert EMAIL not in repr(history)
            return info.value

    err = asyncio.run(go())
    assert EMAIL not in repr(err)
    assert EMAIL.encode() not in _dump(sqlite3.connect(tmp_path / "a.sqlite"))


def test_an_error_whose_own_text_holds_a_value_is_withheld(make_agent, tmp_path) -> None:
    """A custom __str__ cannot be masked in place: a RedactionError naming the class replaces it."""
    agent, conn = _agent(make_agent, loud, tmp_path)
    with pytest.raises(RedactionError, match="_Loud") as info:
        agent.invoke({"messages": [{"role": "user", "content": "go"}]}, cfg("te2", "alice"))
    assert EMAIL not in repr(info.value)
    assert EMAIL.encode() not in _dump(conn)


def test_guard_tools_tool_exception_output_is_masked() -> None:
    """A ToolException LangChain turns into the tool's output is masked too."""

    @tool
    def lookup(customer_id: str) -> str:
        """Look a customer up."""
        raise ToolException(f"customer {EMAIL} is locked")

    lookup.handle_tool_error = True
    (wrapped,) = guard_tools([lookup], vault_key=b"g" * 32)
    out = wrapped.invoke(
        {"name": "lookup", "args": {"customer_id": "c1"}, "id": "x1", "type": "tool_call"},
        {"configurable": {"thread_id": "te3"}},
    )
    assert EMAIL not in str(out.content)
    assert "<EMAIL_ADDRESS_1>" in str(out.content)
