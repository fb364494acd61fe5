"""Fan-out: one request in several channels, one outcome, every card updated, refusals audited."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from guardrails import DecisionRefused
from guardrails.approvals import ApprovalService
from guardrails.channels import (
    Card,
    CardUpdate,
    Channel,
    FanOut,
    RecordingChannel,
    Sweeper,
    submit_decision,
)
from guardrails.identity import Principal
from guardrails.policy import Policy, ToolCall
from guardrails.testing import FixedClock, capture_audit

POLICY = """
name: channels
approval:
  approvers: {groups: [finance]}
  expires_in: 10m
rules:
  - name: wire
    tools: [wire]
    effect: require_approval
    reason: wires need finance approval
    approval:
      quorum: 2
      escalation: {after: 5m, to: {groups: [oncall]}}
  - name: refund
    tools: [refund]
    effect: require_approval
    reason: refunds need a second pair of eyes
"""

ALICE = Principal(id="alice", groups=frozenset({"finance"}))  # the requester
BOB = Principal(id="bob", groups=frozenset({"finance"}))
CAROL = Principal(id="carol", groups=frozenset({"finance"}))
DAVE = Principal(id="dave", groups=frozenset({"oncall"}))
BOT = Principal(id="agent-1", kind="agent", groups=frozenset({"finance"}))
MASKED = {"to": "<EMAIL_ADDRESS_1>", "amount": 10}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def audit():  # type: ignore[no-untyped-def]
    return capture_audit()


@pytest.fixture
def svc(clock: FixedClock, audit) -> ApprovalService:  # type: ignore[no-untyped-def]
    return ApprovalService(Policy.from_yaml(POLICY), clock=clock, audit=audit)


def _open(svc: ApprovalService, tool: str = "refund") -> str:
    call = ToolCall(name=tool, args={"to": "jane@example.com", "amount": 10})
    request = svc.gate(call, requester=ALICE, masked_args=MASKED).request
    assert request is not None
    return request.id


def test_a_new_request_is_posted_to_every_channel_with_masked_args_only(svc) -> None:
    """Each channel receives the card once as new; the raw value is nowhere in it."""
    a, b = RecordingChannel(), RecordingChannel()
    FanOut(svc, {"slack": a, "inbox": b})
    rid = _open(svc)
    for ch in (a, b):
        assert [(u.kind, u.new) for u in ch.updates] == [("requested", True)]
        assert ch.updates[0].card.masked_args == MASKED
        assert "jane@example.com" not in repr(ch.updates[0].card.to_dict())
    assert a.updates[0].card.request_id == rid


def test_a_decision_in_one_channel_updates_the_cards_of_all(svc) -> None:
    """Decided through the inbox: Slack's card closes too, with who decided."""
    a, b = RecordingChannel(), RecordingChannel()
    FanOut(svc, {"slack": a, "inbox": b})
    rid = _open(svc)
    submit_decision(svc, rid, channel="inbox", approver=BOB, verdict="reject", reason="no")
    for ch in (a, b):
        last = ch.updates[-1]
        assert (last.kind, last.new, last.card.status) == ("decided", False, "rejected")
        assert last.card.summary() == "Rejected by bob"
        assert last.card.decision_channel == "inbox"


def test_two_channels_deciding_at_the_same_moment_give_one_outcome(svc, audit) -> None:
    """Bob approves in Slack while Carol rejects in the inbox: one wins, the other is refused."""
    a, b = RecordingChannel(), RecordingChannel()
    FanOut(svc, {"slack": a, "inbox": b})
    rid = _open(svc)
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def decide(channel: str, who: Principal, verdict: str) -> None:
        barrier.wait()
        try:
            results[channel] = submit_decision(
                svc, rid, channel=channel, approver=who, verdict=verdict
            ).status
        except DecisionRefused as refusal:
            results[channel] = refusal.code

    threads = [
        threading.Thread(target=decide, args=("slack", BOB, "approve")),
        threading.Thread(target=decide, args=("inbox", CAROL, "reject")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outcomes = sorted(str(v) for v in results.values())
    assert outcomes in (["approved", "not_pending"], ["not_pending", "rejected"])
    final = svc.get(rid)
    assert len(final.votes) == 1
    assert audit.kinds().count("approval.decided") == 1
    assert audit.kinds().count("approval.refused") == 1
    assert a.cards()[rid].status == b.cards()[rid].status == final.status


def test_quorum_collects_distinct_humans_across_channels(svc) -> None:
    """Bob in Slack + Carol in the inbox reach a quorum of two; Bob twice does not."""
    a, b = RecordingChannel(), RecordingChannel()
    FanOut(svc, {"slack": a, "inbox": b})
    rid = _open(svc, "wire")
    assert submit_decision(svc, rid, channel="slack", approver=BOB, verdict="approve").status == (
        "pending"
    )
    with pytest.raises(DecisionRefused) as dup:
        submit_decision(svc, rid, channel="inbox", approver=BOB, verdict="approve")
    assert dup.value.code == "duplicate_approver"
    out = submit_decision(svc, rid, channel="inbox", approver=CAROL, verdict="approve")
    assert (out.status, out.approvals) == ("approved", 2)
    assert [u.kind for u in a.updates] == ["requested", "vote", "refused", "decided"]
    assert a.updates[1].card.approvals == ("bob",)


@pytest.mark.parametrize(
    ("approver", "code"),
    [
        (None, "unauthenticated"),  # the channel could not resolve the user
        (ALICE, "self_approval"),  # the requester approving their own request
        (BOT, "not_human"),  # an agent principal
        (DAVE, "not_authorized"),  # outside the rule's groups (before escalation)
    ],
)
def test_refused_decisions_change_nothing_and_are_audited(svc, audit, approver, code) -> None:
    """Each refusal: request still pending, an approval.refused event with the code."""
    inbox = RecordingChannel()
    FanOut(svc, {"inbox": inbox})
    rid = _open(svc)
    with pytest.raises(DecisionRefused) as err:
        submit_decision(svc, rid, channel="inbox", approver=approver, verdict="approve")
    assert err.value.code == code
    assert svc.get(rid).status == "pending"
    refused = audit.of_kind("approval.refused")
    assert [e.data["code"] for e in refused] == [code]
    assert refused[0].data["channel"] == "inbox"
    assert inbox.cards()[rid].open


def test_a_retried_click_is_refused_as_a_replay(svc) -> None:
    """The same decision id twice (a repeated click) counts once."""
    rid = _open(svc, "wire")
    submit_decision(svc, rid, channel="slack", approver=BOB, verdict="approve", decision_id="c1")
    with pytest.raises(DecisionRefused) as err:
        submit_decision(
            svc, rid, channel="slack", approver=BOB, verdict="approve", decision_id="c1"
        )
    assert err.value.code == "replayed"
    assert len(svc.get(rid).votes) == 1


def test_expiry_is_announced_to_every_channel(svc, clock) -> None:
    """A sweep after the deadline: every card shows the expiry."""
    a, b = RecordingChannel(), RecordingChannel()
    FanOut(svc, {"slack": a, "inbox": b})
    rid = _open(svc)
    clock.advance(timedelta(minutes=11))
    svc.tick()
    for ch in (a, b):
        assert (ch.updates[-1].kind, ch.cards()[rid].status) == ("expired", "expired")
        assert ch.cards()[rid].summary() == "Expired without a decision"


def test_escalation_posts_to_the_escalation_channel_and_updates_the_others(svc, clock) -> None:
    """After the delay the on-call channel gets the card as new; the oncall human may decide."""
    first, oncall = RecordingChannel(), RecordingChannel()

    def route(request):  # type: ignore[no-untyped-def]
        return ["finance", "oncall"] if request.escalated else ["finance"]

    FanOut(svc, {"finance": first, "oncall": oncall}, route=route)
    rid = _open(svc, "wire")
    assert oncall.updates == []
    clock.advance(timedelta(minutes=6))
    svc.tick()
    assert [(u.kind, u.new) for u in oncall.updates] == [("escalated", True)]
    assert [(u.kind, u.new) for u in first.updates] == [("requested", True), ("escalated", False)]
    assert oncall.cards()[rid].escalated
    submit_decision(svc, rid, channel="oncall", approver=DAVE, verdict="approve")
    assert first.cards()[rid].approvals == ("dave",)


def test_a_failing_channel_does_not_stop_the_others_or_the_decision(svc) -> None:
    """One channel raising: the other still gets every update and the decision stands."""

    class Broken:
        def deliver(self, update: CardUpdate) -> None:
            raise RuntimeError("slack is down")

    good = RecordingChannel()
    FanOut(svc, {"broken": Broken(), "good": good})
    rid = _open(svc)
    out = submit_decision(svc, rid, channel="good", approver=BOB, verdict="approve")
    assert out.status == "approved"
    assert [u.kind for u in good.updates] == ["requested", "decided"]


def test_a_failing_route_shows_the_card_everywhere(svc) -> None:
    """Fail visible: a route that raises must not hide a request from reviewers."""
    a, b = RecordingChannel(), RecordingChannel()

    def route(request):  # type: ignore[no-untyped-def]
        raise KeyError("bad config")

    FanOut(svc, {"a": a, "b": b}, route=route)
    _open(svc)
    assert len(a.updates) == len(b.updates) == 1


def test_a_closed_fanout_delivers_nothing(svc) -> None:
    """close() unsubscribes from the service."""
    ch = RecordingChannel()
    fan = FanOut(svc, {"a": ch})
    fan.close()
    _open(svc)
    assert ch.updates == []


def test_a_card_decided_by_another_process_still_closes(svc) -> None:
    """A request this process never showed, decided elsewhere: every channel hears the outcome."""
    rid = _open(svc)  # opened before this FanOut existed (another process, or a restart)
    ch = RecordingChannel()
    FanOut(svc, {"a": ch})
    submit_decision(svc, rid, channel="slack", approver=BOB, verdict="approve")
    assert [(u.kind, u.card.status) for u in ch.updates] == [("decided", "approved")]


def test_repost_shows_a_pending_request_again(svc) -> None:
    """After a restart, repost() delivers the open card as new."""
    rid = _open(svc)
    ch = RecordingChannel()
    fan = FanOut(svc, {"a": ch})
    fan.repost(rid)
    assert [(u.kind, u.new) for u in ch.updates] == [("requested", True)]


def test_recording_channel_is_a_channel() -> None:
    """The protocol is one method, checkable at runtime."""
    assert isinstance(RecordingChannel(), Channel)


def test_card_round_trips_the_request_fields(svc) -> None:
    """The card shows rule, reason, requester and expiry from the request."""
    card = Card.from_request(svc.get(_open(svc, "wire")))
    data = card.to_dict()
    assert (data["rule"], data["reason"], data["requester"]) == (
        "wire",
        "wires need finance approval",
        "alice",
    )
    assert data["quorum"] == 2
    assert data["escalation_to"]["groups"] == ["oncall"]
    assert data["summary"] == "Waiting for approval (0/2)"


def test_the_sweeper_expires_requests_in_the_background(svc, clock) -> None:
    """With the sweeper running, a due request expires and channels hear it without a call."""
    ch = RecordingChannel()
    FanOut(svc, {"a": ch})
    rid = _open(svc)
    clock.advance(timedelta(minutes=11))
    with Sweeper(svc, interval=0.02):
        deadline = time.monotonic() + 5
        while ch.cards()[rid].status != "expired" and time.monotonic() < deadline:
            time.sleep(0.02)
    assert ch.cards()[rid].status == "expired"


def test_fanout_refuses_a_channel_without_deliver(svc) -> None:
    """A usage mistake is caught at construction."""
    from guardrails import ConfigurationError

    with pytest.raises(ConfigurationError):
        FanOut(svc, {"x": object()})  # type: ignore[dict-item]
