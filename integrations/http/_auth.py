"""Who is calling: bearer tokens verified as JWTs (issuer, audience, expiry, JWKS) or dev API keys.

A verifier returns the token's *subject*; the app maps it to a principal through the approval
service's directory. Nothing else in a token (names, groups, "approver" claims) is trusted.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import jwt
from jwt import PyJWK, PyJWKClient, PyJWKSet

from guardrails import ConfigurationError, GuardrailsError

__all__ = ["ApiKeys", "AuthenticationFailed", "JWTVerifier", "TokenVerifier", "Verifiers"]

_MAX_TOKEN = 8 * 1024


class AuthenticationFailed(GuardrailsError):
    """A bearer token that does not verify. ``code`` is stable; the token is never in the text.

    Codes: ``missing``, ``malformed``, ``bad_signature``, ``expired``, ``wrong_issuer``,
    ``wrong_audience``, ``unknown_key``, ``no_subject``.
    """

    def __init__(self, message: str, *, code: str) -> None:
        self.code = code
        super().__init__(message)


@runtime_checkable
class TokenVerifier(Protocol):
    """Turns a bearer token into the authenticated subject, or raises. One method.

    Example:
        >>> isinstance(ApiKeys({"k" * 32: "bob"}), TokenVerifier)
        True
    """

    def verify(self, token: str, /) -> str:
        """The subject the token authenticates (raises :class:`AuthenticationFailed`)."""
        ...


class ApiKeys:
    """Static API keys for development: key -> subject. Compared in constant time.

    Example:
        >>> keys = ApiKeys({"dev-key-for-bob-000000000000000000": "bob"})
        >>> keys.verify("dev-key-for-bob-000000000000000000")
        'bob'
    """

    def __init__(self, keys: Mapping[str, str]) -> None:
        for key in keys:
            if not isinstance(key, str) or len(key) < 16:
                raise ConfigurationError("an API key must be a string of at least 16 characters")
        self._keys = [(k.encode(), s) for k, s in keys.items()]

    def verify(self, token: str, /) -> str:
        """The subject of ``token`` (every key compared, no early exit)."""
        found: str | None = None
        raw = token.encode()
        for key, subject in self._keys:
            if hmac.compare_digest(key, raw):
                found = subject
        if found is None:
            raise AuthenticationFailed("unknown API key", code="bad_signature")
        return found


class JWTVerifier:
    """Verifies signed JWTs with PyJWT: signature (JWKS or key), ``iss``, ``aud``, ``exp``, ``sub``.

    Args:
        issuer: the required ``iss``.
        audience: the required ``aud`` (one value or several accepted).
        jwks_url: fetch signing keys from this JWKS URL (cached by PyJWT's ``PyJWKClient``).
        jwks_file: or read a JWKS JSON document from this file.
        key: or verify with this one key (PEM text or a ``cryptography`` key object).
        algorithms: accepted algorithms; ``none`` and HMAC with a public key are never accepted.
        leeway: seconds of clock skew allowed on ``exp``/``nbf``.
        jwks_cache_seconds: how long keys fetched from ``jwks_url`` are used before the set is
            fetched again; a key the provider withdraws stops verifying after at most this long.
        jwks_timeout: seconds to wait for ``jwks_url`` (a fetch holds every token check behind
            it; PyJWT's own default is 30).

    Example:
        >>> from cryptography.hazmat.primitives.asymmetric import ec
        >>> private = ec.generate_private_key(ec.SECP256R1())
        >>> token = jwt.encode({"sub": "bob", "iss": "https://idp", "aud": "guardrails",
        ...                     "exp": 4102444800}, private, algorithm="ES256")
        >>> JWTVerifier(issuer="https://idp", audience="guardrails",
        ...             key=private.public_key(), algorithms=("ES256",)).verify(token)
        'bob'
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str | Sequence[str],
        jwks_url: str | None = None,
        jwks_file: str | Path | None = None,
        key: Any = None,
        algorithms: Sequence[str] = ("RS256", "ES256", "PS256", "EdDSA"),
        leeway: float = 30.0,
        jwks_cache_seconds: float = 300.0,
        jwks_timeout: float = 5.0,
    ) -> None:
        if sum(x is not None for x in (jwks_url, jwks_file, key)) != 1:
            raise ConfigurationError("JWTVerifier needs exactly one of jwks_url, jwks_file, key")
        bad = {a for a in algorithms if a.lower() == "none" or a.upper().startswith("HS")}
        if bad and key is None:
            raise ConfigurationError("HMAC/none algorithms cannot be used with a JWKS")
        if not issuer or not audience:
            raise ConfigurationError("JWTVerifier needs an issuer and an audience")
        self.issuer = issuer
        self.audience = [audience] if isinstance(audience, str) else list(audience)
        self.algorithms = list(algorithms)
        self.leeway = leeway
        self._key = key
        if jwks_cache_seconds <= 0:
            raise ConfigurationError("jwks_cache_seconds must be positive")
        # Only the fetched set is cached, for jwks_cache_seconds: PyJWKClient's per-key cache
        # (cache_keys=True) never expires, so a key withdrawn from the JWKS would verify forever.
        self._client = (
            PyJWKClient(
                jwks_url, cache_keys=False, lifespan=jwks_cache_seconds, timeout=jwks_timeout
            )
            if jwks_url
            else None
        )
        self._set: PyJWKSet | None = None
        if jwks_file is not None:
            try:
                self._set = PyJWKSet.from_dict(json.loads(Path(jwks_file).read_text()))
            except (OSError, ValueError, jwt.PyJWTError) as exc:
                raise ConfigurationError(f"cannot read JWKS file ({type(exc).__name__})") from exc

    def _signing_key(self, token: str) -> Any:
        if self._key is not None:
            return self._key
        if self._client is not None:
            try:
                return self._client.get_signing_key_from_jwt(token).key
            except jwt.PyJWKClientError as exc:
                raise AuthenticationFailed(
                    "no JWKS key matches the token", code="unknown_key"
                ) from exc
            except jwt.PyJWTError as exc:
                # The client decodes the header itself: a token that is not a JWT raises
                # DecodeError here, which must be a 401 (audited, counted) like any bad token.
                raise AuthenticationFailed("the token is not a JWT", code="malformed") from exc
        assert self._set is not None
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed("the token is not a JWT", code="malformed") from exc
        keys: list[PyJWK] = [k for k in self._set.keys if kid is None or k.key_id == kid]
        if len(keys) != 1:
            raise AuthenticationFailed("no JWKS key matches the token", code="unknown_key")
        return keys[0].key

    def verify(self, token: str, /) -> str:
        """The ``sub`` of a valid token."""
        if len(token) > _MAX_TOKEN or token.count(".") != 2:
            raise AuthenticationFailed("the token is not a JWT", code="malformed")
        key = self._signing_key(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationFailed("the token has expired", code="expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthenticationFailed(
                "the token is for another audience", code="wrong_audience"
            ) from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthenticationFailed(
                "the token is from another issuer", code="wrong_issuer"
            ) from exc
        except jwt.InvalidSignatureError as exc:
            raise AuthenticationFailed(
                "the token signature does not verify", code="bad_signature"
            ) from exc
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed("the token does not verify", code="malformed") from exc
        except (TypeError, ValueError) as exc:
            # PyJWT raises TypeError when the header's algorithm does not fit the key it names
            # (RS256 over an EC key): a bad token like any other, never a 500.
            raise AuthenticationFailed("the token does not verify", code="malformed") from exc
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise AuthenticationFailed("the token has no subject", code="no_subject")
        return sub


class Verifiers:
    """Tries several verifiers (e.g. JWTs in production plus API keys in development).

    Example:
        >>> Verifiers([ApiKeys({"x" * 16: "bob"})]).verify("x" * 16)
        'bob'
    """

    def __init__(self, verifiers: Sequence[TokenVerifier]) -> None:
        if not verifiers:
            raise ConfigurationError("Verifiers needs at least one verifier")
        self._verifiers = list(verifiers)

    def verify(self, token: str, /) -> str:
        """The first verifier's subject; the most specific failure otherwise."""
        failures: list[tuple[bool, AuthenticationFailed]] = []
        for verifier in self._verifiers:
            try:
                return verifier.verify(token)
            except AuthenticationFailed as exc:
                failures.append((isinstance(verifier, ApiKeys), exc))
        # On a JWT-shaped token the JWT verdict ("expired", "wrong_audience") says the most;
        # on anything else, the API-key miss does.
        looks_jwt = token.count(".") == 2
        failures.sort(key=lambda item: item[0] == looks_jwt)
        raise failures[0][1]
