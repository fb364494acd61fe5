"""Fixtures for the OpenAI client guard tests: a loopback server and real clients pointed at it."""

from tests.support.fixtures import async_openai_client, openai_client, openai_server

__all__ = ["async_openai_client", "openai_client", "openai_server"]
