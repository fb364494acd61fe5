"""Fetched Bot Framework keys: a real loopback server stands in for Microsoft's OpenID metadata
and JWKS. Unknown key ids cannot turn each request into a fetch; a failed re-read keeps the
keys already loaded; rotation is picked up."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from integrations.teams import BotFrameworkAuth
from integrations.teams import _auth as auth_module
from integrations.teams._auth import BotAuthFailed
from tests.integrations.teams.conftest import APP_ID, SERVICE_URL, Keys

ACTIVITY = {"channelId": "msteams", "serviceUrl": SERVICE_URL}


class _Server:
    """Serves /openid (pointing at /jwks) and /jwks; counts requests; can be made to fail."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.jwks = jwks
        self.hits: list[str] = []
        self.fail = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits.append(self.path)
                if outer.fail:
                    self.send_response(503)
                    self.end_headers()
                    return
                base = f"http://127.0.0.1:{self.server.server_address[1]}"
                doc = {"jwks_uri": base + "/jwks"} if self.path == "/openid" else outer.jwks
                body = json.dumps(doc).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/openid"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(keys: Keys) -> Iterator[_Server]:
    s = _Server(keys.jwks)
    yield s
    s.close()


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    c = _Clock()
    monkeypatch.setattr(auth_module.time, "monotonic", c)
    return c


def test_unknown_key_ids_fetch_at_most_once_a_minute(
    server: _Server, keys: Keys, clock: _Clock
) -> None:
    auth = BotFrameworkAuth(app_id=APP_ID, openid_metadata=server.url)
    assert auth.verify(keys.token(), ACTIVITY)["aud"] == APP_ID
    assert server.hits == ["/openid", "/jwks"]
    for i in range(50):  # a flood of tokens naming keys nobody published
        with pytest.raises(BotAuthFailed) as refused:
            auth.verify(keys.token(key=keys.other, kid=f"evil-{i}"), ACTIVITY)
        assert refused.value.code == "unknown_key"
    assert len(server.hits) == 2  # the keys were read just now: no unknown kid re-reads them
    clock.now += auth_module.REFETCH_MIN_INTERVAL
    for i in range(50):
        with pytest.raises(BotAuthFailed):
            auth.verify(keys.token(key=keys.other, kid=f"evil-late-{i}"), ACTIVITY)
    assert len(server.hits) == 4  # a minute later the first one re-reads them once
    assert auth.verify(keys.token(), ACTIVITY)["aud"] == APP_ID  # known keys never fetch
    assert len(server.hits) == 4


def test_a_rotated_key_is_picked_up_and_a_failed_reread_keeps_the_loaded_keys(
    server: _Server, keys: Keys, clock: _Clock
) -> None:
    from jwt.algorithms import RSAAlgorithm

    auth = BotFrameworkAuth(app_id=APP_ID, openid_metadata=server.url)
    assert auth.verify(keys.token(), ACTIVITY)
    rotated = json.loads(RSAAlgorithm.to_jwk(keys.other.public_key()))
    rotated.update({"kid": "bf-2", "endorsements": ["msteams"]})
    server.jwks = {"keys": [*keys.jwks["keys"], rotated]}
    clock.now += auth_module.REFETCH_MIN_INTERVAL
    assert auth.verify(keys.token(key=keys.other, kid="bf-2"), ACTIVITY)  # fetched on demand
    server.fail = True
    clock.now += auth_module.REFRESH_AFTER  # the daily re-read fails: keep what we have
    assert auth.verify(keys.token(), ACTIVITY)
    assert server.hits[-1] == "/openid"


def test_no_keys_at_all_fails_closed_and_retries_sparingly(
    server: _Server, keys: Keys, clock: _Clock
) -> None:
    server.fail = True
    auth = BotFrameworkAuth(app_id=APP_ID, openid_metadata=server.url)
    for _ in range(20):
        with pytest.raises(BotAuthFailed) as refused:
            auth.verify(keys.token(), ACTIVITY)
        assert refused.value.code == "jwks"
    assert server.hits == ["/openid"]
    server.fail = False
    clock.now += auth_module.RETRY_MIN_INTERVAL
    assert auth.verify(keys.token(), ACTIVITY)["aud"] == APP_ID
