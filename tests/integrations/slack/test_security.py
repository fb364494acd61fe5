"""Slack security: only a verified click by an authorized human, other than the requester, counts."""

from __future__ import annotations

import json
import threading
import time

import pytest

from tests.integrations.slack.conftest import click_payload
from tests.support.channel_fixtures import EMAIL, open_request


def test_a_signed_click_by_a_finance_reviewer_approves(service, post, slack, fake) -> None:
    """Bob's verified click approves; the card is updated in place with the outcome."""
    request = open_request(service)
    res = post(click_payload("UBOB", request))
    assert res.status_code == 200
    assert service.status(request.id) == "approved"
    vote = service.get(request.id).votes[-1]
    assert (vote.approver.id, vote.channel) == ("bob", "slack")
    slack.drain()
    [posted] = fake.of("chat.postMessage")
    [updated] = fake.of("chat.update")
    assert updated.params["ts"] == slack.message_ts(request.id)[1]
    assert "Approved by bob" in str(updated.params["blocks"])
    assert posted.params["channel"] == "CAPPROVALS"


@pytest.mark.parametrize(
    ("secret", "skew", "code"),
    [
        ("wrong-secret-0123456789abcdef0123", 0, "bad_signature"),  # forged signature
        ("8f742231b10e8888abcd99yyyzzz85a5", -301, "stale_timestamp"),  # captured and replayed late
        ("8f742231b10e8888abcd99yyyzzz85a5", +400, "stale_timestamp"),  # from the future
    ],
)
def test_unverified_requests_are_refused_and_audited(
    service, post, audit, secret, skew, code
) -> None:
    """A forged or stale request gets 401, decides nothing and is an audit event."""
    request = open_request(service)
    res = post(click_payload("UBOB", request), secret=secret, timestamp=int(time.time()) + skew)
    assert res.status_code == 401
    assert res.json()["error"] == code
    assert service.status(request.id) == "pending"
    assert audit.last("slack.auth_failed").data["code"] == code


def test_a_missing_signature_is_refused(service, client, audit) -> None:
    """No signature headers at all: 401 missing_signature, audited."""
    request = open_request(service)
    res = client.post(
        "/slack/interactions",
        content=b"payload=%7B%7D",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert res.status_code == 401
    assert audit.last("slack.auth_failed").data["code"] == "missing_signature"
    assert service.status(request.id) == "pending"


@pytest.mark.parametrize(
    ("stamp", "code"),
    [
        ("9" * 5000, "stale_timestamp"),  # past int()'s 4300-digit limit: was a 500
        ("0" * 40 + "1", "stale_timestamp"),  # digits, but no timestamp Slack would send
        ("-1", "missing_signature"),  # not digits at all
    ],
)
def test_an_absurd_timestamp_header_is_a_401_not_a_crash(
    service, interactions, audit, stamp, code
) -> None:
    """Whatever the X-Slack-Request-Timestamp holds, unverified requests get an audited 401."""
    from starlette.testclient import TestClient

    from integrations.slack import create_slack_app

    request = open_request(service)
    with TestClient(create_slack_app(interactions), raise_server_exceptions=False) as client:
        res = client.post(
            "/slack/interactions",
            content=b"payload=%7B%7D",
            headers={
                "content-type": "application/x-www-form-urlencoded",
                "x-slack-request-timestamp": stamp,
                "x-slack-signature": "v0=" + "0" * 64,
            },
        )
    assert (res.status_code, res.json()["error"]) == (401, code)
    assert audit.last("slack.auth_failed").data["code"] == code
    assert service.status(request.id) == "pending"


def test_a_replayed_click_is_refused_as_replayed(service, post, audit) -> None:
    """The same signed click sent again (inside the window) is not counted twice."""
    request = open_request(service, tool="wire")  # quorum 2: a replay could be a 2nd vote
    payload = click_payload("UBOB", request, action_ts="1700000000.000100")
    assert post(payload).json() == {"ok": True}
    again = post(payload)
    assert again.json()["error"] == "replayed"
    current = service.get(request.id)
    assert current.status == "pending"
    assert current.approvals == frozenset({"bob"})
    assert audit.last("approval.refused").data["code"] == "replayed"


def test_a_double_click_counts_once(service, post, audit) -> None:
    """Two clicks by the same reviewer on a quorum-2 request: one vote, one refusal."""
    request = open_request(service, tool="wire")
    post(click_payload("UBOB", request))
    second = post(click_payload("UBOB", request))
    assert second.json()["error"] == "duplicate_approver"
    assert service.get(request.id).approvals == frozenset({"bob"})


@pytest.mark.parametrize(
    ("user", "code"),
    [
        ("UALICE", "self_approval"),  # the requester approving her own request via Slack
        ("UDAVE", "not_authorized"),  # a known human outside the rule's finance group
        ("UBOT", "not_human"),  # the agent's own Slack identity
        ("UNOBODY", "unauthenticated"),  # a real Slack user whose e-mail is not in the directory
        ("UGHOST", "unauthenticated"),  # users.info does not know them either
    ],
)
def test_refused_approvers_change_nothing_and_are_audited(
    service, post, audit, slack, fake, user, code
) -> None:
    """Each refusal leaves the request pending, is audited, and is told to the clicker only."""
    request = open_request(service)
    res = post(click_payload(user, request))
    assert res.status_code == 200  # Slack needs its ack; the outcome is in the body
    assert res.json()["error"] == code
    assert service.status(request.id) == "pending"
    assert audit.last("approval.refused").data["code"] == code
    assert audit.last("approval.refused").data["channel"] == "slack"
    slack.drain()
    [told] = fake.of("chat.postEphemeral")
    assert told.params["user"] == user
    assert fake.of("chat.update") == []  # the shared card does not change


def test_an_unknown_slack_user_is_its_own_audit_event(service, post, audit) -> None:
    """An unlinked Slack id is recorded as slack.unknown_user before the refusal."""
    request = open_request(service)
    post(click_payload("UGHOST", request))
    event = audit.last("slack.unknown_user")
    assert event.data["slack_user"] == "UGHOST"
    assert event.request_id == request.id


def test_users_info_email_links_a_reviewer(service, post) -> None:
    """Carol is linked only by e-mail: users.info resolves her and her click counts."""
    request = open_request(service)
    assert post(click_payload("UCAROL", request)).json() == {"ok": True}
    assert service.get(request.id).votes[-1].approver.id == "carol"


def test_the_payload_cannot_name_the_approver(service, post) -> None:
    """A username or extra fields claiming to be bob do not make Dave's click count."""
    request = open_request(service)
    payload = click_payload("UDAVE", request)
    payload["user"]["username"] = "bob"
    payload["approver"] = "bob"
    assert post(payload).json()["error"] == "not_authorized"


def test_a_click_for_other_arguments_is_refused(service, post) -> None:
    """A button carrying another args digest is refused as digest_mismatch."""
    request = open_request(service)
    payload = click_payload("UBOB", request)
    payload["actions"][0]["value"] = json.dumps({"r": request.id, "d": "sha256:" + "0" * 64})
    assert post(payload).json()["error"] == "digest_mismatch"
    assert service.status(request.id) == "pending"


def test_no_raw_value_reaches_slack_or_the_trail(service, post, slack, fake, audit) -> None:
    """The card, its update and the audit trail hold only the placeholder."""
    request = open_request(service)
    post(click_payload("UBOB", request))
    slack.drain()
    assert EMAIL not in str(fake.calls)
    assert "<EMAIL_ADDRESS_1>" in str(fake.of("chat.postMessage")[0].params)
    audit.assert_absent(EMAIL)
    assert audit.verify().ok


def test_the_ack_does_not_wait_for_the_slack_api(service, post, slack, fake) -> None:
    """The click is answered before chat.update runs (Web API calls are off the request path)."""
    request = open_request(service)
    slack.drain()
    release = threading.Event()
    slack._worker.submit(release.wait)  # hold the Slack worker, as a slow Slack API would
    try:
        res = post(click_payload("UBOB", request))
        assert res.json() == {"ok": True}
        assert service.status(request.id) == "approved"
        assert fake.of("chat.update") == []  # the answer did not wait for it
    finally:
        release.set()
    slack.drain()
    assert len(fake.of("chat.update")) == 1


def test_another_workspace_is_refused_when_a_team_is_configured(service, slack, audit) -> None:
    """With team_id set, a correctly signed click from another workspace is 403 and audited."""
    from integrations.slack import SlackInteractions
    from tests.integrations.slack.conftest import SECRET
    from tests.support.fake_slack import interaction

    hook = SlackInteractions(service, signing_secret=SECRET, channel=slack, team_id="T0OURS")
    request = open_request(service)
    payload = {**click_payload("UBOB", request), "team": {"id": "T0THEIRS"}}
    res = hook.handle(*reversed(interaction(payload, SECRET)))
    assert res.status == 403
    assert audit.last("slack.auth_failed").data["code"] == "wrong_team"
    assert service.status(request.id) == "pending"
    ours = {**click_payload("UBOB", request), "team": {"id": "T0OURS"}}
    assert hook.handle(*reversed(interaction(ours, SECRET))).body == {"ok": True}


def test_a_slow_users_info_fails_closed_inside_the_ack_window(service, slack, fake, audit) -> None:
    """users.info slower than lookup_timeout: refused as unauthenticated, nothing decided."""
    from integrations.slack import SlackInteractions
    from tests.integrations.slack.conftest import SECRET
    from tests.support.fake_slack import interaction

    fake.delays["users.info"] = 1.0
    hook = SlackInteractions(service, signing_secret=SECRET, channel=slack, lookup_timeout=0.2)
    request = open_request(service)
    res = hook.handle(*reversed(interaction(click_payload("UCAROL", request), SECRET)))
    assert res.body["error"] == "unauthenticated"
    assert service.status(request.id) == "pending"
    assert audit.last("slack.unknown_user").data["slack_user"] == "UCAROL"


def test_users_info_results_are_cached(service, slack, fake) -> None:
    """Carol's e-mail is looked up once for two clicks."""
    from integrations.slack import SlackInteractions
    from tests.integrations.slack.conftest import SECRET
    from tests.support.fake_slack import interaction

    hook = SlackInteractions(service, signing_secret=SECRET, channel=slack)
    first, second = open_request(service), open_request(service, tool="wire")
    for request in (first, second):
        hook.handle(*reversed(interaction(click_payload("UCAROL", request), SECRET)))
    assert len(fake.of("users.info")) == 1
    assert service.status(first.id) == "approved"
    assert service.get(second.id).approvals == frozenset({"carol"})


def test_a_flood_of_forged_requests_cannot_fill_the_audit_trail(
    service, client, post, audit
) -> None:
    """Anyone can POST to the public endpoint: past the budget (60 a minute by default) failed
    signatures are still refused but not each written to the trail; the next recorded one says
    how many were left out, and a real click is decided and audited as usual."""
    request = open_request(service)
    forged = {"secret": "wrong-secret-0123456789abcdef0123"}
    codes = {post(click_payload("UBOB", request), **forged).status_code for _ in range(150)}
    assert codes == {401}
    assert len(audit.of_kind("slack.auth_failed")) == 60
    assert service.status(request.id) == "pending"
    assert post(click_payload("UBOB", request)).status_code == 200
    assert service.status(request.id) == "approved"
    assert audit.last("approval.decided").data["channel"] == "slack"


def test_the_next_recorded_failure_says_how_many_were_left_out(service, slack, audit) -> None:
    """Over the budget nothing is lost silently: the first event of the next window carries
    ``suppressed`` with the number of failures not written."""
    from integrations.slack import SlackInteractions
    from tests.integrations.slack.conftest import SECRET
    from tests.support.fake_slack import interaction

    clock = [1_800_000_000.0]
    slack_in = SlackInteractions(
        service,
        signing_secret=SECRET,
        channel=slack,
        audit_failures_per_minute=2,
        now=lambda: clock[0],
    )
    request = open_request(service)

    def forged() -> int:
        body, headers = interaction(
            click_payload("UBOB", request), "wrong-" + SECRET, timestamp=int(clock[0])
        )
        return slack_in.handle(headers, body).status

    assert [forged() for _ in range(5)] == [401] * 5
    assert [e.data.get("suppressed") for e in audit.of_kind("slack.auth_failed")] == [None, None]
    clock[0] += 61
    forged()
    assert audit.last("slack.auth_failed").data["suppressed"] == 3
    slack_in.close()


def test_a_body_sent_too_slowly_is_cut_off(service, interactions) -> None:
    """The body must be whole before its signature is checked: anyone could hold a connection
    by trickling it, so after read_timeout the endpoint answers 408 and lets go."""
    from integrations.slack import create_slack_app
    from tests.integrations.http.conftest import Server, slow_post

    srv = Server(create_slack_app(interactions, read_timeout=0.5)).start()
    try:
        start = time.monotonic()
        ctype = {"Content-Type": "application/x-www-form-urlencoded"}
        answer = slow_post(srv.port, "/slack/interactions", ctype)
        assert answer.startswith(b"HTTP/1.1 408")
        assert time.monotonic() - start < 3
    finally:
        srv.stop()
