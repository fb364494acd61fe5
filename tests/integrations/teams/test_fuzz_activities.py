"""Fuzz: activities with a valid Bot Connector token, hostile in every other way.

Properties, per example: the answer is 2xx or 4xx (never a 5xx or an exception); an activity
that did not decide changes no request in the store and adds only refusal events to the trail;
no answer, audit event or log record holds a PII value that was in the activity (or the raw
argument of the pending request).
"""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import event, given
from hypothesis import strategies as st

from guardrails.approvals import ApprovalService
from guardrails.policy import ToolCall
from integrations.teams import create_teams_app
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
from tests.integrations.teams.conftest import SERVICE_URL
from tests.support.channel_fixtures import EMAIL, MASKED

REFUSALS = {"teams.auth_failed", "teams.unknown_request", "teams.unknown_user", "approval.refused"}
AADS = ["aad-bob", "aad-bob", "aad-bob", "aad-carol", "aad-alice", "aad-agent", "aad-nobody", *PII]
_calls = itertools.count(1)


def _open(service: ApprovalService, n: int = 3) -> None:
    """Keep ``n`` requests pending (a fuzzed click may legitimately decide one)."""
    while len(service.pending()) < n:
        call = ToolCall(name="refund", args={"to": EMAIL, "amount": 250}, id=f"c{next(_calls)}")
        service.gate(call, requester=service.resolve("principal", "alice"), masked_args=MASKED)


@st.composite
def activities(draw: st.DrawFn, refs: list[tuple[str, str]]) -> dict[str, Any]:
    """An adaptiveCard/action invoke in Teams' shape with fuzzed leaves (sometimes a real ref)."""
    ids = [r for r, _ in refs] + [d for _, d in refs]
    rid, digest = draw(st.sampled_from(refs))
    data: dict[str, Any] = {
        "r": draw(maybe(rid, ids)),
        "d": draw(maybe(digest, ids)),
    }
    if draw(st.booleans()):
        data["reason"] = draw(st.one_of(texts(), leaves()))
    activity: dict[str, Any] = {
        "type": draw(maybe("invoke")),
        "name": draw(maybe("adaptiveCard/action")),
        "id": draw(st.one_of(st.uuids().map(str), leaves(ids))),
        "channelId": draw(st.one_of(st.just("msteams"), st.just("msteams"), leaves())),
        "serviceUrl": SERVICE_URL,
        "from": draw(
            maybe({"id": "29:x", "aadObjectId": draw(st.one_of(st.sampled_from(AADS), leaves()))})
        ),
        "conversation": draw(maybe({"id": "19:abc@thread.tacv2"})),
        "channelData": draw(maybe({"tenant": {"id": "t-1"}})),
        "value": draw(
            maybe(
                {
                    "action": draw(
                        maybe(
                            {
                                "type": draw(maybe("Action.Execute")),
                                "verb": draw(
                                    st.one_of(
                                        st.sampled_from(
                                            [
                                                "guardrails.approve",
                                                "guardrails.reject",
                                                "guardrails.refresh",
                                            ]
                                        ),
                                        leaves(),
                                    )
                                ),
                                "data": draw(maybe(data, ids)),
                            }
                        )
                    )
                }
            )
        ),
    }
    if draw(st.integers(0, 4)) == 4:
        activity.pop(draw(st.sampled_from(sorted(activity))))  # a missing field
    extra = draw(st.dictionaries(texts(), leaves(ids), max_size=2)) if draw(st.booleans()) else {}
    return {**extra, **activity}


def _decided_by(activity: Any, service: ApprovalService) -> tuple[str, str] | None:
    """(request id, approver) if this activity may legitimately have decided, else None."""
    try:
        data = activity["value"]["action"]["data"]
        aad = activity["from"]["aadObjectId"]
        ok = (
            activity["type"] == "invoke"
            and activity["name"] == "adaptiveCard/action"
            and activity["channelId"] == "msteams"
            and activity["value"]["action"]["type"] == "Action.Execute"
            and activity["value"]["action"]["verb"] in ("guardrails.approve", "guardrails.reject")
        )
        who = service.resolve("teams", aad) if ok and isinstance(aad, str) else None
        return (data["r"], who.id) if who is not None else None
    except (KeyError, TypeError):
        return None


def _check(res: Any, service, audit, before, seen, logs, activity: Any) -> None:
    assert 200 <= res.status_code < 500, res.status_code
    after = store_state(service, before)
    new = audit.kinds()[seen:]
    decided = _decided_by(activity, service)
    changed = {rid for rid in before if after.get(rid) != before[rid]}
    if decided is None or res.status_code != 200:
        assert not changed, "an activity that could not decide changed a request"
        assert set(new) <= REFUSALS, sorted(set(new) - REFUSALS)
    else:
        assert changed - {"#pending"} <= {decided[0]}
        for rid in changed - {"#pending"}:  # one more vote, by the verified sender
            assert len(service.get(rid).votes) == len(before[rid][1]) + 1
            assert service.get(rid).votes[-1].approver.id == decided[1]
    code = res.json().get("value", {}).get("code", "") if res.status_code >= 400 else ""
    event(f"{res.status_code} {code} {'decided' if changed else 'unchanged'}")
    trail = trail_since(audit, seen)
    no_pii(res.text, trail, *logs)
    # the pending requests' raw argument (only its digest is stored)
    assert EMAIL not in res.text
    assert EMAIL not in trail


@FUZZ
@given(data=st.data())
def test_fuzzed_activities_are_4xx_or_decide_properly(service, audit, bot, keys, data) -> None:
    """Structured invokes with fuzzed leaves: 2xx/4xx, no state change unless a real decision,
    none on a replay."""
    _open(service)
    refs = [(r.id, r.args_digest) for r in service.pending()]
    activity = data.draw(activities(refs))
    before, seen = store_state(service), len(audit.kinds())
    body = dumps(activity).encode()
    headers = {"content-type": "application/json", "authorization": f"Bearer {keys.token()}"}
    with (
        captured_logs() as logs,
        TestClient(create_teams_app(bot), raise_server_exceptions=False) as client,
    ):
        res = client.post("/api/messages", content=body, headers=headers)
        _check(res, service, audit, before, seen, logs, activity)
        # the same activity again (a fresh token): a replay decides nothing
        once, seen = store_state(service, before), len(audit.kinds())
        headers["authorization"] = f"Bearer {keys.token()}"
        again = client.post("/api/messages", content=body, headers=headers)
    assert 200 <= again.status_code < 500, again.status_code
    assert store_state(service, before) == once
    assert set(audit.kinds()[seen:]) <= REFUSALS


@FUZZ
@given(data=st.data())
def test_raw_bodies_are_4xx_and_change_nothing(service, audit, bot, keys, data) -> None:
    """Random bytes, and valid activities cut or with bytes changed: never a 5xx, no change."""
    _open(service)
    rid, _ = next((r.id, r.args_digest) for r in service.pending())
    good = dumps(
        {
            "type": "invoke",
            "name": "adaptiveCard/action",
            "id": "f:raw",
            "channelId": "msteams",
            "serviceUrl": SERVICE_URL,
            "from": {"aadObjectId": "aad-bob"},
            "value": {
                "action": {
                    "type": "Action.Execute",
                    "verb": "guardrails.approve",
                    "data": {"r": rid, "d": "sha256:not-the-digest", "reason": PII[0]},
                }
            },
        }
    ).encode()
    body = data.draw(
        st.one_of(
            st.binary(max_size=2_000),
            st.integers(0, len(good)).map(lambda n: good[:n]),
            st.tuples(st.integers(0, len(good) - 1), st.binary(min_size=1, max_size=4)).map(
                lambda t: good[: t[0]] + t[1] + good[t[0] + len(t[1]) :]
            ),
        )
    )
    ctype = data.draw(
        st.sampled_from(["application/json", "application/json; charset=latin-1", "text/plain"])
    )
    before, seen = store_state(service), len(audit.kinds())
    headers = {"content-type": ctype, "authorization": f"Bearer {keys.token()}"}
    with (
        captured_logs() as logs,
        TestClient(create_teams_app(bot), raise_server_exceptions=False) as client,
    ):
        res = client.post("/api/messages", content=body, headers=headers)
    assert 200 <= res.status_code < 500, res.status_code
    assert store_state(service, before) == before
    assert set(audit.kinds()[seen:]) <= REFUSALS
    no_pii(res.text, trail_since(audit, seen), *logs)


def test_a_lone_surrogate_reason_is_refused_before_deciding(service, bot, keys) -> None:
    """The fuzz's find: reason "\\ud800" (JSON escape of a lone surrogate) on bob's approve was
    recorded, then the answer could not be encoded (500); the vote kept it, so every later card
    of that request (the HTTP inbox, history) failed too. Now 400, nothing decided."""
    _open(service, 1)
    request = service.pending()[0]
    activity = {
        "type": "invoke",
        "name": "adaptiveCard/action",
        "id": "f:surrogate",
        "channelId": "msteams",
        "serviceUrl": SERVICE_URL,
        "from": {"aadObjectId": "aad-bob"},
        "value": {
            "action": {
                "type": "Action.Execute",
                "verb": "guardrails.approve",
                "data": {"r": request.id, "d": request.args_digest, "reason": "ok \ud800"},
            }
        },
    }
    headers = {"content-type": "application/json", "authorization": f"Bearer {keys.token()}"}
    with TestClient(create_teams_app(bot), raise_server_exceptions=False) as client:
        res = client.post("/api/messages", content=dumps(activity).encode(), headers=headers)
    assert (res.status_code, res.json()["value"]["code"]) == (400, "malformed")
    assert service.status(request.id) == "pending"
