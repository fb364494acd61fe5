"""Teams: bad input, the refresh verb, Slack + Teams deciding at once, the notify-only webhook."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from slack_sdk import WebClient

from guardrails.channels import FanOut, submit_decision
from integrations.slack import SlackChannel, SlackInteractions
from integrations.teams import TeamsWebhookChannel
from tests.integrations.teams.conftest import invoke
from tests.support.channel_fixtures import EMAIL, open_request
from tests.support.fake_slack import FakeSlack, interaction

SLACK_SECRET = "teams-test-slack-secret-0123456789"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"approve", "text/plain", 415, "unsupported_media_type"),  # not JSON content
        (b"{" + b" " * 70_000 + b"}", "application/json", 413, "too_large"),  # oversized
        (b"{not json", "application/json", 400, "malformed"),  # broken JSON
        (b"[1, 2]", "application/json", 400, "malformed"),  # not an object
    ],
)
def test_bad_bodies_get_a_clear_4xx(service, client, keys, body, content_type, status, code):
    """Unusable bodies are refused by name before anything is decided."""
    request = open_request(service)
    headers = {"content-type": content_type, "Authorization": f"Bearer {keys.token()}"}
    res = client.post("/api/messages", content=body, headers=headers)
    assert res.status_code == status
    assert code in res.text
    assert service.status(request.id) == "pending"


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        (lambda a: a.update(name="task/fetch"), 400, "unsupported"),  # another invoke
        (lambda a: a["value"]["action"].update(type="Action.Submit"), 400, "malformed"),
        (lambda a: a["value"]["action"].update(verb="guardrails.nuke"), 400, "malformed"),
        (lambda a: a["value"]["action"]["data"].update(r=7), 400, "malformed"),  # no request id
        (lambda a: a["value"]["action"]["data"].update(r="apr_nope"), 404, "unknown_request"),
    ],
)
def test_bad_invokes_get_a_clear_4xx(service, send, change, status, code) -> None:
    """Validated but unusable invokes: named 4xx, nothing recorded."""
    request = open_request(service)
    activity = invoke("aad-bob", request)
    change(activity)
    res = send(activity)
    assert res.status_code == status
    assert res.json()["value"]["code"] == code
    assert service.status(request.id) == "pending"


def test_non_invoke_activities_are_acknowledged_without_effect(service, send) -> None:
    """A plain message to the bot is accepted (200) and decides nothing."""
    request = open_request(service)
    res = send({**invoke("aad-bob", request), "type": "message", "text": "approve"})
    assert res.status_code == 200
    assert service.status(request.id) == "pending"


def test_refresh_returns_the_current_card(service, send) -> None:
    """A card decided elsewhere refreshes to its outcome (Universal Actions refresh)."""
    request = open_request(service)
    submit_decision(
        service, request.id, channel="http", approver=service.resolve("principal", "carol"),
        verdict="approve",
    )  # fmt: skip
    res = send(invoke("aad-bob", request, verb="guardrails.refresh"))
    text = json.dumps(res.json()["value"])
    assert "Approved by carol" in text
    assert len(service.get(request.id).votes) == 1


def test_open_card_has_buttons_reason_input_and_no_raw_values(service, send) -> None:
    """The open card offers approve/reject with a reason input; only placeholders appear."""
    request = open_request(service)
    res = send(invoke("aad-alice", request))  # refused: returns the open card
    card = res.json()["value"]
    assert [a["verb"] for a in card["actions"]] == ["guardrails.approve", "guardrails.reject"]
    assert any(b.get("id") == "reason" for b in card["body"])
    assert card["refresh"]["action"]["verb"] == "guardrails.refresh"
    assert "<EMAIL_ADDRESS_1>" in json.dumps(card)
    assert EMAIL not in json.dumps(card)


def test_slack_and_teams_deciding_at_once_give_one_outcome(service, bot, audit, keys) -> None:
    """Bob in Slack and Carol in Teams click together: one decision, both see the outcome."""
    with FakeSlack() as fake:
        slack = SlackChannel(WebClient(token="xoxb-t", base_url=fake.base_url), channel="C1")
        hook = SlackInteractions(service, signing_secret=SLACK_SECRET, channel=slack)
        with FanOut(service, {"slack": slack}):
            request = open_request(service)
            slack.drain()
            gate = threading.Barrier(2)
            results: dict[str, Any] = {}
            payload = {
                "type": "block_actions",
                "user": {"id": "UBOB"},
                "actions": [
                    {
                        "action_id": "guardrails_approve",
                        "action_ts": "9.1",
                        "value": json.dumps({"r": request.id, "d": request.args_digest}),
                    }
                ],
            }
            teams_headers = {
                "content-type": "application/json",
                "authorization": f"Bearer {keys.token()}",
            }

            def via_slack() -> None:
                body, headers = interaction(payload, SLACK_SECRET)
                gate.wait()
                results["slack"] = hook.handle(headers, body)

            def via_teams() -> None:
                body = json.dumps(invoke("aad-carol", request)).encode()
                gate.wait()
                results["teams"] = bot.handle(teams_headers, body)

            threads = [threading.Thread(target=via_slack), threading.Thread(target=via_teams)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            slack.drain()
        slack.close()
        final = service.get(request.id)
        assert final.status == "approved"
        assert len(final.votes) == 1
        winner = final.votes[0].approver.id
        assert audit.kinds().count("approval.decided") == 1
        assert audit.last("approval.refused").data["code"] == "not_pending"
        # Teams: the invoke response is the closed card whoever won.
        teams_card = json.dumps(results["teams"].body["value"])
        assert f"Approved by {winner}" in teams_card
        # Slack: the posted card was updated to the outcome.
        assert f"Approved by {winner}" in json.dumps(fake.of("chat.update")[-1].params["blocks"])


class _Receiver:
    """A loopback webhook receiver that records JSON posts."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def do_POST(self) -> None:
                n = int(self.headers.get("content-length") or 0)
                outer.posts.append(json.loads(self.rfile.read(n)))
                self.send_response(202)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/workflows/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_webhook_tier_notifies_with_a_link_and_never_buttons(service) -> None:
    """Opening and deciding post two cards to the webhook: facts + Open inbox link, no decisions."""
    receiver = _Receiver()
    channel = TeamsWebhookChannel(receiver.url, inbox_url="https://approvals.example/")
    try:
        with FanOut(service, {"teams-webhook": channel}):
            request = open_request(service)
            submit_decision(
                service, request.id, channel="http",
                approver=service.resolve("principal", "bob"), verdict="approve",
            )  # fmt: skip
            channel.drain()
    finally:
        channel.close()
        receiver.stop()
    assert len(receiver.posts) == 2
    opened, closed = (p["attachments"][0]["content"] for p in receiver.posts)
    assert opened["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Review in the inbox",
            "url": "https://approvals.example/",
        }
    ]
    assert "Action.Execute" not in json.dumps(receiver.posts)
    assert "Approved by bob" in json.dumps(closed)
    assert EMAIL not in json.dumps(receiver.posts)
    assert channel.errors == []


def test_quorum_counts_distinct_humans_across_slack_and_teams(service, bot, keys, audit) -> None:
    """Bob in Slack then Bob in Teams is one human (refused); Carol in Teams completes the quorum."""
    with FakeSlack() as fake:
        slack = SlackChannel(WebClient(token="xoxb-t", base_url=fake.base_url), channel="C1")
        hook = SlackInteractions(service, signing_secret=SLACK_SECRET, channel=slack)
        request = open_request(service, tool="wire")
        payload = {
            "type": "block_actions",
            "user": {"id": "UBOB"},
            "actions": [
                {
                    "action_id": "guardrails_approve",
                    "action_ts": "9.2",
                    "value": json.dumps({"r": request.id, "d": request.args_digest}),
                }
            ],
        }
        body, headers = interaction(payload, SLACK_SECRET)
        assert hook.handle(headers, body).body == {"ok": True}
        slack.close()
    teams = {"content-type": "application/json", "authorization": f"Bearer {keys.token()}"}
    bot.handle(teams, json.dumps(invoke("aad-bob", request)).encode())
    assert audit.last("approval.refused").data["code"] == "duplicate_approver"
    assert service.status(request.id) == "pending"
    bot.handle(teams, json.dumps(invoke("aad-carol", request)).encode())
    final = service.get(request.id)
    assert final.status == "approved"
    assert [(v.approver.id, v.channel) for v in final.votes] == [
        ("bob", "slack"),
        ("carol", "teams"),
    ]


def test_a_body_sent_too_slowly_is_cut_off(bot) -> None:
    """The body must be whole before its token is checked: after read_timeout, 408."""
    import time

    from integrations.teams import create_teams_app
    from tests.integrations.http.conftest import Server, slow_post

    srv = Server(create_teams_app(bot, read_timeout=0.5)).start()
    try:
        start = time.monotonic()
        answer = slow_post(srv.port, "/api/messages", {"Content-Type": "application/json"})
        assert answer.startswith(b"HTTP/1.1 408")
        assert time.monotonic() - start < 3
    finally:
        srv.stop()
