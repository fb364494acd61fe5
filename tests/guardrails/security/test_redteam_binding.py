"""Red team: an approval names one tool. A call to another tool under the same call id and
arguments (a model that reuses a tool-call id in one message) must not ride on it."""

from __future__ import annotations

import pytest

from guardrails import ApprovalRequired
from guardrails._clock import FixedClock
from guardrails.audit import AuditLog
from guardrails.guard import Answer, CallContext, ToolGuard, ToolInfo

READ = ToolInfo(name="read_account", tags=frozenset({"privileged"}))
DELETE = ToolInfo(name="delete_account", tags=frozenset({"privileged"}))
ARGS = {"account": "acct-7"}


class _Redactor:
    def redact(self, text: str, vault: object = None) -> object:
        return type("R", (), {"text": text})()

    def redact_data(self, obj: object, vault: object = None) -> object:
        return obj


def _ctx(user: str | None = "bob") -> CallContext:
    return CallContext(thread_id="t1", run_id="r1", requester="alice", approver=user, scope="m1")


@pytest.fixture
def guard() -> ToolGuard:
    clock = FixedClock()
    return ToolGuard(redactor=_Redactor(), audit=AuditLog(clock=clock), clock=clock)


def test_two_tools_under_one_call_id_get_two_requests(guard: ToolGuard) -> None:
    """Same call id, same args, another tool: its own request, not the first tool's."""
    read = guard.rule("c1", ARGS, READ, _ctx())
    delete = guard.rule("c1", ARGS, DELETE, _ctx())
    assert read.request_id != delete.request_id
    assert read.ledger_key != delete.ledger_key
    assert guard.open(delete, _ctx()).tool_name == "delete_account"


def test_an_approval_of_one_tool_does_not_run_another(guard: ToolGuard) -> None:
    """bob approved read_account; delete_account with the same call id and args never runs."""
    read = guard.rule("c1", ARGS, READ, _ctx())
    guard.open(read, _ctx())
    guard.resolve(read, _ctx(), Answer(verdict="approve"))
    delete = guard.rule("c1", ARGS, DELETE, _ctx())
    guard.open(delete, _ctx())
    ran: list[str] = []
    assert guard.decided(delete, _ctx()) is None  # nobody decided on delete_account
    with pytest.raises(ApprovalRequired):  # delete_account waits for its own decision
        guard.execute(
            delete,
            _ctx(),
            lambda a: ran.append("delete") or "deleted",
            approval=(delete.request_id, delete.digest),
        )
    assert ran == []
    # the approved read still runs, once
    assert (
        guard.execute(read, _ctx(), lambda a: "read", approval=(read.request_id, read.digest))
        == "read"
    )


def test_authorize_refuses_a_request_of_another_tool(guard: ToolGuard) -> None:
    """The service's single-use authorization checks the tool name when it is given."""
    from guardrails import DecisionRefused

    read = guard.rule("c1", ARGS, READ, _ctx())
    guard.open(read, _ctx())
    guard.resolve(read, _ctx(), Answer(verdict="approve"))
    with pytest.raises(DecisionRefused) as info:
        guard.backend.approvals.authorize(
            read.request_id, args_digest=read.digest, tool_name="delete_account"
        )
    assert info.value.code == "digest_mismatch"
    assert guard.backend.approvals.get(read.request_id).status == "approved"  # not consumed
