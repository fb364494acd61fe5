"""LangGraph integration: a guarded tool node, a message-redaction node, vault-in-state helpers,
HITL interrupt payload builders and resume parsing.

Example:
    >>> from integrations.langgraph import GuardedToolNode, tool_approval
    >>> callable(tool_approval)
    True
"""

from integrations._deps import require

require("langgraph", extra="langgraph")

from integrations.langgraph._context import call_context, default_user  # noqa: E402
from integrations.langgraph._guarded import REQUESTER_KEY, GraphGuard, tool_info  # noqa: E402
from integrations.langgraph._nodes import (  # noqa: E402
    BoundModelNode,
    GuardedState,
    GuardedToolNode,
    RedactionNode,
)
from integrations.langgraph._payloads import batched_request, tool_approval  # noqa: E402
from integrations.langgraph._resume import (  # noqa: E402
    ResumeError,
    decision_json_schema,
    parse_answer,
    parse_decisions,
    response_schema,
)
from integrations.langgraph._vault import (  # noqa: E402
    VAULT_KEY,
    VaultKeeper,
    merge_vaults,
    vault_key_from_env,
)

__all__ = [
    "REQUESTER_KEY",
    "VAULT_KEY",
    "BoundModelNode",
    "GraphGuard",
    "GuardedState",
    "GuardedToolNode",
    "RedactionNode",
    "ResumeError",
    "VaultKeeper",
    "batched_request",
    "call_context",
    "decision_json_schema",
    "default_user",
    "merge_vaults",
    "parse_answer",
    "parse_decisions",
    "response_schema",
    "tool_approval",
    "tool_info",
    "vault_key_from_env",
]
