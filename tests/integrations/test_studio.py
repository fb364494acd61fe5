"""LangGraph Studio compatibility: `langgraph dev` serves the example guarded agent from langgraph.json.

The langgraph-sdk client (what Studio and Agent Chat UI use) runs the agent as alice, sees the
approval interrupt with masked arguments, is refused when alice approves her own request, and gets
the result when bob (another authenticated user) approves.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_sync_client

ROOT = Path(__file__).resolve().parents[2]
TOKENS = {"alice": "alice-dev-token", "bob": "bob-dev-token"}
RAW_EMAIL = "jane.doe@example.com"
RAW_VALUES = [RAW_EMAIL, "Jane Doe", "4111 1111 1111 1111", "+1 415 555 0101"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `langgraph dev` server on loopback, stopped at teardown."""
    port = _free_port()
    workdir = tmp_path_factory.mktemp("langgraph-dev")
    env = {
        **os.environ,
        "GUARDRAILS_DEV_TOKENS": ",".join(f"{u}={t}" for u, t in TOKENS.items()),
        "LANGSMITH_TRACING": "false",
        "LANGCHAIN_TRACING_V2": "false",
    }
    env.pop("OPENAI_API_KEY", None)  # the example's scripted model, offline
    log = (workdir / "server.log").open("w")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("langgraph")),
            "dev",
            "--config",
            str(ROOT / "langgraph.json"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-browser",
            "--no-reload",
        ],
        cwd=ROOT,  # langgraph.json paths are resolved from the working directory
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(
                    "langgraph dev exited:\n" + (workdir / "server.log").read_text()[-3000:]
                )
            try:
                if httpx.get(f"{url}/ok", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail(
                "langgraph dev did not start:\n" + (workdir / "server.log").read_text()[-3000:]
            )
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
        log.close()


def _client(url: str, user: str):
    return get_sync_client(url=url, headers={"Authorization": f"Bearer {TOKENS[user]}"})


def _pending(client, thread_id: str) -> list[dict]:
    state = client.threads.get_state(thread_id)
    return list(state.get("interrupts") or [])


def test_unauthenticated_callers_are_refused(server: str) -> None:
    """Without a configured token the server answers 401 and creates nothing."""
    resp = httpx.post(f"{server}/threads", json={}, headers={"Authorization": "Bearer nope"})
    assert resp.status_code == 401


def test_studio_interrupt_self_approval_refused_then_other_user_approves(server: str) -> None:
    """Masked interrupt; alice cannot approve her own refund; bob can; the tool runs once."""
    alice, bob = _client(server, "alice"), _client(server, "bob")
    thread = alice.threads.create()
    tid = thread["thread_id"]
    alice.runs.wait(
        tid,
        "guarded_agent",
        input={"messages": [{"role": "user", "content": f"Refund {RAW_EMAIL} 40 dollars"}]},
    )
    interrupts = _pending(alice, tid)
    assert len(interrupts) == 1
    value = interrupts[0]["value"]
    assert value["name"] == "issue_refund"
    assert value["args"] == {"customer_id": "cus_8812", "amount": 40}
    assert value["requester"] == "alice"
    for field in ("request_id", "args_digest", "expires_at", "rule", "reason"):
        assert value.get(field), f"interrupt lacks {field}"
    state_text = json.dumps(alice.threads.get_state(tid), default=str)
    for raw in RAW_VALUES:
        assert raw not in state_text, "raw PII in thread state served to Studio"

    # alice approving her own request: refused before anything is saved; still pending.
    with pytest.raises(Exception, match="requester cannot decide their own request"):
        alice.runs.wait(
            tid, "guarded_agent", command={"resume": {"type": "approve"}}, raise_error=True
        )
    assert len(_pending(alice, tid)) == 1
    assert "refund of" not in json.dumps(alice.threads.get_state(tid)["values"], default=str)

    # bob approves: the refund runs and the final answer comes back.
    result = bob.runs.wait(
        tid, "guarded_agent", command={"resume": {"type": "approve"}}, raise_error=True
    )
    messages = result["messages"]
    refunds = [m for m in messages if m.get("type") == "tool" and m.get("name") == "issue_refund"]
    assert len(refunds) == 1
    assert "refund of 40 issued to cus_8812" in refunds[0]["content"]
    assert not _pending(bob, tid)
    final_text = json.dumps(bob.threads.get_state(tid), default=str)
    for raw in RAW_VALUES:
        assert raw not in final_text


def test_no_checkpoint_in_the_thread_history_holds_raw_values(server: str) -> None:
    """Every checkpoint Studio can browse (the history, not only the latest state) is masked."""
    alice = _client(server, "alice")
    tid = alice.threads.create()["thread_id"]
    alice.runs.wait(
        tid,
        "guarded_agent",
        input={"messages": [{"role": "user", "content": f"Refund {RAW_EMAIL} 40 dollars"}]},
    )
    history = alice.threads.get_history(tid, limit=100)
    assert history, "the interrupted run saved no checkpoint"
    text = json.dumps(history, default=str)
    for raw in RAW_VALUES:
        assert raw not in text, "raw PII in an earlier checkpoint"


def test_state_writes_from_outside_a_run_are_refused(server: str) -> None:
    """update_state (any as_node) could bypass the hooks that bind the requester: refused, 403.

    Thread metadata stays editable; the waiting request is untouched and bob can still approve.
    """
    alice, bob = _client(server, "alice"), _client(server, "bob")
    tid = alice.threads.create()["thread_id"]
    alice.runs.wait(
        tid,
        "guarded_agent",
        input={"messages": [{"role": "user", "content": f"Refund {RAW_EMAIL} 40 dollars"}]},
    )
    before = alice.threads.get_state(tid)
    for who in (alice, bob):
        with pytest.raises(httpx.HTTPStatusError) as info:
            who.threads.update_state(
                tid, {"messages": [{"role": "user", "content": "approve"}]}, as_node="model"
            )
        assert info.value.response.status_code == 403
    assert alice.threads.get_state(tid)["checkpoint"] == before["checkpoint"]
    alice.threads.update(tid, metadata={"ticket": "T-1"})
    assert alice.threads.get(tid)["metadata"]["ticket"] == "T-1"
    result = bob.runs.wait(
        tid, "guarded_agent", command={"resume": {"type": "approve"}}, raise_error=True
    )
    assert any(m.get("name") == "issue_refund" for m in result["messages"])
