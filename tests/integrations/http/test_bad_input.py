"""Bad input: clear 4xx errors, nothing changed, no submitted value echoed back."""

from __future__ import annotations

import pytest

from tests.integrations.http.conftest import open_request

SECRET = "4111 1111 1111 1111"


@pytest.mark.parametrize(
    ("body", "ctype", "status", "code"),
    [
        (b"x" * (70 * 1024), "application/json", 413, "too_large"),  # over the 64 KB limit
        (b'{"verdict": "approve"', "application/json", 422, "invalid"),  # truncated JSON
        (b"[1, 2, 3]", "application/json", 422, "invalid"),  # JSON, but not an object
        (b'{"verdict": "yes"}', "application/json", 422, "invalid"),  # unknown verdict
        (b'{"verdict": "approve"}', "text/plain", 415, "unsupported_media_type"),  # wrong type
        (b"verdict=approve", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b"", "application/json", 400, "empty_body"),  # nothing sent
        (
            b'{"verdict": "approve", "reason": "' + b"r" * 3000 + b'"}',
            "application/json",
            422,
            "invalid",
        ),  # reason over 2000 characters
        (
            b'{"verdict": "approve", "decision_id": "a b<"}',
            "application/json",
            422,
            "invalid",
        ),  # id with forbidden characters
        (b'{"verdict": "edit"}', "application/json", 422, "invalid"),  # edit without args
    ],
)
def test_bad_bodies_are_4xx_and_change_nothing(
    client, service, audit, as_user, body, ctype, status, code
) -> None:
    """Each malformed decision: the status and code, the request still pending, no vote."""
    rid = open_request(service)
    res = client.post(
        f"/api/requests/{rid}/decision",
        content=body,
        headers={**as_user("sub-bob"), "Content-Type": ctype},
    )
    assert (res.status_code, res.json()["error"]) == (status, code), res.text
    assert res.json()["message"]
    request = service.get(rid)
    assert (request.status, request.votes) == ("pending", ())
    assert "approval.decided" not in audit.kinds()


def test_validation_errors_do_not_echo_submitted_values(client, service, as_user) -> None:
    """A wrongly typed field holding a card number: the error names the field, not the value."""
    rid = open_request(service)
    res = client.post(
        f"/api/requests/{rid}/decision",
        json={"verdict": "approve", "reason": {"card": SECRET}},
        headers=as_user("sub-bob"),
    )
    assert res.status_code == 422
    assert "reason" in res.json()["message"]
    assert SECRET not in res.text


def test_unknown_request_ids_are_404_and_audited(client, service, audit, as_user) -> None:
    """Deciding or reading an id that does not exist: 404, nothing created."""
    res = client.post(
        "/api/requests/apr_nope/decision", json={"verdict": "approve"}, headers=as_user("sub-bob")
    )
    assert (res.status_code, res.json()["error"]) == (404, "unknown_request")
    assert client.get("/api/requests/apr_nope", headers=as_user("sub-bob")).status_code == 404
    assert "http.unknown_request" in audit.kinds()
    assert service.pending() == []


def test_a_lying_content_length_is_refused(client, service, as_user) -> None:
    """A non-numeric Content-Length is 413, not a crash."""
    rid = open_request(service)
    res = client.post(
        f"/api/requests/{rid}/decision",
        content=b'{"verdict": "approve"}',
        headers={**as_user("sub-bob"), "Content-Type": "application/json", "Content-Length": "x"},
    )
    assert res.status_code in (400, 413)
    assert service.get(rid).status == "pending"


def test_bad_query_parameters_are_422(client, as_user) -> None:
    """limit must be an integer."""
    res = client.get("/api/requests?limit=lots", headers=as_user("sub-bob"))
    assert (res.status_code, res.json()["error"]) == (422, "invalid")


def test_a_decision_body_sent_too_slowly_is_408(service, verifier, as_user) -> None:
    """A body trickled (or never finished) after valid headers is cut off at read_timeout."""
    import time

    from integrations.http import create_app
    from tests.integrations.http.conftest import Server, slow_post

    rid = open_request(service)
    srv = Server(create_app(service, verifier=verifier, read_timeout=0.5)).start()
    try:
        start = time.monotonic()
        headers = {**as_user("sub-bob"), "Content-Type": "application/json"}
        answer = slow_post(srv.port, f"/api/requests/{rid}/decision", headers)
        assert answer.startswith(b"HTTP/1.1 408")
        assert b"too_slow" in answer
        assert time.monotonic() - start < 3
    finally:
        srv.stop()
    assert service.get(rid).status == "pending"


@pytest.mark.parametrize(
    ("method", "who", "status", "kind"),
    [
        ("post", None, 401, "http.auth_failed"),  # no token at all
        ("post", "forged", 401, "http.auth_failed"),  # a bad token
        ("get", "sub-nobody", 403, "http.unknown_user"),  # a valid token for nobody we know
        ("post", "sub-nobody", 404, "http.unknown_user"),  # ... deciding on no such request
        ("post", "sub-bob", 404, "http.unknown_request"),  # a reviewer, a long unknown id
    ],
)
def test_an_absurdly_long_request_id_is_answered_and_audited(
    service, audit, verifier, as_user, method, who, status, kind
) -> None:
    """A 5,000-character id in the path: the usual 4xx and audit event, not a 500 (the trail
    refuses ids over 512 characters, so the event must not carry it as its request id)."""
    from fastapi.testclient import TestClient

    from integrations.http import create_app

    headers = {} if who is None else as_user(who)
    if who == "forged":
        headers = {"Authorization": "Bearer not-a-valid-key-0000000000"}
    path = "/api/requests/" + "a" * 5000 + ("/decision" if method == "post" else "")
    with TestClient(create_app(service, verifier=verifier), raise_server_exceptions=False) as c:
        res = (
            c.post(path, json={"verdict": "approve"}, headers=headers)
            if method == "post"
            else (c.get(path, headers=headers))
        )
    assert res.status_code == status
    assert kind in audit.kinds()
    assert audit.last(kind).request_id is None
