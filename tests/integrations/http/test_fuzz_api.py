"""Fuzz: the approvals API with real tokens, hostile paths, queries and decision bodies.

Properties, per example: the answer is 2xx or 4xx (never a 5xx or an exception); a request that
did not decide changes no request in the store and adds only refusal events to the trail; no
answer, audit event or log record holds a PII value that was in the request (or the raw
argument of the pending requests). Rate limits are off so every example reaches the handlers.
"""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import quote, urlencode

from fastapi.testclient import TestClient
from hypothesis import event, given
from hypothesis import strategies as st

from guardrails.approvals import ApprovalService
from guardrails.policy import ToolCall
from integrations.http import create_app
from tests.integrations.http.conftest import DEV_KEYS, bearer, open_request
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
from tests.support.channel_fixtures import EMAIL, MASKED

REFUSALS = {"http.auth_failed", "http.unknown_request", "http.unknown_user", "approval.refused"}
KEYS = {sub: key for key, sub in DEV_KEYS.items()}
_calls = itertools.count(1)


def _open(service: ApprovalService, n: int = 3) -> None:
    """Keep ``n`` requests pending (a fuzzed decision may legitimately close one)."""
    while len(service.pending()) < n:
        call = ToolCall(name="refund", args={"to": EMAIL, "amount": 250}, id=f"h{next(_calls)}")
        service.gate(call, requester=service.resolve("principal", "alice"), masked_args=MASKED)


def _path_id(value: Any) -> str:
    """A path segment as a client would send it (percent-encoded; a lone surrogate as the raw
    UTF-8 bytes it would be, which are not UTF-8)."""
    # cut to 2,000 characters (a cut escape is fuzz too): httpx refuses URLs over 65,536
    return quote(str(value), safe="", errors="surrogatepass")[:2_000]


@st.composite
def calls(
    draw: st.DrawFn, refs: list[tuple[str, str]], keys: Any
) -> tuple[str, str, dict[str, str], bytes]:
    """(method, url, headers, body) for one API call with fuzzed parts."""
    ids = [r for r, _ in refs] + [d for _, d in refs]
    rid, digest = draw(st.sampled_from(refs))
    who = draw(st.sampled_from(["sub-bob", "sub-bob", "sub-carol", "sub-alice", "jwt", "jwt"]))
    if who == "jwt":  # a valid token for a fuzzed subject (agents, services, strangers, PII)
        sub = draw(st.one_of(st.sampled_from(["sub-agent", "sub-svc", "sub-dave", *PII]), texts()))
        headers = bearer(keys.token(sub))
    else:
        headers = bearer(KEYS[who])
    if draw(st.integers(0, 9)) == 9:
        headers = {
            "Authorization": draw(st.sampled_from(["Bearer ", "Basic x", "Bearer " + PII[0]]))
        }
    path_id = _path_id(draw(maybe(rid, ids)))
    kind = draw(st.sampled_from(["decide", "decide", "decide", "one", "list", "history", "me"]))
    if kind != "decide":
        query = draw(
            st.dictionaries(
                st.sampled_from(["limit", "cursor", "x"]),
                st.one_of(st.integers(-(2**70), 2**70), texts()).map(str),
                max_size=2,
            )
        )
        qs = urlencode(query, errors="surrogatepass")[:4_000]
        path = {
            "one": f"/api/requests/{path_id}",
            "list": "/api/requests",
            "history": "/api/history",
            "me": "/api/me",
        }[kind]
        return "GET", f"{path}?{qs}" if qs else path, headers, b""
    body: dict[str, Any] = {
        "verdict": draw(maybe(draw(st.sampled_from(["approve", "reject", "edit"]))))
    }
    optional = {
        "reason": maybe(draw(texts())),
        "args_digest": maybe(digest, ids),
        "edited_args": maybe(
            draw(
                st.dictionaries(
                    st.one_of(st.sampled_from(["to", "amount"]), texts()), leaves(), max_size=3
                )
            )
        ),
        "edited_tool": maybe(draw(st.sampled_from(["refund", "wire", "lookup"]))),
        "decision_id": maybe(draw(st.uuids()).hex),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            body[key] = draw(strategy)
    body.update(
        draw(st.dictionaries(texts(), leaves(ids), max_size=1))
        if draw(st.integers(0, 4)) == 4
        else {}
    )
    ctype = draw(
        st.sampled_from(
            ["application/json"] * 4 + ["application/json; charset=utf-16", "text/plain"]
        )
    )
    return (
        "POST",
        f"/api/requests/{path_id}/decision",
        {**headers, "Content-Type": ctype},
        dumps(body).encode(),
    )


@FUZZ
@given(data=st.data())
def test_fuzzed_api_calls_are_4xx_or_decide_properly(service, audit, verifier, keys, data) -> None:
    """Reads and decisions with fuzzed ids, queries, tokens and bodies: 2xx/4xx, no stray
    change, none on a replay."""
    _open(service)
    refs = [(r.id, r.args_digest) for r in service.pending()]
    method, url, headers, body = data.draw(calls(refs, keys))
    before, seen = store_state(service), len(audit.kinds())
    app = create_app(service, verifier=verifier, rate_limits=None)
    with captured_logs() as logs, TestClient(app, raise_server_exceptions=False) as client:
        res = client.request(method, url, headers=headers, content=body or None)
        after, seen_first = store_state(service, before), len(audit.kinds())
        # the same call again: a replay decides nothing
        again = client.request(method, url, headers=headers, content=body or None)
    assert 200 <= again.status_code < 500, again.status_code
    assert store_state(service, before) == after
    assert set(audit.kinds()[seen_first:]) <= REFUSALS
    assert 200 <= res.status_code < 500, res.status_code
    changed = {k for k in before if after.get(k) != before[k]}
    code = res.json().get("error", "") if res.status_code >= 400 else ""
    event(f"{method} {res.status_code} {code} {'decided' if changed else 'unchanged'}")
    if changed:  # a real decision: on the request in the path, by the caller, answered 200
        assert method == "POST"
        assert res.status_code == 200
        rid = url.split("/")[3]
        assert changed - {"#pending"} == {rid}
        assert len(service.get(rid).votes) == len(before[rid][1]) + 1
    else:
        added = set(audit.kinds()[seen:seen_first])
        assert added <= REFUSALS, sorted(added - REFUSALS)
    trail = trail_since(audit, seen)
    no_pii(res.text, trail, *logs)
    assert EMAIL not in res.text
    assert EMAIL not in trail


@FUZZ
@given(data=st.data())
def test_raw_decision_bodies_are_4xx_and_change_nothing(service, audit, verifier, data) -> None:
    """Any bytes as a decision body (with a valid reviewer key): never a 5xx, no change."""
    _open(service)
    rid = service.pending()[0].id
    good = dumps({"verdict": "approve", "reason": PII[0], "args_digest": "not-the-digest"}).encode()
    body = data.draw(
        st.one_of(
            st.binary(max_size=2_000),
            st.integers(0, len(good)).map(lambda n: good[:n]),
            st.tuples(st.integers(0, len(good) - 1), st.binary(min_size=1, max_size=4)).map(
                lambda t: good[: t[0]] + t[1] + good[t[0] + len(t[1]) :]
            ),
        )
    )
    before, seen = store_state(service), len(audit.kinds())
    app = create_app(service, verifier=verifier, rate_limits=None)
    headers = {**bearer(KEYS["sub-bob"]), "Content-Type": "application/json"}
    with captured_logs() as logs, TestClient(app, raise_server_exceptions=False) as client:
        res = client.post(f"/api/requests/{rid}/decision", content=body, headers=headers)
    assert 200 <= res.status_code < 500, res.status_code
    assert store_state(service, before) == before
    assert set(audit.kinds()[seen:]) <= REFUSALS
    no_pii(res.text, trail_since(audit, seen), *logs)


def test_an_unknown_field_name_is_not_echoed(client, service, as_user) -> None:
    """The fuzz's find: {"verdict": "approve", "<e-mail>": null} was a 422 whose message named
    the e-mail (pydantic's error location); the location now says <field>."""
    rid = open_request(service)
    res = client.post(
        f"/api/requests/{rid}/decision",
        content=dumps({"verdict": "approve", PII[0]: None}).encode(),
        headers={**as_user("sub-bob"), "Content-Type": "application/json"},
    )
    assert (res.status_code, res.json()["error"]) == (422, "invalid")
    assert "<field>" in res.json()["message"]
    no_pii(res.text)
