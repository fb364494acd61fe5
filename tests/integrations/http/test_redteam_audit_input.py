"""Red team: text a caller puts in the URL never reaches the (append-only) audit trail raw.

The trail cannot forget: an e-mail address or card number typed into a request URL (by an
attacker without a token, or a reviewer pasting the wrong thing) would stay in it for good.
Events name the route, and a request id only when it is one the store holds.
"""

from __future__ import annotations

import pytest

from tests.integrations.http.conftest import bearer, open_request

EMAIL = "jane.roe@example.com"
CARD = "4111111111111111"


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("get", f"/api/requests/{EMAIL}", {}),  # no token at all
        ("post", f"/api/requests/{CARD}/decision", bearer("not-a-token")),  # a bad token
        ("get", f"/api/requests/{EMAIL}", bearer("x.y.z")),  # JWT-shaped garbage
    ],
)
def test_an_unauthenticated_url_leaves_no_raw_text_in_the_trail(
    client, audit, method, path, headers
) -> None:
    """401 and audited as http.auth_failed, with the route template and no caller text."""
    kwargs = {"json": {"verdict": "approve"}} if method == "post" else {}
    res = getattr(client, method)(path, headers=headers, **kwargs)
    assert res.status_code == 401
    event = audit.last("http.auth_failed")
    assert event.request_id is None
    assert event.data["path"].startswith("/api/requests/{request_id}")
    audit.assert_absent(EMAIL, CARD, "jane.roe", "example.com")


def test_an_unknown_id_from_a_reviewer_leaves_no_raw_text_in_the_trail(
    client, audit, as_user
) -> None:
    """404 on read and decide, audited, and neither event carries the id typed."""
    res = client.post(
        f"/api/requests/{EMAIL}/decision", json={"verdict": "approve"}, headers=as_user("sub-bob")
    )
    assert (res.status_code, res.json()["error"]) == (404, "unknown_request")
    res = client.post(
        f"/api/requests/{CARD}/decision",
        json={"verdict": "approve", "args_digest": "sha256:00"},
        headers=as_user("sub-bob"),
    )
    assert res.status_code == 404
    assert "http.unknown_request" in audit.kinds()
    audit.assert_absent(EMAIL, CARD, "jane.roe", "example.com")


def test_an_unknown_user_naming_an_email_leaves_no_raw_text(client, audit, as_user) -> None:
    """A valid token whose subject is nobody: 403/404, audited, no caller text kept."""
    client.get(f"/api/requests/{EMAIL}", headers=as_user("sub-nobody"))
    client.post(
        f"/api/requests/{EMAIL}/decision", json={"verdict": "approve"}, headers=as_user("sub-x")
    )
    assert "http.unknown_user" in audit.kinds()
    audit.assert_absent(EMAIL, "jane.roe", "example.com")


def test_a_real_request_id_is_still_named_on_a_failed_token(client, service, audit) -> None:
    """Forensics keep working: a bad token aimed at an existing request names it."""
    rid = open_request(service)
    res = client.post(
        f"/api/requests/{rid}/decision", json={"verdict": "approve"}, headers=bearer("bad")
    )
    assert res.status_code == 401
    event = audit.last("http.auth_failed")
    assert event.request_id == rid
    assert event.data["path"] == "/api/requests/{request_id}/decision"
