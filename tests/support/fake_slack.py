"""A loopback fake of the Slack Web API that records every call (real slack-sdk talks to it).

Start it, point ``slack_sdk.WebClient(base_url=fake.base_url)`` at it, and read ``fake.calls``.
It answers the methods the Slack channel uses (``chat.postMessage``, ``chat.update``,
``chat.postEphemeral``, ``views.open``, ``users.info``) the way Slack does (``{"ok": true, ...}``,
``users_not_found`` for an unknown user) and also builds signed interactivity requests, so tests
can click buttons as a given Slack user.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = ["FakeSlack", "SlackCall", "sign"]


@dataclass(frozen=True)
class SlackCall:
    """One recorded Web API call: the method name and its parameters (JSON decoded)."""

    method: str
    params: dict[str, Any]
    token: str | None = None


def sign(secret: str, body: bytes, timestamp: int | str) -> str:
    """The ``X-Slack-Signature`` Slack sends: ``v0=`` + HMAC-SHA256 of ``v0:ts:body``."""
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class FakeSlack:
    """The fake Web API server on ``127.0.0.1:<free port>``; use as a context manager."""

    users: dict[str, str] = field(default_factory=dict)  # Slack user id -> e-mail
    calls: list[SlackCall] = field(default_factory=list)
    fail_methods: set[str] = field(default_factory=set)
    delays: dict[str, float] = field(default_factory=dict)  # method -> seconds (a slow Slack)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _handle(self) -> None:
                url = urlsplit(self.path)
                method = url.path.rsplit("/", 1)[-1]
                params: dict[str, Any] = dict(parse_qsl(url.query))
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                ctype = (self.headers.get("content-type") or "").split(";")[0]
                if raw and ctype == "application/json":
                    params.update(json.loads(raw))
                elif raw:
                    params.update(dict(parse_qsl(raw.decode())))
                for key in ("blocks", "view"):  # form-encoded JSON fields
                    if isinstance(params.get(key), str):
                        params[key] = json.loads(params[key])
                auth = self.headers.get("authorization") or ""
                token = auth.removeprefix("Bearer ") or params.get("token")
                time.sleep(fake.delays.get(method, 0.0))
                answer = fake._answer(method, params)
                with fake._lock:
                    fake.calls.append(SlackCall(method=method, params=params, token=token))
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = _handle
            do_POST = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The Web API base URL for ``WebClient(base_url=...)`` (trailing slash included)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method in self.fail_methods:
            return {"ok": False, "error": "fatal_error"}
        if method == "chat.postMessage":
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": {}}
        if method == "chat.update":
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ts):06d}"}
        if method == "views.open":
            return {"ok": True, "view": {"id": f"V{next(self._ts)}"}}
        if method == "users.info":
            email = self.users.get(str(params.get("user")))
            if email is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": params["user"], "profile": {"email": email}}}
        return {"ok": False, "error": "unknown_method"}

    def of(self, method: str) -> list[SlackCall]:
        """The recorded calls to ``method``, in order."""
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def interaction(
    payload: dict[str, Any], secret: str, *, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """A signed interactivity request as Slack sends it: form body ``payload=<json>`` + headers."""
    body = urlencode({"payload": json.dumps(payload)}).encode()
    ts = int(time.time()) if timestamp is None else timestamp
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": str(ts),
        "x-slack-signature": sign(secret, body, ts),
    }
    return body, headers
