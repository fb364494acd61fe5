"""The reason modal (views.open → view_submission) and bad input: clear 4xx, nothing changes."""

from __future__ import annotations

import json

import pytest

from tests.integrations.slack.conftest import PATH, SECRET, click_payload
from tests.support.channel_fixtures import open_request
from tests.support.fake_slack import interaction


def _submission(user: str, view: dict, reason: str, view_id: str = "V1") -> dict:
    """The view_submission Slack sends back for our modal, with the typed reason."""
    return {
        "type": "view_submission",
        "user": {"id": user},
        "view": {
            "id": view_id,
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "state": {
                "values": {"reason": {"reason": {"type": "plain_text_input", "value": reason}}}
            },
        },
    }


def _opened_view(slack, fake) -> dict:
    slack.drain()
    return fake.of("views.open")[-1].params["view"]


def test_reject_opens_the_modal_and_its_submission_rejects_with_the_reason(
    service, post, slack, fake
) -> None:
    """Reject… opens a modal; bob submits a reason; the request is rejected with it."""
    request = open_request(service)
    assert post(click_payload("UBOB", request, action="guardrails_reject")).status_code == 200
    assert service.status(request.id) == "pending"  # the click alone decides nothing
    view = _opened_view(slack, fake)
    res = post(_submission("UBOB", view, "duplicate refund"))
    assert res.json() == {"response_action": "clear"}
    current = service.get(request.id)
    assert current.status == "rejected"
    assert current.votes[-1].reason == "duplicate refund"
    slack.drain()
    assert "Reason: duplicate refund" in json.dumps(fake.of("chat.update")[-1].params["blocks"])


def test_the_modal_is_checked_against_who_submits_it(service, post, slack, fake) -> None:
    """A modal opened by bob but submitted by alice (the requester) is refused in the modal."""
    request = open_request(service)
    post(click_payload("UBOB", request, action="guardrails_approve_reason"))
    view = _opened_view(slack, fake)
    res = post(_submission("UALICE", view, "looks fine"))
    assert res.json()["response_action"] == "errors"
    assert "requested this action" in res.json()["errors"]["reason"]
    assert service.status(request.id) == "pending"


def test_a_tampered_modal_digest_is_refused(service, post, slack, fake) -> None:
    """private_metadata naming other arguments is refused as digest_mismatch."""
    request = open_request(service)
    post(click_payload("UBOB", request, action="guardrails_approve_reason"))
    view = dict(_opened_view(slack, fake))
    meta = json.loads(view["private_metadata"])
    view["private_metadata"] = json.dumps({**meta, "d": "sha256:" + "1" * 64})
    res = post(_submission("UBOB", view, "ok"))
    assert res.json()["response_action"] == "errors"
    assert service.status(request.id) == "pending"


def _raw(client, body: bytes, content_type: str = "application/x-www-form-urlencoded"):
    _, headers = interaction({}, SECRET)
    from tests.support.fake_slack import sign

    headers["x-slack-signature"] = sign(SECRET, body, headers["x-slack-request-timestamp"])
    headers["content-type"] = content_type
    return client.post(PATH, content=body, headers=headers)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b'{"type":"block_actions"}', "application/json", 415, "unsupported_media_type"),  # JSON
        (b"payload=" + b"x" * 70_000, "application/x-www-form-urlencoded", 413, "too_large"),
        (b"payload=not-json", "application/x-www-form-urlencoded", 400, "malformed"),  # bad JSON
        (b"other=1", "application/x-www-form-urlencoded", 400, "malformed"),  # no payload field
        (b"payload=%5B1%5D", "application/x-www-form-urlencoded", 400, "malformed"),  # a list
        (b"\xff\xfe", "application/x-www-form-urlencoded", 400, "malformed"),  # not UTF-8
        (  # a payload type we do not handle
            b"payload=%7B%22type%22%3A%22shortcut%22%7D",
            "application/x-www-form-urlencoded",
            400,
            "unsupported",
        ),
    ],
)
def test_bad_input_gets_a_clear_4xx_and_changes_nothing(
    service, client, body, content_type, status, code
) -> None:
    """Correctly signed but unusable bodies are refused with a named error."""
    request = open_request(service)
    res = _raw(client, body, content_type)
    assert res.status_code == status
    assert res.json()["error"] == code
    assert service.status(request.id) == "pending"


def test_an_unknown_request_id_is_404_and_audited(service, post, audit) -> None:
    """A signed click for a request that does not exist: 404, audited, nothing recorded."""
    request = open_request(service)
    payload = click_payload("UBOB", request)
    payload["actions"][0]["value"] = json.dumps({"r": "apr_nope", "d": request.args_digest})
    res = post(payload)
    assert res.status_code == 404
    assert res.json()["error"] == "unknown_request"
    assert audit.last("slack.unknown_request").data["slack_user"] == "UBOB"
    assert service.status(request.id) == "pending"


def test_a_click_without_a_request_reference_is_400(service, post) -> None:
    """A button value that is not ours is malformed input."""
    request = open_request(service)
    payload = click_payload("UBOB", request)
    payload["actions"][0]["value"] = "approve-everything"
    assert post(payload).status_code == 400
    assert service.status(request.id) == "pending"


def test_a_rule_requiring_a_reason_sends_approve_through_the_modal(audit, slack, fake) -> None:
    """With reason_required, Approve opens the modal; an empty reason is refused in the modal."""
    from guardrails.approvals import ApprovalService
    from guardrails.policy import Policy
    from integrations.slack import SlackInteractions
    from tests.integrations.slack.conftest import POLICY

    policy = POLICY.replace(
        "reason: refunds need a finance reviewer",
        "reason: refunds need a finance reviewer\n    approval: {reason_required: true}",
    )
    service = ApprovalService(Policy.from_yaml(policy), audit=audit)
    hook = SlackInteractions(service, signing_secret=SECRET, channel=slack)
    request = open_request(service)
    res = hook.handle(*reversed(interaction(click_payload("UBOB", request), SECRET)))
    assert res.status == 200
    assert service.status(request.id) == "pending"  # no decision without a reason
    view = _opened_view(slack, fake)
    assert view["blocks"][1]["optional"] is False
    empty = hook.handle(*reversed(interaction(_submission("UBOB", view, "  "), SECRET)))
    assert empty.body["response_action"] == "errors"
    done = hook.handle(*reversed(interaction(_submission("UBOB", view, "ok", "V2"), SECRET)))
    assert done.body == {"response_action": "clear"}
    assert service.status(request.id) == "approved"


def test_a_click_after_expiry_is_refused_and_the_card_shows_expired(audit, slack, fake) -> None:
    """A late click is refused as expired (audited) and closes the card as expired."""
    from datetime import timedelta

    from guardrails.approvals import ApprovalService
    from guardrails.channels import FanOut
    from guardrails.policy import Policy
    from guardrails.testing import FixedClock
    from integrations.slack import SlackInteractions
    from tests.integrations.slack.conftest import POLICY

    clock = FixedClock()
    service = ApprovalService(Policy.from_yaml(POLICY), audit=audit, clock=clock)
    hook = SlackInteractions(service, signing_secret=SECRET, channel=slack)
    with FanOut(service, {"slack": slack}):
        request = open_request(service)
        clock.advance(timedelta(minutes=11))
        res = hook.handle(*reversed(interaction(click_payload("UBOB", request), SECRET)))
        slack.drain()
    assert res.body["error"] == "expired"
    assert service.status(request.id) == "expired"
    assert audit.last("approval.refused").data["code"] == "expired"
    assert "Expired without a decision" in json.dumps(fake.of("chat.update")[-1].params["blocks"])


def test_the_reason_modal_opens_inside_the_trigger_window_while_cards_are_slow(
    service, post, slack, fake
) -> None:
    """views.open is not queued behind slow card posts: Slack's trigger_id lives 3 s.

    A burst of new requests (four posts at 1 s each in a slow Slack) must not make "Reject…"
    silently do nothing because its modal was opened after the trigger expired.
    """
    import time

    fake.delays["chat.postMessage"] = 1.0
    requests = [open_request(service) for _ in range(4)]  # ~4 s of card posts queued
    start = time.monotonic()
    res = post(click_payload("UBOB", requests[0], action="guardrails_reject"))
    assert res.status_code == 200
    while not fake.of("views.open") and time.monotonic() - start < 8:
        time.sleep(0.02)
    assert fake.of("views.open")
    assert time.monotonic() - start < 2.5
