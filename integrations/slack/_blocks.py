"""Block Kit for one approval request: the card, its closed form, and the reason modal.

Every field the agent or a user could influence (tool name, masked arguments, reason, requester
name) is rendered as ``plain_text``, never ``mrkdwn`` (and escaped in the message's fallback
``text``, which Slack parses as mrkdwn): masked arguments are still model-written
text, and ``mrkdwn`` would turn ``<!channel>`` or ``<https://evil|click>`` into a ping or a link.
Texts are cut to Slack's limits so a long argument cannot make ``chat.postMessage`` fail.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from guardrails.channels import Card

__all__ = [
    "ACTIONS",
    "ACTION_APPROVE",
    "ACTION_APPROVE_REASON",
    "ACTION_REJECT",
    "MODAL_CALLBACK",
    "card_blocks",
    "card_text",
    "reason_modal",
]

ACTION_APPROVE = "guardrails_approve"
ACTION_REJECT = "guardrails_reject"
ACTION_APPROVE_REASON = "guardrails_approve_reason"
ACTIONS = {ACTION_APPROVE: "approve", ACTION_REJECT: "reject", ACTION_APPROVE_REASON: "approve"}
MODAL_CALLBACK = "guardrails_decision"

_ARGS_LIMIT = 2900  # section text is limited to 3000 characters
_FIELD_LIMIT = 1900  # section fields are limited to 2000 characters
_HEADER_LIMIT = 150


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str, limit: int = _FIELD_LIMIT) -> dict[str, Any]:
    # emoji=False: a ":shortcode:" in model text stays text
    return {"type": "plain_text", "text": _cut(text, limit) or " ", "emoji": False}


def _when(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%d %H:%M UTC")


def button_value(card: Card) -> str:
    """What a button carries back: the request and the exact arguments the reviewer saw."""
    return json.dumps({"r": card.request_id, "d": card.args_digest}, separators=(",", ":"))


def _escape(text: str) -> str:
    # Slack's required escaping for text it parses as mrkdwn: no <!channel>, <@U…> or <url|…>
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def card_text(card: Card) -> str:
    """The notification fallback text (push notifications, screen readers).

    Slack parses a message's top-level ``text`` as mrkdwn even when it has blocks, so the
    model-influenced parts are escaped (cut first, so an entity is never split).
    """
    if card.open:
        text = _cut(f"Approval needed: {card.tool} (requested by {card.requester_name})", 300)
    else:
        text = _cut(f"{card.tool}: {card.summary()}", 300)
    return _escape(text)


def card_blocks(card: Card, *, inbox_url: str | None = None) -> list[dict[str, Any]]:
    """The Block Kit blocks for ``card``: buttons while it is open, the outcome once closed.

    Example:
        >>> from guardrails.approvals import ApprovalService
        >>> from guardrails.identity import Principal
        >>> from guardrails.policy import Policy, ToolCall
        >>> svc = ApprovalService(Policy.default_policy())
        >>> req = svc.gate(ToolCall(name="wire", tags=frozenset({"privileged"})),
        ...                requester=Principal(id="alice")).request
        >>> [b["type"] for b in card_blocks(Card.from_request(req))][-1]
        'actions'
    """
    title = f"Approval needed: {card.tool}" if card.open else f"{card.tool}: {card.summary()}"
    args = json.dumps(dict(card.masked_args), indent=1, sort_keys=True, ensure_ascii=False)
    progress = f"{len(card.approvals)}/{card.quorum}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(title, _HEADER_LIMIT)},
        {
            "type": "section",
            "fields": [
                _plain(f"Requested by: {card.requester_name or 'unknown'}"),
                _plain(f"Rule: {card.rule}"),
                _plain(f"Expires: {_when(card.expires_at)}"),
                _plain(f"Approvals: {progress}" + (" (escalated)" if card.escalated else "")),
            ],
        },
        {"type": "section", "text": _plain(f"Why: {card.reason or card.rule}")},
        {"type": "section", "text": _plain(f"Arguments (masked):\n{args}", _ARGS_LIMIT)},
        {
            "type": "context",
            "elements": [
                _plain(
                    f"Request {card.request_id} · args {card.args_digest.rpartition(':')[2][:12]}"
                )
            ],
        },
    ]
    if card.open:
        value = button_value(card)
        buttons: list[dict[str, Any]] = []
        if "approve" in card.allowed_decisions:
            buttons.append(_button("Approve", ACTION_APPROVE, value, "primary"))
            if not card.reason_required:
                buttons.append(_button("Approve with reason…", ACTION_APPROVE_REASON, value))
        if "reject" in card.allowed_decisions:
            buttons.append(_button("Reject…", ACTION_REJECT, value, "danger"))
        if inbox_url:
            buttons.append(
                {
                    "type": "button",
                    "action_id": "guardrails_open_inbox",
                    "text": _plain("Open in inbox", 75),
                    "url": inbox_url,
                }
            )
        blocks.append({"type": "actions", "block_id": "guardrails", "elements": buttons})
    else:
        outcome = card.summary()
        if card.decision_reason:
            outcome += f"\nReason: {card.decision_reason}"
        blocks.append({"type": "section", "text": _plain(outcome, _ARGS_LIMIT)})
    return blocks


def _button(label: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": _plain(label, 75),
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def reason_modal(
    card: Card, *, verdict: str, message: dict[str, str] | None = None
) -> dict[str, Any]:
    """The modal asking for a reason before ``verdict`` is submitted (``views.open``).

    ``private_metadata`` carries the request id, the args digest the reviewer saw and the verdict;
    Slack signs the ``view_submission`` that returns it, and the service checks the digest.
    """
    meta = {"r": card.request_id, "d": card.args_digest, "v": verdict, **(message or {})}
    word = "Approve" if verdict == "approve" else "Reject"
    required = card.reason_required or verdict == "reject"
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK,
        "private_metadata": json.dumps(meta, separators=(",", ":")),
        "title": _plain(f"{word} request", 24),
        "submit": _plain(word, 24),
        "close": _plain("Cancel", 24),
        "blocks": [
            {"type": "section", "text": _plain(f"{word} {card.tool} for {card.requester_name}")},
            {
                "type": "input",
                "block_id": "reason",
                "optional": not required,
                "label": _plain("Reason", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "reason",
                    "multiline": True,
                    "max_length": 1000,
                },
            },
        ],
    }
