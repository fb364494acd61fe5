"""Slack fixtures: a policy with linked Slack users, the fake Web API, the channel and endpoint."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from starlette.testclient import TestClient

from guardrails.approvals import ApprovalService
from guardrails.channels import FanOut
from guardrails.policy import Policy
from guardrails.testing import AuditCapture, capture_audit
from integrations.slack import SlackChannel, SlackInteractions, create_slack_app
from tests.support.channel_fixtures import channel_policy
from tests.support.fake_slack import FakeSlack, interaction

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PATH = "/slack/interactions"

POLICY = channel_policy(
    "slack-tests",
    {
        "alice": "{slack: [UALICE]}",
        "bob": "{slack: [UBOB]}",
        "carol": "{email: [carol@corp.example], token: [sub-carol]}",
        "dave": "{slack: [UDAVE]}",
        "agent-1": "{slack: [UBOT]}",
    },
    # only at execution; cards and the model see placeholders
    tools="tools:\n  refund: {restore: [EMAIL_ADDRESS]}",
)

_clicks = itertools.count(1)


@pytest.fixture
def audit() -> AuditCapture:
    return capture_audit()


@pytest.fixture
def service(audit: AuditCapture) -> ApprovalService:
    return ApprovalService(Policy.from_yaml(POLICY), audit=audit)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    # UCAROL is linked only through her e-mail (users.info); UNOBODY is a real Slack user we
    # do not know; UGHOST does not exist in Slack at all.
    with FakeSlack(users={"UCAROL": "carol@corp.example", "UNOBODY": "x@else.example"}) as f:
        yield f


@pytest.fixture
def slack(fake: FakeSlack) -> Iterator[SlackChannel]:
    channel = SlackChannel(
        WebClient(token="xoxb-test", base_url=fake.base_url), channel="CAPPROVALS"
    )
    yield channel
    channel.close()


@pytest.fixture
def fanout(service: ApprovalService, slack: SlackChannel) -> Iterator[FanOut]:
    with FanOut(service, {"slack": slack}) as f:
        yield f


@pytest.fixture
def interactions(service: ApprovalService, slack: SlackChannel) -> SlackInteractions:
    return SlackInteractions(service, signing_secret=SECRET, channel=slack)


@pytest.fixture
def client(interactions: SlackInteractions, fanout: FanOut) -> Iterator[TestClient]:
    with TestClient(create_slack_app(interactions)) as c:
        yield c


def click_payload(
    user: str, request: Any, *, action: str = "guardrails_approve", action_ts: str | None = None
) -> dict[str, Any]:
    """A block_actions payload as Slack sends it for a click on our card."""
    import json

    return {
        "type": "block_actions",
        "user": {"id": user, "username": "claimed-name"},
        "trigger_id": f"trig.{next(_clicks)}",
        "container": {"type": "message", "message_ts": "1.000001", "channel_id": "CAPPROVALS"},
        "actions": [
            {
                "action_id": action,
                "block_id": "guardrails",
                "value": json.dumps({"r": request.id, "d": request.args_digest}),
                "action_ts": action_ts or f"{time.time():.6f}.{next(_clicks)}",
            }
        ],
    }


@pytest.fixture
def post(client: TestClient) -> Callable[..., Any]:
    """Send a payload signed with the app's secret (or ``secret=``/``timestamp=`` to forge)."""

    def send(payload: dict[str, Any], *, secret: str = SECRET, timestamp: int | None = None) -> Any:
        body, headers = interaction(payload, secret, timestamp=timestamp)
        return client.post(PATH, content=body, headers=headers)

    return send
