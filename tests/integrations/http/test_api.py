"""The approvals API: masked cards, decisions as the token's principal, history, OpenAPI."""

from __future__ import annotations

from tests.integrations.http.conftest import open_request
from tests.support.channel_fixtures import EMAIL, MASKED


def test_pending_lists_masked_cards_only(client, service, as_user) -> None:
    """The list shows tool, rule, reason, requester and masked args; never the raw value."""
    rid = open_request(service)
    res = client.get("/api/requests", headers=as_user("sub-bob"))
    assert res.status_code == 200
    [card] = res.json()["requests"]
    assert (card["request_id"], card["tool"], card["rule"]) == (rid, "refund", "refunds")
    assert card["reason"] == "refunds need a finance reviewer"
    assert card["requester"] == "alice"
    assert card["masked_args"] == MASKED
    assert 0 < card["seconds_left"] <= 600
    assert card["you_may_decide"] is True
    assert EMAIL not in res.text


def test_the_requester_sees_their_own_card_marked(client, service, as_user) -> None:
    """Alice sees her request flagged as hers and not decidable by her."""
    open_request(service)
    [card] = client.get("/api/requests", headers=as_user("sub-alice")).json()["requests"]
    assert (card["you_requested"], card["you_may_decide"]) == (True, False)


def test_get_one_request(client, service, as_user) -> None:
    """GET /api/requests/{id} returns the card."""
    rid = open_request(service)
    res = client.get(f"/api/requests/{rid}", headers=as_user("sub-bob"))
    assert res.status_code == 200
    assert res.json()["args_digest"] == service.get(rid).args_digest


def test_approve_records_the_token_principal_on_the_http_channel(
    client, service, audit, as_user
) -> None:
    """Bob's token approves: status approved, the vote is bob's via http, audited."""
    rid = open_request(service)
    res = client.post(
        f"/api/requests/{rid}/decision",
        json={"verdict": "approve", "reason": "checked the ticket"},
        headers=as_user("sub-bob"),
    )
    assert res.status_code == 200, res.text
    assert res.json()["status"] == "approved"
    vote = service.get(rid).votes[0]
    assert (vote.approver.id, vote.channel, vote.reason) == ("bob", "http", "checked the ticket")
    decided = audit.last("approval.decided")
    assert (decided.principal, decided.data["channel"]) == ("bob", "http")


def test_reject_with_reason_shows_in_history(client, service, as_user) -> None:
    """A rejection leaves the pending list and appears in the history with its reason."""
    rid = open_request(service)
    client.post(
        f"/api/requests/{rid}/decision",
        json={"verdict": "reject", "reason": "wrong customer"},
        headers=as_user("sub-bob"),
    )
    assert client.get("/api/requests", headers=as_user("sub-bob")).json()["requests"] == []
    [card] = client.get("/api/history", headers=as_user("sub-bob")).json()["requests"]
    assert (card["request_id"], card["status"], card["decision_reason"]) == (
        rid,
        "rejected",
        "wrong customer",
    )
    assert card["summary"] == "Rejected by bob"


def test_edit_approves_the_reviewers_arguments(client, service, as_user) -> None:
    """An edit is recorded with a new digest and approved under the same rule."""
    rid = open_request(service)
    res = client.post(
        f"/api/requests/{rid}/decision",
        json={"verdict": "edit", "edited_args": {"to": "<EMAIL_ADDRESS_1>", "amount": 20}},
        headers=as_user("sub-bob"),
    )
    assert res.status_code == 200, res.text
    request = service.get(rid)
    assert request.status == "approved"
    assert request.edited_args == {"to": "<EMAIL_ADDRESS_1>", "amount": 20}


def test_quorum_needs_two_distinct_reviewers(client, service, as_user) -> None:
    """Bob's vote leaves a quorum-2 request pending; Carol's approves it."""
    rid = open_request(service, "wire")
    first = client.post(
        f"/api/requests/{rid}/decision", json={"verdict": "approve"}, headers=as_user("sub-bob")
    )
    assert first.json()["status"] == "pending"
    second = client.post(
        f"/api/requests/{rid}/decision", json={"verdict": "approve"}, headers=as_user("sub-carol")
    )
    assert second.json()["status"] == "approved"
    assert second.json()["card"]["approvals"] == ["bob", "carol"]


def test_a_dev_api_key_authenticates(client, service) -> None:
    """Configured API keys work for development."""
    res = client.get("/api/me", headers={"Authorization": "Bearer dev-key-bob-0123456789abcdef"})
    assert res.status_code == 200
    assert res.json()["id"] == "bob"


def test_me_returns_the_directory_principal(client, as_user) -> None:
    """Name and groups come from the directory, not the token."""
    data = client.get("/api/me", headers=as_user("sub-carol")).json()
    assert data == {
        "id": "carol",
        "display_name": "Carol Reviewer",
        "kind": "human",
        "groups": ["finance"],
        "roles": [],
    }


def test_openapi_lists_the_routes_and_the_bearer_scheme(client) -> None:
    """/openapi.json publishes every API route and the HTTP bearer security scheme."""
    spec = client.get("/openapi.json").json()
    assert {
        "/api/me",
        "/api/requests",
        "/api/requests/{request_id}",
        "/api/requests/{request_id}/decision",
        "/api/history",
    } <= set(spec["paths"])
    schemes = spec["components"]["securitySchemes"]
    assert any(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes.values())
    body = spec["paths"]["/api/requests/{request_id}/decision"]["post"]["requestBody"]
    assert "verdict" in body["content"]["application/json"]["schema"]["properties"]
    assert spec["paths"]["/api/requests"]["get"]["security"]


def test_the_page_is_served_with_a_strict_content_security_policy(client) -> None:
    """The inbox page loads only its own script and style."""
    res = client.get("/")
    assert res.status_code == 200
    assert "script-src 'self'" in res.headers["content-security-policy"]
    assert "Approvals inbox" in res.text
    assert client.get("/static/inbox.js").status_code == 200


def test_the_inbox_script_never_uses_inner_html() -> None:
    """Untrusted text is only ever set as textContent."""
    from pathlib import Path

    import integrations.http

    script = (Path(integrations.http.__file__).parent / "static" / "inbox.js").read_text()
    assert "innerHTML" not in script
    assert "insertAdjacentHTML" not in script
    assert "textContent" in script


def test_no_third_party_script_is_served_by_default(service, verifier) -> None:
    """Swagger UI (/docs) loads its script from a public CDN onto the inbox's origin, where
    reviewers would paste their tokens: it is off unless asked for; /openapi.json stays."""
    from fastapi.testclient import TestClient

    from integrations.http import create_app

    with TestClient(create_app(service, verifier=verifier)) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/openapi.json").status_code == 200
    with TestClient(create_app(service, verifier=verifier, api_docs=True)) as client:
        assert client.get("/docs").status_code == 200


def test_api_answers_are_not_stored_by_browsers_or_proxies(client, service, as_user) -> None:
    """Cards (even masked) and refusals carry business data: every /api answer, success or
    error, is Cache-Control: no-store and nosniff, so a shared machine's cache keeps none."""
    rid = open_request(service)
    answers = [
        client.get("/api/requests", headers=as_user("sub-bob")),
        client.get(f"/api/requests/{rid}", headers=as_user("sub-bob")),
        client.get("/api/history", headers=as_user("sub-bob")),
        client.get("/api/requests"),  # 401
    ]
    for res in answers:
        assert res.headers["cache-control"] == "no-store"
        assert res.headers["x-content-type-options"] == "nosniff"
