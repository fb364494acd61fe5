"""Red team: a deeply nested JSON body (anyone can send one, before the token is checked) is a
named 400, never a 500 with a traceback in the server log."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.channel_fixtures import open_request

DEEP = b"[" * 30_000 + b"]" * 30_000  # 60 KB, under the 64 KB limit


def test_a_deeply_nested_body_without_a_token_is_a_400(service, bot) -> None:
    """Python's json gives up on deep nesting with RecursionError: answered 400 malformed."""
    from integrations.teams import create_teams_app

    request = open_request(service)
    with TestClient(create_teams_app(bot), raise_server_exceptions=False) as client:
        res = client.post(
            "/api/messages", content=DEEP, headers={"content-type": "application/json"}
        )
    assert res.status_code == 400
    assert res.json()["value"]["code"] == "malformed"
    assert service.status(request.id) == "pending"


def test_a_deeply_nested_object_value_is_a_400(service, bot) -> None:
    """Nested inside an object too (the activity's shape does not matter)."""
    body = b'{"type":"invoke","value":' + DEEP[:50_000] + b"}"
    res = bot.handle({"content-type": "application/json"}, body)
    assert res.status == 400
    assert service.status(open_request(service).id) == "pending"
