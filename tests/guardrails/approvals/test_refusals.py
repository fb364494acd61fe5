"""Every refusal, table-driven: the decision is refused with its stable code, audited, and changes
nothing on the request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from guardrails import DecisionRefused
from guardrails.approvals import (
    REFUSAL_CODES,
    ApprovalService,
    Decision,
    args_digest,
    issue_permit,
)
from guardrails.identity import Principal
from guardrails.testing import AuditCapture, FixedClock

from .conftest import BOB, BOT, CAROL, EVE, RAW_EMAIL, SVC


@dataclass
class Ctx:
    service: ApprovalService
    clock: FixedClock
    open: Callable[..., Any]


def approve(req: Any, who: Principal | None, **kw: Any) -> Decision:
    return Decision(verdict="approve", approver=who, args_digest=req.args_digest, **kw)


def _unauthenticated(c: Ctx) -> tuple[str, Callable[[], Any]]:
    req = c.open()
    return req.id, lambda: c.service.decide(req.id, approve(req, None))


def _agent(c: Ctx) -> tuple[str, Callable[[], Any]]:
    req = c.open()
    return req.id, lambda: c.service.decide(req.id, approve(req, BOT))


def _service_principal(c: Ctx) -> tuple[str, Callable[[], Any]]:
    req = c.open()
    return req.id, lambda: c.service.decide(req.id, approve(req, SVC))


def _self_approval(c: Ctx) -> tuple[str, Callable[[], Any]]:
    req = c.open(requester=BOB)  # BOB is in finance, so only the requester check stops him
    return req.id, lambda: c.service.decide(req.id, approve(req, BOB))


def _self_approval_lookalike(c: Ctx) -> tuple[str, Callable[[], Any]]:
    coca = Principal(id="coca", groups=frozenset({"finance"}))
    cyrillic = Principal(id="\u0441\u043e\u0441\u0430", groups=frozenset({"finance"}))  # "соса"
    req = c.open(requester=coca)
    return req.id, lambda: c.service.decide(req.id, approve(req, cyrillic))


def _mixed_script(c: Ctx) -> tuple[str, Callable[[], Any]]:
    req = c.open()
    mixed = Principal(id="b\u043eb", groups=frozenset({"finance"}))  # Cyrillic о in "bob"
    return req.id, lambda: c.service.decide(req.id, approve(req, mixed))


def _duplicate_lookalike(c: Ctx) -> tuple[str, Callable[[], Any]]:
    req = c.open()
    c.service.decide(req.id, approve(req, BOB, channel="slack"))
    cyrillic_bob = Principal(id="\u0432\u043e\u0432", groups=frozenset({"finance"}))  # "вов"
    return req.id, lambda: c.service.decide(req.id, approve(req, cyrillic_bob))


def _replayed(c: Ctx) -> tuple[str, Callable[[], Any]]:
    req = c.open()  # quorum 2: still pending after the first vote
    d = approve(req, BOB)
    c.service.decide(req.id, d)
    return req.id, lambda: c.service.decide(req.id, d)


def _expired(c: Ctx) -> tuple[str, Callable[[], Any]]:
    req = c.open()
    c.clock.advance(timedelta(minutes=10))
    return req.id, lambda: c.service.decide(req.id, approve(req, BOB))


def _not_pending(c: Ctx) -> tuple[str, Callable[[], Any]]:
    req = c.open()
    c.service.decide(
        req.id, Decision(verdict="reject", approver=CAROL, args_digest=req.args_digest)
    )
    return req.id, lambda: c.service.decide(req.id, approve(req, BOB))


def _digest_mismatch(c: Ctx) -> tuple[str, Callable[[], Any]]:
    req = c.open()
    other = args_digest({"amount": 9_999_999, "to": RAW_EMAIL})
    return req.id, lambda: c.service.decide(
        req.id, Decision(verdict="approve", approver=BOB, args_digest=other)
    )


def _decision_not_allowed(c: Ctx) -> tuple[str, Callable[[], Any]]:
    req = c.open("refund", {"amount": 10})  # the refund rule allows approve/reject only
    return req.id, lambda: c.service.decide(
        req.id,
        Decision(
            verdict="edit",
            approver=BOB,
            args_digest=req.args_digest,
            edited_args={"amount": 1},
            reason="smaller",
        ),
    )


def _reason_required(c: Ctx) -> tuple[str, Callable[[], Any]]:
    req = c.open("refund", {"amount": 10})
    return req.id, lambda: c.service.decide(req.id, approve(req, BOB))


def _not_authorized(c: Ctx) -> tuple[str, Callable[[], Any]]:
    req = c.open()
    return req.id, lambda: c.service.decide(req.id, approve(req, EVE))


def _duplicate_approver(c: Ctx) -> tuple[str, Callable[[], Any]]:
    req = c.open()
    c.service.decide(req.id, approve(req, BOB, channel="slack"))
    return req.id, lambda: c.service.decide(req.id, approve(req, BOB, channel="teams"))


def _wrong_request(c: Ctx) -> tuple[str, Callable[[], Any]]:
    first, second = c.open(), c.open()
    token = c.service.issue_permit(first.id, approve(first, BOB))
    return second.id, lambda: c.service.decide_permit(second.id, token)


def _bad_signature(c: Ctx) -> tuple[str, Callable[[], Any]]:
    req = c.open()
    token = issue_permit(
        b"another-key-another-key-another!!",
        request_id=req.id,
        decision=approve(req, BOB),
        expires_at=req.expires_at,
    )
    return req.id, lambda: c.service.decide_permit(req.id, token)


def _permit_expired(c: Ctx) -> tuple[str, Callable[[], Any]]:
    req = c.open()
    token = c.service.issue_permit(req.id, approve(req, BOB), ttl=timedelta(minutes=1))
    c.clock.advance(timedelta(minutes=2))
    return req.id, lambda: c.service.decide_permit(req.id, token)


def _edit(req: Any, tool: str | None, args: Any) -> Decision:
    return Decision(
        verdict="edit",
        approver=BOB,
        args_digest=req.args_digest,
        edited_tool=tool,
        edited_args=args,
    )


def _edit_unknown_tool(c: Ctx) -> tuple[str, Callable[[], Any]]:
    req = c.open()
    return req.id, lambda: c.service.decide(req.id, _edit(req, "format_disk", {"disk": "c"}))


def _edit_invalid(c: Ctx) -> tuple[str, Callable[[], Any]]:
    req = c.open()
    return req.id, lambda: c.service.decide(req.id, _edit(req, None, {"amount": float("nan")}))


def _edit_denied(c: Ctx) -> tuple[str, Callable[[], Any]]:
    req = c.open()  # an approver may not turn a wire into a call the policy denies
    return req.id, lambda: c.service.decide(req.id, _edit(req, "drop_table", {"table": "users"}))


CASES = [
    # no authenticated approver (the channel could not resolve one)
    pytest.param(_unauthenticated, "unauthenticated", id="unauthenticated"),
    # an agent principal, even one in the approver group
    pytest.param(_agent, "not_human", id="agent"),
    # a service principal, even one in the approver group
    pytest.param(_service_principal, "not_human", id="service"),
    # the requester approving their own call
    pytest.param(_self_approval, "self_approval", id="self-approval"),
    # the requester again, under an all-Cyrillic id that renders like theirs
    pytest.param(_self_approval_lookalike, "self_approval", id="self-approval-lookalike"),
    # an approver id mixing Latin and Cyrillic letters
    pytest.param(_mixed_script, "mixed_script", id="mixed-script"),
    # the very same decision submitted twice
    pytest.param(_replayed, "replayed", id="replayed"),
    # a decision after the request expired
    pytest.param(_expired, "expired", id="expired"),
    # a decision after another reviewer rejected
    pytest.param(_not_pending, "not_pending", id="not-pending"),
    # a decision bound to other arguments
    pytest.param(_digest_mismatch, "digest_mismatch", id="digest-mismatch"),
    # an edit where the rule only allows approve/reject
    pytest.param(_decision_not_allowed, "decision_not_allowed", id="verdict-not-allowed"),
    # an approval without the reason the rule requires
    pytest.param(_reason_required, "reason_required", id="reason-required"),
    # a human outside the rule's groups
    pytest.param(_not_authorized, "not_authorized", id="not-authorized"),
    # the same human through a second channel
    pytest.param(_duplicate_approver, "duplicate_approver", id="duplicate-approver"),
    # the same human again under a Cyrillic look-alike of their id
    pytest.param(_duplicate_lookalike, "duplicate_approver", id="duplicate-lookalike"),
    # a permit issued for another request
    pytest.param(_wrong_request, "wrong_request", id="permit-other-request"),
    # a permit signed with another key
    pytest.param(_bad_signature, "bad_signature", id="permit-other-key"),
    # a permit used after its own expiry
    pytest.param(_permit_expired, "permit_expired", id="permit-expired"),
    # an edit naming a tool the service does not know
    pytest.param(_edit_unknown_tool, "edit_unknown_tool", id="edit-unknown-tool"),
    # an edit whose args are not plain JSON
    pytest.param(_edit_invalid, "edit_invalid", id="edit-invalid"),
    # an edit into a call the policy denies
    pytest.param(_edit_denied, "edit_denied", id="edit-denied"),
]


@pytest.mark.parametrize(("setup", "code"), CASES)
def test_refusal_is_raised_with_code_and_audited(
    setup: Callable[[Ctx], tuple[str, Callable[[], Any]]],
    code: str,
    service: ApprovalService,
    clock: FixedClock,
    audit: AuditCapture,
    open_request: Callable[..., Any],
) -> None:
    """The decision is refused with its code; an approval.refused event records the code."""
    request_id, act = setup(Ctx(service=service, clock=clock, open=open_request))
    with pytest.raises(DecisionRefused) as info:
        act()
    assert info.value.code == code
    event = audit.last("approval.refused")
    assert event.data["code"] == code
    assert event.request_id == request_id or code in {"wrong_request"}
    audit.assert_absent(RAW_EMAIL)
    audit.assert_valid()


@pytest.mark.parametrize(("setup", "code"), [c for c in CASES if c.values[1] != "expired"])
def test_refusal_changes_nothing(
    setup: Callable[[Ctx], tuple[str, Callable[[], Any]]],
    code: str,
    service: ApprovalService,
    clock: FixedClock,
    open_request: Callable[..., Any],
) -> None:
    """A refused decision leaves the request exactly as it was."""
    request_id, act = setup(Ctx(service=service, clock=clock, open=open_request))
    before = service.get(request_id)
    with pytest.raises(DecisionRefused):
        act()
    assert service.get(request_id) == before


def test_every_code_is_covered() -> None:
    """The table exercises every decision refusal code (already_used is tested on authorize)."""
    covered = {c.values[1] for c in CASES}
    assert covered == REFUSAL_CODES - {"already_used"}


def test_expired_refusal_marks_the_request_expired(
    service: ApprovalService,
    clock: FixedClock,
    audit: AuditCapture,
    open_request: Callable[..., Any],
) -> None:
    """A decision arriving after expiry records the expiry (its own event), not a rejection."""
    req = open_request()
    clock.advance(timedelta(minutes=10))
    with pytest.raises(DecisionRefused):
        service.decide(req.id, approve(req, BOB))
    assert service.get(req.id).status == "expired"
    assert audit.kinds()[-2:] == ["approval.expired", "approval.refused"]


def test_refusal_message_has_no_argument_values(
    service: ApprovalService, open_request: Callable[..., Any]
) -> None:
    """Refusal messages name the problem, never the arguments."""
    req = open_request()
    with pytest.raises(DecisionRefused) as info:
        service.decide(req.id, approve(req, EVE))
    assert RAW_EMAIL not in str(info.value)
    assert RAW_EMAIL not in repr(info.value)


def test_service_without_permit_key_refuses_permits(policy: Any) -> None:
    """A service without a permit key cannot take permits (a usage mistake, not a refusal)."""
    from guardrails import ConfigurationError

    svc = ApprovalService(policy)
    with pytest.raises(ConfigurationError):
        svc.decide_permit("apr_x", "gp1.a.b")
