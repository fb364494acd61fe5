"""guard_tools calls a plain StructuredTool's function itself; what the function gets is unchanged."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, StructuredTool, tool
from langgraph.constants import TAG_NOSTREAM

from integrations.langchain import guard_tools
from tests.integrations.langchain.conftest import EMAIL


def _wrap(t: BaseTool) -> BaseTool:
    return guard_tools([t], vault_key=b"i" * 32)[0]


def test_a_function_with_a_config_parameter_gets_the_tool_runs_config() -> None:
    """The config parameter (a postponed annotation here) is found and filled, tagged nostream."""
    seen: list[RunnableConfig] = []

    @tool
    def lookup(customer_id: str, config: RunnableConfig) -> str:
        """Look a customer up."""
        seen.append(config)
        return f"{customer_id} {EMAIL}"

    g = _wrap(lookup)
    out = g.invoke({"customer_id": "cus_1"}, {"tags": ["outer"]})
    assert EMAIL not in out
    assert "cus_1" in out
    out = g.invoke({"customer_id": "cus_2"}, {"tags": ["outer"]})  # the second call: cached
    assert "cus_2" in out
    assert len(seen) == 2
    for config in seen:
        assert TAG_NOSTREAM in config["tags"]
        assert "outer" in config["tags"]
        assert config.get("callbacks") is not None


def test_an_async_function_gets_its_config_too() -> None:
    """The coroutine of an async tool is called with the config, and its output redacted."""
    seen: list[RunnableConfig] = []

    @tool
    async def lookup(customer_id: str, config: RunnableConfig) -> str:
        """Look a customer up."""
        seen.append(config)
        return f"{customer_id} {EMAIL}"

    g = _wrap(lookup)
    for i in range(2):
        out = asyncio.run(g.ainvoke({"customer_id": f"cus_{i}"}))
        assert EMAIL not in out
        assert f"cus_{i}" in out
    assert len(seen) == 2
    assert all(TAG_NOSTREAM in c["tags"] for c in seen)


def test_a_function_without_a_config_parameter_gets_only_its_args() -> None:
    """No config argument is added to a function that does not take one (it would raise)."""

    def lookup(customer_id: str) -> str:
        return customer_id

    g = _wrap(StructuredTool.from_function(lookup, name="lookup", description="Look up."))
    assert g.invoke({"customer_id": "cus_1"}) == "cus_1"
    assert g.invoke({"customer_id": "cus_2"}) == "cus_2"


def test_a_replaced_function_is_called_with_its_own_parameters() -> None:
    """A tool's function swapped after a call: the new one runs, its config parameter found."""

    def first(customer_id: str) -> str:
        return "first"

    def second(customer_id: str, cfg: RunnableConfig) -> str:
        return "second " + ("with config" if isinstance(cfg, dict) else "without")

    inner = StructuredTool.from_function(first, name="lookup", description="Look up.")
    g = _wrap(inner)
    assert g.invoke({"customer_id": "cus_1"}) == "first"
    inner.func = second
    assert g.invoke({"customer_id": "cus_1"}) == "second with config"


def test_a_subclass_with_its_own_run_is_run_through_it() -> None:
    """A StructuredTool subclass that overrides _run keeps its _run."""

    class Audited(StructuredTool):
        def _run(self, *args: Any, config: RunnableConfig, **kwargs: Any) -> Any:
            return "via _run: " + super()._run(*args, config=config, **kwargs)

    inner = Audited.from_function(lambda customer_id: customer_id, name="t", description="T.")
    assert _wrap(inner).invoke({"customer_id": "cus_1"}) == "via _run: cus_1"


def test_a_coroutine_only_tool_still_refuses_a_sync_call() -> None:
    """As LangChain's own _run does: no function, no sync invocation."""

    async def lookup(customer_id: str) -> str:
        return customer_id

    g = _wrap(StructuredTool.from_function(coroutine=lookup, name="lookup", description="L."))
    with pytest.raises(NotImplementedError):
        g.invoke({"customer_id": "cus_1"})
    assert asyncio.run(g.ainvoke({"customer_id": "cus_1"})) == "cus_1"
