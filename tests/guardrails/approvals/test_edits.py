"""An edit is a new call: new digest, evaluated again under the policy of the tool it names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from guardrails import ApprovalRequired, DecisionRefused
from guardrails.approvals import ApprovalService, Decision

from .conftest import BOB, CAROL, RAW_EMAIL


def _edit(req: Any, args: dict[str, Any], tool: str | None = None, who: Any = BOB) -> Decision:
    return Decision(
        verdict="edit",
        approver=who,
        args_digest=req.args_digest,
        edited_args=args,
        edited_tool=tool,
    )


def test_edit_of_the_same_tool_gets_a_new_digest(
    service: ApprovalService, open_request: Callable[..., Any]
) -> None:
    """send_email needs one finance approval: Bob's edit approves the edited call."""
    req = open_request("send_email", {"to": RAW_EMAIL, "body": "hi"})
    new_args = {"to": "<EMAIL_ADDRESS_1>", "body": "hello"}
    outcome = service.decide(req.id, _edit(req, new_args))
    assert outcome.status == "approved"
    call = service.authorize(req.id, args_digest=req.args_digest)
    assert call.edited
    assert call.args_digest == service.args_digest(new_args) != req.args_digest
    assert dict(call.edited_args or {}) == new_args


def test_cross_tool_edit_cannot_skip_that_tools_quorum(
    service: ApprovalService, open_request: Callable[..., Any]
) -> None:
    """Editing send_email into a wire opens a follow-up request under the wire rule (quorum 2)."""
    req = open_request("send_email", {"to": RAW_EMAIL, "body": "hi"})
    outcome = service.decide(req.id, _edit(req, {"amount": 10, "to": "x"}, tool="wire"))
    assert outcome.status == "superseded"
    follow = outcome.follow_up
    assert follow is not None
    assert (follow.tool_name, follow.rule, follow.quorum, follow.parent_id) == (
        "wire",
        "wire",
        2,
        req.id,
    )
    assert follow.approvals == frozenset({"bob"})  # the editor's approval counts once
    with pytest.raises(ApprovalRequired):
        service.authorize(req.id, args_digest=req.args_digest)
    service.decide(
        follow.id, Decision(verdict="approve", approver=CAROL, args_digest=follow.args_digest)
    )
    call = service.authorize(req.id, args_digest=req.args_digest)
    assert (call.tool_name, call.request_id) == ("wire", follow.id)
    assert service.mark_executed(req.id).id == follow.id  # the original id finds the follow-up


def test_edit_into_a_denied_call_is_refused(
    service: ApprovalService, open_request: Callable[..., Any]
) -> None:
    """An edit into a tool the policy denies (drop_table) is refused; nothing changes."""
    req = open_request("send_email", {"to": RAW_EMAIL})
    with pytest.raises(DecisionRefused) as info:
        service.decide(req.id, _edit(req, {"table": "users"}, tool="drop_table"))
    assert info.value.code == "edit_denied"
    assert service.get(req.id).status == "pending"
