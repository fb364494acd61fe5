"""Resume parsing and interrupt payloads: the LangChain v1 HITL wire formats."""

from __future__ import annotations

import pytest

from guardrails.guard import Ruling, ToolInfo
from integrations.langgraph import (
    ResumeError,
    batched_request,
    parse_answer,
    parse_decisions,
    tool_approval,
)


@pytest.mark.parametrize(
    ("value", "verdict", "message"),
    [
        ({"type": "approve"}, "approve", ""),  # v1 approve
        (
            {"type": "reject", "message": "too broad"},
            "reject",
            "too broad",
        ),  # v1 reject with reason
        ({"decisions": [{"type": "approve"}]}, "approve", ""),  # a batched answer with one decision
        ("approve", "approve", ""),  # Studio chat reply
        ("LGTM", "approve", ""),  # chat synonym, any case
        ("reject: too broad", "reject", "too broad"),  # chat reply with a reason
        ("no - wrong customer", "reject", "wrong customer"),  # chat rejection, dash separator
        ({"permit": "tok"}, "approve", ""),  # a signed permit alone means approve
    ],
)
def test_accepted_answers(value, verdict, message) -> None:
    """Each accepted form parses to the verdict and reason it says."""
    answer = parse_answer(value)
    assert (answer.verdict, answer.message) == (verdict, message)


def test_edit_keeps_name_and_args() -> None:
    """An edit carries the tool name it names and the new args."""
    answer = parse_answer({"type": "edit", "edited_action": {"name": "send", "args": {"to": "x"}}})
    assert (answer.verdict, answer.tool_name, dict(answer.args or {})) == (
        "edit",
        "send",
        {"to": "x"},
    )


@pytest.mark.parametrize(
    ("value", "chat", "fragment"),
    [
        ({"type": "bogus"}, True, "unknown decision type"),  # not a v1 type
        (
            {"type": "respond", "message": "x"},
            True,
            "respond",
        ),  # respond would skip the tool's gate
        ("maybe later", True, "must start with"),  # chat reply that is no decision
        ("approve", False, "not allowed"),  # chat replies disabled by policy
        (["approve"], True, "a resume must be"),  # wrong shape
        ({"type": "edit", "edited_action": {"name": "x"}}, True, "'args'"),  # edit without args
        ({"type": "reject", "message": 3}, True, "must be a string"),  # reason of the wrong type
    ],
)
def test_refused_answers_say_why(value, chat, fragment) -> None:
    """A malformed answer raises ResumeError naming the problem."""
    with pytest.raises(ResumeError, match=fragment):
        parse_answer(value, chat_replies=chat)


def test_a_refused_answer_does_not_echo_what_was_typed() -> None:
    """An unknown decision type is refused without quoting it (it may be a raw value)."""
    with pytest.raises(ResumeError) as err:
        parse_answer({"type": "jane.doe@example.com"})
    assert "jane" not in str(err.value)


@pytest.mark.parametrize(
    ("value", "count", "ok"),
    [
        ({"decisions": [{"type": "approve"}, {"type": "reject"}]}, 2, True),  # one per request
        ({"decisions": [{"type": "approve"}]}, 2, False),  # too few
        ({"type": "approve"}, 1, True),  # a bare decision for a single request
        ({"type": "approve"}, 2, False),  # a bare decision cannot answer two
    ],
)
def test_batched_decisions_must_match_the_requests(value, count, ok) -> None:
    """Batched resumes need exactly one decision per action request."""
    if ok:
        assert len(parse_decisions(value, count)) == count
    else:
        with pytest.raises(ResumeError):
            parse_decisions(value, count)


def _ruling(name: str) -> Ruling:
    return Ruling(
        outcome="approval",
        tool=ToolInfo(name=name),
        call_id="c1",
        masked_args={"to": "<EMAIL_ADDRESS_1>"},
        args={"to": "raw@example.com"},
        digest="sha256:ab",
        request_id="apr_1",
        ledger_key="apr_1",
        rule="<privileged>",
        reason="privileged",
        expires_in_s=3600,
    )


def test_per_call_payload_shape() -> None:
    """type/tool_call_id/name/args/description plus request_id, rule, reason, requester, expires_at, digest."""
    from datetime import UTC, datetime

    value = tool_approval(
        _ruling("send"),
        {"to": "<EMAIL_ADDRESS_1>"},
        requester="alice",
        created=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert set(value) == {
        "type",
        "tool_call_id",
        "name",
        "args",
        "description",
        "allowed_decisions",
        "approvals",
        "quorum",
        "request_id",
        "rule",
        "reason",
        "requester",
        "expires_at",
        "args_digest",
    }
    assert (value["type"], value["expires_at"], value["args_digest"]) == (
        "tool_approval",
        "2026-01-01T01:00:00+00:00",
        "sha256:ab",
    )
    assert "raw@example.com" not in repr(value)


def test_batched_payload_shape() -> None:
    """action_requests and review_configs line up one to one."""
    value = batched_request([(_ruling("a"), {}, None), (_ruling("b"), {}, None)], requester="alice")
    assert [a["name"] for a in value["action_requests"]] == ["a", "b"]
    assert value["review_configs"] == [
        {"action_name": "a", "allowed_decisions": ["approve", "edit", "reject"]},
        {"action_name": "b", "allowed_decisions": ["approve", "edit", "reject"]},
    ]
