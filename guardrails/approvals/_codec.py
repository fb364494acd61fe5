"""Request <-> stored JSON text, shared by the SQLite and PostgreSQL stores."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import orjson

from guardrails._errors import InputError
from guardrails.approvals._models import ApprovalRequest

__all__ = ["decode", "encode", "ts"]


def encode(request: ApprovalRequest) -> str:
    """Compact JSON of the request (built from our own values, so already plain JSON: the
    canonical-JSON walk that guards digests is not needed here). orjson: a decision encodes
    and decodes one request, and the stdlib takes 5x longer."""
    data = request.to_dict()
    try:
        return orjson.dumps(data).decode()
    except TypeError:  # an integer beyond 64 bits in masked args or context: the stdlib can
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def decode(text: str | bytes) -> ApprovalRequest:
    """Parse a stored request (raises :class:`~guardrails.InputError` when malformed)."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InputError("malformed approval request record (JSONDecodeError)") from exc
    return ApprovalRequest.from_dict(data)


def ts(when: datetime) -> str:
    """Fixed-width UTC text that sorts like the time it names."""
    # fixed width (always microseconds), so the text sorts like the time; faster than strftime
    return when.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
