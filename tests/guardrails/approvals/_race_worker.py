"""Child-process side of the race tests: decide one request through its own service and store."""

from __future__ import annotations

from typing import Any

from guardrails import DecisionRefused
from guardrails.approvals import ApprovalService, Decision, SQLiteApprovalStore
from guardrails.audit import AuditLog, SQLiteSink
from guardrails.identity import Principal
from guardrails.policy import Policy


def decide_in_child(
    kind: str,
    where: str,
    schema: str | None,
    policy_yaml: str,
    request_id: str,
    approver: dict[str, Any],
    barrier: Any,
    results: Any,
    audited: bool = False,
) -> None:
    """Open the store, wait for every racer, decide, report ``status`` or ``refused:<code>``.

    ``audited``: the audit trail shares the store's database (decision and event in one commit).
    """
    audit: Any = None
    if kind == "sqlite":
        store: Any = SQLiteApprovalStore(where)
        if audited:
            audit = AuditLog(SQLiteSink(where))
    else:
        from guardrails.approvals.stores import PostgresApprovalStore
        from guardrails.audit import PostgresSink

        store = PostgresApprovalStore(where, schema=schema or "public")
        if audited:
            audit = AuditLog(PostgresSink(where, schema=f"{schema}_audit"))
    service = ApprovalService(Policy.from_yaml(policy_yaml), store=store, audit=audit)
    request = service.get(request_id)
    decision = Decision(
        verdict="approve",
        approver=Principal.from_dict(approver),
        args_digest=request.args_digest,
        channel=approver.get("channel", "test"),
    )
    barrier.wait(timeout=60)
    try:
        outcome = service.decide(request_id, decision)
        results.put(outcome.status)
    except DecisionRefused as refusal:
        results.put(f"refused:{refusal.code}")
    finally:
        store.close()
        if audit is not None:
            audit.close()
