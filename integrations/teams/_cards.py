"""Adaptive Cards for one approval request: the bot card (``Action.Execute``) and the notify card.

Untrusted text (tool name, masked arguments, reason, requester name) goes into ``TextRun``s of a
``RichTextBlock``: unlike ``TextBlock``, a ``TextRun`` is never parsed as Markdown, so
``[click](https://evil)`` in model-written arguments stays text.
"""

from __future__ import annotations

import json
from typing import Any

from guardrails.channels import Card

__all__ = ["VERB_APPROVE", "VERB_REFRESH", "VERB_REJECT", "notify_card", "request_card"]

VERB_APPROVE = "guardrails.approve"
VERB_REJECT = "guardrails.reject"
VERB_REFRESH = "guardrails.refresh"
_LIMIT = 4000


def _run(text: str, **style: Any) -> dict[str, Any]:
    cut = text if len(text) <= _LIMIT else text[: _LIMIT - 1] + "…"
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": cut, **style}]}


def _facts(card: Card) -> list[dict[str, Any]]:
    args = json.dumps(dict(card.masked_args), indent=1, sort_keys=True, ensure_ascii=False)
    return [
        _run(f"Requested by: {card.requester_name or 'unknown'}"),
        _run(f"Rule: {card.rule}"),
        _run(f"Why: {card.reason or card.rule}"),
        _run(f"Expires: {card.expires_at.strftime('%Y-%m-%d %H:%M UTC')}"),
        _run(f"Approvals: {len(card.approvals)}/{card.quorum}"),
        _run(f"Arguments (masked):\n{args}", fontType="Monospace"),
        _run(f"Request {card.request_id}", isSubtle=True, size="Small"),
    ]


def request_card(
    card: Card, *, note: str | None = None, inbox_url: str | None = None
) -> dict[str, Any]:
    """The bot's card: approve/reject buttons (``Action.Execute``) while open, the outcome after.

    ``note`` is shown above the buttons (e.g. why this reviewer's click was refused).

    Example:
        >>> from guardrails.approvals import ApprovalService
        >>> from guardrails.identity import Principal
        >>> from guardrails.policy import Policy, ToolCall
        >>> svc = ApprovalService(Policy.default_policy())
        >>> req = svc.gate(ToolCall(name="wire", tags=frozenset({"privileged"})),
        ...                requester=Principal(id="alice")).request
        >>> [a["verb"] for a in request_card(Card.from_request(req))["actions"]]
        ['guardrails.approve', 'guardrails.reject']
    """
    title = f"Approval needed: {card.tool}" if card.open else f"{card.tool}: {card.summary()}"
    body: list[dict[str, Any]] = [_run(title, size="Large", weight="Bolder"), *_facts(card)]
    if not card.open and card.decision_reason:
        body.append(_run(f"Reason: {card.decision_reason}"))
    if note:
        body.append(_run(note, color="Attention"))
    doc: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": body,
    }
    if card.open:
        data = {"r": card.request_id, "d": card.args_digest}
        body.append(
            {
                "type": "Input.Text",
                "id": "reason",
                "label": "Reason" + (" (required)" if card.reason_required else " (optional)"),
                "isMultiline": True,
                "maxLength": 1000,
            }
        )
        doc["actions"] = [
            {"type": "Action.Execute", "title": "Approve", "verb": VERB_APPROVE, "data": data,
             "style": "positive"},
            {"type": "Action.Execute", "title": "Reject", "verb": VERB_REJECT, "data": data,
             "style": "destructive"},
        ]  # fmt: skip
        # Universal Actions refresh: Teams asks again when the card is viewed, so a card decided
        # in another channel shows its outcome instead of stale buttons.
        doc["refresh"] = {"action": {"type": "Action.Execute", "verb": VERB_REFRESH, "data": data}}
        doc["actions"] = [
            a for a in doc["actions"] if a["verb"].split(".")[1] in card.allowed_decisions
        ]
        if inbox_url:
            doc["actions"].append(
                {"type": "Action.OpenUrl", "title": "Open inbox", "url": inbox_url}
            )
    return doc


def notify_card(card: Card, *, inbox_url: str) -> dict[str, Any]:
    """The notify-only card for incoming webhooks / Workflows: facts and a link to the inbox.

    Webhook cards cannot call back into a bot, so they never carry decision buttons.

    Example:
        >>> from guardrails.approvals import ApprovalService
        >>> from guardrails.identity import Principal
        >>> from guardrails.policy import Policy, ToolCall
        >>> svc = ApprovalService(Policy.default_policy())
        >>> req = svc.gate(ToolCall(name="wire", tags=frozenset({"privileged"})),
        ...                requester=Principal(id="alice")).request
        >>> [a["type"] for a in notify_card(Card.from_request(req), inbox_url="https://x/")["actions"]]
        ['Action.OpenUrl']
    """
    title = f"Approval needed: {card.tool}" if card.open else f"{card.tool}: {card.summary()}"
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": [_run(title, size="Large", weight="Bolder"), *_facts(card)],
        "actions": [{"type": "Action.OpenUrl", "title": "Review in the inbox", "url": inbox_url}],
    }
