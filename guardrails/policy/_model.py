"""Policy values: frozen, keyword-only, validated once when built.

The file loader (:mod:`guardrails.policy._loader`) turns YAML/TOML/dicts into these; Python users can
build them directly. Everything here is a plain value — no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from fnmatch import translate
from types import MappingProxyType
from typing import Any, Literal

from guardrails._errors import ConfigurationError
from guardrails.detection._entities import ENTITIES, GROUPS
from guardrails.identity import Principal
from guardrails.policy._conditions import Condition

__all__ = [
    "ApprovalSpec",
    "ApproverSet",
    "Effect",
    "Escalation",
    "PolicyDecision",
    "Rule",
    "ToolCall",
    "ToolSettings",
    "Verdict",
    "expand_entities",
]

Effect = Literal["allow", "deny", "require_approval"]
Verdict = Literal["approve", "edit", "reject"]
EFFECTS: frozenset[str] = frozenset({"allow", "deny", "require_approval"})
VERDICTS: frozenset[str] = frozenset({"approve", "edit", "reject"})
# Strictest effect wins when several rules match: adding a rule can only tighten a policy.
STRICTNESS: Mapping[str, int] = MappingProxyType({"allow": 0, "require_approval": 1, "deny": 2})


def expand_entities(names: frozenset[str] | tuple[str, ...] | list[str]) -> frozenset[str]:
    """Expand group aliases (``"contact"``, ``"secrets"``, ``"all"``) into entity type names.

    Raises:
        ConfigurationError: a name is neither an entity type nor a group.
    """
    out: set[str] = set()
    for name in names:
        if name in GROUPS:
            out |= GROUPS[name]
        elif name in ENTITIES:
            out.add(name)
        else:
            raise ConfigurationError(f"unknown entity type or group {name!r}")
    return frozenset(out)


def _frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@dataclass(frozen=True, slots=True, kw_only=True)
class ApproverSet:
    """Who may approve: named users, members of groups, holders of roles, or any human.

    The requester and non-human principals are always excluded, whatever this set says.

    Example:
        >>> s = ApproverSet(groups=frozenset({"finance"}))
        >>> s.admits(Principal(id="a", groups=frozenset({"finance"})))
        True
    """

    users: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    any_human: bool = False

    def __post_init__(self) -> None:
        for name in ("users", "groups", "roles"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        if not (self.any_human or self.users or self.groups or self.roles):
            raise ConfigurationError("an approver set names nobody (set users, groups or roles)")

    def admits(self, principal: Principal) -> bool:
        """True if ``principal`` is named by this set (kind and requester checks live elsewhere)."""
        return (
            self.any_human
            or principal.id in self.users
            or bool(principal.groups & self.groups)
            or bool(principal.roles & self.roles)
        )

    def union(self, other: ApproverSet) -> ApproverSet:
        """Both sets together (used when a request escalates)."""
        return ApproverSet(
            users=self.users | other.users,
            groups=self.groups | other.groups,
            roles=self.roles | other.roles,
            any_human=self.any_human or other.any_human,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, sorted."""
        return {
            "users": sorted(self.users),
            "groups": sorted(self.groups),
            "roles": sorted(self.roles),
            "any_human": self.any_human,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ApproverSet:
        """Inverse of :meth:`to_dict`."""
        return cls(
            users=frozenset(data.get("users", ())),
            groups=frozenset(data.get("groups", ())),
            roles=frozenset(data.get("roles", ())),
            any_human=bool(data.get("any_human", False)),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Escalation:
    """After ``after`` without a decision, ``to`` may also decide (and channels are notified).

    Example:
        >>> Escalation(after=timedelta(minutes=30), to=ApproverSet(groups=frozenset({"oncall"})))
        Escalation(after=datetime.timedelta(seconds=1800), to=ApproverSet(users=frozenset(), groups=frozenset({'oncall'}), roles=frozenset(), any_human=False))
    """

    after: timedelta
    to: ApproverSet

    def __post_init__(self) -> None:
        if self.after <= timedelta(0):
            raise ConfigurationError("escalation.after must be positive")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"after_seconds": self.after.total_seconds(), "to": self.to.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Escalation:
        """Inverse of :meth:`to_dict`."""
        return cls(
            after=timedelta(seconds=float(data["after_seconds"])),
            to=ApproverSet.from_dict(data["to"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalSpec:
    """What a ``require_approval`` outcome demands.

    Example:
        >>> spec = ApprovalSpec(approvers=ApproverSet(groups=frozenset({"finance"})), quorum=2)
        >>> spec.quorum, sorted(spec.decisions)
        (2, ['approve', 'edit', 'reject'])
    """

    approvers: ApproverSet = field(default_factory=lambda: ApproverSet(any_human=True))
    quorum: int = 1
    expires_in: timedelta = timedelta(hours=1)
    decisions: frozenset[Verdict] = frozenset({"approve", "edit", "reject"})
    reason_required: bool = False
    reviewer_may_see: frozenset[str] = frozenset()
    escalation: Escalation | None = None

    def __post_init__(self) -> None:
        if isinstance(self.quorum, bool) or not isinstance(self.quorum, int) or self.quorum < 1:
            raise ConfigurationError("quorum must be an integer >= 1")
        if self.expires_in <= timedelta(0):
            raise ConfigurationError("expires_in must be positive")
        decisions = frozenset(self.decisions)
        if not decisions or not decisions <= VERDICTS:
            raise ConfigurationError(f"decisions must be a non-empty subset of {sorted(VERDICTS)}")
        if not decisions & {"approve", "edit"}:
            raise ConfigurationError("decisions must allow 'approve' or 'edit'")
        object.__setattr__(self, "decisions", decisions)
        object.__setattr__(self, "reviewer_may_see", expand_entities(self.reviewer_may_see))
        if self.escalation is not None and self.escalation.after >= self.expires_in:
            raise ConfigurationError("escalation.after must be shorter than expires_in")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, sorted."""
        return {
            "approvers": self.approvers.to_dict(),
            "quorum": self.quorum,
            "expires_in_seconds": self.expires_in.total_seconds(),
            "decisions": sorted(self.decisions),
            "reason_required": self.reason_required,
            "reviewer_may_see": sorted(self.reviewer_may_see),
            "escalation": self.escalation.to_dict() if self.escalation else None,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolSettings:
    """Per-tool data handling: which entity types the tool may receive restored, output redaction.

    Example:
        >>> ToolSettings(restore_entities=frozenset({"contact"})).restore_entities >= {"EMAIL_ADDRESS"}
        True
    """

    restore_entities: frozenset[str] = frozenset()
    redact_output: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "restore_entities", expand_entities(self.restore_entities))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "restore_entities": sorted(self.restore_entities),
            "redact_output": self.redact_output,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCall:
    """A tool call as the policy sees it. ``args`` are the raw (restored) values: never displayed.

    Example:
        >>> call = ToolCall(name="refund", args={"amount": 10}, tags=frozenset({"privileged"}))
        >>> "amount" in repr(call)
        False
    """

    name: str
    args: Mapping[str, Any] = field(default_factory=dict, repr=False)
    id: str = ""
    tags: frozenset[str] = frozenset()
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigurationError("a tool call needs a non-empty name")
        if not isinstance(self.args, Mapping):
            raise ConfigurationError("tool call args must be a mapping")
        object.__setattr__(self, "tags", frozenset(self.tags))


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """Selects tool calls (name globs, tags, metadata, a CEL condition) and gives an effect.

    Selectors combine with AND; inside ``tools`` and ``tags`` any one match is enough. A rule with
    no selector matches every call.

    Example:
        >>> r = Rule(name="big-refunds", tools=("refund*",), when="args.amount > 1000",
        ...          effect="require_approval", reason="refunds over 1000 need finance")
        >>> r.selects(ToolCall(name="refund_card"))
        True
    """

    name: str
    effect: Effect
    tools: tuple[str, ...] = ()
    tags: frozenset[str] = frozenset()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    when: str | None = None
    reason: str = ""
    approval: ApprovalSpec | None = None
    condition: Condition | None = field(init=False, repr=False, compare=False, default=None)
    _name_match: Any = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ConfigurationError("a rule needs a non-empty name")
        if self.effect not in EFFECTS:
            raise ConfigurationError(f"rule {self.name!r}: effect must be one of {sorted(EFFECTS)}")
        if self.approval is not None and self.effect != "require_approval":
            raise ConfigurationError(
                f"rule {self.name!r}: approval given but effect is not approval"
            )
        object.__setattr__(self, "tools", tuple(self.tools))
        object.__setattr__(self, "tags", frozenset(self.tags))
        object.__setattr__(self, "metadata", _frozen_mapping(self.metadata))
        if self.tools:
            # One regex for all the globs: what ``any(fnmatchcase(name, p) for p in tools)``
            # computes, without a cache lookup per pattern per call.
            if not all(isinstance(p, str) for p in self.tools):
                raise ConfigurationError(f"rule {self.name!r}: tool patterns must be strings")
            joined = "|".join(f"(?:{translate(p)})" for p in self.tools)
            object.__setattr__(self, "_name_match", re.compile(joined).match)
        if self.when is not None:
            object.__setattr__(
                self,
                "condition",
                Condition(self.when, where=f"rule {self.name!r}", origin="<python>"),
            )

    def selects(self, call: ToolCall) -> bool:
        """Name/tag/metadata selectors only (the CEL condition is evaluated by the policy)."""
        if self._name_match is not None and self._name_match(call.name) is None:
            return False
        if self.tags and not (self.tags & call.tags):
            return False
        return all(call.metadata.get(k) == v for k, v in self.metadata.items())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the condition as its source text)."""
        return {
            "name": self.name,
            "effect": self.effect,
            "tools": list(self.tools),
            "tags": sorted(self.tags),
            "metadata": dict(self.metadata),
            "when": self.when,
            "reason": self.reason,
            "approval": self.approval.to_dict() if self.approval else None,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyDecision:
    """The outcome of evaluating one tool call.

    Attributes:
        effect: ``allow``, ``deny`` or ``require_approval``.
        rule: the deciding rule's name; ``"<default>"``, ``"<privileged>"`` or ``"<error>"``.
        reason: safe to show to the model (no values).
        why: a longer explanation for reviewers and the audit trail (no values).
        approval: what approval requires, for ``require_approval``.
        policy_hash: the content hash of the policy that decided.
        error: the error class name when evaluation failed and the call was denied (fail closed).

    Example:
        >>> from guardrails.policy import Policy
        >>> d = Policy().evaluate(ToolCall(name="search"))
        >>> d.effect, d.rule, d.allowed
        ('allow', '<default>', True)
    """

    effect: Effect
    rule: str
    reason: str
    why: str
    policy_hash: str
    approval: ApprovalSpec | None = None
    error: str | None = None

    @property
    def allowed(self) -> bool:
        """True when the call may run without approval."""
        return self.effect == "allow"
