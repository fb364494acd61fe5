"""Values the tool-call guard works with: what a tool is, who runs it, what the policy ruled.

Framework-free: adapters (LangChain middleware, LangGraph tool node, OpenAI guard, channels)
translate their own objects into these and back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

__all__ = ["Answer", "CallContext", "Resolution", "Ruling", "ToolInfo", "request_id_for"]

Verdict = Literal["approve", "edit", "reject"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolInfo:
    """What the guard knows about a tool: name, tags, metadata, description.

    Example:
        >>> ToolInfo(name="wire_money", tags=frozenset({"privileged"})).privileged
        True
    """

    name: str
    tags: frozenset[str] = frozenset()
    metadata: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "tags", frozenset(self.tags))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    @property
    def privileged(self) -> bool:
        """Tagged ``privileged`` in its tags or its metadata (``privileged: true`` or ``tags``)."""
        meta_tags = self.metadata.get("tags") or ()
        return (
            "privileged" in self.tags
            or self.metadata.get("privileged") is True
            or (isinstance(meta_tags, list | tuple | set | frozenset) and "privileged" in meta_tags)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CallContext:
    """Who the call is for and where it runs.

    ``scope`` tells apart tool-call ids a model reuses across turns (the adapters pass the id of
    the AI message that made the call). ``approver`` is the authenticated user of the run that is
    executing now, i.e. the one that resumes a paused thread.

    Example:
        >>> CallContext(thread_id="t1", requester="alice").requester
        'alice'
    """

    thread_id: str
    run_id: str | None = None
    requester: Any = None  # a principal id (str) or a Principal
    approver: str | None = None
    scope: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Ruling:
    """The policy's ruling on one tool call, computed without side effects.

    ``args`` are the arguments the tool would receive (placeholders restored only for the
    entity types the policy lets this tool receive); they are kept out of ``repr``. ``masked_args``
    are what the model sent and what reviewers see.
    """

    outcome: Literal["allow", "deny", "approval"]
    tool: ToolInfo
    call_id: str
    masked_args: Mapping[str, Any]
    args: Mapping[str, Any] = field(repr=False)
    digest: str
    request_id: str
    ledger_key: str
    rule: str | None = None
    reason: str = ""
    allowed_decisions: tuple[Verdict, ...] = ("approve", "edit", "reject")
    restore_entities: frozenset[str] = frozenset()
    redact_output: bool = True
    expires_in_s: float | None = None
    policy_hash: str | None = None
    chat_replies: bool = True
    decision: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """A reviewer's answer as parsed from any channel, before verification.

    ``permit`` carries a signed permit (verified by the approval service); ``args`` are the
    edited arguments for ``edit``; ``message`` the rejection reason.
    """

    verdict: Verdict
    args: Mapping[str, Any] | None = field(default=None, repr=False)
    tool_name: str | None = None
    message: str = ""
    permit: str | None = field(default=None, repr=False)
    channel: str = "langgraph"


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolution:
    """A verified decision: what to do with the call."""

    verdict: Verdict
    approver: str | None
    args: Mapping[str, Any] | None = field(default=None, repr=False)
    masked_args: Mapping[str, Any] | None = None
    message: str = ""
    request_id: str = ""
    expired: bool = False
    channel: str = ""
    pending: bool = False


def request_id_for(thread_id: str, scope: str, call_id: str, digest: str, tool: str = "") -> str:
    """A deterministic approval request id: a re-run of the same call names the same request.

    ``tool`` keeps apart calls to two tools under one call id with the same arguments (a model
    may reuse an id): the approval of one is never the other's.

    Example:
        >>> request_id_for("t", "m", "c", "sha256:0") == request_id_for("t", "m", "c", "sha256:0")
        True
        >>> request_id_for("t", "m", "c", "sha256:0", "a") == request_id_for("t", "m", "c", "sha256:0", "b")
        False
    """
    raw = "\x1f".join(_parts(thread_id, scope, call_id, digest, tool)).encode("utf-8")
    return "apr_" + hashlib.sha256(raw).hexdigest()[:32]


def ledger_key_for(thread_id: str, scope: str, call_id: str, digest: str, tool: str = "") -> str:
    """The once-only ledger's key for a call: stable across processes and restarts.

    Example:
        >>> ledger_key_for("t", "m", "c", "sha256:0").startswith("led_")
        True
    """
    raw = "\x1f".join(_parts(thread_id, scope, call_id, digest, tool)).encode("utf-8")
    return "led_" + hashlib.sha256(raw).hexdigest()[:32]


def _parts(thread_id: str, scope: str, call_id: str, digest: str, tool: str) -> tuple[str, ...]:
    # Without a tool name the parts (and so the ids) are those of earlier versions.
    base = (thread_id, scope, call_id, digest)
    return (*base, tool) if tool else base


def expires_at(created: datetime, seconds: float | None) -> datetime | None:
    """``created + seconds`` or ``None``."""
    if seconds is None:
        return None
    from datetime import timedelta

    return created + timedelta(seconds=seconds)
