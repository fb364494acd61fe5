"""The args digest reviewers see is keyed: bound to the exact arguments, yet no guess oracle."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from guardrails import DecisionRefused
from guardrails.approvals import ApprovalService, Decision, SQLiteApprovalStore
from guardrails.policy import Policy, ToolCall, args_digest
from guardrails.testing import AuditCapture, FixedClock

from .conftest import ALICE, BOB, RAW_EMAIL

GUESSES = ["john@corp-secret.com", RAW_EMAIL, "jane.doe@corp.com"]


def test_a_reviewer_cannot_confirm_a_guess_from_the_digest(
    open_request: Callable[..., Any], audit: AuditCapture
) -> None:
    """Masked args + digest: hashing each guess in place of the placeholder never matches."""
    req = open_request("send_email", {"to": RAW_EMAIL, "body": "hi"})
    assert req.masked_args["to"] == "<EMAIL_ADDRESS_1>"
    shown = {req.args_digest, audit.last("approval.requested").data["args_digest"]}
    for guess in GUESSES:
        assert args_digest({"to": guess, "body": "hi"}) not in shown
    assert req.args_digest.startswith("hmac-sha256:")


def test_the_digest_still_binds_the_exact_arguments(
    service: ApprovalService, open_request: Callable[..., Any]
) -> None:
    """A decision for the card's digest approves; the call runs only with those exact args."""
    req = open_request("send_email", {"to": RAW_EMAIL, "body": "hi"})
    service.decide(req.id, Decision(verdict="approve", approver=BOB, args_digest=req.args_digest))
    with pytest.raises(DecisionRefused) as refused:
        service.authorize(req.id, args_digest=args_digest({"to": RAW_EMAIL, "body": "hi!"}))
    assert refused.value.code == "digest_mismatch"
    # the plain digest of the raw args (what a caller can compute) is keyed by the service
    call = service.authorize(req.id, args_digest=args_digest({"to": RAW_EMAIL, "body": "hi"}))
    assert call.args_digest == req.args_digest


def _policy() -> Policy:
    return Policy.from_yaml(
        "rules:\n  - {name: w, tools: [wire], effect: require_approval,"
        " approval: {approvers: {groups: [finance]}}}\n"
    )


def test_processes_sharing_a_store_share_the_digest_key(tmp_path: Path) -> None:
    """Another service on the same store file (a restart, a second replica) computes the same
    digest and can authorize what the first one opened."""
    first = ApprovalService(_policy(), store=SQLiteApprovalStore(tmp_path / "a.db"))
    args = {"amount": 7, "to": RAW_EMAIL}
    req = first.gate(ToolCall(name="wire", args=args), requester=ALICE).request
    assert req is not None
    second = ApprovalService(_policy(), store=SQLiteApprovalStore(tmp_path / "a.db"))
    assert second.args_digest(args) == req.args_digest
    second.decide(req.id, Decision(verdict="approve", approver=BOB, args_digest=req.args_digest))
    assert second.authorize(req.id, args_digest=args_digest(args)).approvers == ("bob",)
    other = ApprovalService(_policy(), store=SQLiteApprovalStore(tmp_path / "b.db"))
    assert other.args_digest(args) != req.args_digest  # another store, another key


def test_an_explicit_digest_key_is_used_and_checked() -> None:
    """digest_key overrides the store's secret; a short key is a configuration error."""
    from guardrails import ConfigurationError

    a = ApprovalService(_policy(), digest_key=b"k" * 32)
    b = ApprovalService(_policy(), digest_key=b"k" * 32)
    assert a.args_digest({"x": 1}) == b.args_digest({"x": 1})
    with pytest.raises(ConfigurationError):
        ApprovalService(_policy(), digest_key=b"short")


def test_a_request_stored_with_a_plain_digest_still_authorizes() -> None:
    """Requests opened before digests were keyed keep matching their plain digest."""
    svc = ApprovalService(_policy(), clock=FixedClock())
    args = {"amount": 1}
    req = svc.gate(ToolCall(name="wire", args=args), requester=ALICE).request
    assert req is not None
    legacy = req.evolve(args_digest=args_digest(args))
    svc.store.update(req.id, lambda _: legacy)
    svc.decide(req.id, Decision(verdict="approve", approver=BOB, args_digest=legacy.args_digest))
    assert svc.authorize(req.id, args_digest=args_digest(args)).request_id == req.id


def test_the_key_never_shows_in_reprs() -> None:
    """The digest helper's repr hides its key."""
    from guardrails.approvals._digest import Digests

    assert "k" * 8 not in repr(Digests(b"k" * 32))
