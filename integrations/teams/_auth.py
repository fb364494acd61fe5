"""Bot Connector authentication: the JWT Microsoft Teams sends with every activity.

What the Bot Framework documents for a channel → bot request, and what we check with PyJWT:
an ``Authorization: Bearer`` JWT signed with a key from the Bot Framework JWKS (found through the
OpenID metadata document), ``iss`` = ``https://api.botframework.com``, ``aud`` = the bot's app
id, ``exp``/``nbf`` within 5 minutes of skew, the key endorsed for the activity's ``channelId``,
and the token's ``serviceurl`` claim (so spelled by the Bot Connector) present and equal to the
activity's ``serviceUrl`` (so a token for one conversation service cannot carry an activity aimed
at another).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jwt
from jwt import PyJWKSet

from guardrails import ConfigurationError, GuardrailsError

__all__ = [
    "BOT_FRAMEWORK_ISSUER",
    "BOT_FRAMEWORK_OPENID",
    "BotAuthFailed",
    "BotFrameworkAuth",
]

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
BOT_FRAMEWORK_OPENID = "https://login.botframework.com/v1/.well-known/openidconfiguration"
# The token claim holding the conversation service's URL, as the Bot Connector spells it.
SERVICE_URL_CLAIM = "serviceurl"

logger = logging.getLogger("guardrails.teams")

# Fetched keys are re-read at least this often (Microsoft rotates them; its SDKs cache for a day).
REFRESH_AFTER = 24 * 3600.0
# A token naming a key we do not have triggers at most one fetch per this many seconds: anyone
# can send such tokens, and a fetch per request would let them stall verification (the fetch
# holds the lock) and aim our traffic at the metadata host.
REFETCH_MIN_INTERVAL = 60.0
# With no keys at all (the first fetch failed), retry at most this often.
RETRY_MIN_INTERVAL = 5.0

_Key = tuple[Any, list[str] | None]


class BotAuthFailed(GuardrailsError):
    """The activity's token did not verify (``code`` says which check failed)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class BotFrameworkAuth:
    """Validates Bot Connector JWTs against a JWKS (a local document, or Microsoft's metadata).

    Args:
        app_id: the bot's Microsoft App ID (the required audience).
        jwks: a JWKS document (dict) to verify with, or
        jwks_file: a file holding one, or neither: the keys are fetched from ``openid_metadata``
            (cached; re-read daily, and when a token names an unknown key, at most once a
            minute; a failed re-read keeps the keys already loaded).
        openid_metadata: the OpenID configuration URL (sovereign clouds use another).
        issuer: the required issuer.
        leeway: clock skew allowed on ``exp``/``nbf`` (the Bot Framework allows 5 minutes).

    Example:
        >>> auth = BotFrameworkAuth(app_id="bot-app-id", jwks={"keys": []})
        >>> try:
        ...     auth.verify("not-a-jwt", {"channelId": "msteams", "serviceUrl": "https://s/"})
        ... except BotAuthFailed as exc:
        ...     print(exc.code)
        malformed
    """

    def __init__(
        self,
        *,
        app_id: str,
        jwks: Mapping[str, Any] | None = None,
        jwks_file: str | Path | None = None,
        openid_metadata: str = BOT_FRAMEWORK_OPENID,
        issuer: str = BOT_FRAMEWORK_ISSUER,
        algorithms: Sequence[str] = ("RS256",),
        leeway: float = 300.0,
    ) -> None:
        if not app_id:
            raise ConfigurationError("BotFrameworkAuth needs the bot's app id (the audience)")
        if jwks is not None and jwks_file is not None:
            raise ConfigurationError("give jwks or jwks_file, not both")
        if any(a.lower() == "none" or a.upper().startswith("HS") for a in algorithms):
            raise ConfigurationError("HMAC/none algorithms cannot verify Bot Connector tokens")
        self.app_id = app_id
        self.issuer = issuer
        self.openid_metadata = openid_metadata
        self.algorithms = list(algorithms)
        self.leeway = leeway
        self._lock = threading.Lock()
        self._keys: dict[str, _Key] | None = None  # kid -> (key, endorsements)
        self._fetched_at = -float("inf")  # monotonic time of the last fetch attempt
        self._loaded_at = -float("inf")  # ... and of the last one that succeeded
        if jwks_file is not None:
            try:
                jwks = json.loads(Path(jwks_file).read_text())
            except (OSError, ValueError) as exc:
                raise ConfigurationError(f"cannot read JWKS file ({type(exc).__name__})") from exc
        if jwks is not None:
            self._keys = _parse(jwks)
            self._static = True
        else:
            self._static = False

    # -- keys ---------------------------------------------------------------------------------

    def _fetch(self) -> dict[str, Any]:
        import httpx  # only when no local JWKS is configured

        meta = httpx.get(self.openid_metadata, timeout=10).raise_for_status().json()
        doc = httpx.get(meta["jwks_uri"], timeout=10).raise_for_status().json()
        if not isinstance(doc, dict):
            raise ValueError("the JWKS is not an object")
        return doc

    def _key(self, kid: str) -> _Key:
        with self._lock:
            if not self._static:
                now = time.monotonic()
                since = now - self._fetched_at
                if self._keys is None:
                    if since >= RETRY_MIN_INTERVAL:
                        self._refresh(now)
                elif now - self._loaded_at >= REFRESH_AFTER or (
                    kid not in self._keys and since >= REFETCH_MIN_INTERVAL
                ):
                    self._refresh(now)
            keys = self._keys
        if keys is None:
            raise BotAuthFailed("cannot load signing keys", code="jwks")
        found = keys.get(kid)
        if found is None:
            raise BotAuthFailed("the token's signing key is not published", code="unknown_key")
        return found

    def _refresh(self, now: float) -> None:
        """Fetch the JWKS (caller holds the lock); on failure keep the keys already loaded."""
        self._fetched_at = now
        try:
            keys = _parse(self._fetch())
        except Exception as exc:  # network, JSON: nobody is authenticated by what we lack
            logger.warning("cannot load the Bot Framework signing keys (%s)", type(exc).__name__)
            return
        self._keys, self._loaded_at = keys, now

    # -- verification -------------------------------------------------------------------------

    def verify(self, token: str, activity: Mapping[str, Any]) -> dict[str, Any]:
        """The verified claims of ``token`` for ``activity``.

        Raises:
            BotAuthFailed: ``malformed``, ``unknown_key``, ``bad_signature``, ``expired``,
                ``wrong_audience``, ``wrong_issuer``, ``not_endorsed`` or ``wrong_service_url``.
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise BotAuthFailed("the token is not a JWT", code="malformed") from None
        if header.get("alg") not in self.algorithms:
            raise BotAuthFailed("the token's algorithm is not accepted", code="malformed")
        key, endorsements = self._key(str(header.get("kid") or ""))
        channel = activity.get("channelId")
        if endorsements is not None and channel not in endorsements:
            raise BotAuthFailed(
                "the signing key is not endorsed for this channel", code="not_endorsed"
            )
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=self.algorithms,
                audience=self.app_id,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise BotAuthFailed("the token has expired", code="expired") from None
        except jwt.InvalidAudienceError:
            raise BotAuthFailed("the token is for another bot", code="wrong_audience") from None
        except jwt.InvalidIssuerError:
            raise BotAuthFailed("the token has another issuer", code="wrong_issuer") from None
        except jwt.InvalidSignatureError:
            raise BotAuthFailed(
                "the token signature does not verify", code="bad_signature"
            ) from None
        except (jwt.PyJWTError, TypeError, ValueError):
            # TypeError: PyJWT's answer to an algorithm that does not fit the key's type
            raise BotAuthFailed("the token is not valid", code="malformed") from None
        # The Bot Connector names the claim ``serviceurl`` (lower case; BotBuilder's
        # SERVICE_URL_CLAIM); it must be present and equal the activity's ``serviceUrl``.
        claimed = claims.get(SERVICE_URL_CLAIM)
        if not isinstance(claimed, str) or not claimed or claimed != activity.get("serviceUrl"):
            raise BotAuthFailed(
                "the token's serviceUrl does not match the activity", code="wrong_service_url"
            )
        return claims


def _parse(doc: Mapping[str, Any]) -> dict[str, _Key]:
    """``kid -> (key, endorsements)`` for the usable keys of a JWKS document (others skipped)."""
    if not isinstance(doc, Mapping):
        raise ValueError("the JWKS is not an object")
    keys: dict[str, _Key] = {}
    for raw in doc.get("keys") or ():
        if not isinstance(raw, dict) or not isinstance(raw.get("kid"), str):
            continue
        try:
            key = PyJWKSet.from_dict({"keys": [raw]}).keys[0].key
        except (jwt.PyJWTError, IndexError, KeyError, TypeError, ValueError):
            continue
        endorsements = raw.get("endorsements")
        keys[raw["kid"]] = (key, list(endorsements) if isinstance(endorsements, list) else None)
    return keys
