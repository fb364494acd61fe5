"""Fixtures for the LangChain integration tests: a redactor, seeded values, tools, an agent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver

from guardrails._clock import FixedClock
from guardrails.audit import AuditLog
from guardrails.redactor import Redactor
from integrations.langchain import GuardrailsMiddleware
from tests.support.fixtures import openai_server  # noqa: F401
from tests.support.langgraph_helpers import ScriptedChatModel

EMAIL = "jane.doe@example.com"
SSN = "536-22-8714"
KEY = b"k" * 32


def _redactor() -> Redactor:
    try:
        r = Redactor()
        r.redact("probe")
        return r
    except Exception:  # default detectors not usable on this machine yet: fall back to fakes
        from tests.guardrails._redaction_fakes import FAKES

        return Redactor(detectors=FAKES)


@pytest.fixture(scope="session")
def redactor() -> Redactor:
    return _redactor()


class Runs:
    """Counts tool executions (what 'ran exactly once' is checked against)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def count(self, name: str) -> int:
        return sum(1 for n, _ in self.calls if n == name)


@pytest.fixture
def runs() -> Runs:
    return Runs()


@pytest.fixture
def tools(runs: Runs) -> dict[str, Any]:
    @tool
    def lookup_customer(customer_id: str) -> str:
        """Look up a customer record by id."""
        runs.calls.append(("lookup_customer", {"customer_id": customer_id}))
        return f'{{"id": "{customer_id}", "email": "{EMAIL}", "ssn": "{SSN}", "plan": "gold"}}'

    @tool
    def send_email(to: str, body: str) -> str:
        """Send an e-mail."""
        runs.calls.append(("send_email", {"to": to, "body": body}))
        return f"sent to {to}"

    @tool
    def delete_records(table: str) -> str:
        """Delete every record of a table."""
        runs.calls.append(("delete_records", {"table": table}))
        return f"deleted {table}"

    send_email.tags = ["privileged"]
    delete_records.metadata = {"privileged": True}
    return {
        "lookup_customer": lookup_customer,
        "send_email": send_email,
        "delete_records": delete_records,
    }


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def make_agent(redactor: Redactor, clock: FixedClock) -> Callable[..., Any]:
    def make(
        model: ScriptedChatModel,
        tools: list[Any],
        *,
        checkpointer: Any = None,
        middleware: list[Any] | None = None,
        **kw: Any,
    ) -> tuple[Any, GuardrailsMiddleware]:
        kw.setdefault("audit", AuditLog(clock=clock))
        mw = GuardrailsMiddleware(redactor=redactor, vault_key=KEY, clock=clock, **kw)
        agent = create_agent(
            model,
            tools,
            middleware=[*(middleware or []), mw],
            checkpointer=checkpointer or InMemorySaver(),
        )
        return agent, mw

    return make


def cfg(thread: str, user: str | None) -> dict[str, Any]:
    conf: dict[str, Any] = {"thread_id": thread}
    if user is not None:
        conf["user_id"] = user
    return {"configurable": conf}
