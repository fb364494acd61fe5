"""Azure OpenAI paths, WebSocket APIs (which bypass HTTP) and the guarded client's identity."""

from __future__ import annotations

import pytest

from integrations.openai import guard_of, guard_openai
from tests.integrations.openai._seeds import EMAIL, assert_clean, chat_history
from tests.support.openai_server import OpenAIServer


@pytest.fixture
def azure(openai_server: OpenAIServer, redactor):
    """A guarded AzureOpenAI client pointed at the loopback server."""
    from openai import AzureOpenAI

    from guardrails import SessionStore

    base = AzureOpenAI(
        azure_endpoint=f"http://127.0.0.1:{openai_server.port}",
        api_version="2024-10-21",
        api_key="azure-test-key",
        max_retries=0,
    )
    client = guard_openai(base, conversation_id="az", store=SessionStore(redactor))
    yield client
    client.close()


def test_azure_deployment_path_redacted(azure, openai_server: OpenAIServer) -> None:
    """Azure's /openai/deployments/{name}/chat/completions is recognised and redacted."""
    azure.chat.completions.create(model="gpt4o-prod", messages=chat_history())
    [req] = openai_server.requests
    assert req.path.startswith("/openai/deployments/gpt4o-prod/chat/completions")
    assert_clean(openai_server.wire_text())


def test_azure_embeddings_redacted(azure, openai_server: OpenAIServer) -> None:
    """Azure embeddings inputs are redacted."""
    azure.embeddings.create(model="emb-prod", input=[EMAIL, "plan B-42"])
    assert EMAIL not in openai_server.wire_text()


def test_guarded_client_keeps_its_type(guarded, openai_client) -> None:
    """The guarded copy is the same client class with the same options."""
    assert type(guarded) is type(openai_client)
    assert guarded.base_url == openai_client.base_url
    assert guard_of(guarded).conversation_id == "c1"


def test_websocket_apis_cannot_reach_the_api(guarded, openai_client) -> None:
    """Realtime/WebSocket APIs bypass HTTP, so the guarded copy points them nowhere."""
    assert openai_client.websocket_base_url is None
    assert str(guarded.websocket_base_url).startswith(
        "wss://websocket-apis-are-not-guarded.invalid"
    )


async def test_async_azure_redacted(openai_server: OpenAIServer, redactor) -> None:
    """AsyncAzureOpenAI is guarded the same way."""
    from openai import AsyncAzureOpenAI

    from guardrails import SessionStore

    base = AsyncAzureOpenAI(
        azure_endpoint=f"http://127.0.0.1:{openai_server.port}",
        api_version="2024-10-21",
        api_key="azure-test-key",
        max_retries=0,
    )
    client = guard_openai(base, store=SessionStore(redactor))
    await client.chat.completions.create(model="dep", messages=chat_history())
    await client.close()
    assert openai_server.requests[0].path.startswith("/openai/deployments/dep/chat/completions")
    assert_clean(openai_server.wire_text())
