"""Decisions as channels hand them to the service, and the votes it records. Frozen, JSON-ready.

An edit carries the arguments the reviewer typed, which are what the tool will receive; they are
kept out of reprs, sealed at rest by the durable stores, and never audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Literal

from guardrails._errors import InputError
from guardrails.identity import Principal
from guardrails.policy import Verdict

__all__ = ["TERMINAL", "Decision", "Provenance", "RequestStatus", "Vote", "new_id"]

RequestStatus = Literal[
    "pending", "approved", "rejected", "expired", "superseded", "consumed", "executed"
]
Provenance = Literal["in_process", "permit"]
TERMINAL: frozenset[str] = frozenset({"rejected", "expired", "superseded", "executed"})


def new_id(prefix: str = "apr") -> str:
    """A random, URL-safe id (``apr_…``)."""
    return f"{prefix}_{uuid.uuid4().hex}"


def _ts(when: datetime) -> str:
    # fixed width (always microseconds), so the text sorts like the time; faster than strftime
    return when.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _parse_ts(text: str) -> datetime:
    # fromisoformat reads the trailing "Z" (3.11+) and is ~10x faster than strptime
    return datetime.fromisoformat(text).astimezone(UTC)


def _freeze(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """One approver's decision, as a channel hands it to the service.

    ``approver`` is the principal the *channel* authenticated (never a name the payload claims).
    ``args_digest`` is the digest shown on the card the approver acted on; it must match the
    request's. The service stamps the time with its own clock; ``id`` makes the decision single-use.

    Example:
        >>> d = Decision(verdict="approve", approver=Principal(id="bob"), args_digest="sha256:ab")
        >>> d.provenance, d.channel
        ('in_process', 'in_process')
    """

    verdict: Verdict
    approver: Principal | None
    args_digest: str
    reason: str = ""
    edited_tool: str | None = None
    edited_args: Mapping[str, Any] | None = field(default=None, repr=False)
    channel: str = "in_process"
    provenance: Provenance = "in_process"
    id: str = field(default_factory=lambda: new_id("dec"))

    def __post_init__(self) -> None:
        if self.verdict not in ("approve", "edit", "reject"):
            raise InputError("verdict must be 'approve', 'edit' or 'reject'")
        if self.verdict == "edit" and self.edited_args is None:
            raise InputError("an edit decision needs edited_args")
        if self.verdict != "edit" and (self.edited_args is not None or self.edited_tool):
            raise InputError("edited_args/edited_tool are only valid with verdict 'edit'")
        if self.edited_args is not None:
            if not isinstance(self.edited_args, Mapping):
                raise InputError("edited_args must be a mapping")
            object.__setattr__(self, "edited_args", _freeze(self.edited_args))


@dataclass(frozen=True, slots=True, kw_only=True)
class Vote:
    """A decision the service accepted and recorded on a request.

    Example:
        >>> v = Vote(decision_id="dec_1", verdict="approve", approver=Principal(id="bob"),
        ...          decided_at=datetime(2026, 1, 1, tzinfo=UTC), channel="slack")
        >>> Vote.from_dict(v.to_dict()) == v
        True
    """

    decision_id: str
    verdict: Verdict
    approver: Principal
    decided_at: datetime
    reason: str = ""
    channel: str = "in_process"
    provenance: Provenance = "in_process"
    edited_tool: str | None = None
    edited_args_digest: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "decision_id": self.decision_id,
            "verdict": self.verdict,
            "approver": self.approver.to_dict(),
            "decided_at": _ts(self.decided_at),
            "reason": self.reason,
            "channel": self.channel,
            "provenance": self.provenance,
            "edited_tool": self.edited_tool,
            "edited_args_digest": self.edited_args_digest,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Vote:
        """Inverse of :meth:`to_dict`."""
        return cls(
            decision_id=d["decision_id"],
            verdict=d["verdict"],
            approver=Principal.from_dict(d["approver"]),
            decided_at=_parse_ts(d["decided_at"]),
            reason=d.get("reason", ""),
            channel=d.get("channel", "in_process"),
            provenance=d.get("provenance", "in_process"),
            edited_tool=d.get("edited_tool"),
            edited_args_digest=d.get("edited_args_digest"),
        )
