"""create_app(visibility="involved"): a request is readable only by its requester, the people who
may decide it now and those who voted; anyone else gets the 404 of an unknown id. The default
("all") keeps every directory human's view (a colleague sees the card, told they cannot decide)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from guardrails import ConfigurationError
from guardrails.approvals import ApprovalService
from integrations.http import Verifiers, create_app
from tests.integrations.http.conftest import open_request


@pytest.fixture
def involved(service: ApprovalService, verifier: Verifiers) -> Iterator[TestClient]:
    with TestClient(create_app(service, verifier=verifier, visibility="involved")) as c:
        yield c


def _ids(client: TestClient, path: str, headers: dict[str, str]) -> list[str]:
    res = client.get(path, headers=headers)
    assert res.status_code == 200, res.text
    return [r["request_id"] for r in res.json()["requests"]]


def test_only_the_involved_read_a_request(
    involved: TestClient, service: ApprovalService, as_user: Callable[[str], dict[str, str]]
) -> None:
    rid = open_request(service)  # alice asks; finance (bob, carol) may decide; dave is sales
    for sub in ("sub-alice", "sub-bob", "sub-carol"):
        assert _ids(involved, "/api/requests", as_user(sub)) == [rid]
        assert involved.get(f"/api/requests/{rid}", headers=as_user(sub)).status_code == 200
    assert _ids(involved, "/api/requests", as_user("sub-dave")) == []
    res = involved.get(f"/api/requests/{rid}", headers=as_user("sub-dave"))
    unknown = involved.get("/api/requests/apr_nope", headers=as_user("sub-dave"))
    assert (res.status_code, res.json()) == (404, unknown.json())  # same answer as no request


def test_closed_requests_stay_readable_by_who_was_involved_only(
    involved: TestClient, service: ApprovalService, as_user: Callable[[str], dict[str, str]]
) -> None:
    rid = open_request(service)
    body: dict[str, Any] = {"verdict": "reject", "reason": "not this one"}
    res = involved.post(f"/api/requests/{rid}/decision", json=body, headers=as_user("sub-bob"))
    assert res.status_code == 200, res.text
    assert _ids(involved, "/api/history", as_user("sub-bob")) == [rid]  # voted
    assert _ids(involved, "/api/history", as_user("sub-alice")) == [rid]  # asked
    assert _ids(involved, "/api/history", as_user("sub-dave")) == []
    assert involved.get(f"/api/requests/{rid}", headers=as_user("sub-dave")).status_code == 404


def test_the_default_shows_every_directory_human_and_a_bad_setting_is_refused(
    client: TestClient,
    service: ApprovalService,
    verifier: Verifiers,
    as_user: Callable[[str], dict[str, str]],
) -> None:
    rid = open_request(service)
    assert _ids(client, "/api/requests", as_user("sub-dave")) == [rid]
    card = client.get(f"/api/requests/{rid}", headers=as_user("sub-dave")).json()
    assert card["you_may_decide"] is False
    with pytest.raises(ConfigurationError):
        create_app(service, verifier=verifier, visibility="everyone")  # type: ignore[arg-type]
