"""Policy: which tool calls run, which are denied, which wait for a human — and who that human is.

Load from YAML/TOML/JSON or a dict (:meth:`Policy.load`, :meth:`Policy.from_yaml`, ...) or build in
Python from :class:`Rule`, :class:`ApprovalSpec`, :class:`ApproverSet`. Conditions are CEL.

Example:
    >>> policy = Policy.from_yaml('''
    ... rules:
    ...   - name: big-refunds
    ...     tools: ["refund*"]
    ...     when: args.amount > 1000
    ...     effect: require_approval
    ...     approval: {approvers: {groups: [finance]}, quorum: 1, expires_in: 30m}
    ... ''')
    >>> policy.evaluate(ToolCall(name="refund", args={"amount": 5000})).effect
    'require_approval'
"""

from guardrails.policy._canonical import args_digest, canonical_json
from guardrails.policy._conditions import Condition
from guardrails.policy._model import (
    ApprovalSpec,
    ApproverSet,
    Effect,
    Escalation,
    PolicyDecision,
    Rule,
    ToolCall,
    ToolSettings,
    Verdict,
)
from guardrails.policy._policy import Policy
from guardrails.policy._schema import parse_duration

__all__ = [
    "ApprovalSpec",
    "ApproverSet",
    "Condition",
    "Effect",
    "Escalation",
    "Policy",
    "PolicyDecision",
    "Rule",
    "ToolCall",
    "ToolSettings",
    "Verdict",
    "args_digest",
    "canonical_json",
    "default_policy",
    "parse_duration",
]


def default_policy() -> Policy:
    """The no-argument policy the middleware uses: see :meth:`Policy.default_policy`."""
    return Policy.default_policy()
