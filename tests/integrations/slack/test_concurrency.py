"""Many signed Slack clicks at once against one pending request on a real server: one outcome."""

from __future__ import annotations

import asyncio
import json

import httpx
from slack_sdk import WebClient

from guardrails.approvals import ApprovalService
from guardrails.channels import FanOut
from guardrails.identity import Principal, StaticDirectory
from guardrails.policy import Policy, ToolCall
from guardrails.testing import capture_audit
from integrations.slack import SlackChannel, SlackInteractions, create_slack_app
from tests.integrations.http.conftest import Server
from tests.integrations.slack.conftest import PATH, SECRET
from tests.support.fake_slack import FakeSlack, interaction

POLICY = """
name: race
approval: {approvers: {groups: [finance]}, expires_in: 10m}
rules:
  - {name: refunds, tools: [refund], effect: require_approval, reason: refunds need finance}
"""
N = 40


def test_concurrent_clicks_from_distinct_reviewers_give_one_outcome() -> None:
    """40 reviewers click at the same moment: one counts, 39 refused, one card update."""
    people = [Principal(id="alice", groups=frozenset({"finance"}))] + [
        Principal(id=f"r{i}", groups=frozenset({"finance"})) for i in range(N)
    ]
    directory = StaticDirectory(people, identities={("slack", f"U{p.id}"): p.id for p in people})
    audit = capture_audit()
    service = ApprovalService(Policy.from_yaml(POLICY), audit=audit, directory=directory)
    with FakeSlack() as fake:
        slack = SlackChannel(WebClient(token="xoxb-t", base_url=fake.base_url), channel="C1")
        fanout = FanOut(service, {"slack": slack})
        request = service.gate(
            ToolCall(name="refund", args={"amount": 1}),
            requester=people[0],
            masked_args={"amount": 1},
        ).request
        assert request is not None
        hook = SlackInteractions(service, signing_secret=SECRET, channel=slack, lookup_email=False)
        server = Server(create_slack_app(hook)).start()
        value = json.dumps({"r": request.id, "d": request.args_digest})
        signed = [
            interaction(
                {
                    "type": "block_actions",
                    "user": {"id": f"U{p.id}"},
                    "actions": [
                        {"action_id": "guardrails_approve", "value": value, "action_ts": f"{i}.0"}
                    ],
                },
                SECRET,
            )
            for i, p in enumerate(people[1:])
        ]

        async def all_at_once() -> list[httpx.Response]:
            limits = httpx.Limits(max_connections=N, max_keepalive_connections=N)
            async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as c:
                gate = asyncio.Event()

                async def one(body: bytes, headers: dict[str, str]) -> httpx.Response:
                    await gate.wait()
                    return await c.post(PATH, content=body, headers=headers)

                tasks = [asyncio.create_task(one(b, h)) for b, h in signed]
                await asyncio.sleep(0.05)
                gate.set()
                return list(await asyncio.gather(*tasks))

        try:
            responses = asyncio.run(all_at_once())
            slack.drain()
        finally:
            server.stop()
            fanout.close()
            slack.close()
    bodies = [r.json() for r in responses]
    assert all(r.status_code == 200 for r in responses)
    assert bodies.count({"ok": True}) == 1
    assert sorted({b.get("error") for b in bodies if not b.get("ok")}) == ["not_pending"]
    final = service.get(request.id)
    assert final.status == "approved"
    assert len(final.votes) == 1
    assert audit.kinds().count("approval.decided") == 1
    assert audit.kinds().count("approval.refused") == N - 1
    assert len(fake.of("chat.update")) == 1
    assert audit.verify().ok
