"""Request values: ``evolve`` is ``dataclasses.replace`` (normalized, frozen), only faster."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest

from guardrails.approvals import Vote
from guardrails.identity import Principal
from tests.guardrails.approvals.test_stores import _request

VOTE = Vote(
    decision_id="dec_1",
    verdict="approve",
    approver=Principal(id="bob"),
    decided_at=datetime(2026, 1, 1, tzinfo=UTC),
)


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "approved", "resolved_at": datetime(2026, 1, 2, tzinfo=UTC)},  # scalars
        {"votes": [VOTE]},  # a list becomes a tuple
        {"masked_args": {"to": "<EMAIL_ADDRESS_2>"}},  # a dict becomes a read-only mapping
        {"edited_args": {"amount": 7}, "approved_tool": "wire"},  # edits are frozen too
        {"edited_args": None},  # None stays None
        {"tool_tags": ["a", "b"], "reviewer_may_see": {"EMAIL_ADDRESS"}},  # sets become frozen
    ],
)
def test_evolve_equals_replace(changes: dict[str, Any]) -> None:
    """Same value, same normalized types, as dataclasses.replace."""
    request = _request(1)
    fast, slow = request.evolve(**changes), dataclasses.replace(request, **changes)
    assert fast == slow
    for f in dataclasses.fields(slow):
        assert type(getattr(fast, f.name)) is type(getattr(slow, f.name)), f.name
    assert isinstance(fast.masked_args, MappingProxyType)


def test_evolve_refuses_unknown_fields() -> None:
    """A misspelt field is an error, as with replace."""
    with pytest.raises(TypeError):
        _request(1).evolve(stauts="approved")
