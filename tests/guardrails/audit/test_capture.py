"""The test kit: capture_audit for users' own tests."""

from __future__ import annotations

import pytest

from guardrails.audit import AuditLog, capture_audit


def test_capture_is_an_audit_log_with_accessors() -> None:
    """capture_audit is an AuditLog; kinds/of_kind/last read back what was recorded."""
    audit = capture_audit()
    assert isinstance(audit, AuditLog)
    audit.record("approval.requested", request_id="r1")
    audit.record("approval.decided", request_id="r1", verdict="approve")
    assert audit.kinds() == ["approval.requested", "approval.decided"]
    assert [e.request_id for e in audit.of_kind("approval.decided")] == ["r1"]
    assert audit.last().data["verdict"] == "approve"
    audit.assert_valid()


PLANTED = [
    ("jane.doe@example.com", {"to": "jane.doe@example.com"}),  # as-is in data
    ('say "hi"', {"msg": 'say "hi"'}),  # found in its JSON-escaped form
    ("Zoë", {"name": "Zoë"}),  # non-ASCII
]


@pytest.mark.parametrize(("value", "data"), PLANTED)
def test_assert_absent_finds_values(value: str, data: dict[str, str]) -> None:
    """assert_absent fails when the value is anywhere in the trail, without printing it."""
    audit = capture_audit()
    audit.record("tool.executed", data=data)
    with pytest.raises(AssertionError) as info:
        audit.assert_absent(value)
    assert value not in str(info.value)
    assert "seq 1" in str(info.value)


def test_assert_absent_passes_on_clean_trail() -> None:
    """assert_absent passes when no value appears (and accepts iterables)."""
    audit = capture_audit()
    audit.record("redaction", entities={"EMAIL_ADDRESS": 1})
    audit.assert_absent("jane.doe@example.com", ["4111111111111111"])


def test_last_on_empty_trail_fails_clearly() -> None:
    """last() on an empty capture is an assertion failure naming the kind."""
    with pytest.raises(AssertionError, match=r"tool\.executed"):
        capture_audit().last("tool.executed")
