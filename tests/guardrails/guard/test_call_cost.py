"""Per-call shortcuts of the guard's backend: same events, same rulings as without them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from guardrails._clock import FixedClock
from guardrails._errors import AuditError
from guardrails.audit import AuditLog, MemorySink
from guardrails.guard import CallContext, ToolGuard, ToolInfo
from guardrails.guard._approvals import _jsonable
from guardrails.identity import Principal
from guardrails.policy import Policy

CTX = CallContext(thread_id="t1", requester="alice", approver="alice")


def _fields() -> dict[str, Any]:
    return {
        "principal": "alice",
        "thread_id": "t1",
        "tool_call_id": "c1",
        "tool": "search",
        "args": {"q": "<EMAIL_ADDRESS_1>", "n": 3, "f": 0.5, "ok": True, "none": None},
        "outcome": "ok",
    }


def test_append_writes_what_record_writes() -> None:
    """AuditLog.append stores the byte-identical body and hash record() would, returns None."""
    a, b = AuditLog(clock=FixedClock()), AuditLog(clock=FixedClock())
    for _ in range(3):
        assert a.append("tool.executed", **_fields()) is None
        b.record("tool.executed", **_fields())
    assert list(a.records()) == list(b.records())
    assert a.verify().ok


def test_append_refuses_what_record_refuses() -> None:
    """Non-JSON data: AuditError, nothing written."""
    log = AuditLog()
    with pytest.raises(AuditError):
        log.append("tool.executed", data={"x": datetime(2026, 1, 1, tzinfo=UTC)})
    assert log.sink.head()[0] == 0


def test_append_maps_a_sink_failure_to_an_audit_error() -> None:
    """A failing sink surfaces as AuditError (callers fail closed on it)."""

    class Broken(MemorySink):
        def append(self, build: Any) -> Any:
            raise OSError("disk full")

    with pytest.raises(AuditError, match="Broken failed: OSError"):
        AuditLog(Broken()).append("tool.executed", tool="x")


def test_the_guard_audits_executions_through_append() -> None:
    """tool.executed events of the guard match a record() of the same fields."""
    guard = ToolGuard(clock=FixedClock())
    ruling = guard.rule("c1", {"q": "x"}, ToolInfo(name="search"), CTX)
    guard.execute(ruling, CTX, lambda a: "ok")
    (event,) = guard.backend.audit.events()
    assert event.kind == "tool.executed"
    assert event.data["args"] == {"q": "x"}
    assert event.principal == "alice"


def test_an_audit_log_subclass_keeps_its_own_record() -> None:
    """A subclass overriding record() is still called (append is used for AuditLog only)."""
    seen: list[str] = []

    class Counting(AuditLog):
        def record(self, kind: Any, **kw: Any) -> Any:
            seen.append(str(kind))
            return super().record(kind, **kw)

    guard = ToolGuard(audit=Counting(clock=FixedClock()), clock=FixedClock())
    ruling = guard.rule("c1", {"q": "x"}, ToolInfo(name="search"), CTX)
    guard.execute(ruling, CTX, lambda a: "ok")
    assert seen == ["tool.executed"]


def test_a_directory_principal_is_resolved_on_every_ruling() -> None:
    """A principal from the policy's directory is looked up each time, never a cached one."""

    class Directory:
        def __init__(self) -> None:
            self.roles: frozenset[str] = frozenset()

        def resolve(self, kind: str, name: str) -> Principal:
            return Principal(id=name, roles=self.roles)

    directory = Directory()
    policy = Policy.default_policy()
    object.__setattr__(policy, "directory", directory)
    guard = ToolGuard(policy=policy, clock=FixedClock())
    assert guard.backend.requester(CTX).roles == frozenset()
    directory.roles = frozenset({"admin"})
    assert guard.backend.requester(CTX).roles == {"admin"}


def test_a_principal_without_directory_is_the_same_value() -> None:
    """No directory: the same (equal, frozen) Principal for the same id, another for another."""
    guard = ToolGuard(clock=FixedClock())
    one = guard.backend.requester(CTX)
    assert one == Principal(id="alice")
    assert guard.backend.requester(CTX) is one
    other = guard.backend.requester(CallContext(thread_id="t1", requester="bob"))
    assert other.id == "bob"


@pytest.mark.parametrize(
    ("tool", "outcome"),
    [
        (ToolInfo(name="t"), "allow"),  # untagged
        (ToolInfo(name="t", tags=frozenset({"privileged"})), "approval"),  # tagged
        (ToolInfo(name="t", metadata={"privileged": True}), "approval"),  # metadata flag
        (ToolInfo(name="t", metadata={"tags": ["privileged"]}), "approval"),  # metadata tags
    ],
)
def test_tags_cached_per_tool_info_rule_as_before(tool: ToolInfo, outcome: str) -> None:
    """The policy tags of a ToolInfo, cached per object, rule each tool as built fresh."""
    guard = ToolGuard(clock=FixedClock())
    for i in range(2):  # the second ruling reads the cache
        assert guard.rule(f"c{i}", {}, tool, CTX).outcome == outcome
    # an equal but new ToolInfo object is ruled the same
    fresh = ToolInfo(name=tool.name, tags=tool.tags, metadata=dict(tool.metadata))
    assert guard.rule("c9", {}, fresh, CTX).outcome == outcome


@pytest.mark.parametrize(
    "value",
    [
        {"q": "x", "n": 1, "f": 0.5, "b": False, "z": None},  # flat scalars: copied
        {"nested": {"a": [1, 2]}},  # nested: round trip
        {"when": datetime(2026, 1, 1, tzinfo=UTC)},  # not JSON: str via the round trip
        {1: "int key"},  # a non-string key: JSON turns it into "1"
        ["a", 1],  # not a dict
    ],
)
def test_jsonable_fast_path_equals_the_round_trip(value: Any) -> None:
    """_jsonable gives what the json dumps/loads round trip gives, and a copy."""
    import json

    out = _jsonable(value)
    assert out == json.loads(json.dumps(value, default=str))
    assert out is not value
