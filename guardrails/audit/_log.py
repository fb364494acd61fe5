"""``AuditLog``: validates, seals and appends events; reads, verifies and exports the trail."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from operator import itemgetter
from typing import IO, Any, Protocol

from guardrails._clock import Clock, SystemClock
from guardrails._errors import AuditError, ConfigurationError
from guardrails.audit._chain import Chain
from guardrails.audit._events import (
    FORMAT_VERSION,
    GENESIS_HASH,
    AuditEvent,
    EventKind,
    Record,
    canonical_json,
    check_id,
    check_json_safe,
    check_kind,
    format_time,
)
from guardrails.audit._memory import MemorySink
from guardrails.audit._sink import AuditSink, Builder
from guardrails.audit._verify import VerifyReport, verify_pairs

__all__ = ["AuditLog", "open_sink"]

_BODY_HASH = itemgetter(1, 2)  # Record(seq, body, hash) -> (body, hash)

DEFAULT_MAX_EVENT_BYTES = 64 * 1024
# A hook that returns a scrubbed copy of ``data`` (e.g. a Redactor pass over string values).
DataRedactor = Callable[[Mapping[str, Any]], Mapping[str, Any]]


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


def open_sink(target: AuditSink | str | os.PathLike[str] | None) -> AuditSink:
    """A sink from a sink, a path (``.jsonl`` -> JSONL, else SQLite), a ``postgresql://`` URL or None (memory)."""
    if target is None:
        return MemorySink()
    if isinstance(target, str | os.PathLike):
        text = os.fspath(target)
        if text.startswith(("postgresql://", "postgres://")):
            from guardrails.audit._postgres import PostgresSink

            return PostgresSink(text)
        if text.endswith(".jsonl"):
            from guardrails.audit._jsonl import JsonlSink

            return JsonlSink(text)
        from guardrails.audit._sqlite import SQLiteSink

        return SQLiteSink(text)
    if isinstance(target, AuditSink):
        return target
    raise ConfigurationError(f"not an audit sink: {type(target).__name__}")


def _builder(template: str, seal: Callable[[str], str]) -> Builder:
    """``build(seq, prev_hash)`` by splicing into the canonical template (no second dump).

    Keys are sorted, so the top-level ``prev_hash`` and ``seq`` come after ``data`` and only scalar
    fields follow them; inside JSON strings every quote is escaped. The *last* occurrence of each
    placeholder is therefore the top-level field (a property test checks this equals a full dump).
    """
    head, _, rest = template.rpartition(f'"prev_hash":"{GENESIS_HASH}"')
    middle, _, tail = rest.rpartition('"seq":0,')

    def build(seq: int, prev_hash: str) -> tuple[str, str]:
        body = f'{head}"prev_hash":"{prev_hash}"{middle}"seq":{seq},{tail}'
        return body, seal(body)

    return build


class AuditLog:
    """The tamper-evident audit trail.

    ``record`` appends one hash-chained event and returns only once the sink made it durable, so a
    decision recorded before a tool runs is on disk before the tool runs. Thread-safe; several
    processes may share one SQLite, JSONL or PostgreSQL trail.

    ``data`` must be plain JSON and must never hold raw sensitive values: record counts, masked
    arguments (placeholders), outcomes, durations and reason codes. The log cannot know what is raw;
    pass ``redact=`` to run every ``data`` mapping through a scrubber as a second line of defence.

    Args:
        sink: an :class:`AuditSink`, a path (``*.jsonl`` -> JSONL, anything else -> SQLite), a
            ``postgresql://`` URL, or ``None`` for an in-memory trail (tests only: not durable).
        key: HMAC key (>= 16 bytes). Without it the chain is plain SHA-256.
        clock: the time source (:class:`~guardrails.FixedClock` in tests).
        redact: optional hook returning a scrubbed copy of ``data``; if it raises, nothing is written.
        max_event_bytes: larger events are refused (an audit trail is not a blob store).

    Example:
        >>> log = AuditLog()
        >>> e = log.record(EventKind.APPROVAL_DECIDED, principal="u:bob", request_id="r1", verdict="approve")
        >>> e.seq, e.data["verdict"], log.verify().ok
        (1, 'approve', True)
    """

    def __init__(
        self,
        sink: AuditSink | str | os.PathLike[str] | None = None,
        *,
        key: bytes | None = None,
        clock: Clock | None = None,
        redact: DataRedactor | None = None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        self._chain = Chain(key)
        self.sink: AuditSink = open_sink(sink)
        self._clock: Clock = clock or SystemClock()
        self._redact = redact
        self._max = max_event_bytes

    def __repr__(self) -> str:
        return f"AuditLog(sink={type(self.sink).__name__}, keyed={self._chain.keyed})"

    def record(
        self,
        kind: EventKind | str,
        *,
        principal: str | _HasId | None = None,
        thread_id: str | None = None,
        run_id: str | None = None,
        policy_hash: str | None = None,
        request_id: str | None = None,
        tool_call_id: str | None = None,
        data: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> AuditEvent:
        """Append one event; returns it sealed (seq, prev_hash, hash). Durable on return.

        Extra keyword arguments are merged into ``data``. Raises :class:`~guardrails.AuditError`
        (and writes nothing) if the event is not plain JSON, too large, or the sink fails.
        """
        stored = self._write(
            self.prepare(
                kind,
                principal=principal,
                thread_id=thread_id,
                run_id=run_id,
                policy_hash=policy_hash,
                request_id=request_id,
                tool_call_id=tool_call_id,
                data=data,
                **fields,
            )
        )
        return AuditEvent.from_record(stored.body, stored.hash)

    def append(self, kind: EventKind | str, /, **fields: Any) -> None:
        """:meth:`record` (the same arguments) for a caller that does not read the event back:
        the same checks, the same durable append, without parsing the stored body into an
        :class:`AuditEvent` (~5 us; the guard writes one event per tool call)."""
        self._write(self.prepare(kind, **fields))

    def _write(self, build: Builder) -> Record:
        try:
            return self.sink.append(build)
        except AuditError:
            raise
        except Exception as exc:  # a sink failure must surface as ours: callers fail closed on it
            raise AuditError(
                f"audit sink {type(self.sink).__name__} failed: {type(exc).__name__}"
            ) from exc

    def prepare(
        self,
        kind: EventKind | str,
        *,
        principal: str | _HasId | None = None,
        thread_id: str | None = None,
        run_id: str | None = None,
        policy_hash: str | None = None,
        request_id: str | None = None,
        tool_call_id: str | None = None,
        data: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> Builder:
        """Validate and serialize one event now; the builder seals it at ``(seq, prev_hash)``.

        This is :meth:`record` without the append, for a writer that appends the event inside a
        transaction of its own (an approval store committing a decision together with its
        event). Raises :class:`~guardrails.AuditError` like :meth:`record`; the builder does not.
        """
        payload = self._payload(data, fields)
        if principal is not None and not isinstance(principal, str):
            principal = getattr(principal, "id", None)
            if principal is None:
                raise AuditError("principal must be a string id or an object with an 'id'")
        head = {
            "v": FORMAT_VERSION,
            "kind": check_kind(kind),
            "time": format_time(self._clock.now()),
            "principal": check_id("principal", principal),
            "thread_id": check_id("thread_id", thread_id),
            "run_id": check_id("run_id", run_id),
            "policy_hash": check_id("policy_hash", policy_hash),
            "request_id": check_id("request_id", request_id),
            "tool_call_id": check_id("tool_call_id", tool_call_id),
            "data": payload,
        }
        # Serialize once, before taking the sink's lock: a bad event fails here, nothing written.
        try:
            template = canonical_json({**head, "seq": 0, "prev_hash": GENESIS_HASH})
            size = len(template.encode("utf-8"))
        except (ValueError, TypeError, UnicodeEncodeError) as exc:
            raise AuditError("event is not serializable as canonical JSON") from exc
        if size + 64 > self._max:
            raise AuditError(f"event of {size} bytes exceeds max_event_bytes={self._max}")
        return _builder(template, self._chain.seal)

    def _payload(self, data: Mapping[str, Any] | None, fields: Mapping[str, Any]) -> dict[str, Any]:
        if data is not None and not isinstance(data, Mapping):
            raise AuditError("data must be a mapping")
        clash = set(data or ()) & set(fields)
        if clash:
            raise AuditError(f"field(s) given both in data and as keywords: {sorted(clash)}")
        merged: Mapping[str, Any] = {**(data or {}), **fields}
        if self._redact is not None:
            try:
                merged = self._redact(merged)
            except Exception as exc:  # fail closed: an unscrubbed event is never written
                raise AuditError(f"audit redact hook failed: {type(exc).__name__}") from exc
            if not isinstance(merged, Mapping):
                raise AuditError("audit redact hook must return a mapping")
        plain: dict[str, Any] = check_json_safe(merged)
        return plain

    def events(
        self,
        start: int = 1,
        *,
        kind: EventKind | str | None = None,
        thread_id: str | None = None,
        since: datetime | None = None,
    ) -> Iterator[AuditEvent]:
        """Events from ``start`` on, optionally filtered (parsed from the stored bodies)."""
        for rec in self.sink.records(start):
            event = AuditEvent.from_record(rec.body, rec.hash)
            if kind is not None and event.kind != kind:
                continue
            if thread_id is not None and event.thread_id != thread_id:
                continue
            if since is not None and event.time < since:
                continue
            yield event

    def records(self, start: int = 1) -> Iterator[Record]:
        """The stored records as they are (body text and hash)."""
        return self.sink.records(start)

    def verify(self, *, expect_head: tuple[int, str] | None = None) -> VerifyReport:
        """Re-hash and re-link the whole trail; ``expect_head`` also catches a truncated end."""
        # A sink's own pair reader when it has one; else itemgetter builds each pair in C.
        reader = getattr(self.sink, "pairs", None)
        pairs = reader(1) if callable(reader) else map(_BODY_HASH, self.sink.records(1))
        return verify_pairs(pairs, self._chain, expect_head=expect_head)

    def export(self, fp: IO[str], format: str = "jsonl") -> int:
        """Write the trail to a text file object (``jsonl``: verifiable; ``csv``: for people)."""
        from guardrails.audit._export import export_records

        return export_records(self.sink.records(1), fp, format)

    def close(self) -> None:
        """Close the sink."""
        self.sink.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
