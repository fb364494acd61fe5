"""Notebook channel: widget buttons and the input() prompt decide as the configured user."""

from __future__ import annotations

import pytest

from guardrails import DecisionRefused
from guardrails.approvals import ApprovalService
from guardrails.channels import FanOut, RecordingChannel
from guardrails.policy import Policy, ToolCall
from guardrails.testing import capture_audit
from integrations.notebook import NotebookChannel, parse_reply

POLICY = """
name: nb
approval: {approvers: {groups: [finance]}, expires_in: 10m}
rules:
  - {name: refunds, tools: [refund], effect: require_approval, reason: refunds need finance}
principals:
  - {id: alice, groups: [finance]}
  - {id: bob, groups: [finance], identities: {notebook: [bob@laptop]}}
  - {id: dave, groups: [sales]}
"""
HOSTILE = "<b onmouseover=alert(1)>x</b>"


@pytest.fixture
def audit():  # type: ignore[no-untyped-def]
    return capture_audit()


@pytest.fixture
def svc(audit) -> ApprovalService:  # type: ignore[no-untyped-def]
    return ApprovalService(Policy.from_yaml(POLICY), audit=audit)


def _open(svc: ApprovalService) -> str:
    call = ToolCall(name="refund", args={"to": "jane@example.com", "note": HOSTILE})
    req = svc.gate(
        call,
        requester=svc.resolve("principal", "alice"),
        masked_args={"to": "<EMAIL_ADDRESS_1>", "note": HOSTILE},
    ).request
    assert req is not None
    return req.id


def _prompt(svc, user, answers):  # type: ignore[no-untyped-def]
    said: list[str] = []
    replies = iter(answers)
    nb = NotebookChannel(
        svc, user=user, widgets=False, input=lambda _: next(replies), output=said.append
    )
    return nb, said


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("approve", ("approve", "")),  # bare word
        ("Reject: too broad", ("reject", "too broad")),  # reason after a colon, any case
        ("y", ("approve", "")),  # short form
        ("no - duplicate", ("reject", "duplicate")),  # dash separator
        ("maybe later", None),  # not a decision
        ("", None),  # empty
    ],
)
def test_parse_reply(text, expected) -> None:
    """Prompt answers map to a verdict and reason, or None."""
    assert parse_reply(text) == expected


def test_prompt_approves_as_the_configured_user(svc, audit) -> None:
    """The notebook identity resolves through the directory and decides on the notebook channel."""
    rid = _open(svc)
    nb, said = _prompt(svc, "bob@laptop", ["approve: looks right"])
    assert nb.review(rid).status == "approved"
    vote = svc.get(rid).votes[0]
    assert (vote.approver.id, vote.channel, vote.reason) == ("bob", "notebook", "looks right")
    assert "<EMAIL_ADDRESS_1>" in said[0]
    assert "jane@example.com" not in "\n".join(said)


def test_prompt_asks_again_after_an_unclear_answer(svc) -> None:
    """'maybe' is not a decision: the prompt repeats, nothing is recorded until a real answer."""
    rid = _open(svc)
    nb, said = _prompt(svc, "bob", ["maybe", "reject: no"])
    assert nb.review(rid).status == "rejected"
    assert any("Please answer" in s for s in said)


def test_prompt_gives_up_without_deciding(svc) -> None:
    """Three unclear answers: ValueError, the request stays pending."""
    rid = _open(svc)
    nb, _ = _prompt(svc, "bob", ["?", "?", "?"])
    with pytest.raises(ValueError, match="no valid answer"):
        nb.review(rid)
    assert svc.get(rid).status == "pending"


@pytest.mark.parametrize(
    ("user", "code"),
    [
        ("alice", "self_approval"),  # the requester's own notebook
        ("dave", "not_authorized"),  # outside the rule's groups
        ("mallory", "unauthenticated"),  # not in the directory
    ],
)
def test_prompt_refusals_are_shown_and_audited(svc, audit, user, code) -> None:
    """The service's rules apply in notebooks too; the refusal is printed and audited."""
    rid = _open(svc)
    nb, said = _prompt(svc, user, ["approve"])
    refusal = nb.review(rid)
    assert isinstance(refusal, DecisionRefused)
    assert refusal.code == code
    assert f"Refused ({code})" in said[-1]
    assert svc.get(rid).status == "pending"
    assert audit.last("approval.refused").data["code"] == code


def test_widget_buttons_decide_and_other_channels_update(svc) -> None:
    """Clicking Approve in the widget approves; a second channel's card closes; buttons disable."""
    other = RecordingChannel()
    shown: list[object] = []
    nb = NotebookChannel(svc, user="bob", widgets=True, display=shown.append)
    FanOut(svc, {"notebook": nb, "inbox": other})
    rid = _open(svc)
    assert len(shown) == 1
    view = nb.views[rid]
    view["reason"].value = "ok"
    view["approve"].click()
    assert svc.get(rid).status == "approved"
    assert other.cards()[rid].status == "approved"
    assert view["status"].value == "Approved by bob"
    assert view["approve"].disabled


def test_widget_shows_a_self_approval_refusal(svc) -> None:
    """Alice clicking Approve on her own request: the status line says why; nothing decided."""
    nb = NotebookChannel(svc, user="alice", widgets=True, display=lambda box: None)
    rid = _open(svc)
    nb.widget(rid)
    nb.views[rid]["approve"].click()
    assert nb.views[rid]["status"].value.startswith("Refused (self_approval)")
    assert svc.get(rid).status == "pending"


def test_widget_text_is_plain(svc) -> None:
    """Masked args go into a read-only Textarea (plain text), never an HTML widget."""
    import ipywidgets as w

    nb = NotebookChannel(svc, user="bob", widgets=True, display=lambda box: None)
    rid = _open(svc)
    box = nb.widget(rid)

    def walk(widget):  # type: ignore[no-untyped-def]
        yield widget
        for child in getattr(widget, "children", ()):
            yield from walk(child)

    kinds = {type(x) for x in walk(box)}
    assert w.HTML not in kinds
    assert w.HTMLMath not in kinds
    area = next(x for x in walk(box) if isinstance(x, w.Textarea))
    assert HOSTILE in area.value
    assert area.disabled


def test_a_decision_elsewhere_disables_the_widget(svc) -> None:
    """Decided in another channel: the notebook card shows who decided."""
    from guardrails.channels import submit_decision

    nb = NotebookChannel(svc, user="bob", widgets=True, display=lambda box: None, fanout=True)
    rid = _open(svc)
    submit_decision(
        svc, rid, channel="slack", approver=svc.resolve("principal", "bob"), verdict="reject"
    )
    assert nb.views[rid]["status"].value == "Rejected by bob"
    assert nb.views[rid]["reject"].disabled
