"""Audit capture for tests (re-exported by :mod:`guardrails.testing`)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from guardrails._clock import Clock
from guardrails.audit._events import AuditEvent, EventKind
from guardrails.audit._log import AuditLog
from guardrails.audit._memory import MemorySink

__all__ = ["AuditCapture", "capture_audit"]


class AuditCapture(AuditLog):
    """An :class:`AuditLog` on a :class:`MemorySink` with accessors for assertions.

    Example:
        >>> audit = capture_audit()
        >>> _ = audit.record("approval.requested", request_id="r1", tool="wire")
        >>> audit.kinds()
        ['approval.requested']
        >>> audit.assert_absent("jane.doe@example.com")
    """

    sink: MemorySink

    def __init__(self, *, key: bytes | None = None, clock: Clock | None = None) -> None:
        super().__init__(MemorySink(), key=key, clock=clock)

    def all(self) -> list[AuditEvent]:
        """Every event recorded so far."""
        return list(self.events())

    def kinds(self) -> list[str]:
        """The kinds recorded so far, in order."""
        return [e.kind for e in self.events()]

    def of_kind(self, kind: EventKind | str) -> list[AuditEvent]:
        """The events of one kind, in order."""
        return list(self.events(kind=kind))

    def last(self, kind: EventKind | str | None = None) -> AuditEvent:
        """The last event (of ``kind``); ``AssertionError`` when there is none."""
        found = self.of_kind(kind) if kind is not None else self.all()
        assert found, f"no audit event of kind {kind!r}" if kind else "the trail is empty"
        return found[-1]

    def text(self) -> str:
        """Everything stored, as one string (bodies and hashes)."""
        return "\n".join(r.body + " " + r.hash for r in self.sink.rows)

    def assert_absent(self, *values: str | Iterable[str]) -> None:
        """Fail if any value appears anywhere in the trail, as-is or JSON-escaped.

        The failure message names the event seq, never the value.
        """
        flat: list[str] = []
        for v in values:
            flat.extend([v] if isinstance(v, str) else v)
        for rec in self.sink.rows:
            for v in flat:
                if not v:
                    continue
                escaped = json.dumps(v, ensure_ascii=False)[1:-1]
                ascii_escaped = json.dumps(v)[1:-1]
                if v in rec.body or escaped in rec.body or ascii_escaped in rec.body:
                    raise AssertionError(
                        f"a forbidden value ({len(v)} characters) appears in audit event seq {rec.seq}"
                    )

    def assert_valid(self) -> None:
        """Fail unless the chain verifies."""
        report = self.verify()
        assert report.ok, report.message


def capture_audit(*, key: bytes | None = None, clock: Clock | None = None) -> AuditCapture:
    """A fresh in-memory trail to pass wherever an ``AuditLog`` is expected in a test.

    Example:
        >>> audit = capture_audit()
        >>> audit.of_kind("tool.executed")
        []
    """
    return AuditCapture(key=key, clock=clock)
