"""Signed permits: bound to one request and its exact args, single-use, unforgeable without the key."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardrails import ConfigurationError, DecisionRefused
from guardrails.approvals import (
    ApprovalService,
    Decision,
    args_digest,
    issue_permit,
    verify_permit,
)
from guardrails.identity import Principal

from .conftest import BOB, CAROL, KEY, RAW_EMAIL

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _decision(req: Any, who: Principal = BOB) -> Decision:
    return Decision(verdict="approve", approver=who, args_digest=req.args_digest)


def test_permit_decides_like_an_in_process_decision(
    service: ApprovalService, open_request: Callable[..., Any]
) -> None:
    """Two permits from two approvers reach quorum; votes record the permit provenance."""
    req = open_request()
    for who in (BOB, CAROL):
        outcome = service.decide_permit(req.id, service.issue_permit(req.id, _decision(req, who)))
    assert outcome.status == "approved"
    assert {v.provenance for v in outcome.request.votes} == {"permit"}


def test_permit_replayed_on_the_same_request(
    service: ApprovalService, open_request: Callable[..., Any]
) -> None:
    """A permit is single-use: its nonce is recorded with the vote."""
    req = open_request()
    token = service.issue_permit(req.id, _decision(req))
    service.decide_permit(req.id, token)
    with pytest.raises(DecisionRefused) as info:
        service.decide_permit(req.id, token)
    assert info.value.code == "replayed"


def test_permit_for_altered_args_is_refused(
    service: ApprovalService, open_request: Callable[..., Any]
) -> None:
    """A permit approving other arguments does not match this request's digest."""
    req = open_request()
    altered = Decision(
        verdict="approve",
        approver=BOB,
        args_digest=args_digest({"amount": 9_000_000, "to": RAW_EMAIL}),
    )
    token = issue_permit(KEY, request_id=req.id, decision=altered, expires_at=req.expires_at)
    with pytest.raises(DecisionRefused) as info:
        service.decide_permit(req.id, token)
    assert info.value.code == "digest_mismatch"


def test_permit_cannot_be_issued_for_the_requester(
    service: ApprovalService, open_request: Callable[..., Any]
) -> None:
    """issue_permit runs the same checks first: no permit for a self-approval."""
    req = open_request(requester=BOB)
    with pytest.raises(DecisionRefused) as info:
        service.issue_permit(req.id, _decision(req))
    assert info.value.code == "self_approval"


def _tamper(token: str, **changes: Any) -> str:
    prefix, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    raw = json.dumps(claims, sort_keys=True, separators=(",", ":")).encode()
    return f"{prefix}.{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}.{sig}"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: _tamper(t, vd="reject"),  # verdict flipped
        lambda t: _tamper(t, rid="apr_other"),  # moved to another request
        lambda t: _tamper(t, apr={"id": "mallory", "kind": "human"}),  # approver swapped
        lambda t: _tamper(t, exp=4102444800),  # expiry extended
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature bytes changed
        lambda t: "gp2" + t[3:],  # unknown version prefix
        lambda t: t.replace(".", "", 1),  # structure broken
        lambda t: "",  # empty
    ],
)
def test_altered_permit_fails_signature(mutate: Callable[[str], str]) -> None:
    """Any change to a permit's bytes is a bad signature."""
    d = Decision(verdict="approve", approver=BOB, args_digest="sha256:aa")
    token = issue_permit(KEY, request_id="apr_1", decision=d, expires_at=T0 + timedelta(hours=1))
    with pytest.raises(DecisionRefused) as info:
        verify_permit(KEY, mutate(token), now=T0)
    assert info.value.code == "bad_signature"


def test_permit_signed_with_another_key() -> None:
    """A permit from a different server key does not verify."""
    d = Decision(verdict="approve", approver=BOB, args_digest="sha256:aa")
    token = issue_permit(b"k" * 32, request_id="apr_1", decision=d, expires_at=T0 + timedelta(1))
    with pytest.raises(DecisionRefused) as info:
        verify_permit(KEY, token, now=T0)
    assert info.value.code == "bad_signature"


def test_key_rotation_accepts_old_and_new_keys() -> None:
    """verify_permit accepts any key of a list, so keys can rotate."""
    d = Decision(verdict="approve", approver=BOB, args_digest="sha256:aa")
    old = issue_permit(b"o" * 32, request_id="apr_1", decision=d, expires_at=T0 + timedelta(1))
    assert verify_permit([KEY, b"o" * 32], old, now=T0).approver == BOB


@pytest.mark.parametrize(
    ("offset", "ok"),
    [
        (timedelta(seconds=-1), True),  # one second before expiry: valid
        (timedelta(microseconds=-1), True),  # the last microsecond: valid
        (timedelta(0), False),  # exactly at expiry: expired (fail closed)
        (timedelta(seconds=1), False),  # a verifier clock one second ahead: expired
    ],
)
def test_permit_expiry_boundary(offset: timedelta, ok: bool) -> None:
    """A permit is valid strictly before its expiry, judged by the verifier's clock."""
    exp = T0 + timedelta(minutes=5)
    d = Decision(verdict="approve", approver=BOB, args_digest="sha256:aa")
    token = issue_permit(KEY, request_id="apr_1", decision=d, expires_at=exp)
    if ok:
        assert verify_permit(KEY, token, now=exp + offset).request_id == "apr_1"
    else:
        with pytest.raises(DecisionRefused) as info:
            verify_permit(KEY, token, now=exp + offset)
        assert info.value.code == "permit_expired"


def test_short_key_is_a_configuration_error() -> None:
    """Permit keys shorter than 32 bytes are refused when used."""
    d = Decision(verdict="approve", approver=BOB, args_digest="sha256:aa")
    with pytest.raises(ConfigurationError):
        issue_permit(b"short", request_id="r", decision=d, expires_at=T0)


@given(st.text(max_size=200))
def test_verify_never_accepts_garbage(token: str) -> None:
    """Arbitrary strings are refused as bad signatures, never crash."""
    with pytest.raises(DecisionRefused):
        verify_permit(KEY, token, now=T0)


def _directory_service(members: dict[str, Principal]) -> Any:
    from guardrails.approvals import ApprovalService
    from guardrails.identity import CallableDirectory
    from guardrails.policy import Policy, ToolCall

    policy = Policy.from_yaml(
        "rules:\n  - {name: w, tools: [wire], effect: require_approval,"
        " approval: {approvers: {groups: [finance]}}}\n"
    )
    directory = CallableDirectory(lambda ch, sub: members.get(sub) if ch == "principal" else None)
    service = ApprovalService(policy, permit_key=KEY, directory=directory)
    alice = Principal(id="alice")
    req = service.gate(ToolCall(name="wire", args={"amount": 1}), requester=alice).request
    return service, req


@pytest.mark.parametrize(
    ("now", "code"),
    [
        # removed from the finance group after the permit was signed
        (Principal(id="bob", groups=frozenset({"sales"})), "not_authorized"),
        # gone from the directory altogether
        (None, "not_authorized"),
        # turned into a service account
        (Principal(id="bob", kind="service", groups=frozenset({"finance"})), "not_human"),
    ],
)
def test_permit_is_checked_against_the_directory_as_it_is_now(
    now: Principal | None, code: str
) -> None:
    """A permit's signed groups are those of issue time; the directory's current entry decides."""
    members = {"bob": BOB}
    service, req = _directory_service(members)
    token = service.issue_permit(
        req.id, Decision(verdict="approve", approver=BOB, args_digest=req.args_digest)
    )
    if now is None:
        del members["bob"]
    else:
        members["bob"] = now
    with pytest.raises(DecisionRefused) as refused:
        service.decide_permit(req.id, token)
    assert refused.value.code == code
    assert service.get(req.id).status == "pending"


def test_permit_still_counts_while_the_approver_keeps_the_group() -> None:
    """Re-resolving does not refuse a permit whose approver is still authorized."""
    service, req = _directory_service({"bob": BOB})
    token = service.issue_permit(
        req.id, Decision(verdict="approve", approver=BOB, args_digest=req.args_digest)
    )
    assert service.decide_permit(req.id, token).status == "approved"
