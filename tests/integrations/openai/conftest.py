"""Fixtures for the OpenAI client guard tests: a loopback server, real clients, guarded copies."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.fixtures import async_openai_client, openai_client, openai_server

__all__ = ["async_guarded", "async_openai_client", "guarded", "openai_client", "openai_server"]


@pytest.fixture(scope="session")
def redactor():
    """One built-in Redactor for the module (building detectors is the slow part)."""
    from guardrails import Redactor

    return Redactor()


@pytest.fixture
def guarded(openai_client, redactor) -> Iterator[object]:
    """A guarded sync client bound to conversation ``c1``."""
    from guardrails import SessionStore
    from integrations.openai import guard_openai

    client = guard_openai(openai_client, conversation_id="c1", store=SessionStore(redactor))
    yield client
    client.close()


@pytest.fixture
async def async_guarded(async_openai_client, redactor) -> AsyncIterator[object]:
    """A guarded async client bound to conversation ``c1``."""
    from guardrails import SessionStore
    from integrations.openai import guard_openai

    client = guard_openai(async_openai_client, conversation_id="c1", store=SessionStore(redactor))
    yield client
    await client.close()
