"""Authorization consumes an approval exactly once, for exactly the approved arguments."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from guardrails import (
    ApprovalError,
    ApprovalExpired,
    ApprovalRejected,
    ApprovalRequired,
    DecisionRefused,
    UnknownRequestError,
)
from guardrails.approvals import ApprovalEvent, ApprovalService, args_digest
from guardrails.testing import AuditCapture, FixedClock, ScriptedApprover

from .conftest import BOB, CAROL, RAW_EMAIL

ARGS = {"amount": 5000, "to": RAW_EMAIL}


def _approved(service: ApprovalService, open_request: Callable[..., Any]) -> Any:
    req = open_request(args=dict(ARGS))
    ScriptedApprover(service, [(BOB, "approve"), (CAROL, "approve")]).run(req.id)
    return req


def test_authorize_once_then_already_used(
    service: ApprovalService, audit: AuditCapture, open_request: Callable[..., Any]
) -> None:
    """The first authorize returns the call; the second is refused as already used."""
    req = _approved(service, open_request)
    call = service.authorize(req.id, args_digest=args_digest(ARGS))
    assert (call.tool_name, call.approvers, call.edited) == ("wire", ("bob", "carol"), False)
    with pytest.raises(DecisionRefused) as info:
        service.authorize(req.id, args_digest=args_digest(ARGS))
    assert info.value.code == "already_used"
    assert audit.last("approval.consumed").data["approvers"] == ["bob", "carol"]


def test_authorize_with_altered_args_is_refused(
    service: ApprovalService, open_request: Callable[..., Any]
) -> None:
    """Arguments changed after approval do not match the digest: refused, approval not used."""
    req = _approved(service, open_request)
    with pytest.raises(DecisionRefused) as info:
        service.authorize(req.id, args_digest=args_digest({**ARGS, "amount": 5001}))
    assert info.value.code == "digest_mismatch"
    assert service.get(req.id).status == "approved"


@pytest.mark.parametrize(
    ("script", "error"),
    [
        ([], ApprovalRequired),  # nobody decided yet: the call keeps waiting
        ([(BOB, "approve")], ApprovalRequired),  # one of two approvals
        ([(BOB, "reject", "too much")], ApprovalRejected),  # a human said no
    ],
)
def test_authorize_blocks_until_approved(
    service: ApprovalService,
    open_request: Callable[..., Any],
    script: list[Any],
    error: type[Exception],
) -> None:
    """A pending request signals ApprovalRequired; a rejected one raises ApprovalRejected."""
    req = open_request(args=dict(ARGS))
    ScriptedApprover(service, script).run(req.id)
    with pytest.raises(error):
        service.authorize(req.id, args_digest=args_digest(ARGS))


def test_expired_is_its_own_outcome(
    service: ApprovalService, clock: FixedClock, open_request: Callable[..., Any]
) -> None:
    """After expiry, authorize raises ApprovalExpired, which is not a rejection."""
    req = open_request(args=dict(ARGS))
    clock.advance(timedelta(minutes=10))
    with pytest.raises(ApprovalExpired) as info:
        service.authorize(req.id, args_digest=args_digest(ARGS))
    assert not isinstance(info.value, ApprovalRejected)
    assert service.get(req.id).status == "expired"


def test_approved_but_unused_past_expiry_fails_closed(
    service: ApprovalService, clock: FixedClock, open_request: Callable[..., Any]
) -> None:
    """An approval not used before the request's expiry cannot be used afterwards."""
    req = _approved(service, open_request)
    clock.advance(timedelta(minutes=10))
    with pytest.raises(ApprovalExpired):
        service.authorize(req.id, args_digest=args_digest(ARGS))


def test_mark_executed_records_the_outcome(
    service: ApprovalService, audit: AuditCapture, open_request: Callable[..., Any]
) -> None:
    """mark_executed moves consumed -> executed and audits masked args only."""
    req = _approved(service, open_request)
    service.authorize(req.id, args_digest=args_digest(ARGS))
    assert service.mark_executed(req.id, duration_ms=12.5).status == "executed"
    assert service.status(req.id) == "executed"
    event = audit.last("tool.executed")
    assert event.data["masked_args"]["to"] == "<EMAIL_ADDRESS_1>"
    audit.assert_absent(RAW_EMAIL)


def test_mark_executed_without_authorization_is_an_error(
    service: ApprovalService, open_request: Callable[..., Any]
) -> None:
    """A call that was never authorized cannot be recorded as executed."""
    req = _approved(service, open_request)
    with pytest.raises(ApprovalError):
        service.mark_executed(req.id)


def test_unknown_request(service: ApprovalService) -> None:
    """An unknown id raises UnknownRequestError (also a KeyError)."""
    with pytest.raises(UnknownRequestError):
        service.authorize("apr_nope", args_digest="sha256:00")


def test_listeners_see_every_step_and_can_unsubscribe(
    service: ApprovalService, open_request: Callable[..., Any]
) -> None:
    """Subscribers get requested/vote/decided/consumed; a failing listener breaks nothing."""
    seen: list[str] = []

    def broken(_: ApprovalEvent) -> None:
        raise RuntimeError("card update failed")

    service.subscribe(broken)
    unsubscribe = service.subscribe(lambda e: seen.append(e.kind))
    req = _approved(service, open_request)
    service.authorize(req.id, args_digest=args_digest(ARGS))
    unsubscribe()
    service.mark_executed(req.id)
    assert seen == ["requested", "vote", "decided", "consumed"]


@pytest.mark.parametrize(
    ("steps", "kind", "extra"),
    [
        # the tool runs on the requester's behalf; the approvers stay in the event's data
        (["authorize"], "approval.consumed", {"approvers": ["bob", "carol"]}),
        (["authorize", "executed"], "tool.executed", {"outcome": "ok"}),
        (["authorize", "failed"], "tool.failed", {"error": "TimeoutError"}),
        # a refused attempt to run the call is made for the requester too
        (["altered"], "approval.refused", {"code": "digest_mismatch"}),
        (["authorize", "authorize"], "approval.refused", {"code": "already_used"}),
    ],
)
def test_execution_events_name_the_requester_as_principal(
    service: ApprovalService,
    audit: AuditCapture,
    open_request: Callable[..., Any],
    steps: list[str],
    kind: str,
    extra: dict[str, Any],
) -> None:
    """Consuming, running and refusing to run an approved call are audited with its principal."""
    req = _approved(service, open_request)
    for step in steps:
        if step == "executed":
            service.mark_executed(req.id, duration_ms=3.0)
        elif step == "failed":
            service.mark_executed(req.id, ok=False, error="TimeoutError")
        else:
            digest = args_digest({**ARGS, "amount": 1} if step == "altered" else ARGS)
            with contextlib.suppress(DecisionRefused):
                service.authorize(req.id, args_digest=digest)
    event = audit.last(kind)
    assert (event.principal, event.thread_id, event.request_id) == ("alice", "thread-1", req.id)
    assert event.policy_hash == service.policy.hash
    assert {k: event.data[k] for k in extra} == extra
