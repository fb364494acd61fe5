"""HTTP channel fixtures: a policy with a directory, signing keys + JWKS file, tokens, the app."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm

from guardrails.approvals import ApprovalService
from guardrails.policy import Policy
from guardrails.testing import AuditCapture, FixedClock, capture_audit
from integrations.http import ApiKeys, JWTVerifier, Verifiers, create_app
from tests.support import channel_fixtures
from tests.support.channel_fixtures import channel_policy

ISSUER = "https://idp.test"
AUDIENCE = "guardrails-approvals"
POLICY = channel_policy(
    "http-tests",
    {
        "alice": "{token: [sub-alice]}",
        "bob": "{token: [sub-bob]}",
        "carol": "{token: [sub-carol]}",
        "dave": "{token: [sub-dave]}",
        "agent-1": "{token: [sub-agent]}",
    },
    extra_principals="  - {id: billing-svc, kind: service, groups: [finance], identities: {token: [sub-svc]}}",
)

DEV_KEYS = {
    "dev-key-bob-0123456789abcdef": "sub-bob",
    "dev-key-alice-0123456789abcd": "sub-alice",
    "dev-key-carol-0123456789abcd": "sub-carol",
}


class Keys:
    """An EC signing key published in a JWKS file, plus an unrelated key for forgeries."""

    def __init__(self, tmp: Path) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.other = ec.generate_private_key(ec.SECP256R1())
        jwk = json.loads(ECAlgorithm.to_jwk(self.private.public_key()))
        jwk.update({"kid": "k1", "use": "sig", "alg": "ES256"})
        self.jwks_file = tmp / "jwks.json"
        self.jwks_file.write_text(json.dumps({"keys": [jwk]}))

    def token(self, sub: str, *, key: Any = None, kid: str = "k1", **claims: Any) -> str:
        body = {"sub": sub, "iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 300}
        body.update(claims)
        return jwt.encode(body, key or self.private, algorithm="ES256", headers={"kid": kid})


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    return Keys(tmp_path)


@pytest.fixture
def audit() -> AuditCapture:
    return capture_audit()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def policy() -> Policy:
    return Policy.from_yaml(POLICY)


@pytest.fixture
def service(policy: Policy, audit: AuditCapture) -> ApprovalService:
    # the real clock: JWT expiry is checked against wall time, requests expire in 10 minutes
    return ApprovalService(policy, audit=audit)


@pytest.fixture
def verifier(keys: Keys) -> Verifiers:
    return Verifiers(
        [
            JWTVerifier(
                issuer=ISSUER, audience=AUDIENCE, jwks_file=keys.jwks_file, algorithms=("ES256",)
            ),
            ApiKeys(DEV_KEYS),
        ]
    )


@pytest.fixture
def app(service: ApprovalService, verifier: Verifiers) -> Any:
    return create_app(service, verifier=verifier)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def open_request(service: ApprovalService, tool: str = "refund") -> str:
    """The id of a pending request made for alice (see :func:`channel_fixtures.open_request`)."""
    return channel_fixtures.open_request(service, tool).id


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def as_user(keys: Keys) -> Callable[[str], dict[str, str]]:
    """Authorization headers with a valid JWT for a subject."""
    return lambda sub: bearer(keys.token(sub))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """uvicorn on 127.0.0.1:<free port> in a thread; stopped by :meth:`stop`."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            limit_concurrency=1000,
            backlog=2048,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def server(app: Any) -> Iterator[Server]:
    srv = Server(app).start()
    yield srv
    srv.stop()


def slow_post(port: int, path: str, headers: dict[str, str], *, declared: int = 100) -> bytes:
    """Send a POST's headers and only the start of its declared body, then wait for the answer.

    What a slowloris client does; returns the raw response (a socket timeout after 5 s raises).
    """
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}Content-Length: {declared}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request.encode() + b"{")
        return sock.recv(4096)
