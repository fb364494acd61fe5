"""What a reviewer types into an OpenAI-guard answer is masked before it is stored or raised."""

from __future__ import annotations

import pytest

from guardrails import ApprovalRejected, SessionStore
from guardrails.audit import AuditLog
from guardrails.guard import Answer, ToolInfo
from integrations.openai import guard_of, guard_openai
from tests.integrations.openai._seeds import EMAIL
from tests.support.openai_server import ChatReply, OpenAIServer, ToolCall

WIRE = ToolInfo(name="wire_money", tags=frozenset({"privileged"}))
SSN = "536-22-8714"


@pytest.fixture
def client(openai_client, redactor):
    guarded = guard_openai(
        openai_client, conversation_id="ra", store=SessionStore(redactor), audit=AuditLog()
    )
    yield guarded
    guarded.close()


def _call(client, server: OpenAIServer):
    server.script(ChatReply(tool_calls=[ToolCall(name="wire_money", arguments={"amount": 5})]))
    out = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": f"wire 5 for {EMAIL}"}]
    )
    return out.choices[0].message.tool_calls[0]


def _stored(client) -> str:
    store = guard_of(client).tool_guard.backend.approvals.store
    return repr([r.to_dict() for r in store._rows.values()])


def test_a_reject_reason_with_a_value_is_masked_in_the_error_and_store(
    client, openai_server: OpenAIServer
) -> None:
    """ApprovalRejected's message and the stored vote name a mask, never the SSN typed."""
    call = _call(client, openai_server)
    with pytest.raises(ApprovalRejected) as err:
        guard_of(client).call_tool(
            call,
            lambda **a: "wired",
            tool=WIRE,
            requester="alice",
            approver="bob",
            answer=Answer(verdict="reject", message=f"not for ssn {SSN}"),
        )
    assert SSN not in str(err.value)
    assert "<US_SSN_1>" in str(err.value)
    assert SSN not in _stored(client)


def test_an_edit_with_a_raw_value_is_stored_masked(client, openai_server: OpenAIServer) -> None:
    """The edited args are kept as placeholders by the approval store; the call still runs."""
    call = _call(client, openai_server)
    ran: list[dict[str, object]] = []
    guard_of(client).call_tool(
        call,
        lambda **a: ran.append(a),
        tool=WIRE,
        requester="alice",
        approver="bob",
        answer=Answer(verdict="edit", args={"amount": 5, "memo": f"for {SSN}"}),
    )
    assert ran == [{"amount": 5, "memo": "for <US_SSN_1>"}]
    assert SSN not in _stored(client)


def test_check_tool_call_consumes_the_approval_once(client, openai_server: OpenAIServer) -> None:
    """An approved call checked twice (the app runs it itself) is refused the second time."""
    from guardrails import DecisionRefused

    call = _call(client, openai_server)
    guard = guard_of(client)
    kw = {"tool": WIRE, "requester": "alice", "approver": "bob"}
    checked = guard.check_tool_call(call, answer=Answer(verdict="approve"), **kw)
    assert checked.approval is None  # consumed: nothing left for a second run
    with pytest.raises(DecisionRefused) as err:
        guard.check_tool_call(call, **kw)
    assert err.value.code == "already_used"


def test_check_tool_call_refuses_an_approval_that_expired(
    client, openai_server: OpenAIServer
) -> None:
    """Approved, then checked after the request's expiry: ApprovalExpired, not a green light."""
    from datetime import timedelta

    from guardrails import ApprovalExpired
    from guardrails._clock import FixedClock
    from guardrails.approvals import Decision
    from guardrails.identity import Principal

    call = _call(client, openai_server)
    guard = guard_of(client)
    clock = FixedClock()
    svc = guard.tool_guard.backend.approvals
    svc.clock = clock
    guard.tool_guard.backend.clock = clock
    kw = {"tool": WIRE, "requester": "alice"}
    with pytest.raises(Exception, match="approval"):
        guard.check_tool_call(call, **kw)
    (req,) = svc.pending()
    svc.decide(
        req.id,
        Decision(
            verdict="approve",
            approver=Principal(id="bob"),
            args_digest=req.args_digest,
            channel="slack",
        ),
    )
    clock.advance(timedelta(days=2))
    with pytest.raises(ApprovalExpired):
        guard.check_tool_call(call, **kw)
