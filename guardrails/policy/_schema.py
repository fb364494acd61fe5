"""The policy file schema (pydantic, at the I/O edge): strict types, unknown fields forbidden.

Documents validated here are turned into the frozen values of :mod:`guardrails.policy._model`
by :mod:`guardrails.policy._loader`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "ApprovalDoc",
    "ApproversDoc",
    "EscalationDoc",
    "PolicyDoc",
    "PrincipalDoc",
    "RuleDoc",
    "ToolDoc",
    "parse_duration",
]

_DURATION = re.compile(r"^\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?\s*$")


def parse_duration(value: Any) -> timedelta:
    """``90`` (seconds), ``"90s"``, ``"30m"``, ``"1h30m"``, ``"2d"`` -> timedelta.

    Example:
        >>> parse_duration("1h30m").total_seconds()
        5400.0
    """
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or a string like '30m'")
    try:
        if isinstance(value, int | float):
            seconds = float(value)
        elif isinstance(value, str) and (m := _DURATION.match(value)) and any(m.groups()):
            d, h, mi, s = (int(g or 0) for g in m.groups())
            seconds = float(((d * 24 + h) * 60 + mi) * 60 + s)
        else:
            raise ValueError("a duration is a number of seconds or a string like '30m', '1h', '2d'")
        if not seconds > 0:  # also NaN
            raise ValueError("a duration must be positive")
        return timedelta(seconds=seconds)
    except OverflowError:  # past timedelta's range (or a float's): a usage error, not a crash
        raise ValueError("a duration is too long") from None


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _listify(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class ApproversDoc(_Doc):
    users: list[str] = []
    groups: list[str] = []
    roles: list[str] = []
    any_human: bool = False


class EscalationDoc(_Doc):
    after: Any
    to: ApproversDoc

    _dur = field_validator("after", mode="before")(parse_duration)


class ApprovalDoc(_Doc):
    approvers: ApproversDoc | None = None
    quorum: int | None = None
    expires_in: Any = None
    decisions: list[Literal["approve", "edit", "reject"]] | None = None
    reason_required: bool | None = None
    reviewer_may_see: list[str] | None = None
    escalation: EscalationDoc | None = None

    @field_validator("expires_in", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> Any:
        return None if v is None else parse_duration(v)


class ToolDoc(_Doc):
    restore: list[str] = []
    redact_output: bool = True


class RuleDoc(_Doc):
    name: str
    effect: Literal["allow", "deny", "require_approval"]
    tools: list[str] = []
    tags: list[str] = []
    metadata: dict[str, Any] = {}
    when: str | None = None
    reason: str = ""
    approval: ApprovalDoc | None = None

    _lists = field_validator("tools", "tags", mode="before")(_listify)


class PrincipalDoc(_Doc):
    id: str
    kind: Literal["human", "agent", "service"] = "human"
    name: str = ""
    groups: list[str] = []
    roles: list[str] = []
    email: str | None = None
    identities: dict[str, list[str]] = {}

    @field_validator("identities", mode="before")
    @classmethod
    def _subjects(cls, v: Any) -> Any:
        return {k: _listify(s) for k, s in v.items()} if isinstance(v, dict) else v


class PolicyDoc(_Doc):
    version: Literal[1] = 1
    name: str = ""
    default: Literal["allow", "deny", "require_approval"] = "allow"
    default_reason: str = ""
    privileged_tags: list[str] = ["privileged"]
    approval: ApprovalDoc | None = None
    tools: dict[str, ToolDoc] = {}
    lists: dict[str, Any] = {}
    rules: list[RuleDoc] = []
    principals: list[PrincipalDoc] = Field(default_factory=list)
