"""Token verification: JWKS from a URL or a file, one key, API keys; usage mistakes caught early."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest

from guardrails import ConfigurationError
from integrations.http import ApiKeys, AuthenticationFailed, JWTVerifier, Verifiers
from tests.integrations.http.conftest import AUDIENCE, ISSUER


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def jwks_url(keys) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The JWKS document served on loopback, as an identity provider publishes it."""
    body = keys.jwks_file.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()


def test_jwks_from_a_url_verifies_a_token(keys, jwks_url) -> None:
    """Keys fetched from the provider's JWKS URL verify its tokens."""
    verifier = JWTVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_url=jwks_url)
    assert verifier.verify(keys.token("sub-bob")) == "sub-bob"


def test_jwks_url_rejects_a_token_signed_by_another_key(keys, jwks_url) -> None:
    """A forged token with the published kid fails on the signature."""
    verifier = JWTVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_url=jwks_url)
    with pytest.raises(AuthenticationFailed) as err:
        verifier.verify(keys.token("sub-bob", key=keys.other))
    assert err.value.code == "bad_signature"


def test_a_single_key_verifies(keys) -> None:
    """key= takes one public key."""
    verifier = JWTVerifier(
        issuer=ISSUER, audience=AUDIENCE, key=keys.private.public_key(), algorithms=("ES256",)
    )
    assert verifier.verify(keys.token("sub-carol")) == "sub-carol"


def test_a_token_without_a_subject_is_refused(keys) -> None:
    """sub is required."""
    verifier = JWTVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_file=keys.jwks_file)
    token = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60},
        keys.private,
        algorithm="ES256",
        headers={"kid": "k1"},
    )
    with pytest.raises(AuthenticationFailed):
        verifier.verify(token)


def test_hs256_signed_with_the_public_key_is_refused(keys) -> None:
    """Algorithm confusion: an HMAC token keyed with the public JWK does not verify."""
    verifier = JWTVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_file=keys.jwks_file)
    public = json.dumps(json.loads(keys.jwks_file.read_text())["keys"][0]).encode()
    # built by hand: PyJWT itself refuses to sign with a public key as an HMAC secret
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    claims = {"sub": "sub-bob", "iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60}
    body = _b64(json.dumps(claims).encode())
    sig = _b64(hmac.new(public, f"{header}.{body}".encode(), hashlib.sha256).digest())
    token = f"{header}.{body}.{sig}"
    with pytest.raises(AuthenticationFailed):
        verifier.verify(token)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},  # no key source
        {"jwks_url": "http://x/jwks", "key": "k"},  # two key sources
        {"jwks_url": "http://x/jwks", "algorithms": ("HS256",)},  # HMAC with a JWKS
        {"jwks_file": "/nonexistent/jwks.json"},  # unreadable file
    ],
)
def test_usage_mistakes_raise_at_construction(kwargs) -> None:
    """A verifier that could never be safe is refused when built."""
    with pytest.raises(ConfigurationError):
        JWTVerifier(issuer=ISSUER, audience=AUDIENCE, **kwargs)


def test_short_api_keys_are_refused() -> None:
    """A guessable dev key is a configuration error."""
    with pytest.raises(ConfigurationError):
        ApiKeys({"short": "bob"})


def test_verifiers_report_the_jwt_verdict_for_a_jwt(keys) -> None:
    """An expired JWT is reported as expired, not as an unknown API key."""
    both = Verifiers(
        [
            JWTVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_file=keys.jwks_file),
            ApiKeys({"k" * 20: "bob"}),
        ]
    )
    with pytest.raises(AuthenticationFailed) as err:
        both.verify(keys.token("sub-bob", exp=int(time.time()) - 3600))
    assert err.value.code == "expired"
    assert both.verify("k" * 20) == "bob"


def test_failure_messages_do_not_contain_the_token(keys) -> None:
    """The error text names the problem only."""
    token = keys.token("sub-bob", aud="elsewhere")
    verifier = JWTVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_file=keys.jwks_file)
    with pytest.raises(AuthenticationFailed) as err:
        verifier.verify(token)
    assert token not in str(err.value)
    assert token not in repr(err.value)


@pytest.mark.parametrize(
    "token",
    [
        "a.b.c",  # three dots' worth of nothing
        _b64(b"[1]") + "." + _b64(b"{}") + ".sig",  # a header that is not an object
        _b64(b'{"alg":"ES256","kid":"k1"}') + "." + _b64(b"{}") + ".%%%",  # bad signature text
        # an RSA algorithm naming the provider's EC key: PyJWT raises TypeError, not PyJWTError
        _b64(b'{"alg":"RS256","kid":"k1"}') + "." + _b64(b"{}") + "." + _b64(b"x" * 256),
        _b64(b'{"alg":"PS256","kid":"k1"}') + "." + _b64(b"{}") + "." + _b64(b"x" * 256),
    ],
)
def test_a_malformed_token_with_a_jwks_url_is_401_audited_and_counted(
    service, audit, jwks_url, keys, token
) -> None:
    """With keys from a JWKS URL, a token that is not a JWT is 401 malformed, not a 500.

    It is audited and counts toward auth_failures_per_ip like any other bad token, so
    malformed tokens cannot be sent unaudited and past the lockout.
    """
    from fastapi.testclient import TestClient

    from integrations.http import RateLimits, create_app
    from tests.integrations.http.conftest import bearer, open_request

    verifier = JWTVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_url=jwks_url)
    app = create_app(
        service, verifier=verifier, rate_limits=RateLimits(auth_failures_per_ip="2/minute")
    )
    rid = open_request(service)
    with TestClient(app, raise_server_exceptions=False) as client:
        for _ in range(2):
            res = client.post(
                f"/api/requests/{rid}/decision", json={"verdict": "approve"}, headers=bearer(token)
            )
            assert (res.status_code, res.json()["error"]) == (401, "malformed")
            assert audit.last("http.auth_failed").data["code"] == "malformed"
        # the address has spent its failures: the next bad token is refused, unaudited
        res = client.get("/api/me", headers=bearer(token))
        assert res.status_code == 429
        assert len(audit.of_kind("http.auth_failed")) == 2
    assert service.get(rid).status == "pending"


def test_a_key_removed_from_the_jwks_url_stops_verifying(keys) -> None:
    """A signing key the provider withdraws (rotated out, compromised) is refused once the
    fetched set is stale; it is not kept forever in a per-key cache."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from jwt.algorithms import ECAlgorithm

    first = keys.jwks_file.read_bytes()
    replacement = json.loads(
        ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key())
    )
    replacement.update({"kid": "k2", "use": "sig", "alg": "ES256"})
    served = {"body": first}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = served["body"]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        verifier = JWTVerifier(
            issuer=ISSUER,
            audience=AUDIENCE,
            jwks_url=f"http://127.0.0.1:{server.server_address[1]}/jwks.json",
            jwks_cache_seconds=0.2,
        )
        token = keys.token("sub-bob")
        assert verifier.verify(token) == "sub-bob"
        served["body"] = json.dumps({"keys": [replacement]}).encode()  # k1 withdrawn
        time.sleep(0.4)
        with pytest.raises(AuthenticationFailed) as err:
            verifier.verify(keys.token("sub-bob"))
        assert err.value.code == "unknown_key"
    finally:
        server.shutdown()
        server.server_close()


def test_a_hanging_jwks_endpoint_fails_tokens_fast(keys) -> None:
    """An identity provider whose JWKS URL hangs: token checks give up after jwks_timeout
    (PyJWT's default is 30 s, held under its lock, so every API call would queue behind it)."""
    body = keys.jwks_file.read_bytes()

    class Slow(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            time.sleep(12)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        verifier = JWTVerifier(
            issuer=ISSUER,
            audience=AUDIENCE,
            jwks_url=f"http://127.0.0.1:{server.server_address[1]}/jwks.json",
            jwks_timeout=1.0,
        )
        start = time.monotonic()
        with pytest.raises(AuthenticationFailed) as err:
            verifier.verify(keys.token("sub-bob"))
        assert err.value.code == "unknown_key"
        assert time.monotonic() - start < 5
    finally:
        server.shutdown()
        server.server_close()
