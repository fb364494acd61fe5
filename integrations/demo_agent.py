"""``make demo``: the guarded support agent end to end, on embedded defaults.

A customer asks for a refund and pastes their e-mail, card and phone number. The demo shows:

1. what the model saw — placeholders only (``<EMAIL_ADDRESS_1>``), whatever the customer typed;
2. the lookup tool receiving the real e-mail (its policy allows EMAIL_ADDRESS) and its output
   masked before it enters the state, the checkpoint or the model's context;
3. the privileged ``issue_refund`` call stopping for a human: the masked approval card;
4. a decision by a reviewer who is not the requester (asked in the terminal, or ``--approve-as``),
   the refund running exactly once, and the final answer restored for the customer only;
5. the hash-chained audit trail and its verification.

The model is a scripted local one unless ``OPENAI_API_KEY`` is set (``OPENAI_BASE_URL`` honoured).
State lives in SQLite files under ``--dir`` (a fresh temporary directory by default): the
LangGraph checkpointer, the approval store and the audit trail.

Run: ``python -m integrations.demo`` (``--approve-as bob`` when stdin is not a terminal;
``--reject`` to see a rejection; ``--redaction`` for the redaction-only showcase).
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import tempfile
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain.agents import create_agent
from langchain_core.callbacks import BaseCallbackHandler
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from guardrails.approvals import ApprovalService, SQLiteApprovalStore
from guardrails.audit import AuditLog
from integrations.langchain import GuardrailsMiddleware
from integrations.langgraph import example

REQUESTER = "alice"
PROMPT = (
    "Hi, I'm Jane Doe. Please refund 40 dollars to jane.doe@example.com - it was charged to my "
    "card 4111 1111 1111 1111. Call me on +1 415 555 0101 if needed."
)


class _ModelInputs(BaseCallbackHandler):
    """Records the messages every chat-model call receives (what left the process)."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        for batch in messages:
            self.calls.append([f"{m.type:>9}: {m.content or _tool_calls(m)}" for m in batch])


def _tool_calls(message: Any) -> str:
    calls = getattr(message, "tool_calls", None) or []
    return "; ".join(f"call {c['name']}({json.dumps(c['args'])})" for c in calls)


def _section(title: str) -> None:
    print(f"\n== {title} ==")


def _indent(text: str) -> str:
    return textwrap.indent(text, "  ")


def _ask(card: dict[str, Any], approve_as: str | None, reject: bool) -> tuple[str, dict[str, Any]]:
    """The reviewer's identity and decision: from flags, or asked in the terminal."""
    if approve_as is None and sys.stdin.isatty():
        approve_as = input("Reviewer name (not the requester) [bob]: ").strip() or "bob"
        answer = input("Approve this refund? [y/N/reason to reject]: ").strip()
        if answer.lower() in {"y", "yes"}:
            return approve_as, {"type": "approve"}
        return approve_as, {"type": "reject", "message": answer or "declined in the demo"}
    reviewer = approve_as or "bob"
    if reject:
        return reviewer, {"type": "reject", "message": "amount not verified"}
    return reviewer, {"type": "approve"}


def run(workdir: Path, *, approve_as: str | None, reject: bool) -> int:
    """Run the scenario once in ``workdir``; returns the exit code."""
    inputs = _ModelInputs()
    audit = AuditLog(str(workdir / "audit.db"))
    approvals = ApprovalService(
        example.example_policy(),
        store=SQLiteApprovalStore(str(workdir / "approvals.db")),
        audit=audit,
    )
    middleware_kwargs: dict[str, Any] = {
        "policy": approvals.policy,
        "approvals": approvals,
        "audit": audit,
        "vault_key": secrets.token_bytes(32),
        "restore_output": True,
    }
    middleware = GuardrailsMiddleware(**middleware_kwargs)
    with SqliteSaver.from_conn_string(str(workdir / "checkpoints.db")) as saver:
        agent = middleware.protect(
            create_agent(
                _model(),
                example.tools,
                middleware=[middleware],
                checkpointer=saver,
                system_prompt="You are a support agent. Look customers up by e-mail before refunding.",
            )
        )
        thread = {"thread_id": "demo-thread", "user_id": REQUESTER}
        config: dict[str, Any] = {"configurable": thread, "callbacks": [inputs]}

        _section(f"1. {REQUESTER} asks the agent")
        print(_indent(PROMPT))
        out = agent.invoke(
            {"messages": [{"role": "user", "content": PROMPT}]}, config, version="v2"
        )

        _section("2. What the model saw (every call so far)")
        for i, call in enumerate(inputs.calls, 1):
            print(f"  call {i}:")
            for line in call:
                print(_indent(_indent(line)))

        if not out.interrupts:
            print("no approval was requested (unexpected)")
            return 1
        interrupt = out.interrupts[0]
        card = interrupt.value
        _section("3. Approval card shown to reviewers (masked)")
        shown = {
            k: card.get(k) for k in ("name", "args", "rule", "reason", "requester", "expires_at")
        }
        shown["args_digest"] = str(card.get("args_digest", ""))[:16] + "…"
        print(_indent(json.dumps(shown, indent=2, ensure_ascii=False)))

        reviewer, decision = _ask(card, approve_as, reject)
        if reviewer == REQUESTER:
            print(f"\n  {reviewer} is the requester: self-approval will be refused.")
        _section(f"4. {reviewer} decides: {decision['type']}")
        resume_cfg: dict[str, Any] = {
            "configurable": {"thread_id": "demo-thread", "user_id": reviewer},
            "callbacks": [inputs],
        }
        try:
            out = agent.invoke(Command(resume={interrupt.id: decision}), resume_cfg, version="v2")
        except Exception as exc:  # a refused resume: the thread stays pending
            print(_indent(f"refused: {_first_line(exc)}"))
            print(_indent("the request is still pending; nothing ran."))
        else:
            replies = [
                m.content
                for m in out.value["messages"]
                if getattr(m, "type", "") == "tool" and getattr(m, "name", "") == "issue_refund"
            ]
            runs = [
                e
                for e in audit.events(kind="tool.executed")
                if e.data.get("tool") == "issue_refund"
            ]
            print(
                _indent(f"issue_refund executed {len(runs)} time(s); the model was told: {replies}")
            )
            print(_indent("answer for the customer (restored only here, never stored):"))
            print(_indent(_indent(middleware.final_answer(out, thread_id="demo-thread"))))
            stored = json.dumps(agent.get_state(resume_cfg).values, default=str)
            leaked = [v for v in ("jane.doe@example.com", "4111 1111 1111 1111") if v in stored]
            print(_indent(f"raw values in the checkpointed state: {leaked or 'none'}"))

    _section("5. Audit trail (hash-chained)")
    for event in audit.events():
        who = event.principal or "-"
        print(f"  #{event.seq:<3} {event.kind:<22} {who:<8} {_summary(event.data)}")
    report = audit.verify()
    print(f"\n  verify: {'OK' if report.ok else 'FAILED'} — {report.count} events")
    print(f"  (state in {workdir})")
    return 0 if report.ok else 1


def _model() -> Any:
    if os.environ.get("OPENAI_API_KEY"):
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(model=os.environ.get("OPENAI_MODEL", "gpt-4o-mini"))
    return example.ScriptedSupportModel()


def _summary(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, default=str, sort_keys=True)
    return text if len(text) <= 90 else text[:89] + "…"


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    useful = [ln for ln in lines if "error" not in ln.lower() or "Value error" in ln]
    return (useful or lines or [type(exc).__name__])[-1].removeprefix("Value error, ")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m integrations.demo``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m integrations.demo", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--approve-as", metavar="NAME", help="reviewer identity (non-interactive)")
    parser.add_argument("--reject", action="store_true", help="reject instead of approving")
    parser.add_argument("--dir", type=Path, help="where the SQLite files go (default: a temp dir)")
    parser.add_argument(
        "--redaction", action="store_true", help="show the redaction-only showcase instead"
    )
    args, rest = parser.parse_known_args(argv)
    if args.redaction:
        from integrations.demo import main as redaction_demo

        return int(redaction_demo(rest) or 0)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    os.environ.setdefault("LANGSMITH_TRACING", "false")
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
        return run(args.dir, approve_as=args.approve_as, reject=args.reject)
    with tempfile.TemporaryDirectory(prefix="guardrails-demo-") as tmp:
        return run(Path(tmp), approve_as=args.approve_as, reject=args.reject)


if __name__ == "__main__":
    sys.exit(main())
