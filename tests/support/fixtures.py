"""Pytest fixtures around :mod:`tests.support.openai_server`; import them in a package's conftest.

Each fixture starts its own server on a free 127.0.0.1 port and stops it after the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.openai_server import OpenAIServer

__all__ = ["async_openai_client", "openai_client", "openai_server"]


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A started loopback server; script it with ``openai_server.script(ChatReply(...))``."""
    with OpenAIServer() as server:
        yield server


@pytest.fixture
def openai_client(openai_server: OpenAIServer) -> Iterator[object]:
    """A real ``openai.OpenAI`` client pointed at the loopback server (no retries)."""
    from openai import OpenAI

    client = OpenAI(base_url=openai_server.base_url, api_key="sk-test-key", max_retries=0)
    yield client
    client.close()


@pytest.fixture
async def async_openai_client(openai_server: OpenAIServer) -> AsyncIterator[object]:
    """A real ``openai.AsyncOpenAI`` client pointed at the loopback server (no retries)."""
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=openai_server.base_url, api_key="sk-test-key", max_retries=0)
    yield client
    await client.close()
