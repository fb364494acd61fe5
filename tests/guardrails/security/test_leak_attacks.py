"""Adversarial review: stale session caches and reprs/audit events must not carry raw values."""

from __future__ import annotations

import logging

import pytest

from guardrails import Redactor, SessionStore
from guardrails.approvals import ApprovalService, Decision
from guardrails.identity import Principal
from guardrails.policy import Policy, ToolCall
from guardrails.testing import FixedClock, capture_audit

SECRET = "S3cretPassw0rd"
RAW = "jane.doe@corp-secret.com"


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor()


def test_cached_text_is_re_masked_after_its_value_is_learned(redactor: Redactor) -> None:
    """A text cached while a value was unknown is masked once that value enters the vault."""
    session = SessionStore(redactor).get("c")
    text = f"the value is {SECRET} ok"
    session.redact_text(text)  # bare: not detected, cached as is
    session.redact_text(f"password={SECRET}")  # now learned
    assert SECRET not in session.redact_text(text)
    assert SECRET not in str(session.redact_data({"a": [text]}))


def test_edited_args_stay_out_of_reprs_audit_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Raw edited arguments never appear in Decision/outcome reprs, audit events or DEBUG logs."""
    audit = capture_audit()
    policy = Policy.from_yaml(
        "name: t\napproval: {approvers: {groups: [f]}}\n"
        "rules:\n  - {name: e, tools: [send], effect: require_approval}\n"
    )
    service = ApprovalService(policy, clock=FixedClock(), audit=audit)
    caplog.set_level(logging.DEBUG)
    req = service.gate(ToolCall(name="send", args={"to": RAW}), requester=Principal(id="al"))
    assert req.request is not None
    edit = Decision(
        verdict="edit",
        approver=Principal(id="bob", groups=frozenset({"f"})),
        args_digest=req.request.args_digest,
        edited_args={"to": RAW + ".uk"},
    )
    outcome = service.decide(req.request.id, edit)
    seen = [repr(edit), repr(outcome), repr(outcome.request), repr(req), caplog.text]
    seen += [str(e.data) for e in audit.events()]
    assert not [s for s in seen if "jane.doe" in s]
