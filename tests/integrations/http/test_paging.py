"""GET /api/requests pages by cursor: every pending request once, oldest first, past any count;
a bad cursor is a 400; with visibility="involved" a cursor never names a request the caller may
not read; the web inbox shows the next page on demand."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from guardrails.approvals import ApprovalService
from guardrails.policy import ToolCall
from integrations.http import Verifiers, create_app
from tests.support.channel_fixtures import MASKED


def _open(service: ApprovalService, n: int, requester: str = "alice", start: int = 0) -> list[str]:
    ids = []
    who = service.resolve("principal", requester)
    for i in range(start, start + n):
        call = ToolCall(name="refund", args={"amount": i}, id=f"call_{requester}_{i}")
        request = service.gate(call, requester=who, masked_args=MASKED).request
        assert request is not None
        ids.append(request.id)
    return ids


def _pages(
    client: TestClient, headers: dict[str, str], limit: int
) -> tuple[list[list[str]], list[str]]:
    pages: list[list[str]] = []
    cursors: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        res = client.get("/api/requests", params=params, headers=headers)
        assert res.status_code == 200, res.text
        body = res.json()
        pages.append([r["request_id"] for r in body["requests"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages, cursors
        cursors.append(cursor)


def test_pages_cover_every_pending_request_once_in_order(
    client: TestClient, service: ApprovalService, as_user: Callable[[str], dict[str, str]]
) -> None:
    opened = _open(service, 250)
    expected = [r.id for r in service.pending(limit=1000)]
    assert sorted(expected) == sorted(opened)
    pages, _ = _pages(client, as_user("sub-bob"), 100)
    assert [len(p) for p in pages] == [100, 100, 50]
    assert [i for p in pages for i in p] == expected
    # the old behaviour, one page of 100 and nothing to say more exist, is gone:
    first = client.get("/api/requests", headers=as_user("sub-bob")).json()
    assert len(first["requests"]) == 100
    assert first["next_cursor"] is not None


def test_a_full_last_page_has_no_cursor(
    client: TestClient, service: ApprovalService, as_user: Callable[[str], dict[str, str]]
) -> None:
    _open(service, 10)
    pages, _ = _pages(client, as_user("sub-bob"), 5)
    assert [len(p) for p in pages] == [5, 5]


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!!",
        "A" * 600,
        _b64("[]"),
        _b64('{"a": 1, "b": 2}'),
        _b64('["2026-01-01T00:00:00", "apr_1"]'),  # no time zone
        _b64('["yesterday", "apr_1"]'),
        _b64('["2026-01-01T00:00:00+00:00", 7]'),
        _b64('["2026-01-01T00:00:00+00:00", "' + "x" * 300 + '"]'),
        _b64("\x00\x01"),
    ],
)
def test_a_bad_cursor_is_a_400_and_changes_nothing(
    client: TestClient,
    service: ApprovalService,
    as_user: Callable[[str], dict[str, str]],
    cursor: str,
) -> None:
    _open(service, 3)
    before = [(r.id, r.status) for r in service.pending()]
    res = client.get("/api/requests", params={"cursor": cursor}, headers=as_user("sub-bob"))
    assert res.status_code == 400
    assert res.json()["error"] == "bad_cursor"
    assert [(r.id, r.status) for r in service.pending()] == before


def test_involved_pages_hold_only_readable_requests_and_cursors_name_only_those(
    service: ApprovalService, verifier: Verifiers, as_user: Callable[[str], dict[str, str]]
) -> None:
    mine: list[str] = []
    for block in range(6):  # alice's and dave's requests interleaved, in uneven runs
        _open(service, 9, "alice", start=block * 20)
        mine += _open(service, 4, "dave", start=block * 20 + 10)
    with TestClient(create_app(service, verifier=verifier, visibility="involved")) as involved:
        pages, cursors = _pages(involved, as_user("sub-dave"), 5)
    assert [i for p in pages for i in p] == mine
    assert all(len(p) == 5 for p in pages[:-1])
    for cursor in cursors:
        _, request_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        assert request_id in mine


def test_the_inbox_shows_the_next_page_on_demand(server: Any, service: ApprovalService) -> None:
    import shutil

    from tests.integrations.http.test_browser import CHROMIUM, _sign_in

    if not shutil.which(CHROMIUM):
        pytest.skip("Debian chromium not installed")
    from playwright.sync_api import sync_playwright

    from tests.integrations.http.test_browser import ARGS

    _open(service, 130)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = _sign_in(browser, server.url, "sub-bob")
            page.locator("#count", has_text="100+").wait_for(timeout=10_000)
            assert page.locator("article.card").count() == 100
            page.click("#more")
            page.locator("#count", has_text="130").wait_for(timeout=10_000)
            assert page.locator("#count").inner_text() == "130"
            assert page.locator("article.card").count() == 130
            assert page.locator("#more").is_hidden()
        finally:
            browser.close()
