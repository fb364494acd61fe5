"""The reviewer card: what every channel shows for one request, built from the request alone.

A card holds masked values only (the request never holds raw ones), so any channel may render it.
Channels render its fields as *text*: Slack ``plain_text``, Teams ``TextBlock``, the web inbox
``textContent`` — never as markup, since masked arguments are still model-written text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from guardrails.approvals import ApprovalRequest

__all__ = ["Card", "CardUpdate", "UpdateKind"]

UpdateKind = Literal[
    "requested", "vote", "decided", "refused", "expired", "escalated", "consumed", "executed"
]


# Characters that change how the text around them is drawn, or draw nothing: bidi embeddings,
# overrides, isolates and marks (U+202E makes "acct-\u202e9876" read "acct-6789"), zero-width
# spaces and joiners, word joiner and invisible operators, BOM, tag characters. Model-written
# text on a card shows each as a visible mark instead.
_TRICKS: dict[int, str] = {
    cp: f"[U+{cp:04X}]"
    for cp in (
        0x061C,
        0x200B,
        0x200C,
        0x200D,
        0x200E,
        0x200F,
        *range(0x202A, 0x202F),
        *range(0x2060, 0x2065),
        *range(0x2066, 0x206A),
        0xFEFF,
        *range(0xE0000, 0xE0080),
    )
}


def _shown(value: Any) -> Any:
    """``value`` with every :data:`_TRICKS` character in its strings (keys too) made visible."""
    if isinstance(value, str):
        return value if value.isascii() else value.translate(_TRICKS)
    if isinstance(value, Mapping):
        return {_shown(k): _shown(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_shown(v) for v in value]
    return value


def _ts(when: datetime | None) -> str | None:
    return when.isoformat().replace("+00:00", "Z") if when is not None else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Card:
    """A display-safe view of an approval request.

    Example:
        >>> from guardrails.approvals import ApprovalService
        >>> from guardrails.identity import Principal
        >>> from guardrails.policy import Policy, ToolCall
        >>> from guardrails.testing import FixedClock
        >>> svc = ApprovalService(Policy.default_policy(), clock=FixedClock())
        >>> req = svc.gate(ToolCall(name="wire", args={"to": "<IBAN_1>"},
        ...                         tags=frozenset({"privileged"})),
        ...                masked_args={"to": "<IBAN_1>"}, requester=Principal(id="alice")).request
        >>> card = Card.from_request(req)
        >>> card.tool, card.requester, card.open, card.masked_args["to"]
        ('wire', 'alice', True, '<IBAN_1>')
    """

    request_id: str
    tool: str
    masked_args: Mapping[str, Any]
    args_digest: str
    rule: str
    reason: str
    requester: str | None
    requester_name: str
    created_at: datetime
    expires_at: datetime
    status: str
    quorum: int
    approvals: tuple[str, ...]
    allowed_decisions: tuple[str, ...]
    reason_required: bool
    approvers: Mapping[str, Any]
    escalated: bool = False
    escalation_to: Mapping[str, Any] | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    thread_id: str | None = None
    decided_by: tuple[str, ...] = ()
    verdict: str | None = None
    decision_reason: str = ""
    decision_channel: str | None = None
    follow_up_id: str | None = None

    @classmethod
    def from_request(cls, request: ApprovalRequest) -> Card:
        """The card for ``request`` as it now stands."""
        last = request.votes[-1] if request.votes else None
        settled = request.status != "pending"
        return cls(
            request_id=request.id,
            tool=_shown(request.tool_name),
            masked_args=_shown(request.masked_args),
            args_digest=request.args_digest,
            rule=request.rule,
            reason=request.reason,
            requester=request.requester.id if request.requester else None,
            requester_name=_shown(request.requester.display_name or request.requester.id)
            if request.requester
            else "",
            created_at=request.created_at,
            expires_at=request.expires_at,
            status=request.status,
            quorum=request.quorum,
            approvals=tuple(sorted(request.approvals)),
            allowed_decisions=tuple(sorted(request.allowed_decisions)),
            reason_required=request.reason_required,
            approvers=request.approvers.to_dict(),
            escalated=request.escalated,
            escalation_to=request.escalation.to.to_dict() if request.escalation else None,
            context=_shown(request.context),
            thread_id=request.thread_id,
            decided_by=tuple(v.approver.id for v in request.votes),
            verdict=last.verdict if settled and last is not None else None,
            decision_reason=_shown(last.reason) if settled and last is not None else "",
            decision_channel=last.channel if settled and last is not None else None,
            follow_up_id=request.follow_up_id,
        )

    @property
    def open(self) -> bool:
        """True while a reviewer can still decide."""
        return self.status == "pending"

    def seconds_left(self, now: datetime) -> float:
        """Seconds until expiry (0 once past it)."""
        return max(0.0, (self.expires_at - now).total_seconds())

    def summary(self) -> str:
        """One line for a closed card: who decided what ("Approved by bob")."""
        if self.status == "pending":
            return f"Waiting for approval ({len(self.approvals)}/{self.quorum})"
        if self.status == "expired":
            return "Expired without a decision"
        if self.status == "superseded":
            return f"Edited by {', '.join(self.decided_by)}; the edit needs its own approval"
        who = ", ".join(self.decided_by) or "unknown"
        word = {"approve": "Approved", "reject": "Rejected", "edit": "Edited and approved"}
        text = f"{word.get(self.verdict or '', self.status.capitalize())} by {who}"
        if self.status in ("consumed", "executed"):
            text += " — the tool ran" if self.status == "executed" else " — running"
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (what the HTTP API returns)."""
        return {
            "request_id": self.request_id,
            "tool": self.tool,
            "masked_args": dict(self.masked_args),
            "args_digest": self.args_digest,
            "rule": self.rule,
            "reason": self.reason,
            "requester": self.requester,
            "requester_name": self.requester_name,
            "created_at": _ts(self.created_at),
            "expires_at": _ts(self.expires_at),
            "status": self.status,
            "quorum": self.quorum,
            "approvals": list(self.approvals),
            "allowed_decisions": list(self.allowed_decisions),
            "reason_required": self.reason_required,
            "approvers": dict(self.approvers),
            "escalated": self.escalated,
            "escalation_to": dict(self.escalation_to) if self.escalation_to else None,
            "context": dict(self.context),
            "thread_id": self.thread_id,
            "decided_by": list(self.decided_by),
            "verdict": self.verdict,
            "decision_reason": self.decision_reason,
            "decision_channel": self.decision_channel,
            "follow_up_id": self.follow_up_id,
            "summary": self.summary(),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CardUpdate:
    """What a channel receives: post the card (``new``) or update the one it showed.

    Attributes:
        kind: the approval event (``requested``, ``vote``, ``decided``, ``expired``,
            ``escalated``, ``refused``, ``consumed``, ``executed``).
        card: the request as it now stands.
        new: this channel has not shown this request yet (post it rather than update it).
        code: the refusal code for ``refused``.

    Example:
        >>> CardUpdate.__dataclass_fields__["new"].default
        False
    """

    kind: UpdateKind
    card: Card
    new: bool = False
    code: str | None = None
