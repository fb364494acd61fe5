"""Function calls the model requests: per-tool restore, policy, approvals, exactly once, audit."""

from __future__ import annotations

import pytest

from guardrails import (
    ActionDenied,
    ApprovalRejected,
    ApprovalRequired,
    DecisionRefused,
    SessionStore,
)
from guardrails.audit import AuditLog
from guardrails.guard import Answer, ToolInfo
from guardrails.policy import Policy, Rule, ToolSettings
from integrations.openai import guard_of, guard_openai
from tests.integrations.openai._seeds import EMAIL, PHONE
from tests.support.openai_server import ChatReply, OpenAIServer, ResponsesReply, ToolCall

WIRE = ToolInfo(name="wire_money", tags=frozenset({"privileged"}))


@pytest.fixture
def audit() -> AuditLog:
    return AuditLog()


@pytest.fixture
def client(openai_client, redactor, audit):
    """A guarded client whose policy lets send_email receive e-mail addresses, denies drop_*."""
    policy = Policy(
        rules=(Rule(name="no-drop", tools=("drop_*",), effect="deny", reason="never drop tables"),),
        tools={"send_email": ToolSettings(restore_entities=frozenset({"EMAIL_ADDRESS"}))},
    )
    guarded = guard_openai(
        openai_client,
        conversation_id="c1",
        store=SessionStore(redactor),
        policy=policy,
        audit=audit,
    )
    yield guarded
    guarded.close()


def _model_calls(client, server: OpenAIServer, *calls: ToolCall):
    """One turn: the user's message carries PII; the model echoes placeholders in its calls."""
    server.script(ChatReply(tool_calls=list(calls)))
    out = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": f"mail {EMAIL}, call {PHONE}"}]
    )
    return out.choices[0].message.tool_calls


def test_placeholder_restored_only_for_allowed_tool(client, openai_server: OpenAIServer) -> None:
    """The same echoed placeholder is restored for send_email and stays masked for post_note."""
    send, post = _model_calls(
        client,
        openai_server,
        ToolCall(
            name="send_email", arguments={"to": "<EMAIL_ADDRESS_1>", "tel": "<PHONE_NUMBER_1>"}
        ),
        ToolCall(name="post_note", arguments={"text": "<EMAIL_ADDRESS_1>"}),
    )
    guard = guard_of(client)
    assert guard.restore_arguments(send) == {"to": EMAIL, "tel": "<PHONE_NUMBER_1>"}
    assert guard.restore_arguments(post) == {"text": "<EMAIL_ADDRESS_1>"}


def test_call_tool_runs_with_restored_args_once(client, openai_server: OpenAIServer) -> None:
    """An allowed call runs with the values it may receive, and only once per call id."""
    [send] = _model_calls(
        client, openai_server, ToolCall(name="send_email", arguments={"to": "<EMAIL_ADDRESS_1>"})
    )
    runs: list[dict] = []

    def send_email(**args):
        runs.append(args)
        return f"sent to {args['to']}"

    guard = guard_of(client)
    first = guard.call_tool(send, send_email)
    again = guard.call_tool(send, send_email)
    assert runs == [{"to": EMAIL}]
    assert first == f"sent to {EMAIL}"
    assert again == "sent to <EMAIL_ADDRESS_1>"  # the remembered result is the redacted copy


def test_privileged_call_needs_approval(client, openai_server: OpenAIServer) -> None:
    """A tool tagged privileged raises ApprovalRequired with a masked request; nothing runs."""
    [call] = _model_calls(
        client,
        openai_server,
        ToolCall(name="wire_money", arguments={"to": "<EMAIL_ADDRESS_1>", "amount": 5000}),
    )
    ran = []
    with pytest.raises(ApprovalRequired) as err:
        guard_of(client).call_tool(call, lambda **a: ran.append(a), tool=WIRE, requester="alice")
    assert ran == []
    assert EMAIL not in repr(err.value.request)
    assert err.value.request.masked_args["to"] == "<EMAIL_ADDRESS_1>"


def test_approved_by_another_human_runs(
    client, openai_server: OpenAIServer, audit: AuditLog
) -> None:
    """An approval from someone other than the requester lets the call run once; the trail verifies."""
    [call] = _model_calls(
        client, openai_server, ToolCall(name="wire_money", arguments={"amount": 5000})
    )
    guard = guard_of(client)
    with pytest.raises(ApprovalRequired):
        guard.call_tool(call, lambda **a: "wired", tool=WIRE, requester="alice")
    out = guard.call_tool(
        call,
        lambda **a: "wired",
        tool=WIRE,
        requester="alice",
        approver="bob",
        answer=Answer(verdict="approve"),
    )
    assert out == "wired"
    kinds = [e.kind for e in audit.events()]
    assert "approval.decided" in kinds
    assert "tool.executed" in kinds
    assert audit.verify().ok


def test_self_approval_refused(client, openai_server: OpenAIServer) -> None:
    """The requester cannot approve their own call."""
    [call] = _model_calls(
        client, openai_server, ToolCall(name="wire_money", arguments={"amount": 1})
    )
    with pytest.raises(DecisionRefused) as err:
        guard_of(client).call_tool(
            call,
            lambda **a: "wired",
            tool=WIRE,
            requester="alice",
            approver="alice",
            answer=Answer(verdict="approve"),
        )
    assert err.value.code == "self_approval"


def test_rejection_blocks(client, openai_server: OpenAIServer) -> None:
    """A rejection raises ApprovalRejected and the function does not run."""
    [call] = _model_calls(
        client, openai_server, ToolCall(name="wire_money", arguments={"amount": 1})
    )
    ran = []
    with pytest.raises(ApprovalRejected):
        guard_of(client).call_tool(
            call,
            lambda **a: ran.append(a),
            tool=WIRE,
            requester="alice",
            approver="bob",
            answer=Answer(verdict="reject", message="too much"),
        )
    assert ran == []


def test_policy_deny(client, openai_server: OpenAIServer) -> None:
    """A deny rule raises ActionDenied with a reason safe to show the model."""
    [call] = _model_calls(
        client, openai_server, ToolCall(name="drop_table", arguments={"t": "users"})
    )
    with pytest.raises(ActionDenied, match="never drop tables"):
        guard_of(client).call_tool(call, lambda **a: "dropped")


def test_responses_function_call_item(client, openai_server: OpenAIServer) -> None:
    """Responses function_call items go through the same helper."""
    openai_server.script(
        ResponsesReply(
            function_calls=[ToolCall(name="send_email", arguments={"to": "<EMAIL_ADDRESS_1>"})]
        )
    )
    out = client.responses.create(model="m", input=f"mail {EMAIL}")
    [item] = [o for o in out.output if o.type == "function_call"]
    assert guard_of(client).restore_arguments(item) == {"to": EMAIL}


@pytest.mark.parametrize(
    "arguments",
    [
        "not json",  # the model produced broken JSON
        "[1, 2]",  # JSON, but not an object
    ],
)
def test_bad_arguments_are_input_errors(
    client, openai_server: OpenAIServer, arguments: str
) -> None:
    """Arguments that are not a JSON object raise InputError before anything runs."""
    from guardrails import InputError

    [call] = _model_calls(client, openai_server, ToolCall(name="send_email", arguments=arguments))
    with pytest.raises(InputError):
        guard_of(client).call_tool(call, lambda **a: "x")


def test_reprs_hold_no_values(client, openai_server: OpenAIServer) -> None:
    """A checked call, the guard and its session show no raw value in their reprs."""
    [send] = _model_calls(
        client, openai_server, ToolCall(name="send_email", arguments={"to": "<EMAIL_ADDRESS_1>"})
    )
    guard = guard_of(client)
    checked = guard.check_tool_call(send)
    assert checked.args == {"to": EMAIL}
    for obj in (checked, guard, guard.session(), guard.store):
        assert EMAIL not in repr(obj)
