"""Approval channels, framework-free: the reviewer card, the Channel protocol, fan-out, sweeping.

Every channel (web inbox, Slack, Teams, notebook) does two things through this module:

- **show**: implement :class:`Channel` (one method, ``deliver``) and register it with a
  :class:`FanOut`; it receives a :class:`CardUpdate` when a request opens (``new``), gets a vote,
  is decided anywhere, expires or escalates.
- **decide**: authenticate the reviewer in the channel's own terms, resolve them to a
  :class:`~guardrails.Principal` (``service.resolve(channel, subject)``) and call
  :func:`submit_decision`. The service refuses and audits self-approval, agents, unknown users,
  approvers outside the rule, replays and late decisions; the first valid decision wins.

Example:
    >>> from guardrails.approvals import ApprovalService
    >>> from guardrails.identity import Principal
    >>> from guardrails.policy import Policy, ToolCall
    >>> svc = ApprovalService(Policy.default_policy())
    >>> inbox = RecordingChannel()
    >>> fan = FanOut(svc, {"inbox": inbox})
    >>> req = svc.gate(ToolCall(name="wire", tags=frozenset({"privileged"})),
    ...                requester=Principal(id="alice")).request
    >>> inbox.cards()[req.id].open
    True
"""

from guardrails.channels._card import Card, CardUpdate, UpdateKind
from guardrails.channels._fanout import Channel, FanOut, RecordingChannel, Route, submit_decision
from guardrails.channels._sweeper import Sweeper

__all__ = [
    "Card",
    "CardUpdate",
    "Channel",
    "FanOut",
    "RecordingChannel",
    "Route",
    "Sweeper",
    "UpdateKind",
    "submit_decision",
]
