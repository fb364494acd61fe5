"""Slack channel: Block Kit approval cards, a verified interactivity endpoint, a reason modal.

Example:
    >>> from slack_sdk import WebClient
    >>> from guardrails.approvals import ApprovalService
    >>> from guardrails.channels import FanOut
    >>> from guardrails.policy import Policy
    >>> from integrations.slack import SlackChannel, SlackInteractions, create_slack_app
    >>> service = ApprovalService(Policy.default_policy())
    >>> slack = SlackChannel(WebClient(token="xoxb-test"), channel="C0APPROVALS")
    >>> fanout = FanOut(service, {"slack": slack})
    >>> app = create_slack_app(SlackInteractions(service, signing_secret="s" * 32, channel=slack))
    >>> slack.close()
"""

from integrations._deps import require

require("slack_sdk", extra="slack", package="slack-sdk")
require("starlette", extra="slack")

from integrations.slack._app import create_slack_app  # noqa: E402
from integrations.slack._blocks import card_blocks, card_text, reason_modal  # noqa: E402
from integrations.slack._channel import SlackChannel  # noqa: E402
from integrations.slack._interactions import SlackInteractions  # noqa: E402
from integrations.slack._parsing import SlackResponse  # noqa: E402

__all__ = [
    "SlackChannel",
    "SlackInteractions",
    "SlackResponse",
    "card_blocks",
    "card_text",
    "create_slack_app",
    "reason_modal",
]
