"""Red team: the follow-up of an edit shows reviewers (and the audit trail) "<hidden>" for any
text the editor typed, since it may be a raw value. Argument *names* the editor typed were kept
as is: an e-mail typed as a key went into the stored request, the cards and the append-only
trail. Names that look like field names stay; any other name is hidden too."""

from __future__ import annotations

import pytest

from guardrails.approvals import ApprovalService, Decision
from guardrails.approvals._requests import mask_edit
from guardrails.identity import Principal
from guardrails.policy import Policy, ToolCall
from guardrails.testing import FixedClock, capture_audit

POLICY = """
name: edit-keys
approval:
  approvers: {groups: [finance]}
  expires_in: 10m
rules:
  - name: wire
    tools: [wire]
    effect: require_approval
    approval: {quorum: 2}
"""
EMAIL = "jane.roe@example.com"


@pytest.mark.parametrize(
    ("key", "kept"),
    [
        ("to", True),  # a field name
        ("account_id", True),
        ("meta.note", True),
        ("x-trace", True),
        (EMAIL, False),  # an e-mail typed as a name
        ("+1 555 123 4567", False),  # a phone number
        ("4111111111111111", False),  # a card number
        ("Jane Roe", False),  # text with a space
        ("", False),
    ],
)
def test_mask_edit_keeps_field_names_only(key: str, kept: bool) -> None:
    """Identifier-like names are kept; anything else becomes a numbered hidden name."""
    masked = mask_edit({key: 1, "nested": {key: "x"}})
    assert (key in masked) is kept
    assert (key in masked["nested"]) is kept
    assert len(masked) == 2


def test_an_email_typed_as_an_argument_name_stays_out_of_the_trail() -> None:
    """The follow-up request and its audit events never hold the typed name."""
    audit = capture_audit()
    svc = ApprovalService(
        Policy.from_yaml(POLICY, source="k.yaml"), clock=FixedClock(), audit=audit
    )
    req = svc.gate(ToolCall(name="wire", args={"to": "x"}), requester=Principal(id="alice")).request
    assert req is not None
    out = svc.decide(
        req.id,
        Decision(
            verdict="edit",
            approver=Principal(id="bob", groups=frozenset({"finance"})),
            args_digest=req.args_digest,
            edited_args={EMAIL: 5, "amount": 10},
        ),
    )
    assert out.follow_up is not None
    assert EMAIL not in str(out.follow_up.masked_args)
    assert out.follow_up.masked_args["amount"] == 10
    audit.assert_absent(EMAIL, "jane.roe")


def test_a_request_without_masked_args_hides_names_that_are_values() -> None:
    """gate() without masked args hides every value, and now names that are values too."""
    svc = ApprovalService(Policy.from_yaml(POLICY, source="k.yaml"), clock=FixedClock())
    call = ToolCall(name="wire", args={"cc": {EMAIL: "yes"}, "amount": 3})
    req = svc.gate(call, requester=Principal(id="alice")).request
    assert req is not None
    assert EMAIL not in str(req.to_dict())
    assert dict(req.masked_args) == {"cc": {"<hidden_key_1>": "<hidden>"}, "amount": "<hidden>"}
