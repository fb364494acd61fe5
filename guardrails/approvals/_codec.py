"""Request <-> stored JSON text, shared by the SQLite and PostgreSQL stores."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from guardrails.approvals._models import ApprovalRequest
from guardrails.policy import canonical_json

__all__ = ["decode", "encode", "ts"]


def encode(request: ApprovalRequest) -> str:
    """Canonical JSON of the request."""
    return canonical_json(request.to_dict())


def decode(text: str) -> ApprovalRequest:
    """Parse a stored request (raises :class:`~guardrails.InputError` when malformed)."""
    return ApprovalRequest.from_dict(json.loads(text))


def ts(when: datetime) -> str:
    """Fixed-width UTC text that sorts like the time it names."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
