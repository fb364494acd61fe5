"""Reading Slack interactivity payloads: the form body, the clicking user, our button values.

Every reader returns ``None`` or raises :class:`~guardrails.InputError` on anything unexpected,
so the endpoint answers a named 400 and decides nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
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


# Slack ids (users, channels, views) and timestamps ("1700000000.000100"); anything else in a
# signed payload is text we will not look up, post to, or write into the append-only trail.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")


def _slack_id(value: Any) -> str | None:
    """``value`` when it is id-shaped, else None."""
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


def _id_part(value: Any) -> str:
    """A decision id part: an id-shaped value itself, other text as a digest (a replay of the
    same text is still the same decision; the trail never holds the text), else empty."""
    if not isinstance(value, str) or not value:
        return ""
    if _ID.fullmatch(value):
        return value
    return "h-" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _user_id(payload: Mapping[str, Any]) -> str | None:
    user = payload.get("user")
    return _slack_id(user.get("id") if isinstance(user, dict) else None)


def _button(value: Any) -> tuple[str, str] | None:
    try:
        data = json.loads(value)
        return str(data["r"]), str(data["d"])
    except (TypeError, ValueError, KeyError, RecursionError):  # RecursionError: deep nesting
        return None


def _modal_reason(view: Mapping[str, Any]) -> str | None:
    """The typed reason ("" when none); None when it is not valid text (JSON's ``\ud800``
    escapes decode to lone surrogates: stored in the vote, the request's card could no longer
    be sent as UTF-8 by any channel)."""
    try:
        value = view["state"]["values"]["reason"]["reason"]["value"]
    except (KeyError, TypeError):
        return ""
    if not isinstance(value, str):
        return ""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value
