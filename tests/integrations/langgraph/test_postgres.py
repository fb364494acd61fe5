"""The guarded graph on LangGraph's PostgreSQL checkpointer (127.0.0.1:5432, own schema)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from langchain_core.messages import HumanMessage
from langgraph.types import Command

from tests.integrations.langgraph.conftest import EMAIL, SSN, cfg
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply

pytestmark = pytest.mark.postgres

DSN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_saver() -> Iterator[object]:
    psycopg = pytest.importorskip("psycopg")
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row

    try:
        admin = psycopg.connect(DSN, autocommit=True)
    except psycopg.OperationalError:
        pytest.skip("PostgreSQL is not running at 127.0.0.1:5432 (.ci/run starts it)")
    schema = "h7_" + uuid.uuid4().hex[:10]
    admin.execute(f"CREATE SCHEMA {schema}")
    conn = psycopg.connect(
        DSN,
        autocommit=True,
        prepare_threshold=0,
        row_factory=dict_row,
        options=f"-c search_path={schema}",
    )
    saver = PostgresSaver(conn)
    saver.setup()
    try:
        yield saver
    finally:
        conn.close()
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


def test_approval_round_trip_on_postgres_keeps_raw_values_out(build_graph, runs, pg_saver) -> None:
    """Pause, resume by another user, run once; no stored checkpoint blob holds the tool's raw output."""
    model = ScriptedChatModel(
        script=[
            reply(
                "",
                call("lookup", {"customer_id": "cus_2"}, "q1"),
                call("refund", {"amount": 9}, "q2"),
            ),
            reply("done"),
        ]
    )
    graph, _ = build_graph(model, pg_saver)
    out = graph.invoke(
        {"messages": [HumanMessage("refund cus_2")]}, cfg("pg1", "alice"), version="v2"
    )
    assert runs.calls == []
    graph.invoke(
        Command(resume={out.interrupts[0].id: {"type": "approve"}}), cfg("pg1", "bob"), version="v2"
    )
    assert sorted(runs.calls) == ["lookup", "refund"]
    rows = pg_saver.conn.execute(
        "SELECT blob FROM checkpoint_blobs UNION ALL SELECT blob FROM checkpoint_writes"
    ).fetchall()
    stored = b"".join(bytes(r["blob"]) for r in rows if r["blob"] is not None)
    assert stored
    assert EMAIL.encode() not in stored
    assert SSN.encode() not in stored
