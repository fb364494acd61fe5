"""Who may read a request through the API. By default (visibility="involved") only its requester,
the people who may decide it now and those who voted; anyone else gets the 404 of an unknown id,
in the listing, one request, the history, a page by cursor, a decision and the web inbox
(tests/integrations/http/test_browser.py). visibility="all" is the explicit opt-in for every directory human's view
(a colleague sees the card, told they cannot decide)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from guardrails import ConfigurationError
from guardrails.approvals import ApprovalService
from guardrails.testing import AuditCapture
from integrations.http import Verifiers, create_app
from tests.integrations.http.conftest import open_request
from tests.integrations.http.test_paging import _open, _pages

# alice asks; finance (bob, carol) may decide; dave is sales: involved in nothing


@pytest.fixture
def everyone(service: ApprovalService, verifier: Verifiers) -> Iterator[TestClient]:
    with TestClient(create_app(service, verifier=verifier, visibility="all")) as c:
        yield c


def _ids(client: TestClient, path: str, headers: dict[str, str]) -> list[str]:
    res = client.get(path, headers=headers)
    assert res.status_code == 200, res.text
    return [r["request_id"] for r in res.json()["requests"]]


def test_by_default_only_the_involved_list_a_pending_request(
    client: TestClient, service: ApprovalService, as_user: Callable[[str], dict[str, str]]
) -> None:
    """The default listing shows a request to its requester and deciders, not to dave."""
    rid = open_request(service)
    for sub in ("sub-alice", "sub-bob", "sub-carol"):
        assert _ids(client, "/api/requests", as_user(sub)) == [rid]
    assert _ids(client, "/api/requests", as_user("sub-dave")) == []


def test_by_default_an_uninvolved_reviewer_gets_the_404_of_an_unknown_id(
    client: TestClient, service: ApprovalService, as_user: Callable[[str], dict[str, str]]
) -> None:
    """GET /api/requests/{id} of someone else's request answers exactly as for no request."""
    rid = open_request(service)
    for sub in ("sub-alice", "sub-bob", "sub-carol"):
        assert client.get(f"/api/requests/{rid}", headers=as_user(sub)).status_code == 200
    res = client.get(f"/api/requests/{rid}", headers=as_user("sub-dave"))
    unknown = client.get("/api/requests/apr_nope", headers=as_user("sub-dave"))
    assert (res.status_code, res.json()) == (404, unknown.json())


def test_by_default_history_shows_a_closed_request_to_who_was_involved_only(
    client: TestClient, service: ApprovalService, as_user: Callable[[str], dict[str, str]]
) -> None:
    """A rejected request stays readable by its voter and requester; dave's history is empty."""
    rid = open_request(service)
    body: dict[str, Any] = {"verdict": "reject", "reason": "not this one"}
    res = client.post(f"/api/requests/{rid}/decision", json=body, headers=as_user("sub-bob"))
    assert res.status_code == 200, res.text
    assert _ids(client, "/api/history", as_user("sub-bob")) == [rid]  # voted
    assert _ids(client, "/api/history", as_user("sub-alice")) == [rid]  # asked
    assert _ids(client, "/api/history", as_user("sub-dave")) == []
    assert client.get(f"/api/requests/{rid}", headers=as_user("sub-dave")).status_code == 404


def test_by_default_an_uninvolved_reviewer_pages_through_nothing(
    client: TestClient, service: ApprovalService, as_user: Callable[[str], dict[str, str]]
) -> None:
    """Paging by cursor, from the start or with a decider's cursor, yields dave no request."""
    opened = _open(service, 7)
    pages, cursors = _pages(client, as_user("sub-bob"), 3)
    assert [i for p in pages for i in p] == opened  # the decider pages through all seven
    assert _pages(client, as_user("sub-dave"), 3) == ([[]], [])
    res = client.get(
        "/api/requests", params={"limit": 3, "cursor": cursors[0]}, headers=as_user("sub-dave")
    )
    assert res.status_code == 200, res.text
    assert (res.json()["requests"], res.json()["next_cursor"]) == ([], None)


def test_by_default_an_uninvolved_decision_is_refused_as_if_the_id_were_unknown(
    client: TestClient,
    service: ApprovalService,
    audit: AuditCapture,
    as_user: Callable[[str], dict[str, str]],
) -> None:
    """Dave's approve on alice's request: the 404 of no request, refused and audited, pending."""
    rid = open_request(service)
    body: dict[str, Any] = {"verdict": "approve", "reason": "looks fine"}
    res = client.post(f"/api/requests/{rid}/decision", json=body, headers=as_user("sub-dave"))
    unknown = client.post("/api/requests/apr_nope/decision", json=body, headers=as_user("sub-dave"))
    assert (res.status_code, res.json()) == (404, unknown.json())
    assert service.get(rid).status == "pending"
    refused = audit.last("approval.refused")
    assert (refused.principal, refused.data["code"]) == ("dave", "not_authorized")


def test_visibility_all_is_an_explicit_opt_in_and_a_bad_setting_is_refused(
    everyone: TestClient,
    service: ApprovalService,
    verifier: Verifiers,
    as_user: Callable[[str], dict[str, str]],
) -> None:
    """visibility="all" shows dave the card (told he cannot decide); an unknown value is refused."""
    rid = open_request(service)
    assert _ids(everyone, "/api/requests", as_user("sub-dave")) == [rid]
    card = everyone.get(f"/api/requests/{rid}", headers=as_user("sub-dave")).json()
    assert card["you_may_decide"] is False
    body: dict[str, Any] = {"verdict": "approve"}
    res = everyone.post(f"/api/requests/{rid}/decision", json=body, headers=as_user("sub-dave"))
    assert (res.status_code, res.json()["error"]) == (403, "not_authorized")
    with pytest.raises(ConfigurationError):
        create_app(service, verifier=verifier, visibility="everyone")  # type: ignore[arg-type]
