"""Audit events: the kinds we record, the frozen event value and its canonical JSON body.

An event's *body* is the canonical JSON of every field except ``hash`` (sorted keys, no spaces,
UTF-8, no NaN/Infinity). The hash chain is computed over exactly those bytes, so the body is what
the sinks store and what ``verify`` re-hashes; nothing is re-serialized on the verify path.

Example:
    >>> canonical_json({"b": [1, 2.5], "a": "é"})
    '{"a":"é","b":[1,2.5]}'
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

import orjson

from guardrails._errors import AuditError

__all__ = [
    "FORMAT_VERSION",
    "GENESIS_HASH",
    "AuditEvent",
    "EventKind",
    "Record",
    "canonical_json",
    "check_json_safe",
    "format_time",
]

FORMAT_VERSION = 1
# prev_hash of the first event: 64 zero hex digits, the same width as a SHA-256 digest.
GENESIS_HASH = "0" * 64
# Kinds are namespaced dotted names so integrations can add their own ("slack.card_updated").
_KIND_RE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*\Z")
_MAX_KIND = 64
_MAX_ID = 512
_MAX_DEPTH = 32
_INT_LIMIT = 2**63  # JSON numbers outside int64 do not survive other languages' parsers


class EventKind(StrEnum):
    """The kinds the library itself records. Other namespaced kinds (``"my_app.thing"``) are accepted.

    Example:
        >>> EventKind.APPROVAL_REFUSED == "approval.refused"
        True
    """

    REDACTION = "redaction"
    POLICY_ALLOWED = "policy.allowed"
    POLICY_DENIED = "policy.denied"
    POLICY_ERROR = "policy.error"
    APPROVAL_REQUESTED = "approval.requested"
    APPROVAL_DECIDED = "approval.decided"
    APPROVAL_REFUSED = "approval.refused"
    APPROVAL_EXPIRED = "approval.expired"
    APPROVAL_ESCALATED = "approval.escalated"
    TOOL_EXECUTED = "tool.executed"
    TOOL_BLOCKED = "tool.blocked"
    TOOL_FAILED = "tool.failed"


class Record(NamedTuple):
    """One stored event as a sink holds it: the storage position, the canonical body, its hash.

    Example:
        >>> Record(1, '{"seq":1}', "ab" * 32).seq
        1
    """

    seq: int
    body: str
    hash: str


def canonical_json(value: Any) -> str:
    """Canonical JSON text: sorted keys, no whitespace, non-ASCII kept, NaN/Infinity refused."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def format_time(when: datetime) -> str:
    """ISO 8601 UTC with microseconds and a ``Z`` suffix (fixed width, sorts as text)."""
    if when.tzinfo is None:
        raise AuditError("audit times must be timezone-aware")
    utc = when.astimezone(UTC)
    if utc.year < 1000:  # isoformat pads the year to 4 digits; keep strftime's form
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return utc.isoformat(timespec="microseconds")[:-6] + "Z"  # 10x faster than strftime


def check_kind(kind: object) -> str:
    """Return ``kind`` as a plain string if it is a valid namespaced event kind."""
    if not isinstance(kind, str) or len(kind) > _MAX_KIND or not _KIND_RE.match(kind):
        raise AuditError(
            "event kind must be a dotted lower-case name like 'approval.decided' "
            f"(at most {_MAX_KIND} characters)"
        )
    return str(kind)


def check_id(name: str, value: object) -> str | None:
    """Validate an optional identifier field (principal, thread_id, ...)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > _MAX_ID:
        raise AuditError(f"{name} must be a non-empty string of at most {_MAX_ID} characters")
    return value


def check_json_safe(value: object, path: str = "data", depth: int = 0) -> Any:
    """Return a plain-JSON copy of ``value`` (dicts, lists, str, int, float, bool, None).

    Any mapping becomes a dict and any tuple a list, so what is hashed is exactly what comes back.
    Raises :class:`AuditError` naming the path (never the value) for anything that is not JSON.
    """
    try:
        return _plain(value, depth)
    except _NotJson as bad:
        where = path + "".join(reversed(bad.parts))
        raise AuditError(f"{where}: {bad.args[0]}") from None


class _NotJson(Exception):
    """Raised by ``_plain``; each level adds its key on the way out, so that building the path
    costs nothing on the (usual) path where everything is JSON."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.parts: list[str] = []


def _plain(value: object, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise _NotJson(f"nested deeper than {_MAX_DEPTH} levels")
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return value
    if isinstance(value, str):
        return str.__str__(value)  # StrEnum -> its value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        if not -_INT_LIMIT <= value < _INT_LIMIT:
            raise _NotJson("integer outside the 64-bit range")
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _NotJson("NaN and infinite floats are not JSON")
        return float(value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for raw_key, item in value.items():
            kind = type(item)
            if type(raw_key) is str and (kind is str or item is None or kind is bool):
                out[raw_key] = item  # most fields: no call
                continue
            if not isinstance(raw_key, str):
                raise _NotJson(f"mapping keys must be strings, got {type(raw_key).__name__}")
            key = str.__str__(raw_key)
            try:
                out[key] = _plain(item, depth + 1)
            except _NotJson as bad:
                bad.parts.append(f"[{raw_key!r}]" if len(key) <= 40 else "[...]")
                raise
        return out
    if isinstance(value, list | tuple):
        items: list[Any] = []
        for i, item in enumerate(value):
            try:
                items.append(_plain(item, depth + 1))
            except _NotJson as bad:
                bad.parts.append(f"[{i}]")
                raise
        return items
    raise _NotJson(
        f"{kind.__name__} is not JSON-safe (use str, int, float, bool, None, list, dict)"
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEvent:
    """One event of the trail, as recorded and hash-chained.

    ``data`` holds counts, masked arguments, outcomes, durations and reason codes - never raw
    sensitive values (the trail is evidence that is exported and shown to auditors).

    Example:
        >>> from guardrails.audit import AuditLog
        >>> log = AuditLog()
        >>> e = log.record("policy.denied", principal="u:alice", tool="wire_money", reason="over_limit")
        >>> e.seq, e.kind, e.data["reason"], len(e.hash)
        (1, 'policy.denied', 'over_limit', 64)
    """

    seq: int
    kind: str
    time: datetime
    principal: str | None = None
    thread_id: str | None = None
    run_id: str | None = None
    policy_hash: str | None = None
    request_id: str | None = None
    tool_call_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    prev_hash: str = GENESIS_HASH
    hash: str = ""

    def body_dict(self) -> dict[str, Any]:
        """The hashed fields (everything but ``hash``) as plain JSON values."""
        return {
            "v": FORMAT_VERSION,
            "seq": self.seq,
            "kind": self.kind,
            "time": format_time(self.time),
            "principal": self.principal,
            "thread_id": self.thread_id,
            "run_id": self.run_id,
            "policy_hash": self.policy_hash,
            "request_id": self.request_id,
            "tool_call_id": self.tool_call_id,
            "data": _thaw(self.data),
            "prev_hash": self.prev_hash,
        }

    def to_dict(self) -> dict[str, Any]:
        """All fields, ``hash`` included, as plain JSON values (what ``export`` writes)."""
        out = self.body_dict()
        out["hash"] = self.hash
        return out

    @classmethod
    def from_record(cls, body: str, hash: str) -> AuditEvent:
        """Parse a stored body. Raises :class:`AuditError` if it is not a well-formed event."""
        try:
            obj = orjson.loads(body)
            data = obj["data"]
            if not isinstance(data, dict):
                raise TypeError("data")
            return cls(
                seq=int(obj["seq"]),
                kind=obj["kind"],
                time=datetime.fromisoformat(obj["time"]),
                principal=obj["principal"],
                thread_id=obj["thread_id"],
                run_id=obj["run_id"],
                policy_hash=obj["policy_hash"],
                request_id=obj["request_id"],
                tool_call_id=obj["tool_call_id"],
                data=MappingProxyType(data),
                prev_hash=obj["prev_hash"],
                hash=hash,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise AuditError("malformed audit event body") from exc


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_thaw(v) for v in value]
    return value
