"""Expiry and escalation under a fixed clock, including skew around the boundary."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from guardrails import DecisionRefused
from guardrails.approvals import ApprovalService, Decision
from guardrails.testing import AuditCapture, FixedClock

from .conftest import BOB, DAVE


def _approve(req: Any, who: Any = BOB) -> Decision:
    return Decision(verdict="approve", approver=who, args_digest=req.args_digest)


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (timedelta(minutes=10, microseconds=-1), True),  # the last microsecond before expiry
        (timedelta(minutes=10), False),  # exactly at expires_at: expired
        (timedelta(minutes=10, seconds=1), False),  # a second late
        (timedelta(seconds=-30), True),  # a skewed clock 30 s behind the creator's: still valid
    ],
)
def test_decision_around_expiry(
    service: ApprovalService,
    clock: FixedClock,
    open_request: Callable[..., Any],
    offset: timedelta,
    accepted: bool,
) -> None:
    """Decisions count strictly before expires_at, measured by the service's clock."""
    req = open_request()
    clock.advance(offset)
    if accepted:
        assert service.decide(req.id, _approve(req)).status == "pending"
    else:
        with pytest.raises(DecisionRefused) as info:
            service.decide(req.id, _approve(req))
        assert info.value.code == "expired"


def test_tick_expires_due_requests_once(
    service: ApprovalService,
    clock: FixedClock,
    audit: AuditCapture,
    open_request: Callable[..., Any],
) -> None:
    """tick() expires due requests, audits each once, and leaves others pending."""
    early = open_request()
    clock.advance(timedelta(minutes=6))
    late = open_request()
    clock.advance(timedelta(minutes=4))
    expired = [r.id for r in service.tick() if r.status == "expired"]
    assert expired == [early.id]
    assert service.tick() == []
    assert service.get(late.id).status == "pending"
    assert len(audit.of_kind("approval.expired")) == 1
    # nobody acted, yet the event names a principal: the requester whose request lapsed
    assert audit.last("approval.expired").principal == early.requester.id


def test_escalation_admits_the_escalation_group_only_after_the_delay(
    service: ApprovalService,
    clock: FixedClock,
    audit: AuditCapture,
    open_request: Callable[..., Any],
) -> None:
    """On-call may decide only once escalation is due; tick() announces the escalation."""
    req = open_request()
    with pytest.raises(DecisionRefused) as info:
        service.decide(req.id, _approve(req, DAVE))
    assert info.value.code == "not_authorized"
    clock.advance(timedelta(minutes=5))
    changed = service.tick()
    assert [r.escalated for r in changed] == [True]
    assert audit.last("approval.escalated").data["to"]["groups"] == ["oncall"]
    assert audit.last("approval.escalated").principal == req.requester.id
    assert service.decide(req.id, _approve(req, DAVE)).approvals == 1


def test_listeners_hear_expiry(
    service: ApprovalService, clock: FixedClock, open_request: Callable[..., Any]
) -> None:
    """Channels are told when a request expires so their cards can update."""
    seen: list[tuple[str, str]] = []
    service.subscribe(lambda e: seen.append((e.kind, e.request.status)))
    open_request()
    clock.advance(timedelta(hours=1))
    service.tick()
    assert seen[-1] == ("expired", "expired")
