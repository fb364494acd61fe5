"""Requests the guard cannot make safe: a clear RequestBlocked, and the server records nothing."""

from __future__ import annotations

import httpx2
import pytest

from guardrails import ConfigurationError, RequestBlocked
from integrations.openai import CONVERSATION_HEADER, guard_openai
from tests.integrations.openai._seeds import EMAIL, PHONE
from tests.support.openai_server import OpenAIServer


def _raw_post(client, path: str, content: bytes, ctype: str) -> None:
    """Send bytes through the guarded client's own HTTP client (what a custom call would do)."""
    client._client.post(
        f"{client.base_url}{path.lstrip('/')}", content=content, headers={"content-type": ctype}
    )


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"extra_body": {"top_k": EMAIL}}, "top_k"),  # a parameter the SDK does not know
        ({"extra_body": {"guided_json": {"a": 1}}}, "guided_json"),  # vLLM-only parameter
    ],
)
def test_unsupported_parameter_blocked(guarded, openai_server: OpenAIServer, kwargs, where) -> None:
    """An unknown top-level parameter is refused by name and nothing is sent."""
    with pytest.raises(RequestBlocked, match="unsupported parameter") as err:
        guarded.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], **kwargs
        )
    assert err.value.where == where
    assert EMAIL not in str(err.value)
    assert openai_server.requests == []


def test_unknown_message_field_blocked(guarded, openai_server: OpenAIServer) -> None:
    """A message field without a rule is refused with its path, never its value."""
    with pytest.raises(RequestBlocked) as err:
        guarded.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi", "reasoning_content": EMAIL}]
        )
    assert err.value.where == "messages[0].reasoning_content"
    assert EMAIL not in str(err.value)
    assert openai_server.requests == []


@pytest.mark.parametrize(
    ("path", "content", "ctype"),
    [
        (
            "chat/completions",
            b"not json at all " + EMAIL.encode(),
            "application/json",
        ),  # broken JSON
        ("chat/completions", EMAIL.encode(), "text/plain"),  # not JSON at all
        ("embeddings", b"[1, 2", "application/json"),  # truncated JSON
    ],
)
def test_non_json_body_blocked(guarded, openai_server: OpenAIServer, path, content, ctype) -> None:
    """A body that is not valid JSON is refused, and its content is not echoed."""
    with pytest.raises(RequestBlocked) as err:
        _raw_post(guarded, path, content, ctype)
    assert EMAIL not in str(err.value)
    assert openai_server.requests == []


def test_oversized_request_blocked(openai_client, redactor, openai_server: OpenAIServer) -> None:
    """A body over max_body_bytes is refused before it is parsed."""
    from guardrails import SessionStore

    client = guard_openai(openai_client, max_body_bytes=1000, store=SessionStore(redactor))
    with pytest.raises(RequestBlocked, match="max_body_bytes"):
        client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x" * 2000}]
        )
    assert openai_server.requests == []


def test_unknown_endpoint_blocked_by_default(guarded, openai_server: OpenAIServer) -> None:
    """A POST to an endpoint the guard does not understand is refused (fail closed)."""
    with pytest.raises(RequestBlocked, match="not an endpoint the guard understands"):
        guarded.moderations.create(input=f"mail {EMAIL}")
    assert openai_server.requests == []


def test_unknown_endpoint_redacted_when_configured(
    openai_client, redactor, openai_server: OpenAIServer
) -> None:
    """With on_unknown='redact', an unknown endpoint's JSON is redacted generically."""
    from guardrails import SessionStore

    client = guard_openai(openai_client, on_unknown="redact", store=SessionStore(redactor))
    with pytest.raises(Exception):  # the loopback server has no /moderations route (404)
        client.moderations.create(input=f"mail {EMAIL} plan B-42")
    [req] = openai_server.requests
    assert EMAIL not in req.text
    assert "plan B-42" in req.text


def test_multipart_upload_blocked(guarded, openai_server: OpenAIServer) -> None:
    """A file upload cannot be inspected: refused unless its path is allowed."""
    with pytest.raises(RequestBlocked):
        guarded.files.create(file=("notes.txt", EMAIL.encode()), purpose="assistants")
    assert openai_server.requests == []


@pytest.mark.parametrize(
    "content",
    [
        [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
        ],  # inline image
        [
            {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}
        ],  # inline audio
        [{"type": "file", "file": {"file_data": "JVBERi0=", "filename": "a.pdf"}}],  # inline file
    ],
)
def test_inline_binary_blocked(guarded, openai_server: OpenAIServer, content) -> None:
    """Inline binary content cannot be scanned: refused by default."""
    with pytest.raises(RequestBlocked, match="binary"):
        guarded.chat.completions.create(model="m", messages=[{"role": "user", "content": content}])
    assert openai_server.requests == []


def test_image_url_is_redacted_not_blocked(guarded, openai_server: OpenAIServer) -> None:
    """A plain https image URL is text: redacted, sent."""
    url = f"https://admin:S3cretPassw0rd@img.example.com/a.png?owner={EMAIL}"
    guarded.chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}],
    )
    wire = openai_server.wire_text()
    assert "S3cretPassw0rd" not in wire
    assert EMAIL not in wire


def test_token_array_embeddings_blocked(guarded, openai_server: OpenAIServer) -> None:
    """Token arrays encode text we cannot read: refused."""
    with pytest.raises(RequestBlocked, match="token-array"):
        guarded.embeddings.create(model="e", input=[[1, 2, 3]])
    assert openai_server.requests == []


def test_sensitive_query_parameter_blocked(guarded, openai_server: OpenAIServer) -> None:
    """A GET whose query holds sensitive data is refused."""
    with pytest.raises(RequestBlocked, match="query parameter"):
        guarded._client.get(f"{guarded.base_url}models", params={"owner": EMAIL})
    assert openai_server.requests == []


def test_bodyless_get_passes(guarded, openai_server: OpenAIServer) -> None:
    """A plain GET (no body, nothing sensitive) goes through."""
    response = guarded._client.get(f"{guarded.base_url}models")
    assert response.status_code == 404  # the loopback server has no such route; it was sent
    assert len(openai_server.requests) == 1


def test_conversation_header_not_forwarded(guarded, openai_server: OpenAIServer) -> None:
    """The per-request conversation header is consumed by the guard, not sent on."""
    guarded.embeddings.create(model="e", input=PHONE, extra_headers={CONVERSATION_HEADER: "c9"})
    assert CONVERSATION_HEADER not in openai_server.requests[0].headers


def test_guarding_twice_refused(guarded) -> None:
    """Wrapping an already guarded client is a configuration error."""
    with pytest.raises(ConfigurationError, match="already guarded"):
        guard_openai(guarded)


@pytest.mark.parametrize(
    "client",
    [
        object(),  # not a client at all
        httpx2.Client(),  # an HTTP client, not an OpenAI client
    ],
)
def test_wrong_client_type_refused(client) -> None:
    """guard_openai only accepts openai clients."""
    with pytest.raises(ConfigurationError):
        guard_openai(client)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"on_unknown": "allow"},  # not a mode
        {"binary": "maybe"},  # not a mode
        {"max_body_bytes": 0},  # nothing could be sent
        {"pass_params": "top_k"},  # one string instead of a collection
    ],
)
def test_bad_settings_refused(openai_client, kwargs) -> None:
    """Invalid settings raise ConfigurationError when the guard is built."""
    with pytest.raises(ConfigurationError):
        guard_openai(openai_client, **kwargs)


def test_detector_failure_fails_closed(openai_client, openai_server: OpenAIServer) -> None:
    """A detector that crashes blocks the request with RedactionError; nothing is sent."""
    from guardrails import RedactionError, Redactor, SessionStore

    class Broken:
        name = "broken"
        entities = frozenset({"PERSON"})

        def detect(self, text: str) -> list:
            raise RuntimeError(f"boom on {text}")

    store = SessionStore(Redactor(extra_detectors=[Broken()]))
    client = guard_openai(openai_client, store=store)
    with pytest.raises(RedactionError) as err:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": EMAIL}])
    assert EMAIL not in str(err.value)
    assert openai_server.requests == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"extra_body": {EMAIL: 1}},  # an e-mail used as a parameter name
        {
            "messages": [{"role": "user", "content": "hi", EMAIL: "x"}]
        },  # ... as a message field name
    ],
)
def test_sensitive_key_names_not_echoed(guarded, openai_server: OpenAIServer, kwargs) -> None:
    """Field names in error messages are redacted too; nothing is sent."""
    kwargs.setdefault("messages", [{"role": "user", "content": "hi"}])
    with pytest.raises(RequestBlocked) as err:
        guarded.chat.completions.create(model="m", **kwargs)
    assert EMAIL not in str(err.value)
    assert EMAIL not in err.value.where
    assert openai_server.requests == []
