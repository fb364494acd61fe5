"""After the decision: single-use authorization, execution records, expiry and escalation sweeps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from guardrails._errors import (
    ApprovalError,
    ApprovalExpired,
    ApprovalRejected,
    ApprovalRequired,
    DecisionRefused,
)
from guardrails.approvals._base import ServiceBase
from guardrails.approvals._models import ApprovalRequest, AuthorizedCall
from guardrails.approvals._verify import refuse

__all__ = ["Lifecycle", "expired_event"]

# An edit may supersede a request by a follow-up, which an edit may supersede again.
_MAX_CHAIN = 8


class Lifecycle(ServiceBase):
    """authorize / mark_executed / tick of :class:`~guardrails.approvals.ApprovalService`."""

    # -- execution ----------------------------------------------------------------------------

    def _refused_use(self, code: str, why: str, request: ApprovalRequest) -> DecisionRefused:
        """An audited refusal of :meth:`authorize` (nothing consumed)."""
        refusal = refuse(code, why, request)
        self._audit(
            "approval.refused",
            request,
            principal=_on_behalf(request),
            code=refusal.code,
            stage="authorize",
        )
        return refusal

    def authorize(
        self, request_id: str, *, args_digest: str, tool_name: str | None = None
    ) -> AuthorizedCall:
        """Consume the approval of ``request_id`` for the call whose raw args hash to ``args_digest``.

        ``args_digest`` is :meth:`args_digest` of the raw arguments, or their plain
        ``policy.args_digest`` (keyed here).

        Follows an edit's follow-up request. Succeeds once; the request becomes ``consumed``.
        ``args_digest`` identifies the call that was asked about; what may run is what the result
        says: after an edit, :attr:`AuthorizedCall.tool_name` and ``edited_args`` (digest
        ``AuthorizedCall.args_digest``), not the call's original arguments.

        ``tool_name``, when given, is the tool the caller is about to run: it must be the tool
        the request asked about (an approval of one tool never runs another that shares its
        arguments), else ``digest_mismatch``.

        Raises:
            ApprovalRequired: still pending (the follow-up request, after an edit).
            ApprovalRejected: a human rejected it.
            ApprovalExpired: it expired (recorded as an expiry, never as a rejection).
            DecisionRefused: ``digest_mismatch`` or ``already_used``.
        """
        original = self.get(request_id)
        other_tool = tool_name is not None and tool_name != original.tool_name
        if other_tool or not self._digests().matches(original.args_digest, args_digest):
            why = (
                "the call names another tool than the request"
                if other_tool
                else "the call's arguments changed after the request"
            )
            raise self._refused_use("digest_mismatch", why, original)
        target = self._final(original)
        if tool_name is not None and target.approved_tool not in (None, tool_name):
            # An edit switched the call to another tool: what was approved is not this call.
            raise self._refused_use("digest_mismatch", "the approval is for another tool", target)
        now = self.clock.now()
        # What this (possibly retried) transaction did: only the caller whose transaction moved
        # the request from approved to consumed may run the tool.
        expired_now: list[bool] = []
        consumed_now: list[bool] = []

        def change(current: ApprovalRequest) -> ApprovalRequest:
            expired_now.clear()
            consumed_now.clear()
            if current.status in ("pending", "approved") and now >= current.expires_at:
                expired_now.append(True)
                return current.evolve(status="expired", resolved_at=now)
            if current.status == "approved":
                consumed_now.append(True)
                return current.evolve(status="consumed")
            return current

        def events(new: ApprovalRequest) -> list[tuple[str, dict[str, Any]]]:
            if expired_now:
                return [expired_event(new)]
            if not consumed_now:
                return []
            return [
                (
                    "approval.consumed",
                    {
                        # the call runs on the requester's behalf; who approved it stays below
                        "principal": _on_behalf(new),
                        "approvers": list(_approvers(new)),
                        "approved_tool": new.approved_tool,
                        "approved_digest": new.approved_digest,
                    },
                )
            ]

        updated = self._update(target.id, change, events)
        if expired_now:
            self._notify("expired", updated)
        if consumed_now:
            approvers = _approvers(updated)
            self._notify("consumed", updated)
            assert updated.approved_tool is not None
            assert updated.approved_digest is not None
            return AuthorizedCall(
                request_id=updated.id,
                tool_name=updated.approved_tool,
                args_digest=updated.approved_digest,
                approvers=approvers,
                edited_args=updated.edited_args,
            )
        raise self._blocked(updated)

    def _final(self, request: ApprovalRequest) -> ApprovalRequest:
        """Follow an edit's follow-up requests to the one that decides."""
        for _ in range(_MAX_CHAIN):
            if request.status != "superseded" or request.follow_up_id is None:
                break
            request = self.get(request.follow_up_id)
        return request

    def _blocked(self, request: ApprovalRequest) -> Exception:
        status = request.status
        if status == "pending":
            return ApprovalRequired(request)
        if status == "rejected":
            vote = request.votes[-1] if request.votes else None
            why = f": {vote.reason}" if vote and vote.reason else ""
            return ApprovalRejected(
                f"a reviewer rejected the call{why}", request_id=request.id, tool=request.tool_name
            )
        if status == "expired":
            return ApprovalExpired(
                "the approval request expired before a decision",
                request_id=request.id,
                tool=request.tool_name,
            )
        return self._refused_use(
            "already_used", f"the approval was already used ({status})", request
        )

    def mark_executed(
        self,
        request_id: str,
        *,
        ok: bool = True,
        duration_ms: float | None = None,
        error: str | None = None,
    ) -> ApprovalRequest:
        """Record that the authorized call ran (``error``: an error class name, never a message).

        ``request_id`` may be the original request or, after an edit, the follow-up that
        :meth:`authorize` returned.
        """

        def change(current: ApprovalRequest) -> ApprovalRequest:
            if current.status != "consumed":
                raise ApprovalError(f"request {request_id} was not authorized for execution")
            return current.evolve(status="executed")

        def events(new: ApprovalRequest) -> list[tuple[str, dict[str, Any]]]:
            data = {
                "principal": _on_behalf(new),  # on whose behalf the tool ran
                "masked_args": dict(new.masked_args),
                "outcome": "ok" if ok else "error",
                "duration_ms": duration_ms,
                "error": error,
            }
            return [("tool.executed" if ok else "tool.failed", data)]

        updated = self._update(self._final(self.get(request_id)).id, change, events)
        self._notify("executed", updated)
        return updated

    # -- sweeping -----------------------------------------------------------------------------

    def tick(self, *, limit: int = 1000) -> list[ApprovalRequest]:
        """Expire and escalate due requests, then :meth:`sync` listeners with changes made by
        other processes; returns the requests this sweep expired or escalated."""
        now = self.clock.now()
        changed: list[ApprovalRequest] = []
        for request in self.store.pending(limit=limit, due_before=now):
            kind, updated = self._sweep_one(request.id, now)
            if kind is not None:
                self._notify(kind, updated)
                changed.append(updated)
        self.sync()
        return changed

    def _sweep_one(self, request_id: str, now: datetime) -> tuple[str | None, ApprovalRequest]:
        kind: list[str] = []

        def change(current: ApprovalRequest) -> ApprovalRequest:
            kind.clear()
            if current.status != "pending":
                return current
            if now >= current.expires_at:
                kind.append("expired")
                return current.evolve(status="expired", resolved_at=now)
            esc = current.escalate_at
            if esc is not None and not current.escalated and now >= esc:
                kind.append("escalated")
                return current.evolve(escalated=True)
            return current

        def events(new: ApprovalRequest) -> list[tuple[str, dict[str, Any]]]:
            if kind == ["expired"]:
                return [expired_event(new)]
            if kind == ["escalated"] and new.escalation is not None:
                # nobody acted: the event names the requester whose request moved on
                return [
                    (
                        "approval.escalated",
                        {"to": new.escalation.to.to_dict(), "principal": _on_behalf(new)},
                    )
                ]
            return []

        updated = self._update(request_id, change, events)
        return (kind[0] if kind else None), updated

    def expire_due(self) -> list[ApprovalRequest]:
        """Expire due requests (alias of :meth:`tick` restricted to expiries)."""
        return [r for r in self.tick() if r.status == "expired"]


def expired_event(request: ApprovalRequest) -> tuple[str, dict[str, Any]]:
    """The ``approval.expired`` audit event of ``request``."""
    return (
        "approval.expired",
        {
            "approvals": len(request.approvals),
            "quorum": request.quorum,
            "expires_at": request.expires_at.isoformat(),
            "principal": _on_behalf(request),  # nobody acted: the requester whose request lapsed
        },
    )


def _approvers(request: ApprovalRequest) -> tuple[str, ...]:
    """Who approved (or edited into being) the call, sorted."""
    return tuple(
        sorted(request.approvals | {v.approver.id for v in request.votes if v.verdict == "edit"})
    )


def _on_behalf(request: ApprovalRequest) -> str | None:
    """The principal of events about running the call: the requester it runs for."""
    return request.requester.id if request.requester is not None else None
