"""Recording events: what is accepted, what is refused (with nothing written), what comes back."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardrails._clock import FixedClock
from guardrails._errors import AuditError, ConfigurationError
from guardrails.audit import AuditEvent, AuditLog, EventKind, MemorySink, SQLiteSink
from guardrails.audit._events import format_time


class Opaque:
    """Not JSON."""


BAD_DATA = [
    ({"x": math.nan}, "NaN"),  # NaN is not JSON
    ({"x": math.inf}, "NaN and infinite"),  # nor is infinity
    ({"x": b"raw"}, "bytes is not JSON-safe"),  # bytes
    ({"x": {1, 2}}, "set is not JSON-safe"),  # sets
    ({"x": Opaque()}, "Opaque is not JSON-safe"),  # arbitrary objects
    ({"x": datetime(2026, 1, 1, tzinfo=UTC)}, "datetime is not JSON-safe"),  # format it yourself
    ({"x": {2: "a"}}, "keys must be strings"),  # non-string keys
    ({"x": 2**64}, "64-bit"),  # beyond int64
    ({"x": "\ud800"}, "not serializable"),  # a lone surrogate cannot be UTF-8
    (
        {"x": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},
        "deeper",
    ),  # too deep
    ({"x": "a" * 70_000}, "exceeds max_event_bytes"),  # huge payload
]


@pytest.mark.parametrize(("data", "message"), BAD_DATA)
def test_bad_data_is_refused_and_nothing_written(data: dict[str, Any], message: str) -> None:
    """Non-JSON, NaN, oversized or too-deep data raises AuditError and the trail stays empty."""
    log = AuditLog()
    with pytest.raises(AuditError, match=message):
        log.record("tool.executed", data=data)
    assert log.sink.head()[0] == 0


def test_bad_data_is_refused_on_sqlite_too(tmp_path: Path) -> None:
    """Refusal happens before the sink is touched: the SQLite trail stays empty and valid."""
    log = AuditLog(tmp_path / "a.db")
    log.record("tool.executed", n=1)
    with pytest.raises(AuditError):
        log.record("tool.executed", x=math.nan)
    assert log.verify().count == 1


def test_error_names_the_path_not_the_value() -> None:
    """The error message says where the bad value is, never what it is."""
    with pytest.raises(AuditError) as info:
        AuditLog().record("tool.executed", args={"card": b"4111111111111111"})
    assert "data['args']['card']" in str(info.value)
    assert "4111" not in str(info.value)


BAD_KINDS = [
    "",  # empty
    "Approval.Decided",  # upper case
    "approval decided",  # space
    "approval.",  # trailing dot
    "a" * 65,  # too long
    3,  # not a string
]


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_kind_is_refused(kind: Any) -> None:
    """Kinds are dotted lower-case names."""
    with pytest.raises(AuditError, match="event kind"):
        AuditLog().record(kind)


def test_custom_namespaced_kind_is_accepted() -> None:
    """Integrations may add their own namespaced kinds."""
    assert AuditLog().record("slack.card_updated").kind == "slack.card_updated"


def test_event_kind_enum_values_are_plain_strings() -> None:
    """An EventKind records as its string value."""
    event = AuditLog().record(EventKind.APPROVAL_EXPIRED, request_id="r1")
    assert event.kind == "approval.expired"
    assert type(event.kind) is str


def test_fields_and_data_merge() -> None:
    """Keyword fields merge into data; giving one key both ways is an error."""
    log = AuditLog()
    event = log.record("tool.executed", data={"a": 1}, b=2)
    assert dict(event.data) == {"a": 1, "b": 2}
    with pytest.raises(AuditError, match="both"):
        log.record("tool.executed", data={"a": 1}, a=2)


def test_event_fields_come_back_as_recorded() -> None:
    """Every identifying field, the time and the chain links are on the returned event."""
    clock = FixedClock(datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
    log = AuditLog(clock=clock)
    first = log.record("redaction", thread_id="t1", entities={"EMAIL_ADDRESS": 2})
    second = log.record(
        EventKind.APPROVAL_DECIDED,
        principal="u:bob",
        thread_id="t1",
        run_id="run-7",
        policy_hash="ph",
        request_id="r1",
        tool_call_id="call_1",
        verdict="approve",
    )
    assert second == next(log.events(start=2))
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert second.time == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert (second.principal, second.run_id, second.policy_hash) == ("u:bob", "run-7", "ph")
    assert (second.request_id, second.tool_call_id) == ("r1", "call_1")


def test_tuples_are_stored_as_lists() -> None:
    """The returned event holds exactly what was hashed (tuples become lists)."""
    assert AuditLog().record("x.y", pair=(1, 2)).data["pair"] == [1, 2]


def test_event_data_is_read_only() -> None:
    """An event's data mapping cannot be changed after the fact."""
    event = AuditLog().record("x.y", a=1)
    with pytest.raises(TypeError):
        event.data["a"] = 2  # type: ignore[index]


@dataclass(frozen=True)
class Principal:
    id: str
    kind: str = "human"


def test_principal_object_is_recorded_by_id() -> None:
    """A principal object (anything with .id) is recorded as its id."""
    assert AuditLog().record("x.y", principal=Principal("u:carol")).principal == "u:carol"


@pytest.mark.parametrize("bad", ["", "x" * 513, 7])  # empty / too long / not a string
def test_bad_identifier_is_refused(bad: Any) -> None:
    """Identifier fields must be non-empty bounded strings."""
    with pytest.raises(AuditError, match="thread_id"):
        AuditLog().record("x.y", thread_id=bad)


def test_redact_hook_scrubs_data() -> None:
    """The redact hook's output, not the input, is what gets hashed and stored."""
    log = AuditLog(redact=lambda d: {k: "<masked>" if k == "to" else v for k, v in d.items()})
    event = log.record("tool.executed", to="jane@example.com", n=1)
    assert dict(event.data) == {"to": "<masked>", "n": 1}
    assert "jane" not in next(log.records()).body


def test_failing_redact_hook_writes_nothing() -> None:
    """If the redact hook raises, the event is refused (fail closed)."""

    def boom(data: Any) -> Any:
        raise RuntimeError("detector down")

    log = AuditLog(redact=boom)
    with pytest.raises(AuditError, match="redact hook failed"):
        log.record("tool.executed", to="x")
    assert log.sink.head()[0] == 0


def test_sink_failure_is_an_audit_error(tmp_path: Path) -> None:
    """A sink that fails surfaces as AuditError so callers can fail closed."""
    sink = SQLiteSink(tmp_path / "a.db")
    log = AuditLog(sink)
    sink.close()
    with pytest.raises(AuditError):
        log.record("tool.executed")


@pytest.mark.parametrize(
    "key", [b"short", "a-string-key-of-enough-length"]
)  # too short / not bytes
def test_bad_key_is_a_configuration_error(key: Any) -> None:
    """Keys are bytes of at least 16."""
    with pytest.raises(ConfigurationError):
        AuditLog(key=key)


def test_key_never_appears_in_repr() -> None:
    """The HMAC key is not shown in reprs."""
    log = AuditLog(key=b"secret-key-material-123")
    assert "secret" not in repr(log) + repr(log._chain)


def test_sink_from_path_and_url(tmp_path: Path) -> None:
    """A path picks SQLite (or JSONL by suffix); None picks memory."""
    from guardrails.audit import JsonlSink

    assert isinstance(AuditLog(tmp_path / "a.db").sink, SQLiteSink)
    assert isinstance(AuditLog(str(tmp_path / "a.jsonl")).sink, JsonlSink)
    assert isinstance(AuditLog().sink, MemorySink)
    with pytest.raises(ConfigurationError):
        AuditLog(42)  # type: ignore[arg-type]


def test_naive_clock_is_refused() -> None:
    """Audit times must be timezone-aware."""
    with pytest.raises(AuditError, match="timezone-aware"):
        format_time(datetime(2026, 1, 1))


def test_events_filters() -> None:
    """events() filters by kind, thread and time."""
    clock = FixedClock()
    log = AuditLog(clock=clock)
    log.record("a.b", thread_id="t1")
    log.record("c.d", thread_id="t2")
    assert [e.kind for e in log.events(kind="c.d")] == ["c.d"]
    assert [e.thread_id for e in log.events(thread_id="t1")] == ["t1"]
    assert list(log.events(since=clock.now().replace(year=2030))) == []


def test_malformed_body_raises_audit_error() -> None:
    """Parsing a body that is not an event raises AuditError."""
    with pytest.raises(AuditError, match="malformed"):
        AuditEvent.from_record('{"seq":1}', "h")


def test_read_only_mappings_and_enums_become_plain_json() -> None:
    """Mapping proxies, StrEnum and IntEnum values are stored as plain JSON values."""
    from enum import IntEnum
    from types import MappingProxyType

    class Level(IntEnum):
        HIGH = 3

    data = MappingProxyType(
        {"args": MappingProxyType({"to": "<EMAIL_ADDRESS_1>"}), "lvl": Level.HIGH}
    )
    event = AuditLog().record("x.y", data=data, kind_=EventKind.REDACTION)
    assert dict(event.data) == {"args": {"to": "<EMAIL_ADDRESS_1>"}, "lvl": 3, "kind_": "redaction"}
    assert type(event.data["kind_"]) is str


@given(
    when=st.datetimes(
        min_value=datetime(2, 1, 1), max_value=datetime(9999, 12, 30), timezones=st.timezones()
    )
)
def test_event_time_text_is_strftime_form(when: datetime) -> None:
    """The fast time formatting gives exactly the strftime text, any zone, any year."""
    assert format_time(when) == when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
