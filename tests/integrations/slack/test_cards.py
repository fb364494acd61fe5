"""The Block Kit card: snapshotted, plain text only, closed in place when decided or expired."""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from guardrails.approvals import ApprovalService
from guardrails.channels import Card, FanOut, submit_decision
from guardrails.policy import Policy, ToolCall
from guardrails.testing import FixedClock
from integrations.slack import card_blocks, card_text, reason_modal
from tests.integrations.slack.conftest import POLICY
from tests.support.channel_fixtures import EMAIL, MASKED, open_request

SNAPSHOTS = Path(__file__).parent / "snapshots"


def _card(**changes: object) -> Card:
    """A deterministic card: fixed clock, fixed request id."""
    svc = ApprovalService(Policy.from_yaml(POLICY), clock=FixedClock(), digest_key=b"k" * 32)
    call = ToolCall(name="refund", args={"to": EMAIL, "amount": 250}, id="call_1")
    req = svc.gate(call, requester=svc.resolve("principal", "alice"), masked_args=MASKED).request
    card = dataclasses.replace(Card.from_request(req), request_id="apr_snapshot")
    return dataclasses.replace(card, **changes)  # type: ignore[arg-type]


def _check(name: str, blocks: object) -> None:
    path = SNAPSHOTS / name
    text = json.dumps(blocks, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") or not path.exists():
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed; rerun with UPDATE_SNAPSHOTS=1 if intended"


@pytest.mark.parametrize(
    ("name", "changes"),
    [
        ("card_open.json", {}),  # pending: approve / approve with reason / reject buttons
        (  # approved in Slack by bob with a reason: no buttons, the outcome instead
            "card_approved.json",
            {
                "status": "approved",
                "verdict": "approve",
                "decided_by": ("bob",),
                "decision_reason": "ticket 42",
            },
        ),
        ("card_expired.json", {"status": "expired"}),  # expired without a decision
    ],
)
def test_card_json_snapshot(name: str, changes: dict[str, object]) -> None:
    """The Block Kit JSON for each card state matches its committed snapshot."""
    _check(name, card_blocks(_card(**changes)))


def test_reason_modal_snapshot() -> None:
    """The reject modal (reason required) matches its snapshot."""
    _check("modal_reject.json", reason_modal(_card(), verdict="reject"))


def test_model_text_is_never_mrkdwn() -> None:
    """Mentions and links in masked args stay literal text (no mrkdwn anywhere)."""
    card = _card(masked_args={"note": "<!channel> <https://evil.example|click> *bold*"})
    text = json.dumps(card_blocks(card))
    assert '"mrkdwn"' not in text
    assert "<!channel>" in text  # shown, as plain text


@pytest.mark.parametrize(
    "changes",
    [
        {"tool": "<!channel> <https://evil.example|open>"},  # a tool name the model invented
        {"requester_name": "<!here> & <@U0ADMIN>"},  # a display name from the run's config
        {"status": "approved", "verdict": "approve", "tool": "<!everyone>"},  # the closed form
    ],
)
def test_the_notification_text_cannot_ping_or_link(changes: dict[str, object]) -> None:
    """The top-level ``text`` (push notifications; Slack parses it as mrkdwn) escapes
    ``&``, ``<`` and ``>``, so model text there is shown, never a ping or a link."""
    text = card_text(_card(**changes))
    assert "<" not in text
    assert ">" not in text
    assert "&lt;" in text


def test_long_arguments_are_cut_to_slack_limits() -> None:
    """100 KB of arguments still makes a card Slack accepts (section text <= 3000)."""
    blocks = card_blocks(_card(masked_args={"blob": "x" * 100_000}))
    for block in blocks:
        if "text" in block:
            assert len(block["text"]["text"]) <= 3000
        for field in block.get("fields", ()):
            assert len(field["text"]) <= 2000


def test_card_is_updated_when_decided_in_another_channel(service, slack, fake, fanout) -> None:
    """A decision made elsewhere (the inbox) closes the Slack card with chat.update."""
    request = open_request(service)
    submit_decision(
        service,
        request.id,
        channel="http",
        approver=service.resolve("principal", "bob"),
        verdict="approve",
    )
    slack.drain()
    [update] = fake.of("chat.update")
    assert "Approved by bob" in json.dumps(update.params["blocks"])
    assert "actions" not in [b["type"] for b in update.params["blocks"]]


def test_card_is_updated_when_the_request_expires(audit, slack, fake) -> None:
    """tick() past the expiry closes the card as expired."""
    clock = FixedClock()
    service = ApprovalService(Policy.from_yaml(POLICY), audit=audit, clock=clock)
    with FanOut(service, {"slack": slack}):
        request = open_request(service)
        clock.advance(timedelta(minutes=11))
        service.tick()
        slack.drain()
    assert service.status(request.id) == "expired"
    [update] = fake.of("chat.update")
    assert "Expired without a decision" in json.dumps(update.params["blocks"])


def test_a_failing_slack_api_never_undoes_a_decision(service, slack, fake, fanout) -> None:
    """chat.update failing is logged and counted; the decision stands."""
    fake.fail_methods.add("chat.update")
    request = open_request(service)
    submit_decision(
        service,
        request.id,
        channel="http",
        approver=service.resolve("principal", "bob"),
        verdict="approve",
    )
    slack.drain()
    assert service.status(request.id) == "approved"
    assert slack.errors == ["chat_update:SlackApiError"]


def test_a_card_posted_before_a_restart_still_closes(service, fake) -> None:
    """With a persistent message map, a new process's channel updates the old card."""
    from slack_sdk import WebClient

    from integrations.slack import SlackChannel

    messages: dict[str, tuple[str, str]] = {}  # stands in for a shelve file
    client = WebClient(token="xoxb-t", base_url=fake.base_url)
    first = SlackChannel(client, channel="C1", messages=messages)
    with FanOut(service, {"slack": first}):
        request = open_request(service)
        first.drain()
    first.close()
    second = SlackChannel(client, channel="C1", messages=messages)  # after the restart
    with FanOut(service, {"slack": second}):
        submit_decision(
            service, request.id, channel="http",
            approver=service.resolve("principal", "bob"), verdict="approve",
        )  # fmt: skip
        second.drain()
    second.close()
    [update] = fake.of("chat.update")
    assert (update.params["channel"], update.params["ts"]) == messages[request.id]
    assert "Approved by bob" in json.dumps(update.params["blocks"])


def test_the_failure_log_of_a_long_outage_stays_bounded(fake) -> None:
    """With Slack refusing every call for days, ``errors`` keeps the latest failures only
    (it is a diagnostic, not a growing record of every card)."""
    from slack_sdk import WebClient

    from integrations._worker import MAX_ERRORS
    from integrations.slack import SlackChannel

    fake.fail_methods.add("chat.postEphemeral")
    channel = SlackChannel(WebClient(token="xoxb-t", base_url=fake.base_url), channel="C1")
    try:
        for _ in range(MAX_ERRORS + 50):
            channel._worker.record("chat_postEphemeral", RuntimeError())
        channel.tell("UBOB", "refused")
        channel.drain()
        assert len(channel.errors) == MAX_ERRORS
        assert channel.errors[-1] == "chat_postEphemeral:SlackApiError"
    finally:
        channel.close()


def test_the_call_queue_is_bounded_while_slack_hangs(service, fake) -> None:
    """Slack hanging while requests keep coming: at most max_queue calls wait in memory;
    the rest are dropped and counted (a card not posted is still in the inbox, and a click on
    a stale card is refused by the service), never an ever-growing queue."""
    import threading

    from slack_sdk import WebClient

    from guardrails.channels import FanOut
    from integrations.slack import SlackChannel

    gate = threading.Event()
    channel = SlackChannel(
        WebClient(token="xoxb-t", base_url=fake.base_url), channel="C1", max_queue=5
    )
    channel._worker.submit(gate.wait)  # Slack hangs: the worker is stuck on this call
    try:
        with FanOut(service, {"slack": channel}):
            for _ in range(20):
                open_request(service)
            assert channel._worker.queued() <= 5
            assert channel.errors.count("chat_postMessage:queue_full") >= 15
    finally:
        gate.set()
        channel.close()


def test_a_closed_card_is_forgotten_once_its_final_update_is_sent(service, fake) -> None:
    """The message map (often a shelve file) keeps live cards only: after the final update of
    a rejected request its entry is dropped, so months of requests do not pile up in it."""
    from slack_sdk import WebClient

    from integrations.slack import SlackChannel

    messages: dict[str, tuple[str, str]] = {}
    channel = SlackChannel(
        WebClient(token="xoxb-t", base_url=fake.base_url), channel="C1", messages=messages
    )
    try:
        with FanOut(service, {"slack": channel}):
            closed, live = open_request(service), open_request(service)
            bob = service.resolve("principal", "bob")
            submit_decision(
                service, closed.id, channel="http", approver=bob, verdict="reject", reason="no"
            )
            submit_decision(service, live.id, channel="http", approver=bob, verdict="approve")
            channel.drain()
        [update, _] = fake.of("chat.update")
        assert "Rejected by bob" in json.dumps(update.params["blocks"])
        assert closed.id not in messages
        assert live.id in messages  # approved: the tool run will still update it
    finally:
        channel.close()


def test_cards_are_posted_without_link_previews(service, slack, fake, fanout) -> None:
    """A URL in model text (a tool name, an argument) must not make Slack fetch it and attach
    the attacker's preview (title, image) to the approval card: unfurling is off."""
    request = open_request(service)
    submit_decision(
        service,
        request.id,
        channel="http",
        approver=service.resolve("principal", "bob"),
        verdict="approve",
    )
    slack.drain()
    [posted] = fake.of("chat.postMessage")  # chat.update does not unfurl
    assert posted.params.get("unfurl_links") in (False, "false", "0", 0)
    assert posted.params.get("unfurl_media") in (False, "false", "0", 0)
