"""Teams security: only a validated Bot Connector token and an authorized human decide."""

from __future__ import annotations

import time

import pytest

from tests.integrations.teams.conftest import APP_ID, invoke
from tests.support.channel_fixtures import EMAIL, open_request


def _texts(card: dict) -> str:
    return " ".join(i["text"] for b in card["body"] for i in b.get("inlines", ()))


def test_a_validated_click_by_a_reviewer_approves_and_returns_the_closed_card(
    service, send, audit
) -> None:
    """Bob's invoke approves; the invoke response is the card showing the outcome."""
    request = open_request(service)
    res = send(invoke("aad-bob", request, reason="ticket 7"))
    assert res.status_code == 200
    body = res.json()
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Approved by bob" in _texts(body["value"])
    assert "actions" not in body["value"]
    vote = service.get(request.id).votes[-1]
    assert (vote.approver.id, vote.channel, vote.reason) == ("bob", "teams", "ticket 7")
    assert EMAIL not in res.text
    assert audit.verify().ok


@pytest.mark.parametrize(
    ("token_kind", "code"),
    [
        ("forged", "bad_signature"),  # signed with another key under the published kid
        ("expired", "expired"),  # expired 10 minutes ago (beyond the 5 min leeway)
        ("audience", "wrong_audience"),  # a token for another bot
        ("issuer", "wrong_issuer"),  # not issued by the Bot Framework
        ("unknown_kid", "unknown_key"),  # a key that is not in the JWKS
        ("service_url", "wrong_service_url"),  # token for another conversation service
        ("garbage", "malformed"),  # not a JWT
        ("none", "missing"),  # no Authorization header
    ],
)
def test_bad_tokens_are_refused_audited_and_change_nothing(
    service, send, keys, audit, token_kind, code
) -> None:
    """Each invalid token: 401 with its code, a teams.auth_failed event, request still pending."""
    request = open_request(service)
    now = int(time.time())
    token = {
        "forged": lambda: keys.token(key=keys.other),
        "expired": lambda: keys.token(exp=now - 600, nbf=now - 900),
        "audience": lambda: keys.token(aud="another-bot"),
        "issuer": lambda: keys.token(iss="https://evil.example"),
        "unknown_kid": lambda: keys.token(key=keys.other, kid="evil"),
        "service_url": lambda: keys.token(serviceurl="https://evil.example/"),
        "garbage": lambda: "not.a.jwt",
        "none": lambda: "",
    }[token_kind]()
    res = send(invoke("aad-bob", request), token=token)
    assert res.status_code == 401
    assert res.json()["value"]["code"] == code
    assert service.status(request.id) == "pending"
    assert audit.last("teams.auth_failed").data["code"] == code


def test_a_key_not_endorsed_for_the_channel_is_refused(service, send) -> None:
    """An activity claiming another channelId than the key is endorsed for is refused."""
    request = open_request(service)
    activity = invoke("aad-bob", request)
    activity["channelId"] = "webchat"
    res = send(activity)
    assert res.json()["value"]["code"] == "not_endorsed"
    assert service.status(request.id) == "pending"


@pytest.mark.parametrize(
    ("aad", "code", "note"),
    [
        ("aad-alice", "self_approval", "you requested"),  # the requester, via Teams
        ("aad-dave", "not_authorized", "not one of the approvers"),  # outside the finance group
        ("aad-agent", "not_human", "only people"),  # the agent's own identity
        ("aad-stranger", "unauthenticated", "not linked"),  # a Teams user we do not know
    ],
)
def test_refused_approvers_see_why_in_the_card_and_nothing_changes(
    service, send, audit, aad, code, note
) -> None:
    """The refusal is audited; the clicker gets the open card with the reason."""
    request = open_request(service)
    res = send(invoke(aad, request))
    assert res.status_code == 200
    assert note in _texts(res.json()["value"]).lower()
    assert service.status(request.id) == "pending"
    assert audit.last("approval.refused").data["code"] == code
    assert audit.last("approval.refused").data["channel"] == "teams"


def test_an_unknown_teams_user_is_its_own_audit_event(service, send, audit) -> None:
    """An unlinked aadObjectId is recorded as teams.unknown_user."""
    request = open_request(service)
    send(invoke("aad-stranger", request))
    assert audit.last("teams.unknown_user").data["aad_object_id"] == "aad-stranger"


def test_a_replayed_activity_is_refused(service, send, audit) -> None:
    """The same activity (same id) sent again is refused as replayed."""
    request = open_request(service)
    activity = invoke("aad-bob", request)
    send(activity)
    send(activity)
    assert audit.last("approval.refused").data["code"] == "replayed"
    assert len(service.get(request.id).votes) == 1


def test_the_activity_cannot_name_the_approver(service, send) -> None:
    """A display name or data field claiming bob does not make Dave's click count."""
    request = open_request(service)
    activity = invoke("aad-dave", request)
    activity["from"]["name"] = "Bob Reviewer"
    activity["value"]["action"]["data"]["approver"] = "bob"
    send(activity)
    assert service.status(request.id) == "pending"


def test_the_audience_is_the_bot_app_id(keys) -> None:
    """The fixture's tokens carry our app id, so wrong_audience above is meaningful."""
    import jwt

    claims = jwt.decode(keys.token(), options={"verify_signature": False})
    assert claims["aud"] == APP_ID


def test_another_tenant_is_refused_when_a_tenant_is_configured(service, keys, audit) -> None:
    """With tenant_id set, a valid activity from another tenant is 403 and audited."""
    import json

    from integrations.teams import BotFrameworkAuth, TeamsBot

    bot = TeamsBot(
        service, auth=BotFrameworkAuth(app_id=APP_ID, jwks=keys.jwks), tenant_id="tenant-ours"
    )
    request = open_request(service)
    headers = {"content-type": "application/json", "authorization": f"Bearer {keys.token()}"}
    theirs = {**invoke("aad-bob", request), "channelData": {"tenant": {"id": "tenant-x"}}}
    res = bot.handle(headers, json.dumps(theirs).encode())
    assert res.status == 403
    assert audit.last("teams.auth_failed").data["code"] == "wrong_tenant"
    assert service.status(request.id) == "pending"
    ours = {**invoke("aad-bob", request), "channelData": {"tenant": {"id": "tenant-ours"}}}
    assert bot.handle(headers, json.dumps(ours).encode()).status == 200
    assert service.status(request.id) == "approved"


@pytest.mark.parametrize("channel", ["directline", "webchat", "emulator"])
def test_an_activity_from_another_bot_channel_cannot_decide(service, keys, audit, channel) -> None:
    """A Direct Line/Web Chat client writes its own ``from``: its claimed aadObjectId decides nothing.

    Microsoft's published keys are endorsed for many channels at once, so the endorsement check
    alone lets a Web Chat activity naming Bob's aadObjectId through; only channelId msteams is
    a Teams-authenticated user.
    """
    import json

    from integrations.teams import BotFrameworkAuth, TeamsBot

    jwks = json.loads(json.dumps(keys.jwks))
    jwks["keys"][0]["endorsements"] = ["msteams", "webchat", "directline", "emulator"]
    bot = TeamsBot(service, auth=BotFrameworkAuth(app_id=APP_ID, jwks=jwks))
    request = open_request(service)
    headers = {"content-type": "application/json", "authorization": f"Bearer {keys.token()}"}
    spoofed = {**invoke("aad-bob", request), "channelId": channel}
    res = bot.handle(headers, json.dumps(spoofed).encode())
    assert res.status == 403
    assert res.body is not None
    assert res.body["value"]["code"] == "wrong_channel"
    assert audit.last("teams.auth_failed").data["code"] == "wrong_channel"
    assert service.status(request.id) == "pending"
    assert "approval.refused" not in audit.kinds()
    # the same click from Teams itself still counts
    assert bot.handle(headers, json.dumps(invoke("aad-bob", request)).encode()).status == 200
    assert service.status(request.id) == "approved"


def test_the_token_carries_the_service_url_as_the_bot_connector_names_it(keys) -> None:
    """The fixture's tokens are shaped like Microsoft's (claim ``serviceurl``), so every
    test above exercises the claim real Teams activities carry."""
    import jwt

    claims = jwt.decode(keys.token(), options={"verify_signature": False})
    assert "serviceurl" in claims
    assert "serviceUrl" not in claims


def test_a_token_without_a_service_url_claim_is_refused(service, keys, audit) -> None:
    """No ``serviceurl`` claim: refused, even when the activity names no serviceUrl either."""
    import json

    import jwt

    from integrations.teams import BotFrameworkAuth, TeamsBot

    bot = TeamsBot(service, auth=BotFrameworkAuth(app_id=APP_ID, jwks=keys.jwks))
    request = open_request(service)
    claims = jwt.decode(keys.token(), options={"verify_signature": False})
    del claims["serviceurl"]
    token = jwt.encode(claims, keys.private, algorithm="RS256", headers={"kid": "bf-1"})
    activity = invoke("aad-bob", request)
    del activity["serviceUrl"]
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    res = bot.handle(headers, json.dumps(activity).encode())
    assert res.status == 401
    assert audit.last("teams.auth_failed").data["code"] == "wrong_service_url"
    assert service.status(request.id) == "pending"


def test_a_flood_of_bad_tokens_cannot_fill_the_audit_trail(service, send, keys, audit) -> None:
    """Past the budget (60 a minute by default) failed tokens are refused without an event
    each; a valid click is still decided and audited."""
    request = open_request(service)
    forged = keys.token(key=keys.other)
    codes = {send(invoke("aad-bob", request), token=forged).status_code for _ in range(150)}
    assert codes == {401}
    assert len(audit.of_kind("teams.auth_failed")) == 60
    assert send(invoke("aad-bob", request)).status_code == 200
    assert service.status(request.id) == "approved"


def test_a_flood_from_a_web_chat_client_cannot_fill_the_audit_trail(service, keys, audit) -> None:
    """A public Web Chat / Direct Line client makes the connector send validly signed
    activities at will: their wrong_channel refusals share the audit budget."""
    import json

    from integrations.teams import BotFrameworkAuth, TeamsBot

    jwks = json.loads(json.dumps(keys.jwks))
    jwks["keys"][0]["endorsements"] = ["msteams", "webchat"]
    bot = TeamsBot(service, auth=BotFrameworkAuth(app_id=APP_ID, jwks=jwks))
    request = open_request(service)
    headers = {"content-type": "application/json", "authorization": f"Bearer {keys.token()}"}
    body = json.dumps({**invoke("aad-bob", request), "channelId": "webchat"}).encode()
    assert {bot.handle(headers, body).status for _ in range(150)} == {403}
    assert len(audit.of_kind("teams.auth_failed")) == 60
    assert service.status(request.id) == "pending"


def test_an_algorithm_that_does_not_fit_the_named_key_is_401(service, keys, audit) -> None:
    """RS256 over a published EC key makes PyJWT raise TypeError: still an audited 401."""
    import base64
    import json

    from cryptography.hazmat.primitives.asymmetric import ec
    from jwt.algorithms import ECAlgorithm

    from integrations.teams import BotFrameworkAuth, TeamsBot

    jwks = json.loads(json.dumps(keys.jwks))
    ec_jwk = json.loads(ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key()))
    ec_jwk.update({"kid": "ec-1", "use": "sig", "endorsements": ["msteams"]})
    jwks["keys"].append(ec_jwk)
    bot = TeamsBot(service, auth=BotFrameworkAuth(app_id=APP_ID, jwks=jwks))

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    token = ".".join([b64(b'{"alg":"RS256","kid":"ec-1"}'), b64(b"{}"), b64(b"x" * 256)])
    request = open_request(service)
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    res = bot.handle(headers, json.dumps(invoke("aad-bob", request)).encode())
    assert res.status == 401
    assert audit.last("teams.auth_failed").data["code"] == "malformed"
    assert service.status(request.id) == "pending"


def test_an_overlong_reason_is_refused_in_the_card(service, send) -> None:
    """The card's input allows 1,000 characters, but the invoke is the client's to write: the
    bot enforces the API's 2,000-character limit itself (nothing decided, the clicker told)."""
    request = open_request(service)
    res = send(invoke("aad-bob", request, reason="x" * 60_000))
    assert res.status_code == 200
    assert "reason is too long" in _texts(res.json()["value"]).lower()
    assert service.status(request.id) == "pending"
    assert send(invoke("aad-bob", request, reason="x" * 2000)).status_code == 200
    assert service.status(request.id) == "approved"
