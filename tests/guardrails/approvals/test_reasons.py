"""A reviewer's free-text reason is masked before it is stored, shown or told to the model: a
reviewer may type the customer's e-mail into "why". Permits keep verifying (the mask applies after
the signature check); a masker that fails records nothing."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails import ApprovalError
from guardrails.approvals import ApprovalService, Decision
from guardrails.policy import Policy, ToolCall
from guardrails.testing import AuditCapture, FixedClock
from tests.guardrails.approvals.conftest import ALICE, BOB, KEY, RAW_EMAIL


def _service(policy: Policy, audit: AuditCapture, clock: FixedClock, **kw: Any) -> ApprovalService:
    return ApprovalService(policy, audit=audit, clock=clock, permit_key=KEY, **kw)


def _open(service: ApprovalService) -> Any:
    result = service.gate(ToolCall(name="refund", args={"amount": 5}), requester=ALICE)
    assert result.request is not None
    return result.request


def _reject(request: Any, reason: str) -> Decision:
    return Decision(verdict="reject", approver=BOB, args_digest=request.args_digest, reason=reason)


def test_a_typed_reason_is_masked_in_the_vote_the_error_and_the_trail(
    policy: Policy, audit: AuditCapture, clock: FixedClock
) -> None:
    service = _service(policy, audit, clock)
    request = _open(service)
    outcome = service.decide(request.id, _reject(request, f"customer {RAW_EMAIL} asked us not to"))
    vote = outcome.request.votes[-1]
    assert RAW_EMAIL not in vote.reason
    assert vote.reason == "customer <EMAIL_ADDRESS_1> asked us not to"
    assert RAW_EMAIL not in repr(service.get(request.id))
    with pytest.raises(Exception) as blocked:  # what the model is told
        service.authorize(request.id, args_digest=request.args_digest)
    assert "<EMAIL_ADDRESS_1>" in str(blocked.value)
    assert RAW_EMAIL not in str(blocked.value)
    assert RAW_EMAIL not in repr(list(audit.events()))


def test_a_permit_with_a_typed_reason_still_verifies_and_is_stored_masked(
    policy: Policy, audit: AuditCapture, clock: FixedClock
) -> None:
    service = _service(policy, audit, clock)
    request = _open(service)
    token = service.issue_permit(request.id, _reject(request, f"mail {RAW_EMAIL}"))
    outcome = service.decide_permit(request.id, token)
    assert outcome.status == "rejected"
    assert outcome.request.votes[-1].reason == "mail <EMAIL_ADDRESS_1>"


def test_masking_can_be_replaced_or_turned_off(
    policy: Policy, audit: AuditCapture, clock: FixedClock
) -> None:
    own = _service(policy, audit, clock, mask_reasons=lambda text: text.upper())
    request = _open(own)
    assert own.decide(request.id, _reject(request, "no")).request.votes[-1].reason == "NO"
    kept = _service(policy, audit, clock, mask_reasons=False)
    request = _open(kept)
    reason = f"mail {RAW_EMAIL}"
    assert kept.decide(request.id, _reject(request, reason)).request.votes[-1].reason == reason


def test_a_masker_that_fails_records_nothing(
    policy: Policy, audit: AuditCapture, clock: FixedClock
) -> None:
    def broken(text: str) -> str:
        raise RuntimeError(f"cannot handle {text}")

    service = _service(policy, audit, clock, mask_reasons=broken)
    request = _open(service)
    before = len(list(audit.events()))
    with pytest.raises(ApprovalError) as failed:
        service.decide(request.id, _reject(request, f"mail {RAW_EMAIL}"))
    assert RAW_EMAIL not in str(failed.value)
    assert "nothing was recorded" in str(failed.value)
    assert service.get(request.id).status == "pending"
    assert len(list(audit.events())) == before


@pytest.mark.parametrize("mask_reasons", [True, False])
def test_a_reason_with_a_lone_surrogate_is_stored_as_text_every_channel_can_encode(
    policy: Policy, audit: AuditCapture, clock: FixedClock, mask_reasons: bool
) -> None:
    """A lone surrogate is no character: a card or reply holding it cannot be encoded, so every
    channel would fail on that request from then on. It is stored as "?" (masking on or off)."""
    import json

    from guardrails.channels import Card

    service = _service(policy, audit, clock, mask_reasons=mask_reasons)
    request = _open(service)
    outcome = service.decide(request.id, _reject(request, "no \ud800 thanks"))
    assert outcome.request.votes[-1].reason == "no ? thanks"
    stored = service.get(request.id)
    assert stored is not None
    json.dumps(Card.from_request(stored).to_dict(), ensure_ascii=False).encode()
