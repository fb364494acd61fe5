"""The web inbox in headless Chromium (Debian's, driven by Playwright): sign in, review, decide."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from guardrails.policy import ToolCall
from integrations.http import AutoResume, GraphResumer
from tests.integrations.http.conftest import DEV_KEYS
from tests.integrations.http.test_resume import Agent
from tests.support.channel_fixtures import EMAIL

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KEY = {sub: key for key, sub in DEV_KEYS.items()}
HOSTILE = '<img src=x onerror="window.__pwned=1">'

pytestmark = pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian chromium not installed")


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _sign_in(browser: Any, url: str, sub: str = "", *, token: str = "") -> Any:
    page = browser.new_page(viewport={"width": 1000, "height": 1100})
    page.goto(url)
    page.fill("#token", token or KEY[sub])
    page.click("#signin")
    page.wait_for_selector("#inbox:not([hidden])")
    return page


def test_reviewer_approves_in_the_browser_and_the_tool_runs_once(
    browser, server, service, audit
) -> None:
    """Bob signs in with a dev key, sees the masked card, approves with a reason; it closes."""
    agent = Agent(service)
    auto = AutoResume(service, resumer=GraphResumer(graph=agent.graph, service=service))
    try:
        agent.start("web1")
        page = _sign_in(browser, server.url, "sub-bob")
        card = page.locator("article.card")
        card.wait_for()
        assert card.locator(".tool").inner_text() == "refund"
        text = card.inner_text()
        assert "<EMAIL_ADDRESS_1>" in text
        assert EMAIL not in page.content()
        assert "refunds need a finance reviewer" in text
        assert "Alice Requester" in text
        assert "left" in card.locator(".timer").inner_text()
        card.locator("textarea").first.fill("matches ticket 42")
        card.locator("button[data-verdict=approve]").click()
        page.wait_for_selector("article.card", state="detached")
        auto.drain()
        assert agent.runs == [10]
        page.locator("#history li", has_text="Approved by bob").wait_for()
        assert "matches ticket 42" in page.locator("#history").inner_text()
        vote = service.pending() == [] and audit.last("approval.decided")
        assert vote.principal == "bob"
        assert vote.data["channel"] == "http"
    finally:
        auto.close()


@pytest.mark.parametrize(
    ("who", "late", "code", "words"),
    [
        ("alice", False, "self_approval", "so you cannot approve it"),  # the requester herself
        ("dave", False, "not_authorized", "not one of the approvers"),  # outside the rule's group
        ("bob", True, "expired", "expired before a decision"),  # the deadline passed on screen
    ],
)
def test_refusals_are_shown_plainly_in_the_browser(
    browser, keys, policy, audit, verifier, who, late, code, words
) -> None:
    """The card says in words why the decision was refused; nothing is decided; it is audited."""
    from datetime import timedelta

    from guardrails.approvals import ApprovalService
    from guardrails.testing import FixedClock
    from integrations.http import create_app
    from tests.integrations.http.conftest import Server

    clock = FixedClock()
    service = ApprovalService(policy, audit=audit, clock=clock)
    call = ToolCall(name="refund", args={"to": EMAIL, "amount": 5})
    rid = service.gate(
        call, requester=service.resolve("principal", "alice"), masked_args={"to": "<EMAIL_1>"}
    ).request.id
    # visibility="all": dave, outside the rule's group, must see the card to be refused on it
    server = Server(create_app(service, verifier=verifier, visibility="all")).start()
    try:
        # signed in with a JWT from the identity provider (not a dev key)
        page = _sign_in(browser, server.url, token=keys.token(f"sub-{who}"))
        card = page.locator("article.card")
        card.wait_for()
        if who == "alice":
            assert "You requested this action" in card.inner_text()
        if late:
            clock.advance(timedelta(minutes=11))
        card.locator("button[data-verdict=approve]").click()
        alert = card.locator(".refusal")
        alert.wait_for()
        assert words in alert.inner_text()
        assert f"({code})" in alert.inner_text()
        assert service.get(rid).status == ("expired" if late else "pending")
        assert audit.last("approval.refused").data["code"] == code
    finally:
        server.stop()


def test_hostile_masked_args_render_as_text(browser, server, service) -> None:
    """Markup in a masked argument is shown literally and never runs."""
    call = ToolCall(name="refund", args={"note": HOSTILE})
    service.gate(
        call, requester=service.resolve("principal", "alice"), masked_args={"note": HOSTILE}
    )
    page = _sign_in(browser, server.url, "sub-bob")
    cell = page.locator("table.args td").first
    cell.wait_for()
    assert cell.inner_text() == HOSTILE
    assert page.locator("article.card img").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_a_rate_limited_poll_keeps_the_cards_and_says_so(browser, service) -> None:
    """A 429 on a poll leaves the pending cards in place and shows the server's message."""
    from integrations.http import ApiKeys, RateLimits, create_app
    from tests.integrations.http.conftest import Server, open_request

    open_request(service)
    app = create_app(
        service, verifier=ApiKeys(DEV_KEYS), rate_limits=RateLimits(reads_per_principal="4/minute")
    )
    server = Server(app).start()
    try:
        page = _sign_in(browser, server.url, "sub-bob")  # /api/me + the first two listings
        page.locator("article.card").first.wait_for()
        page.locator("#updated", has_text="Not updated: too many requests").wait_for(timeout=10_000)
        assert page.locator("article.card").count() == 1
        assert page.locator("#empty").is_hidden()
    finally:
        server.stop()


def test_inbox_screenshot(browser, server, service, tmp_path: Path) -> None:
    """Bob's inbox with two pending cards, a refusal and a decided one (docs/inbox.png)."""
    alice = service.resolve("principal", "alice")
    bob = service.resolve("principal", "bob")
    done = service.gate(
        ToolCall(name="refund", args={"to": "x@example.com", "amount": 900}, id="c0"),
        requester=alice,
        masked_args={"to": "<EMAIL_ADDRESS_2>", "amount": 900},
    ).request
    from guardrails.channels import submit_decision

    submit_decision(
        service,
        done.id,
        channel="slack",
        approver=service.resolve("principal", "carol"),
        verdict="reject",
        reason="already refunded last week",
    )
    service.gate(
        ToolCall(name="refund", args={"to": EMAIL, "amount": 250}, id="c1"),
        requester=alice,
        masked_args={"to": "<EMAIL_ADDRESS_1>", "amount": 250, "card": "<CREDIT_CARD_1>"},
    )
    service.gate(
        ToolCall(name="wire", args={"iban": "DE89370400440532013000", "amount": 12000}, id="c2"),
        requester=alice,
        masked_args={"iban": "<IBAN_CODE_1>", "amount": 12000, "memo": "Q4 supplier invoice"},
    )
    service.gate(
        ToolCall(name="refund", args={"to": "bob@example.com", "amount": 40}, id="c3"),
        requester=bob,
        masked_args={"to": "<EMAIL_ADDRESS_3>", "amount": 40},
    )
    page = _sign_in(browser, server.url, "sub-bob")
    page.wait_for_selector("#history li .badge.rejected")
    mine = page.locator("article.card.mine")
    mine.locator("button[data-verdict=approve]").click()
    mine.locator(".refusal").wait_for()
    out = Path(os.environ.get("INBOX_SCREENSHOT") or tmp_path / "inbox.png")
    page.screenshot(path=str(out), full_page=True)
    assert out.stat().st_size > 10_000


def test_reviewer_edits_the_arguments_in_the_browser(browser, server, service) -> None:
    """Edit arguments…: the reviewer's JSON is recorded as the approved call (placeholders kept)."""
    call = ToolCall(name="refund", args={"to": EMAIL, "amount": 500})
    rid = service.gate(
        call,
        requester=service.resolve("principal", "alice"),
        masked_args={"to": "<EMAIL_ADDRESS_1>", "amount": 500},
    ).request.id
    page = _sign_in(browser, server.url, "sub-bob")
    card = page.locator("article.card")
    card.locator("button", has_text="Edit arguments").click()
    card.locator("textarea.json").fill('{"to": "<EMAIL_ADDRESS_1>", "amount": 50}')
    card.locator("button[data-verdict=edit]").click()
    card.wait_for(state="detached")
    request = service.get(rid)
    assert request.status == "approved"
    assert dict(request.edited_args or {}) == {"to": "<EMAIL_ADDRESS_1>", "amount": 50}


def test_a_vote_from_another_channel_shows_without_a_reload(browser, server, service) -> None:
    """Quorum 2: Carol approves in Slack; Bob's open inbox shows 1 of 2 (carol) on the next poll."""
    from guardrails.channels import submit_decision

    call = ToolCall(name="wire", args={"amount": 12000})
    rid = service.gate(
        call, requester=service.resolve("principal", "alice"), masked_args={"amount": 12000}
    ).request.id
    page = _sign_in(browser, server.url, "sub-bob")
    meta = page.locator("article.card .meta")
    assert "approvals 0 of 2" in meta.inner_text()
    submit_decision(
        service,
        rid,
        channel="slack",
        approver=service.resolve("principal", "carol"),
        verdict="approve",
    )
    page.locator("article.card .meta", has_text="approvals 1 of 2 (carol)").wait_for(timeout=10_000)


def test_by_default_the_inbox_shows_an_uninvolved_reviewer_nothing(
    browser, server, service, keys
) -> None:
    """Dave (sales) signs in to the default app: no card, no history; bob sees both."""
    from guardrails.channels import submit_decision
    from tests.integrations.http.conftest import open_request

    closed = open_request(service)
    submit_decision(
        service,
        closed,
        channel="slack",
        approver=service.resolve("principal", "carol"),
        verdict="reject",
        reason="not this one",
    )
    open_request(service)
    page = _sign_in(browser, server.url, token=keys.token("sub-dave"))
    page.locator("#empty").wait_for()
    page.locator("#updated", has_text=re.compile(r"^Updated ")).wait_for(timeout=10_000)
    assert page.locator("#count").inner_text() == "0"
    assert page.locator("article.card").count() == 0
    assert page.locator("#history").inner_text() == "No decisions yet."
    page = _sign_in(browser, server.url, "sub-bob")  # the same server shows the decider both
    page.locator("article.card").wait_for()
    page.locator("#history li", has_text="Rejected by carol").wait_for()
