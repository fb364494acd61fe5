"""Interrupt payloads in LangChain v1 HITL formats, with masked args and our fields.

Per call (``{"type": "tool_approval", ...}``) and batched (``{"action_requests": [...],
"review_configs": [...]}``) are what Agent Chat UI and LangGraph Studio render. Our fields ride
along: ``request_id``, ``rule``, ``reason``, ``requester``, ``expires_at``, ``args_digest``.
Arguments are the model's (placeholders), redacted once more so a value a model made up itself
is masked too: a reviewer's card never holds a raw value.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from guardrails.guard import Ruling

__all__ = ["batched_request", "tool_approval"]


def _ours(
    ruling: Ruling,
    *,
    requester: str | None,
    created: datetime | None,
    expires_at: datetime | None = None,
    request_id: str | None = None,
    args_digest: str | None = None,
) -> dict[str, Any]:
    if expires_at is None and created is not None and ruling.expires_in_s is not None:
        expires_at = created + timedelta(seconds=ruling.expires_in_s)
    expires = expires_at.isoformat() if expires_at is not None else None
    return {
        "request_id": request_id or ruling.request_id,
        "rule": ruling.rule,
        "reason": ruling.reason,
        "requester": requester,
        "expires_at": expires,
        "args_digest": args_digest or ruling.digest,
    }


def description(ruling: Ruling, masked_args: Any) -> str:
    """The reviewer's text: tool, why, masked args."""
    return (
        f"Tool execution requires approval\n\nTool: {ruling.tool.name}\n"
        f"Why: {ruling.reason}\nArgs: {json.dumps(masked_args, default=str, sort_keys=True)}"
    )


def tool_approval(
    ruling: Ruling,
    masked_args: Any,
    *,
    requester: str | None,
    created: datetime | None,
    expires_at: datetime | None = None,
    request_id: str | None = None,
    approvals: int = 0,
    quorum: int = 1,
    args_digest: str | None = None,
) -> dict[str, Any]:
    """The per-call interrupt value (LangChain ``ToolApprovalRequest`` plus our fields)."""
    return {
        "type": "tool_approval",
        "tool_call_id": ruling.call_id,
        "name": ruling.tool.name,
        "args": masked_args,
        "description": description(ruling, masked_args),
        "allowed_decisions": list(ruling.allowed_decisions),
        "approvals": approvals,
        "quorum": quorum,
        **_ours(
            ruling,
            requester=requester,
            created=created,
            expires_at=expires_at,
            request_id=request_id,
            args_digest=args_digest,
        ),
    }


def batched_request(
    items: Sequence[tuple[Ruling, Any, datetime | None]], *, requester: str | None
) -> dict[str, Any]:
    """The batched interrupt value (LangChain ``HITLRequest`` plus our fields per action)."""
    return {
        "action_requests": [
            {
                "name": r.tool.name,
                "args": masked,
                "description": description(r, masked),
                "tool_call_id": r.call_id,
                **_ours(r, requester=requester, created=created),
            }
            for r, masked, created in items
        ],
        "review_configs": [
            {"action_name": r.tool.name, "allowed_decisions": list(r.allowed_decisions)}
            for r, _, _ in items
        ],
    }
