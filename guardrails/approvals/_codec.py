"""Request <-> stored JSON text, shared by the SQLite and PostgreSQL stores."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from guardrails.approvals._models import ApprovalRequest

__all__ = ["decode", "encode", "ts"]


def encode(request: ApprovalRequest) -> str:
    """Compact JSON of the request (built from our own values, so already plain JSON: the
    canonical-JSON walk that guards digests is not needed here and costs a third of a decide)."""
    return json.dumps(request.to_dict(), separators=(",", ":"), ensure_ascii=False)


def decode(text: str) -> ApprovalRequest:
    """Parse a stored request (raises :class:`~guardrails.InputError` when malformed)."""
    return ApprovalRequest.from_dict(json.loads(text))


def ts(when: datetime) -> str:
    """Fixed-width UTC text that sorts like the time it names."""
    # fixed width (always microseconds), so the text sorts like the time; faster than strftime
    return when.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
