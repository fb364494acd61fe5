"""The :class:`Policy`: rules plus defaults, versioned by a content hash, evaluated per tool call."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from types import MappingProxyType
from typing import Any

from guardrails._errors import ConfigurationError, PolicyError
from guardrails.identity import Principal, StaticDirectory
from guardrails.policy._canonical import canonical_json, json_safe_items, sha256_hex
from guardrails.policy._conditions import ConditionError, LazyActivation, cel_value
from guardrails.policy._model import (
    EFFECTS,
    STRICTNESS,
    ApprovalSpec,
    Effect,
    PolicyDecision,
    Rule,
    ToolCall,
    ToolSettings,
)

__all__ = ["MAX_RULES", "Policy"]

MAX_RULES = 1_000  # every call is matched against every rule: beyond this, split the policy

logger = logging.getLogger("guardrails.policy")
logger.addHandler(logging.NullHandler())

_DEFAULT_TOOL = ToolSettings()


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """Rules, defaults and (optionally) a static directory; validated once, hashed, immutable.

    Evaluation: every rule whose selectors and condition match is collected; the strictest effect
    wins (``deny`` > ``require_approval`` > ``allow``), the first such rule in order decides. With no
    match, a call tagged ``privileged`` (tag, or metadata ``privileged: true``) requires approval
    under :attr:`approval` — no rule has to name it — and any other call gets :attr:`default`.
    Any error while evaluating denies the call (fail closed).

    Example:
        >>> policy = Policy(rules=(
        ...     Rule(name="no-drop", tools=("drop_*",), effect="deny", reason="never drop"),
        ...     Rule(name="big", tools=("refund",), when="args.amount > 1000",
        ...          effect="require_approval"),
        ... ))
        >>> policy.evaluate(ToolCall(name="refund", args={"amount": 5000})).effect
        'require_approval'
        >>> policy.evaluate(ToolCall(name="refund", args={"amount": 5})).effect
        'allow'
        >>> policy.evaluate(ToolCall(name="wire", tags=frozenset({"privileged"}))).rule
        '<privileged>'
    """

    rules: tuple[Rule, ...] = ()
    default: Effect = "allow"
    default_reason: str = ""
    approval: ApprovalSpec = field(default_factory=ApprovalSpec)
    privileged_tags: frozenset[str] = frozenset({"privileged"})
    tools: Mapping[str, ToolSettings] = field(default_factory=dict)
    lists: Mapping[str, Any] = field(default_factory=dict)
    principals: tuple[Principal, ...] = ()
    identities: Mapping[tuple[str, str], str] = field(default_factory=dict)
    name: str = ""
    source: str = field(default="<python>", compare=False)
    hash: str = field(init=False, default="")
    directory: StaticDirectory | None = field(init=False, default=None, repr=False, compare=False)
    _cel_lists: Any = field(init=False, default=None, repr=False, compare=False)
    _decisions: Mapping[str, PolicyDecision] = field(
        init=False, default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.default not in EFFECTS:
            raise ConfigurationError(f"default must be one of {sorted(EFFECTS)}")
        if len(self.rules) > MAX_RULES:
            raise ConfigurationError(
                f"a policy has at most {MAX_RULES} rules; got {len(self.rules)}"
            )
        dupes = sorted(n for n, k in Counter(r.name for r in self.rules).items() if k > 1)
        if dupes:
            raise ConfigurationError(f"rule names must be unique; repeated: {dupes}")
        object.__setattr__(self, "rules", tuple(self.rules))
        object.__setattr__(self, "privileged_tags", frozenset(self.privileged_tags))
        object.__setattr__(self, "tools", MappingProxyType(dict(self.tools)))
        # lists are CEL constants: they must be plain JSON (canonical_json checks that).
        canonical_json(dict(self.lists))
        object.__setattr__(self, "lists", MappingProxyType(dict(self.lists)))
        object.__setattr__(self, "_cel_lists", cel_value(dict(self.lists)))
        object.__setattr__(self, "principals", tuple(self.principals))
        object.__setattr__(self, "identities", MappingProxyType(dict(self.identities)))
        directory = StaticDirectory(self.principals, identities=self.identities)
        object.__setattr__(self, "directory", directory if self.principals else None)
        self._check_quorums(directory)
        object.__setattr__(self, "hash", "sha256:" + sha256_hex(canonical_json(self.to_dict())))
        # A rule's decision depends on the rule and the hash only: built once, shared (frozen).
        object.__setattr__(
            self, "_decisions", MappingProxyType({r.name: self._from_rule(r) for r in self.rules})
        )

    def _check_quorums(self, directory: StaticDirectory) -> None:
        # An impossible quorum would leave every matching call waiting until it expires; refuse it
        # at load time. Countable only when the approvers are known: listed users, or a file that
        # lists its principals (a callable directory can grow at runtime).
        specs = [("approval", self.approval)] + [
            (f"rules[{i}].approval", r.approval)
            for i, r in enumerate(self.rules)
            if r.approval is not None
        ]
        for where, spec in specs:
            assert spec is not None
            sets = [spec.approvers] + ([spec.escalation.to] if spec.escalation else [])
            if any(s.any_human for s in sets):
                continue
            users = frozenset().union(*(s.users for s in sets))
            if self.principals:
                possible = directory.humans_matching(
                    users=users,
                    groups=frozenset().union(*(s.groups for s in sets)),
                    roles=frozenset().union(*(s.roles for s in sets)),
                )
            elif any(s.groups or s.roles for s in sets):
                continue
            else:
                possible = users
            if spec.quorum > len(possible):
                raise PolicyError(
                    f"quorum {spec.quorum} is impossible: only {len(possible)} distinct "
                    "human(s) can approve",
                    source=self.source,
                    location=f"{where}.quorum",
                    field="quorum",
                )

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def default_policy(cls) -> Policy:
        """The no-argument policy: redact everything, approval for ``privileged`` tools, allow others.

        Any authenticated human other than the requester may approve a privileged call; tools get
        no restored values and their output is redacted.

        Example:
            >>> Policy.default_policy().evaluate(ToolCall(name="x")).effect
            'allow'
        """
        return cls(name="default", source="<default>")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> Policy:
        """Validate a policy document (the YAML/TOML structure) and build the policy.

        Raises:
            PolicyError: names ``source``, the path into the document and the field.
        """
        from guardrails.policy._loader import policy_from_dict

        return policy_from_dict(data, source=source)

    @classmethod
    def from_yaml(cls, text: str, *, source: str = "<yaml>") -> Policy:
        """Parse and validate YAML text; errors carry line numbers."""
        from guardrails.policy._loader import policy_from_yaml

        return policy_from_yaml(text, source=source)

    @classmethod
    def from_toml(cls, text: str, *, source: str = "<toml>") -> Policy:
        """Parse and validate TOML text."""
        from guardrails.policy._loader import policy_from_toml

        return policy_from_toml(text, source=source)

    @classmethod
    def load(cls, path: str | Path) -> Policy:
        """Load a ``.yaml``/``.yml``/``.toml``/``.json`` file (by extension)."""
        from guardrails.policy._loader import load_policy

        return load_policy(path)

    # -- use ----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The canonical document the content hash is computed over."""
        return {
            "name": self.name,
            "default": self.default,
            "default_reason": self.default_reason,
            "approval": self.approval.to_dict(),
            "privileged_tags": sorted(self.privileged_tags),
            "rules": [r.to_dict() for r in self.rules],
            "tools": {k: v.to_dict() for k, v in self.tools.items()},
            "lists": dict(self.lists),
            "principals": sorted((p.to_dict() for p in self.principals), key=lambda d: d["id"]),
            "identities": sorted([c, s, p] for (c, s), p in self.identities.items()),
        }

    def tool_settings(self, tool_name: str) -> ToolSettings:
        """Settings for a tool: exact name first, then the first matching glob, else defaults."""
        exact = self.tools.get(tool_name)
        if exact is not None:
            return exact
        for pattern, settings in self.tools.items():
            if fnmatchcase(tool_name, pattern):
                return settings
        return _DEFAULT_TOOL

    def is_privileged(self, call: ToolCall) -> bool:
        """Tagged privileged, or metadata says so (``{"privileged": True}``)."""
        return bool(call.tags & self.privileged_tags) or any(
            call.metadata.get(tag) is True for tag in self.privileged_tags
        )

    def evaluate(
        self,
        call: ToolCall,
        *,
        requester: Principal | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> PolicyDecision:
        """Decide ``call``. Never raises: an evaluation error is a ``deny`` with ``error`` set."""
        current = "<error>"
        try:
            activation: LazyActivation | None = None
            best: Rule | None = None
            for rule in self.rules:
                if not rule.selects(call):
                    continue
                if rule.condition is not None:
                    current = rule.name
                    if activation is None:
                        activation = self._activation(call, requester, context)
                    if not rule.condition.evaluate(activation.for_condition(rule.condition)):
                        continue
                if best is None or STRICTNESS[rule.effect] > STRICTNESS[best.effect]:
                    best = rule
                    if rule.effect == "deny":
                        break  # nothing is stricter
            if best is not None:
                return self._decisions[best.name]
            if self.is_privileged(call) and self.default != "deny":
                return PolicyDecision(
                    effect="require_approval",
                    rule="<privileged>",
                    reason=f"tool {call.name!r} is privileged and needs human approval",
                    why="no rule matched; the tool is tagged privileged, which always needs approval",
                    policy_hash=self.hash,
                    approval=self.approval,
                )
            return PolicyDecision(
                effect=self.default,
                rule="<default>",
                reason=self.default_reason or _default_reason(self.default, call.name),
                why=f"no rule matched; the policy default is {self.default}",
                policy_hash=self.hash,
                approval=self.approval if self.default == "require_approval" else None,
            )
        except Exception as exc:
            # Fail closed. The message names the rule and the error class, never a value.
            kind = type(exc.__cause__ or exc).__name__ if isinstance(exc, ConditionError) else None
            error = kind or type(exc).__name__
            logger.warning("policy evaluation failed in %s: %s", current, error)
            return PolicyDecision(
                effect="deny",
                rule=current,
                reason=f"the policy could not evaluate tool {call.name!r}; the call is blocked",
                why=f"evaluation error in {current} ({error}); denied because the policy fails closed",
                policy_hash=self.hash,
                error=error,
            )

    def _activation(
        self, call: ToolCall, requester: Principal | None, context: Mapping[str, Any] | None
    ) -> LazyActivation:
        anonymous = {"id": "", "kind": "anonymous", "groups": [], "roles": []}
        return LazyActivation(
            {
                "args": lambda: dict(call.args),
                "tool": lambda: {
                    "name": call.name,
                    "tags": sorted(call.tags),
                    "metadata": json_safe_items(call.metadata),
                },
                "requester": lambda: (
                    {
                        "id": requester.id,
                        "kind": requester.kind,
                        "groups": sorted(requester.groups),
                        "roles": sorted(requester.roles),
                    }
                    if requester is not None
                    else anonymous
                ),
                "context": lambda: dict(context or {}),
                "lists": lambda: self._cel_lists,
            }
        )

    def _from_rule(self, rule: Rule) -> PolicyDecision:
        reason = rule.reason or _default_reason(rule.effect, None)
        return PolicyDecision(
            effect=rule.effect,
            rule=rule.name,
            reason=reason,
            why=f"rule {rule.name!r} matched" + (f": {rule.reason}" if rule.reason else ""),
            policy_hash=self.hash,
            approval=(rule.approval or self.approval)
            if rule.effect == "require_approval"
            else None,
        )


def _default_reason(effect: str, tool: str | None) -> str:
    subject = f"tool {tool!r}" if tool else "this call"
    return {
        "allow": f"{subject} is allowed",
        "deny": f"{subject} is not allowed by policy",
        "require_approval": f"{subject} needs human approval",
    }[effect]
