"""Shared test support: a loopback OpenAI-compatible server and fixtures that start it.

Import fixtures into a test package's ``conftest.py``::

    from tests.support.fixtures import openai_server, openai_client, async_openai_client  # noqa: F401
"""
