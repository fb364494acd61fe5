"""Action-level approvals: requests bound to the exact arguments, verified decisions, permits.

One :class:`ApprovalService` is shared by every channel (LangGraph resume, Slack, Teams, HTTP,
notebook). A decision is refused — and the refusal audited with a stable ``code`` — unless an
authenticated human other than the requester, authorized by the rule, decides a pending, unexpired
request for exactly these arguments, once; quorum counts distinct humans.

Example:
    >>> from guardrails.policy import Policy, ToolCall
    >>> from guardrails.identity import Principal
    >>> from guardrails.testing import FixedClock
    >>> svc = ApprovalService(Policy.default_policy(), clock=FixedClock())
    >>> call = ToolCall(name="drop_table", args={"t": "users"}, tags=frozenset({"privileged"}))
    >>> req = svc.gate(call, requester=Principal(id="alice")).request
    >>> svc.decide(req.id, Decision(verdict="reject", approver=Principal(id="bob"),
    ...                             args_digest=req.args_digest, reason="not today")).status
    'rejected'
"""

from typing import TYPE_CHECKING, Any

from guardrails.approvals._models import (
    ApprovalEvent,
    ApprovalRequest,
    AuthorizedCall,
    Decision,
    DecisionOutcome,
    Provenance,
    RequestStatus,
    Vote,
)
from guardrails.approvals._permits import Permit, issue_permit, verify_permit
from guardrails.approvals._service import ApprovalService, AuditRecorder, GateResult, Listener
from guardrails.approvals._verify import REFUSAL_CODES
from guardrails.approvals.stores import (
    ApprovalStore,
    InMemoryApprovalStore,
    SQLiteApprovalStore,
)
from guardrails.policy import args_digest, canonical_json

if TYPE_CHECKING:
    from guardrails.approvals.stores.postgres import PostgresApprovalStore

__all__ = [
    "REFUSAL_CODES",
    "ApprovalEvent",
    "ApprovalRequest",
    "ApprovalService",
    "ApprovalStore",
    "AuditRecorder",
    "AuthorizedCall",
    "Decision",
    "DecisionOutcome",
    "GateResult",
    "InMemoryApprovalStore",
    "Listener",
    "Permit",
    "PostgresApprovalStore",
    "Provenance",
    "RequestStatus",
    "SQLiteApprovalStore",
    "Vote",
    "args_digest",
    "canonical_json",
    "issue_permit",
    "verify_permit",
]


def __getattr__(name: str) -> Any:
    if name == "PostgresApprovalStore":  # psycopg is the optional "postgres" extra
        from guardrails.approvals.stores.postgres import PostgresApprovalStore

        return PostgresApprovalStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
