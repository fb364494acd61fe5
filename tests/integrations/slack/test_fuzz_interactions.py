"""Fuzz: interactivity requests correctly signed (slack-sdk's scheme), hostile in every other way.

Properties, per example: the answer is 2xx or 4xx (never a 5xx or an exception); a request that
did not decide changes no request in the store and adds only refusal events to the trail; no
answer, audit event or log record holds a PII value that was in the request (or the raw
argument of the pending request).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient
from hypothesis import event, given
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier

from guardrails.approvals import ApprovalService
from guardrails.policy import ToolCall
from integrations.slack import SlackInteractions, create_slack_app
from integrations.slack._blocks import (
    ACTION_APPROVE,
    ACTION_APPROVE_REASON,
    ACTION_REJECT,
    MODAL_CALLBACK,
)
from tests.integrations.http.test_fuzz_leaves import (
    FUZZ,
    PII,
    captured_logs,
    dumps,
    leaves,
    maybe,
    no_pii,
    store_state,
    texts,
    trail_since,
)
from tests.integrations.slack.conftest import PATH, SECRET
from tests.support.channel_fixtures import EMAIL, MASKED

REFUSALS = {"slack.auth_failed", "slack.unknown_request", "slack.unknown_user", "approval.refused"}
USERS = ["UBOB", "UBOB", "UBOB", "UCAROL", "UALICE", "UBOT", "UNOBODY", "UGHOST", *PII]
ACTIONS = [ACTION_APPROVE, ACTION_APPROVE, ACTION_REJECT, ACTION_APPROVE_REASON, "open_inbox"]
_calls = itertools.count(1)
_signer = SignatureVerifier(SECRET)


def _open(service: ApprovalService, n: int = 3) -> None:
    """Keep ``n`` requests pending (a fuzzed click may legitimately decide one)."""
    while len(service.pending()) < n:
        call = ToolCall(name="refund", args={"to": EMAIL, "amount": 250}, id=f"s{next(_calls)}")
        service.gate(call, requester=service.resolve("principal", "alice"), masked_args=MASKED)


def _signed(body: bytes) -> dict[str, str]:
    """Headers as Slack sends them, signed with slack-sdk's own generate_signature (which
    decodes the body: for bytes that are not UTF-8, the same HMAC-SHA256 over ``v0:ts:body``)."""
    ts = str(int(time.time()))
    try:
        signature = _signer.generate_signature(timestamp=ts, body=body)
    except UnicodeDecodeError:
        mac = hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256)
        signature = "v0=" + mac.hexdigest()
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": signature,
    }


@st.composite
def payloads(draw: st.DrawFn, refs: list[tuple[str, str]]) -> dict[str, Any]:
    """A block_actions click or a reason-modal submission in Slack's shape, leaves fuzzed."""
    ids = [r for r, _ in refs] + [d for _, d in refs]
    rid, digest = draw(st.sampled_from(refs))
    ref: dict[str, Any] = {"r": draw(maybe(rid, ids)), "d": draw(maybe(digest, ids))}
    user = draw(maybe({"id": draw(st.sampled_from(USERS)), "username": draw(texts())}))
    if draw(st.booleans()):
        ref["v"] = draw(maybe(draw(st.sampled_from(["approve", "reject"]))))
        view = {
            "id": draw(maybe("V0123")),
            "callback_id": draw(maybe(MODAL_CALLBACK)),
            "private_metadata": draw(maybe(dumps(ref))),
            "state": draw(maybe({"values": {"reason": {"reason": {"value": draw(texts())}}}})),
        }
        payload: dict[str, Any] = {
            "type": draw(maybe("view_submission")),
            "user": user,
            "view": draw(maybe(view)),
        }
    else:
        action = {
            "action_id": draw(st.one_of(st.sampled_from(ACTIONS), leaves())),
            "block_id": "guardrails",
            "value": draw(maybe(dumps(ref), ids)),
            "action_ts": draw(maybe(f"{time.time():.6f}.{next(_calls)}")),
        }
        payload = {
            "type": draw(maybe("block_actions")),
            "user": user,
            "trigger_id": draw(maybe("trig.1")),
            "container": draw(
                maybe(
                    {
                        "type": "message",
                        "message_ts": draw(maybe("1.000001")),
                        "channel_id": draw(maybe("CAPPROVALS")),
                    }
                )
            ),
            "actions": draw(maybe([draw(maybe(action))])),
        }
    if draw(st.integers(0, 4)) == 4:
        payload.pop(draw(st.sampled_from(sorted(payload))))  # a missing field
    extra = draw(st.dictionaries(texts(), leaves(ids), max_size=2)) if draw(st.booleans()) else {}
    return {**extra, **payload}


def _target(payload: Any) -> str | None:
    """The request id a payload names (for the decided-by check)."""
    try:
        if payload["type"] == "view_submission":
            return str(json.loads(payload["view"]["private_metadata"])["r"])
        return str(json.loads(payload["actions"][0]["value"])["r"])
    except (KeyError, TypeError, IndexError, ValueError, RecursionError):
        return None


@FUZZ
@given(data=st.data())
def test_fuzzed_payloads_are_4xx_or_decide_properly(
    service, audit, interactions: SlackInteractions, fanout, data
) -> None:
    """Signed structured payloads with fuzzed leaves: 2xx/4xx, no change unless a real decision,
    none on a replay."""
    _open(service)
    refs = [(r.id, r.args_digest) for r in service.pending()]
    payload = data.draw(payloads(refs))
    body = urlencode({"payload": dumps(payload)}).encode()
    before, seen = store_state(service), len(audit.kinds())
    with (
        captured_logs() as logs,
        TestClient(create_slack_app(interactions), raise_server_exceptions=False) as client,
    ):
        res = client.post(PATH, content=body, headers=_signed(body))
        after, seen_first = store_state(service, before), len(audit.kinds())
        # the same payload again, freshly signed: a replay decides nothing
        again = client.post(PATH, content=body, headers=_signed(body))
    assert 200 <= again.status_code < 500, again.status_code
    assert store_state(service, before) == after
    assert set(audit.kinds()[seen_first:]) <= REFUSALS
    assert 200 <= res.status_code < 500, res.status_code
    changed = {k for k in before if after.get(k) != before[k]} - {"#pending"}
    code = res.json().get("error", "") if res.content else ""
    event(f"{res.status_code} {code} {'decided' if changed else 'unchanged'}")
    if changed:  # one more vote on the named request, by the signed payload's user
        assert res.status_code == 200
        assert changed == {_target(payload)}
        (rid,) = changed
        votes = service.get(rid).votes
        assert len(votes) == len(before[rid][1]) + 1
        assert votes[-1].approver.id == interactions.resolve(payload["user"]["id"]).id
    else:
        assert after == before
        added = set(audit.kinds()[seen:seen_first])
        assert added <= REFUSALS, sorted(added - REFUSALS)
    trail = trail_since(audit, seen)
    no_pii(res.text, trail, *logs)
    assert EMAIL not in res.text
    assert EMAIL not in trail


@FUZZ
@given(data=st.data())
def test_signed_raw_bodies_are_4xx_and_change_nothing(
    service, audit, interactions: SlackInteractions, fanout, data
) -> None:
    """Any bytes, correctly signed (so the form and JSON parsing is what answers): no change."""
    _open(service)
    rid = service.pending()[0].id
    good = urlencode(
        {
            "payload": json.dumps(
                {
                    "type": "block_actions",
                    "user": {"id": "UBOB"},
                    "actions": [
                        {
                            "action_id": ACTION_APPROVE,
                            "value": json.dumps({"r": rid, "d": "not-the-digest"}),
                            "action_ts": PII[1],
                        }
                    ],
                }
            )
        }
    ).encode()
    body = data.draw(
        st.one_of(
            st.binary(max_size=2_000),
            st.integers(0, len(good)).map(lambda n: good[:n]),
            st.tuples(st.integers(0, len(good) - 1), st.binary(min_size=1, max_size=4)).map(
                lambda t: good[: t[0]] + t[1] + good[t[0] + len(t[1]) :]
            ),
            st.lists(st.tuples(texts(), texts()), max_size=10).map(
                lambda pairs: urlencode(pairs, encoding="utf-8", errors="surrogatepass").encode()
            ),
        )
    )
    before, seen = store_state(service), len(audit.kinds())
    with (
        captured_logs() as logs,
        TestClient(create_slack_app(interactions), raise_server_exceptions=False) as client,
    ):
        res = client.post(PATH, content=body, headers=_signed(body))
    assert 200 <= res.status_code < 500, res.status_code
    assert store_state(service, before) == before
    assert set(audit.kinds()[seen:]) <= REFUSALS
    no_pii(res.text, trail_since(audit, seen), *logs)


def test_a_lone_surrogate_reason_is_refused_in_the_modal(service, client) -> None:
    """A reason-modal submission whose reason is "\\ud800" (a lone surrogate after JSON
    decoding) was recorded as bob's vote; every later card of that request then failed to
    encode as UTF-8 (the HTTP inbox answered 500). Now the modal shows an error, nothing decided."""
    _open(service, 1)
    request = service.pending()[0]
    meta = json.dumps({"r": request.id, "d": request.args_digest, "v": "approve"})
    payload = {
        "type": "view_submission",
        "user": {"id": "UBOB"},
        "view": {
            "id": "V1",
            "callback_id": MODAL_CALLBACK,
            "private_metadata": meta,
            "state": {"values": {"reason": {"reason": {"value": "ok \ud800"}}}},
        },
    }
    body = urlencode({"payload": dumps(payload)}).encode()
    res = client.post(PATH, content=body, headers=_signed(body))
    assert res.status_code == 200
    assert res.json()["response_action"] == "errors"
    assert service.status(request.id) == "pending"
