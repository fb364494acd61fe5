"""Many reviewers at once against one pending request on a real server: exactly one outcome."""

from __future__ import annotations

import asyncio

import httpx

from guardrails.approvals import ApprovalService
from guardrails.identity import Principal, StaticDirectory
from guardrails.policy import Policy, ToolCall
from guardrails.testing import capture_audit
from integrations.http import ApiKeys, create_app
from tests.integrations.http.conftest import Server

POLICY = """
name: race
approval: {approvers: {groups: [finance]}, expires_in: 10m}
rules:
  - {name: refunds, tools: [refund], effect: require_approval, reason: refunds need finance}
"""
N = 40


async def _all_at_once(url: str, path: str, keys: list[str]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=N, max_keepalive_connections=N)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        gate = asyncio.Event()

        async def one(i: int, key: str) -> httpx.Response:
            await gate.wait()
            verdict = "approve" if i % 2 else "reject"
            return await client.post(
                path, json={"verdict": verdict}, headers={"Authorization": f"Bearer {key}"}
            )

        tasks = [asyncio.create_task(one(i, k)) for i, k in enumerate(keys)]
        await asyncio.sleep(0.05)
        gate.set()
        return list(await asyncio.gather(*tasks))


def test_concurrent_decisions_from_distinct_reviewers_give_one_outcome() -> None:
    """40 reviewers POST at the same moment: one 200, the rest 409, one vote, one audit event."""
    people = [Principal(id="alice", groups=frozenset({"finance"}))] + [
        Principal(id=f"r{i}", groups=frozenset({"finance"})) for i in range(N)
    ]
    directory = StaticDirectory(people, identities={("token", p.id): p.id for p in people})
    audit = capture_audit()
    service = ApprovalService(Policy.from_yaml(POLICY), audit=audit, directory=directory)
    keys = {f"race-key-{p.id}-000000000": p.id for p in people[1:]}
    request = service.gate(
        ToolCall(name="refund", args={"amount": 1}), requester=people[0], masked_args={"amount": 1}
    ).request
    assert request is not None
    server = Server(create_app(service, verifier=ApiKeys(keys))).start()
    try:
        path = f"/api/requests/{request.id}/decision"
        responses = asyncio.run(_all_at_once(server.url, path, list(keys)))
    finally:
        server.stop()
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * (N - 1)
    assert {r.json()["error"] for r in responses if r.status_code == 409} == {"not_pending"}
    final = service.get(request.id)
    assert len(final.votes) == 1
    assert audit.kinds().count("approval.decided") == 1
    assert audit.kinds().count("approval.refused") == N - 1
