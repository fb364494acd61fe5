"""Adversarial review of the OpenAI guard: raw values hidden where the guard might not look."""

from __future__ import annotations

import contextlib

import pytest

from guardrails import RequestBlocked
from tests.integrations.openai._seeds import EMAIL, FRAGMENTS, GITHUB_TOKEN
from tests.support.openai_server import OpenAIServer

MSG = [{"role": "user", "content": "hello"}]


def _leaked(server: OpenAIServer) -> list[str]:
    wire = server.wire_text()
    return [f for f in FRAGMENTS if f in wire]


def _tool(description: str, enum: list[str] | None = None) -> dict:
    prop: dict = {"type": "string", "description": f"who to notify, e.g. {EMAIL}"}
    if enum is not None:
        prop["enum"] = enum
    return {
        "type": "function",
        "function": {
            "name": "notify",
            "description": description,
            "parameters": {"type": "object", "properties": {"to": prop}},
        },
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        # a tool description built from user data
        {"tools": [_tool(f"Notify {EMAIL} when done")]},
        # an enum of customer addresses
        {"tools": [_tool("Notify someone", enum=[EMAIL, "ops@corp.test"])]},
        # a response_format JSON schema with an example
        {
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": "contact",
                    "schema": {"type": "object", "examples": [{"email": EMAIL}]},
                },
            }
        },
        # the legacy `functions` parameter
        {"functions": [{"name": "f", "description": f"token {GITHUB_TOKEN}", "parameters": {}}]},
    ],
)
def test_tool_and_schema_text_does_not_leak(
    guarded, openai_server: OpenAIServer, kwargs: dict
) -> None:
    """Strings inside tool definitions and response schemas are redacted or the call is refused."""
    with contextlib.suppress(RequestBlocked):
        guarded.chat.completions.create(model="m", messages=MSG, **kwargs)
    assert _leaked(openai_server) == []


def test_responses_text_format_schema_does_not_leak(guarded, openai_server: OpenAIServer) -> None:
    """A Responses ``text.format`` JSON schema carrying an example value does not leak it."""
    fmt = {
        "format": {
            "type": "json_schema",
            "name": "c",
            "schema": {"type": "object", "description": f"contact {EMAIL}"},
        }
    }
    with contextlib.suppress(RequestBlocked):
        guarded.responses.create(model="m", input="hello", text=fmt)
    assert _leaked(openai_server) == []


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Customer-Email": EMAIL},  # an app-added header
        {"OpenAI-Organization": GITHUB_TOKEN},  # a standard header abused
    ],
)
def test_extra_headers_do_not_leak(guarded, openai_server: OpenAIServer, headers: dict) -> None:
    """A sensitive value in a request header is refused, never sent."""
    with pytest.raises(RequestBlocked) as err:
        guarded.chat.completions.create(model="m", messages=MSG, extra_headers=headers)
    assert EMAIL not in str(err.value)
    assert GITHUB_TOKEN not in str(err.value)
    assert openai_server.requests == []


def test_sensitive_value_in_url_path_does_not_leak(guarded, openai_server: OpenAIServer) -> None:
    """A sensitive value in a bodyless request's path (an id built from an e-mail) is refused."""
    with pytest.raises(RequestBlocked):
        guarded.files.retrieve(EMAIL)
    assert openai_server.requests == []


def test_duplicate_json_keys_send_only_the_redacted_value(
    guarded, openai_server: OpenAIServer
) -> None:
    """A body with a duplicated key is re-encoded: the server never sees the shadowed raw copy."""
    body = (
        b'{"model":"m","messages":[{"role":"user","content":"'
        + EMAIL.encode()
        + b'","content":"hi"}]}'
    )
    with contextlib.suppress(RequestBlocked):
        guarded._client.post(
            f"{guarded.base_url}chat/completions",
            content=body,
            headers={"content-type": "application/json"},
        )
    assert _leaked(openai_server) == []


def test_utf16_json_body_is_redacted(guarded, openai_server: OpenAIServer) -> None:
    """A UTF-16 JSON body (which json.loads accepts) is still redacted before it is sent."""
    body = ('{"model":"m","messages":[{"role":"user","content":"mail ' + EMAIL + '"}]}').encode(
        "utf-16"
    )
    with contextlib.suppress(RequestBlocked):
        guarded._client.post(
            f"{guarded.base_url}chat/completions",
            content=body,
            headers={"content-type": "application/json"},
        )
    assert EMAIL not in openai_server.wire_text()
    assert EMAIL.encode("utf-16-le") not in b"".join(r.body for r in openai_server.requests)
