"""The bot's own cards: posted to a conversation, replaced in place when decided or expired."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from guardrails.approvals import ApprovalService
from guardrails.channels import FanOut, submit_decision
from guardrails.policy import Policy
from guardrails.testing import FixedClock
from integrations.teams import TeamsBotChannel
from tests.integrations.teams.conftest import POLICY
from tests.support.channel_fixtures import EMAIL, open_request

SNAPSHOT = Path(__file__).parent / "snapshots"


class Connector:
    """A loopback Bot Connector: records POST/PUT activities and their bearer tokens."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any], str]] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def _record(self, method: str) -> None:
                n = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(n))
                outer.calls.append((method, self.path, body, self.headers["authorization"]))
                out = json.dumps({"id": f"act-{len(outer.calls)}"}).encode()
                self.send_response(201 if method == "POST" else 200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def do_POST(self) -> None:
                self._record("POST")

            def do_PUT(self) -> None:
                self._record("PUT")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/emea/"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def connector() -> Any:
    c = Connector()
    yield c
    c.stop()


def _channel(connector: Connector) -> TeamsBotChannel:
    return TeamsBotChannel(
        service_url=connector.url, conversation_id="19:room@thread.tacv2", token=lambda: "tok-1"
    )


def test_card_is_posted_then_replaced_when_decided_elsewhere(service, connector) -> None:
    """Opening posts the card; Slack/HTTP deciding replaces the same activity with the outcome."""
    channel = _channel(connector)
    try:
        with FanOut(service, {"teams": channel}):
            request = open_request(service)
            submit_decision(
                service, request.id, channel="slack",
                approver=service.resolve("principal", "bob"), verdict="approve",
            )  # fmt: skip
            channel.drain()
    finally:
        channel.close()
    (m1, p1, b1, auth), (m2, p2, b2, _) = connector.calls
    assert (m1, p1) == ("POST", "/emea/v3/conversations/19%3Aroom%40thread.tacv2/activities")
    assert (m2, p2) == ("PUT", p1 + "/act-1")
    assert auth == "Bearer tok-1"
    assert "Action.Execute" in json.dumps(b1)
    assert "Approved by bob" in json.dumps(b2)
    assert "Action.Execute" not in json.dumps(b2["attachments"][0]["content"].get("actions", []))
    assert EMAIL not in json.dumps([c[2] for c in connector.calls])
    assert channel.errors == []


def test_card_is_replaced_when_the_request_expires(audit, connector) -> None:
    """tick() past expiry replaces the card with the expired outcome."""
    clock = FixedClock()
    service = ApprovalService(Policy.from_yaml(POLICY), audit=audit, clock=clock)
    channel = _channel(connector)
    try:
        with FanOut(service, {"teams": channel}):
            open_request(service)
            clock.advance(timedelta(minutes=11))
            service.tick()
            channel.drain()
    finally:
        channel.close()
    assert [c[0] for c in connector.calls] == ["POST", "PUT"]
    assert "Expired without a decision" in json.dumps(connector.calls[-1][2])


def test_open_card_snapshot() -> None:
    """The bot's open Adaptive Card matches its committed snapshot."""
    import dataclasses
    import os

    from guardrails.channels import Card
    from integrations.teams import request_card

    svc = ApprovalService(Policy.from_yaml(POLICY), clock=FixedClock(), digest_key=b"k" * 32)
    card = dataclasses.replace(Card.from_request(open_request(svc)), request_id="apr_snapshot")
    text = json.dumps(request_card(card), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    path = SNAPSHOT / "card_open.json"
    if os.environ.get("UPDATE_SNAPSHOTS") or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text()


def test_a_closed_card_is_forgotten_once_replaced(service, connector) -> None:
    """After the final PUT of a rejected request, its activity id is dropped (live ones kept)."""
    channel = _channel(connector)
    try:
        with FanOut(service, {"teams": channel}):
            closed, live = open_request(service), open_request(service)
            bob = service.resolve("principal", "bob")
            submit_decision(
                service, closed.id, channel="slack", approver=bob, verdict="reject", reason="no"
            )
            submit_decision(service, live.id, channel="slack", approver=bob, verdict="approve")
            channel.drain()
        assert [m for m, *_ in connector.calls] == ["POST", "POST", "PUT", "PUT"]
        assert channel.activity_id(closed.id) is None
        assert channel.activity_id(live.id) is not None
    finally:
        channel.close()
