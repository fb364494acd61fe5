"""Security: bad tokens, wrong people and replays decide nothing, and each leaves an audit event."""

from __future__ import annotations

import time

import jwt
import pytest

from tests.integrations.http.conftest import AUDIENCE, ISSUER, bearer, open_request


def _decide(client, rid, headers, verdict="approve", **extra):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/requests/{rid}/decision", json={"verdict": verdict, **extra}, headers=headers
    )


@pytest.mark.parametrize(
    ("make", "code"),
    [
        # signed by a key that is not in the JWKS, with the published kid
        (lambda k: k.token("sub-bob", key=k.other), "bad_signature"),
        # expired an hour ago (beyond the 30 s leeway)
        (lambda k: k.token("sub-bob", exp=int(time.time()) - 3600), "expired"),
        # minted for another service
        (lambda k: k.token("sub-bob", aud="some-other-api"), "wrong_audience"),
        # from another issuer
        (lambda k: k.token("sub-bob", iss="https://evil.test"), "wrong_issuer"),
        # an unknown key id
        (lambda k: k.token("sub-bob", kid="k2"), "unknown_key"),
        # alg "none": no signature at all
        (
            lambda k: jwt.encode(
                {"sub": "sub-bob", "iss": ISSUER, "aud": AUDIENCE, "exp": 4102444800},
                None,
                algorithm="none",
                headers={"kid": "k1"},
            ),
            "malformed",
        ),
        # not a JWT and not an API key
        (lambda k: "not-a-token-at-all-xxxxxxxx", "bad_signature"),
    ],
)
def test_bad_tokens_are_401_and_audited_and_decide_nothing(
    client, service, audit, keys, make, code
) -> None:
    """Forged, expired, wrong-audience/issuer, unknown-key and unsigned tokens: 401."""
    rid = open_request(service)
    res = _decide(client, rid, bearer(make(keys)))
    assert res.status_code == 401
    assert res.json()["error"] == code
    assert res.headers["www-authenticate"].startswith("Bearer")
    assert service.get(rid).status == "pending"
    event = audit.last("http.auth_failed")
    assert (event.data["code"], event.request_id) == (code, rid)
    assert "approval.decided" not in audit.kinds()


def test_a_missing_token_is_401(client, service, audit) -> None:
    """No Authorization header: 401, audited."""
    rid = open_request(service)
    res = client.post(f"/api/requests/{rid}/decision", json={"verdict": "approve"})
    assert (res.status_code, res.json()["error"]) == (401, "missing")
    assert audit.last("http.auth_failed").data["code"] == "missing"


def test_the_token_text_is_never_in_the_audit_trail(client, service, audit, keys) -> None:
    """A rejected token leaves its code in the trail, not the token."""
    rid = open_request(service)
    token = keys.token("sub-bob", key=keys.other)
    _decide(client, rid, bearer(token))
    assert token not in audit.text()
    assert token.split(".")[1] not in audit.text()


@pytest.mark.parametrize(
    ("sub", "status", "error", "code"),
    [
        ("sub-nobody", 403, "unauthenticated", "unauthenticated"),  # valid token, not listed
        # a human outside the rule's groups: the request is not his to read (the default
        # visibility="involved"), so the answer is the 404 of an unknown id; still audited
        ("sub-dave", 404, "unknown_request", "not_authorized"),
        ("sub-agent", 403, "not_human", "not_human"),  # the agent's own token
        ("sub-svc", 403, "not_human", "not_human"),  # a service principal's token
        ("sub-alice", 403, "self_approval", "self_approval"),  # the requester herself
    ],
)
def test_wrong_people_are_refused_and_audited(
    client, service, audit, as_user, sub, status, error, code
) -> None:
    """Each refusal: 4xx with the code, request still pending, an approval.refused event."""
    rid = open_request(service)
    res = _decide(client, rid, as_user(sub))
    assert (res.status_code, res.json()["error"]) == (status, error)
    assert service.get(rid).status == "pending"
    refused = audit.last("approval.refused")
    assert (refused.data["code"], refused.data["channel"], refused.request_id) == (
        code,
        "http",
        rid,
    )


def test_an_unknown_user_cannot_read_the_inbox(client, service, audit, as_user) -> None:
    """A valid token for nobody in the directory: 403 on reads, audited."""
    open_request(service)
    res = client.get("/api/requests", headers=as_user("sub-nobody"))
    assert (res.status_code, res.json()["error"]) == (403, "unknown_user")
    assert "http.unknown_user" in audit.kinds()


def test_an_agent_token_cannot_read_the_inbox(client, service, as_user) -> None:
    """Agents do not review: 403 not_human on the list."""
    res = client.get("/api/requests", headers=as_user("sub-agent"))
    assert (res.status_code, res.json()["error"]) == (403, "not_human")


def test_a_replayed_decision_is_refused(client, service, audit, as_user) -> None:
    """The same decision id sent twice counts once (409 replayed)."""
    rid = open_request(service, "wire")
    first = _decide(client, rid, as_user("sub-bob"), decision_id="click-1")
    assert first.json()["status"] == "pending"
    again = _decide(client, rid, as_user("sub-bob"), decision_id="click-1")
    assert (again.status_code, again.json()["error"]) == (409, "replayed")
    assert len(service.get(rid).votes) == 1
    assert audit.last("approval.refused").data["code"] == "replayed"


def test_a_decision_after_the_outcome_is_refused(client, service, as_user) -> None:
    """Once approved, a second reviewer's reject is 409 not_pending; the outcome stays."""
    rid = open_request(service)
    _decide(client, rid, as_user("sub-bob"))
    late = _decide(client, rid, as_user("sub-carol"), verdict="reject")
    assert (late.status_code, late.json()["error"]) == (409, "not_pending")
    assert service.get(rid).status == "approved"


def test_a_decision_for_other_arguments_is_refused(client, service, as_user) -> None:
    """A card digest that does not match the request: 409 digest_mismatch."""
    rid = open_request(service)
    res = _decide(client, rid, as_user("sub-bob"), args_digest="sha256:" + "0" * 64)
    assert (res.status_code, res.json()["error"]) == (409, "digest_mismatch")
    assert service.get(rid).status == "pending"


def test_an_expired_request_cannot_be_approved(service, verifier, as_user) -> None:
    """Past its expiry: 410 expired, recorded as an expiry."""
    from datetime import timedelta

    from fastapi.testclient import TestClient

    from guardrails.approvals import ApprovalService
    from guardrails.testing import FixedClock
    from integrations.http import create_app

    clock = FixedClock()
    svc = ApprovalService(service.policy, clock=clock, audit=service.audit)
    rid = open_request(svc)
    clock.advance(timedelta(minutes=11))
    with TestClient(create_app(svc, verifier=verifier)) as c:
        res = _decide(c, rid, as_user("sub-bob"))
    assert (res.status_code, res.json()["error"]) == (410, "expired")
    assert svc.get(rid).status == "expired"


def test_the_body_cannot_name_the_approver(client, service, as_user) -> None:
    """An 'approver' field is rejected (422): identity comes only from the token."""
    rid = open_request(service)
    res = _decide(client, rid, as_user("sub-dave"), approver="bob")
    assert res.status_code == 422
    assert service.get(rid).status == "pending"
