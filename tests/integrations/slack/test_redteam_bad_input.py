"""Red team: deeply nested JSON inside a correctly signed Slack body is a named 400, not a 500."""

from __future__ import annotations

import json
from urllib.parse import quote

from fastapi.testclient import TestClient

from integrations.slack import create_slack_app
from tests.integrations.slack.conftest import PATH, SECRET, click_payload
from tests.support.channel_fixtures import open_request
from tests.support.fake_slack import interaction, sign

DEEP = "[" * 5_000 + "]" * 5_000  # 30 KB form-encoded; json gives up past ~1,000 levels


def _signed(body: bytes) -> dict[str, str]:
    _, headers = interaction({}, SECRET)
    headers["x-slack-signature"] = sign(SECRET, body, headers["x-slack-request-timestamp"])
    headers["content-type"] = "application/x-www-form-urlencoded"
    return headers


def test_a_deeply_nested_payload_is_a_400(service, interactions, fanout) -> None:
    """payload=[[[[...]]]]: 400 malformed, nothing decided."""
    request = open_request(service)
    body = b"payload=" + quote(DEEP).encode()
    with TestClient(create_slack_app(interactions), raise_server_exceptions=False) as client:
        res = client.post(PATH, content=body, headers=_signed(body))
    assert res.status_code == 400
    assert res.json()["error"] == "malformed"
    assert service.status(request.id) == "pending"


def test_a_deeply_nested_button_value_is_a_400(service, interactions, fanout) -> None:
    """A click whose button value nests deeply: 400 (no request reference), nothing decided."""
    request = open_request(service)
    payload = click_payload("UBOB", request)
    payload["actions"][0]["value"] = DEEP
    body = b"payload=" + quote(json.dumps(payload)).encode()
    with TestClient(create_slack_app(interactions), raise_server_exceptions=False) as client:
        res = client.post(PATH, content=body, headers=_signed(body))
    assert res.status_code == 400
    assert service.status(request.id) == "pending"


def test_a_non_ascii_signature_is_a_401_bad_signature(service, interactions, fanout, audit) -> None:
    """X-Slack-Signature: v0=<latin-1 byte> from anyone: 401 bad_signature and audited (slack-sdk's
    compare_digest raised TypeError on non-ASCII text: a 500, unaudited)."""
    request = open_request(service)
    body = b"payload=" + quote(json.dumps(click_payload("UBOB", request))).encode()
    headers = _signed(body)
    headers["x-slack-signature"] = "v0=\xe9"  # sent as the byte 0xE9
    with TestClient(create_slack_app(interactions), raise_server_exceptions=False) as client:
        res = client.post(
            PATH,
            content=body,
            headers={k: v.encode("latin-1") for k, v in headers.items()},
        )
    assert res.status_code == 401
    assert res.json()["error"] == "bad_signature"
    assert audit.last("slack.auth_failed").data["code"] == "bad_signature"
    assert service.status(request.id) == "pending"
