"""A tool call run through ``ToolGuard`` + ``SQLiteLedger`` in its own process (for crash tests).

``python -m tests.guardrails.guard.ledger_process DIR MODE``: ``die_running`` is killed (SIGKILL)
while the tool runs (after the claim's commit, before the result's); ``die_recorded`` right after
the result was recorded; ``again`` runs the same call and prints what the guard did.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from guardrails.audit import AuditLog
from guardrails.guard import CallContext, ExecutionInFlight, SQLiteLedger, ToolGuard, ToolInfo


class _Redactor:
    def redact(self, text: str, vault: object = None) -> object:
        return type("R", (), {"text": text})()

    def redact_data(self, obj: object, vault: object = None) -> object:
        return obj


def main() -> None:
    d, mode = Path(sys.argv[1]), sys.argv[2]

    class Ledger(SQLiteLedger):
        def complete(self, key: str, result: str, /) -> None:
            super().complete(key, result)
            if mode == "die_recorded":
                os.kill(os.getpid(), signal.SIGKILL)

    guard = ToolGuard(redactor=_Redactor(), ledger=Ledger(d / "ledger.sqlite"), audit=AuditLog())
    ctx = CallContext(thread_id="t1", run_id="r1", requester="alice", approver=None)
    ruling = guard.rule("call-1", {"to": "x"}, ToolInfo(name="send"), ctx)

    def run(_: object) -> str:
        with open(d / "ran.txt", "a") as fh:
            fh.write("ran\n")
            fh.flush()
            os.fsync(fh.fileno())
        if mode == "die_running":
            os.kill(os.getpid(), signal.SIGKILL)
        return "sent"

    try:
        print(json.dumps({"result": guard.execute(ruling, ctx, run)}))
    except ExecutionInFlight:
        print(json.dumps({"result": "in_flight"}))


if __name__ == "__main__":
    main()
