"""gate(): the policy outcome for a call, audited — allow, deny, evaluation error, approval."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import DecisionRefused
from guardrails.approvals import ApprovalService, Decision
from guardrails.identity import Principal
from guardrails.policy import Policy, Rule, ToolCall
from guardrails.testing import AuditCapture, FixedClock, capture_audit

from .conftest import ALICE, RAW_EMAIL


def test_allow_is_audited_with_the_policy_hash(
    service: ApprovalService, audit: AuditCapture
) -> None:
    """An allowed call records policy.allowed with the policy hash."""
    result = service.gate(ToolCall(name="search", args={"q": RAW_EMAIL}), requester=ALICE)
    assert (result.effect, result.request) == ("allow", None)
    event = audit.last("policy.allowed")
    assert event.policy_hash == service.policy.hash
    audit.assert_absent(RAW_EMAIL)


def test_deny_is_audited_with_the_reason_the_model_sees(
    service: ApprovalService, audit: AuditCapture
) -> None:
    """A denied call records policy.denied with its rule and reason."""
    result = service.gate(ToolCall(name="drop_table", args={"t": "users"}), requester=ALICE)
    assert result.effect == "deny"
    event = audit.last("policy.denied")
    assert (event.data["rule"], event.data["reason"]) == ("drop", "dropping tables is not allowed")


def test_evaluation_error_is_denied_and_audited_as_error() -> None:
    """A failing condition denies the call and records policy.error (fail closed)."""
    audit = capture_audit()
    policy = Policy(rules=(Rule(name="r", effect="allow", when="args.missing > 1"),))
    svc = ApprovalService(policy, audit=audit)
    result = svc.gate(ToolCall(name="t", args={"x": RAW_EMAIL}))
    assert result.effect == "deny"
    assert audit.last("policy.error").data["rule"] == "r"
    audit.assert_absent(RAW_EMAIL)


def test_request_carries_masked_args_only(
    service: ApprovalService, audit: AuditCapture, open_request: object
) -> None:
    """The request and its audit event hold masked args and the raw-args digest, never raw values."""
    req = open_request()  # type: ignore[operator]
    assert RAW_EMAIL not in repr(req)
    assert RAW_EMAIL not in str(req.to_dict())
    event = audit.last("approval.requested")
    assert event.data["masked_args"]["to"] == "<EMAIL_ADDRESS_1>"
    assert event.data["args_digest"] == req.args_digest
    audit.assert_absent(RAW_EMAIL)


def test_without_masked_args_every_value_is_hidden(service: ApprovalService) -> None:
    """If the integration passes no masked args, reviewers see keys but no values."""
    result = service.gate(ToolCall(name="wire", args={"amount": 5, "to": RAW_EMAIL}))
    assert result.request is not None
    assert dict(result.request.masked_args) == {"amount": "<hidden>", "to": "<hidden>"}


# -- property: quorum counts distinct, authorized humans only ------------------------------------

PEOPLE = [
    Principal(id="alice", groups=frozenset({"finance"})),  # the requester
    Principal(id="bob", groups=frozenset({"finance"})),
    Principal(id="carol", groups=frozenset({"finance"})),
    Principal(id="dan", groups=frozenset({"finance"})),
    Principal(id="eve", groups=frozenset({"marketing"})),  # not authorized
    Principal(id="bot", kind="agent", groups=frozenset({"finance"})),  # not human
]
QUORUM_POLICY = Policy.from_yaml(
    """
rules:
  - name: q3
    tools: [wire]
    effect: require_approval
    approval: {approvers: {groups: [finance]}, quorum: 3, decisions: [approve]}
"""
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(range(len(PEOPLE))), max_size=12))
def test_quorum_property(order: list[int]) -> None:
    """Any sequence of approvals: approved exactly when 3 distinct authorized humans (not the
    requester) approved; nobody else is ever counted."""
    svc = ApprovalService(QUORUM_POLICY, clock=FixedClock())
    req = svc.gate(ToolCall(name="wire", args={"a": 1}), requester=PEOPLE[0]).request
    assert req is not None
    eligible: list[str] = []
    for i in order:
        p = PEOPLE[i]
        with contextlib.suppress(DecisionRefused):
            svc.decide(req.id, Decision(verdict="approve", approver=p, args_digest=req.args_digest))
        if p.id in {"bob", "carol", "dan"} and p.id not in eligible and len(eligible) < 3:
            eligible.append(p.id)
    final = svc.get(req.id)
    assert final.approvals == frozenset(eligible)
    assert (final.status == "approved") == (len(eligible) == 3)
    assert final.approvals <= {"bob", "carol", "dan"}


@pytest.mark.parametrize("kind", ["agent", "service"])
def test_non_humans_never_count(kind: str) -> None:
    """Agent and service principals are refused even when named as approvers by id."""
    policy = Policy.from_yaml(
        "rules:\n  - {name: r, tools: [t], effect: require_approval,"
        " approval: {approvers: {users: [robo]}}}\n"
    )
    svc = ApprovalService(policy)
    req = svc.gate(ToolCall(name="t"), requester=ALICE).request
    assert req is not None
    robo = Principal(id="robo", kind=kind)  # type: ignore[arg-type]
    with pytest.raises(DecisionRefused, match="cannot approve"):
        svc.decide(req.id, Decision(verdict="approve", approver=robo, args_digest=req.args_digest))


def test_non_json_masked_args_are_refused_before_anything_is_written(
    service: ApprovalService, audit: AuditCapture
) -> None:
    """Masked args that are not plain JSON raise InputError; no request, no event."""
    from guardrails import InputError

    with pytest.raises(InputError):
        service.gate(ToolCall(name="wire", args={"a": 1}), masked_args={"a": {1, 2}})
    assert service.pending() == []
    assert "approval.requested" not in audit.kinds()


def test_non_json_tool_metadata_is_dropped_not_fatal(service: ApprovalService) -> None:
    """Framework tool metadata may hold objects: they are left out of the stored request."""
    call = ToolCall(name="wire", args={"a": 1}, metadata={"env": "prod", "obj": object()})
    request = service.gate(call).request
    assert request is not None
    assert dict(service.get(request.id).tool_metadata) == {"env": "prod"}
