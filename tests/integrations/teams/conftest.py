"""Teams fixtures: a local RSA key + JWKS standing in for the Bot Framework's, signed activities."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.testclient import TestClient

from guardrails.approvals import ApprovalService
from guardrails.policy import Policy
from guardrails.testing import AuditCapture, capture_audit
from integrations.teams import BOT_FRAMEWORK_ISSUER, BotFrameworkAuth, TeamsBot, create_teams_app
from tests.support.channel_fixtures import channel_policy

APP_ID = "7c1d2a9e-0000-4000-8000-bot000000001"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"
POLICY = channel_policy(
    "teams-tests",
    {
        "alice": "{teams: [aad-alice]}",
        "bob": "{teams: [aad-bob], slack: [UBOB]}",
        "carol": "{teams: [aad-carol]}",
        "dave": "{teams: [aad-dave]}",
        "agent-1": "{teams: [aad-agent]}",
    },
)

_ids = itertools.count(1)


class Keys:
    """The Bot Framework signing key (local), its JWKS, and an unrelated key for forgeries."""

    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        jwk.update({"kid": "bf-1", "use": "sig", "alg": "RS256", "endorsements": ["msteams"]})
        self.jwks = {"keys": [jwk]}

    def token(self, *, key: Any = None, kid: str = "bf-1", **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": BOT_FRAMEWORK_ISSUER,
            "aud": APP_ID,
            "exp": now + 300,
            "nbf": now - 10,
            # the claim name the Bot Connector uses (BotBuilder's SERVICE_URL_CLAIM): lower case
            "serviceurl": SERVICE_URL,
        }
        body.update(claims)
        return jwt.encode(body, key or self.private, algorithm="RS256", headers={"kid": kid})


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys()


@pytest.fixture
def audit() -> AuditCapture:
    return capture_audit()


@pytest.fixture
def service(audit: AuditCapture) -> ApprovalService:
    return ApprovalService(Policy.from_yaml(POLICY), audit=audit)


@pytest.fixture
def bot(service: ApprovalService, keys: Keys) -> TeamsBot:
    return TeamsBot(service, auth=BotFrameworkAuth(app_id=APP_ID, jwks=keys.jwks))


@pytest.fixture
def client(bot: TeamsBot) -> Iterator[TestClient]:
    with TestClient(create_teams_app(bot)) as c:
        yield c


def invoke(
    aad: str, request: Any, *, verb: str = "guardrails.approve", reason: str | None = None
) -> dict[str, Any]:
    """An adaptiveCard/action invoke activity as Teams sends it for a click on our card."""
    data: dict[str, Any] = {"r": request.id, "d": request.args_digest}
    if reason is not None:
        data["reason"] = reason
    return {
        "type": "invoke",
        "name": "adaptiveCard/action",
        "id": f"f:{next(_ids)}",
        "channelId": "msteams",
        "serviceUrl": SERVICE_URL,
        "from": {"id": f"29:{aad}", "aadObjectId": aad, "name": "Claimed Name"},
        "conversation": {"id": "19:abc@thread.tacv2"},
        "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data}},
    }


@pytest.fixture
def send(client: TestClient, keys: Keys) -> Callable[..., Any]:
    """POST an activity with a valid token (or ``token=`` to forge)."""

    def post(activity: dict[str, Any], *, token: str | None = None) -> Any:
        tok = keys.token() if token is None else token
        headers = {"Authorization": f"Bearer {tok}"} if tok else {}
        return client.post("/api/messages", json=activity, headers=headers)

    return post
