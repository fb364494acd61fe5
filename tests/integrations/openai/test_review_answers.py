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
