"""A guarded agent run as a separate process by ``test_review_restart``.

``python -m tests.integrations.langchain.replay_process DIR start|resume``: checkpoints (SQLite
saver) and the execution ledger are SQLite files in DIR. ``start`` is killed (SIGKILL) right after
the ledger recorded the tool's result and before LangGraph saved the tool step; ``resume`` goes on
from the last checkpoint in a new process, where the tool's result is replayed from the ledger.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import sys
from pathlib import Path

from langchain.agents import create_agent
from langchain_core.tools import tool
from langgraph.checkpoint.sqlite import SqliteSaver

from guardrails.guard import SQLiteLedger
from guardrails.redactor import Redactor
from integrations.langchain import GuardrailsMiddleware
from tests.support.langgraph_helpers import ScriptedChatModel, call, reply

EMAIL = "jane.doe@example.com"
OTHER = "other.person@example.org"
KEY = b"v" * 32


def main() -> None:
    d, mode = Path(sys.argv[1]), sys.argv[2]

    class KilledAfterRecording(SQLiteLedger):
        def complete(self, key: str, result: str, /) -> None:
            super().complete(key, result)
            if mode == "start":
                os.kill(os.getpid(), signal.SIGKILL)

    @tool
    def lookup(customer_id: str) -> str:
        """Look up a customer."""
        with open(d / "ran.txt", "a") as fh:
            fh.write("lookup\n")
        return f"{customer_id} email {EMAIL}"

    script = (
        [reply("", call("lookup", {"customer_id": "cus_1"}, "l1"))]
        if mode == "start"
        else [reply(f"cc {OTHER}")]
    )
    mw = GuardrailsMiddleware(
        redactor=Redactor(), vault_key=KEY, ledger=KilledAfterRecording(d / "ledger.sqlite")
    )
    conn = sqlite3.connect(d / "cp.sqlite", check_same_thread=False)
    agent = create_agent(
        ScriptedChatModel(script=script), [lookup], middleware=[mw], checkpointer=SqliteSaver(conn)
    )
    config = {"configurable": {"thread_id": "t1", "user_id": "alice"}}
    if mode == "start":
        # durability="sync": the model step's checkpoint (the pending tool call) is on disk
        # before the tool runs, as the scenario needs; the default "async" writes it from a
        # background thread, which the kill could beat (the resume then had no call to replay)
        agent.invoke(
            {"messages": [{"role": "user", "content": "look up cus_1"}]},
            config,
            durability="sync",
        )
        raise SystemExit("the process was not killed")
    out = agent.invoke(None, config)
    state = agent.get_state(config).values
    tool_msg = next(m for m in out["messages"] if m.type == "tool")
    print(
        json.dumps(
            {
                "runs": (d / "ran.txt").read_text().count("lookup"),
                "tool": str(tool_msg.content),
                "tool_restored": mw.restore(str(tool_msg.content), state, thread_id="t1"),
                "last": str(out["messages"][-1].content),
                "last_restored": mw.restore(
                    str(out["messages"][-1].content), state, thread_id="t1"
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
