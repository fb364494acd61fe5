"""The framework-free tool-call guard shared by every integration.

Policy evaluate → deny / approval request / allow → verify the decision → restore only the
entity types the tool may receive → execute exactly once → redact the output → audit, each
event with thread and run ids. Adapters (LangChain middleware, LangGraph tool node, OpenAI
guard, channels) only translate their objects into :class:`ToolInfo`, :class:`CallContext` and
:class:`Answer` and back.

Example:
    >>> from guardrails.guard import CallContext, ToolGuard, ToolInfo
    >>> guard = ToolGuard()
    >>> ruling = guard.rule("c1", {}, ToolInfo(name="wire", tags=frozenset({"privileged"})),
    ...                     CallContext(thread_id="t1", requester="alice"))
    >>> ruling.outcome
    'approval'
"""

from guardrails.guard._guard import ExecutionInFlight, ToolGuard
from guardrails.guard._ledger import ExecutionLedger, MemoryLedger, SQLiteLedger
from guardrails.guard._values import (
    Answer,
    CallContext,
    Resolution,
    Ruling,
    ToolInfo,
    request_id_for,
)

__all__ = [
    "Answer",
    "CallContext",
    "ExecutionInFlight",
    "ExecutionLedger",
    "MemoryLedger",
    "Resolution",
    "Ruling",
    "SQLiteLedger",
    "ToolGuard",
    "ToolInfo",
    "request_id_for",
]
