"""SdkResumer: an inbox decision resumes a thread on a real `langgraph dev` server via langgraph-sdk."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from langgraph_sdk import get_sync_client

from guardrails.approvals import ApprovalService, SQLiteApprovalStore
from guardrails.policy import Policy
from integrations.http import ApiKeys, AutoResume, SdkResumer, create_app
from tests.integrations.http.conftest import free_port
from tests.integrations.http.sdk_graph import POLICY

ROOT = Path(__file__).resolve().parents[3]
BOB_KEY = "dev-key-bob-sdk-0123456789"


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    """`langgraph dev` serving sdk_graph.py on loopback; stopped at teardown."""
    work = tmp_path_factory.mktemp("sdk-dev")
    db, runs = work / "approvals.db", work / "runs.txt"
    SQLiteApprovalStore(db).close()  # create the schema before two processes open it
    config = work / "langgraph.json"
    config.write_text(
        json.dumps(
            {
                "dependencies": [str(ROOT)],
                "graphs": {"sdk_agent": str(ROOT / "tests/integrations/http/sdk_graph.py:graph")},
            }
        )
    )
    port = free_port()
    env = {
        **os.environ,
        "GUARDRAILS_SDK_TEST_DB": str(db),
        "GUARDRAILS_SDK_TEST_RUNS": str(runs),
        "LANGSMITH_TRACING": "false",
        "LANGCHAIN_TRACING_V2": "false",
    }
    log = (work / "server.log").open("w")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("langgraph")),
            "dev",
            "--config",
            str(config),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-browser",
            "--no-reload",
            # the shared approval store is synchronous SQLite, called from the graph's nodes
            "--allow-blocking",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail("langgraph dev exited:\n" + (work / "server.log").read_text()[-3000:])
            try:
                if httpx.get(f"{url}/ok", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    "langgraph dev did not start:\n" + (work / "server.log").read_text()[-3000:]
                )
            time.sleep(0.5)
        yield url, db, runs
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_inbox_decision_resumes_a_thread_on_a_langgraph_server(dev_server) -> None:
    """Alice's run interrupts on the server; Bob approves in the inbox; the server runs the tool once."""
    url, db, runs = dev_server
    client = get_sync_client(url=url)
    thread = client.threads.create()
    tid = thread["thread_id"]
    client.runs.wait(
        tid,
        "sdk_agent",
        input={"messages": [{"role": "user", "content": "refund jane.doe@example.com"}]},
        config={"configurable": {"user_id": "alice"}},
    )
    state = client.threads.get_state(tid)
    assert state["interrupts"], "the run waits for approval"
    assert "jane.doe@example.com" not in json.dumps(state["interrupts"])

    store = SQLiteApprovalStore(db)
    service = ApprovalService(Policy.from_yaml(POLICY), store=store)
    auto = AutoResume(
        service,
        resumer=SdkResumer(client=client, assistant_id="sdk_agent", service=service),
        background=False,
    )
    try:
        with TestClient(create_app(service, verifier=ApiKeys({BOB_KEY: "sub-bob"}))) as web:
            headers = {"Authorization": f"Bearer {BOB_KEY}"}
            [card] = web.get("/api/requests", headers=headers).json()["requests"]
            assert card["thread_id"] == tid
            res = web.post(
                f"/api/requests/{card['request_id']}/decision",
                json={"verdict": "approve", "reason": "ok"},
                headers=headers,
            )
            assert res.status_code == 200, res.text
        assert auto.errors == []
        assert runs.read_text().split() == ["7"]
        final = client.threads.get_state(tid)
        assert not final["interrupts"]
        assert final["values"]["messages"][-1]["content"] == "ok"
        assert service.get(card["request_id"]).status == "executed"
    finally:
        auto.close()
        store.close()
