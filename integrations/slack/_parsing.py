"""Reading Slack interactivity payloads: the form body, the clicking user, our button values.

Every reader returns ``None`` or raises :class:`~guardrails.InputError` on anything unexpected,
so the endpoint answers a named 400 and decides nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import Clock

from guardrails import InputError

__all__ = ["REFUSAL_TEXT", "SlackResponse"]

REFUSAL_TEXT = {
    "self_approval": "You requested this action, so you cannot decide it.",
    "not_authorized": "You are not one of the approvers for this rule.",
    "unauthenticated": "Your Slack account is not linked to a known reviewer.",
    "not_human": "Only people can approve actions.",
    "duplicate_approver": "You already decided on this request.",
    "replayed": "This click was already counted.",
    "not_pending": "This request is already decided.",
    "expired": "This request has expired.",
    "digest_mismatch": "The arguments changed since this card was posted.",
    "reason_required": "This rule requires a reason.",
    "decision_not_allowed": "This rule does not allow that decision.",
}


@dataclass(frozen=True, slots=True)
class SlackResponse:
    """What to answer Slack: an HTTP status and a JSON body (``None``: empty 200)."""

    status: int
    body: dict[str, Any] | None = None


class _Clock(Clock):
    """slack-sdk's verifier clock over our ``now`` (so tests control the window)."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


def _fail(status: int, code: str, message: str) -> SlackResponse:
    return SlackResponse(status, {"ok": False, "error": code, "message": message})


def _payload(body: bytes) -> dict[str, Any]:
    try:
        form = parse_qs(body.decode("utf-8"), strict_parsing=True, max_num_fields=8)
        raw = form["payload"][0]
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError, KeyError, IndexError, RecursionError):
        raise InputError("expected a form field 'payload' holding JSON") from None
    if not isinstance(data, dict):
        raise InputError("the payload must be a JSON object")
    return data


def _user_id(payload: Mapping[str, Any]) -> str | None:
    user = payload.get("user")
    uid = user.get("id") if isinstance(user, dict) else None
    return uid if isinstance(uid, str) and uid else None


def _button(value: Any) -> tuple[str, str] | None:
    try:
        data = json.loads(value)
        return str(data["r"]), str(data["d"])
    except (TypeError, ValueError, KeyError, RecursionError):  # RecursionError: deep nesting
        return None


def _modal_reason(view: Mapping[str, Any]) -> str:
    try:
        value = view["state"]["values"]["reason"]["reason"]["value"]
    except (KeyError, TypeError):
        return ""
    return value if isinstance(value, str) else ""
