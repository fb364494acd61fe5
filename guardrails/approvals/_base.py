"""The shared plumbing of the approval service: audit recording, listeners, request lookup."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from guardrails._clock import Clock
from guardrails._errors import UnknownRequestError
from guardrails.approvals._digest import Digests
from guardrails.approvals._models import TERMINAL, ApprovalEvent, ApprovalRequest
from guardrails.approvals.stores import ApprovalStore, Change, Journal, JournalingStore
from guardrails.audit._sink import Builder
from guardrails.policy import Policy

__all__ = ["AuditRecorder", "Listener", "ServiceBase"]

logger = logging.getLogger("guardrails.approvals")
logger.addHandler(logging.NullHandler())

Listener = Callable[[ApprovalEvent], None]


class AuditRecorder(Protocol):
    """What the service needs from :class:`guardrails.audit.AuditLog` (``record`` only).

    Example:
        >>> from guardrails.audit import AuditLog
        >>> recorder: AuditRecorder = AuditLog()
        >>> recorder.record("approval.requested", request_id="apr_1").kind
        'approval.requested'
    """

    def record(
        self,
        kind: str,
        *,
        principal: str | None = None,
        thread_id: str | None = None,
        run_id: str | None = None,
        policy_hash: str | None = None,
        request_id: str | None = None,
        tool_call_id: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> object:
        """Append one event; durable on return."""
        ...


# The audit events of an update, given the updated request: ``(kind, data)`` pairs.
Events = Callable[[ApprovalRequest], list[tuple[str, dict[str, Any]]]]


def _event_args(
    policy_hash: str, request: ApprovalRequest | None, data: dict[str, Any]
) -> dict[str, Any]:
    """Keyword arguments of ``AuditLog.record``/``prepare`` for an event about ``request``."""
    principal = data.pop("principal", None)
    given_hash = data.pop("policy_hash", None)
    thread_id = data.pop("thread_id", None)
    run_id = data.pop("run_id", None)
    tool_call_id = data.pop("tool_call_id", None)
    if request is not None:
        data.setdefault("tool", request.tool_name)
    return {
        "principal": principal or None,
        "thread_id": thread_id or (request.thread_id if request else None) or None,
        "run_id": run_id or (request.run_id if request else None) or None,
        "policy_hash": given_hash or (request.policy_hash if request else policy_hash),
        "request_id": request.id if request else None,
        # the audit log refuses empty ids: an unknown one is None, not ""
        "tool_call_id": tool_call_id or (request.tool_call_id if request else None) or None,
        "data": data,
    }


_KIND_BY_STATUS: dict[str, Any] = {
    "approved": "decided",
    "rejected": "decided",
    "superseded": "decided",
    "expired": "expired",
    "consumed": "consumed",
    "executed": "executed",
}


def _state(request: ApprovalRequest) -> tuple[str, int, bool]:
    return (request.status, len(request.votes), request.escalated)


class ServiceBase:
    """State and helpers every part of :class:`~guardrails.approvals.ApprovalService` uses."""

    policy: Policy
    store: ApprovalStore
    audit: AuditRecorder | None
    clock: Clock
    _listeners: list[Listener]
    _lock: threading.Lock
    # What this process last told its listeners about each live request: (status, votes,
    # escalated). :meth:`sync` compares it with the store to report changes made elsewhere.
    _seen: dict[str, tuple[str, int, bool]]
    # (store, audit, whether the store journals that audit's events), see _journals.
    _joint: tuple[object, object, bool] | None = None
    _digest_key: bytes | None = None
    _digester: Digests | None = None

    # -- listeners ----------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` on every event of this process; returns an unsubscribe function.

        Listener errors are logged and ignored: a channel failing to update a card must not undo
        a recorded decision.
        """
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _notify(self, kind: Any, request: ApprovalRequest, code: str | None = None) -> None:
        with self._lock:
            listeners = list(self._listeners)
            if request.status in TERMINAL:
                self._seen.pop(request.id, None)
            else:
                self._seen[request.id] = _state(request)
        event = ApprovalEvent(kind=kind, request=request, code=code)
        for listener in listeners:
            try:
                listener(event)
            except Exception as exc:
                logger.warning("approval listener failed: %s", type(exc).__name__)

    def _audit(self, kind: str, request: ApprovalRequest | None, **data: Any) -> None:
        if self.audit is None:
            return
        self.audit.record(kind, **_event_args(self.policy.hash, request, data))

    def _update(self, request_id: str, change: Change, events: Events) -> ApprovalRequest:
        """``store.update(request_id, change)``, and the audit events of what it changed.

        When the audit trail lives in the store's database (an :class:`AuditLog` whose sink the
        store ``shares_audit``), the events are appended in the transaction that commits the
        change: a decision is never durable without its event. Otherwise they are recorded
        right after the commit.
        """
        audit = self.audit
        store = self.store
        if audit is not None and self._journals(store, audit):
            prepare = audit.prepare  # type: ignore[attr-defined]  # checked by _journals
            policy_hash = self.policy.hash

            def builders(new: ApprovalRequest) -> list[Builder]:
                return [
                    prepare(kind, **_event_args(policy_hash, new, dict(data)))
                    for kind, data in events(new)
                ]

            journal = Journal(sink=audit.sink, events=builders)  # type: ignore[attr-defined]
            return store.update(request_id, change, journal)  # type: ignore[call-arg]
        updated = store.update(request_id, change)
        for kind, data in events(updated):
            self._audit(kind, updated, **data)
        return updated

    def _journals(self, store: ApprovalStore, audit: AuditRecorder) -> bool:
        """Whether ``store`` can append ``audit``'s events in its own transactions (cached)."""
        cached = self._joint
        if cached is not None and cached[0] is store and cached[1] is audit:
            return cached[2]
        sink = getattr(audit, "sink", None)
        ok = (
            callable(getattr(audit, "prepare", None))
            and sink is not None
            and isinstance(store, JournalingStore)
            and store.shares_audit(sink)
        )
        self._joint = (store, audit, ok)
        return ok

    def sync(self) -> list[ApprovalEvent]:
        """Tell listeners about changes other processes made to requests this process has seen.

        Another replica may decide, escalate or expire a request whose card this process shows;
        call ``sync`` (``tick`` does) to hear about it. One batched store read of the live requests
        this process has shown; requests past their expiry are dropped. Returns the events delivered.
        """
        with self._lock:
            seen = dict(self._seen)
        events: list[ApprovalEvent] = []
        now = self.clock.now()
        current = self.store.get_many(seen)
        for request_id, before in seen.items():
            request = current.get(request_id)
            if request is None or (_state(request) == before and now >= request.expires_at):
                # past its expiry nothing more can happen that a card needs: stop watching
                with self._lock:
                    self._seen.pop(request_id, None)
                continue
            if _state(request) == before:
                continue
            kind = _KIND_BY_STATUS.get(request.status, "vote")
            if request.status == "pending" and request.escalated and not before[2]:
                kind = "escalated"
            self._notify(kind, request)
            events.append(ApprovalEvent(kind=kind, request=request))
        return events

    def args_digest(self, args: Mapping[str, Any]) -> str:
        """The digest binding a request to ``args`` (the exact raw arguments), as reviewers see it.

        ``hmac-sha256:…``: keyed, so a reviewer who sees the masked arguments and the digest
        cannot confirm a guess of a hidden value by hashing it. :meth:`authorize` also accepts
        the plain ``policy.args_digest`` of the raw arguments (the service keys it).
        """
        return self._digests().of(args)

    def key_digest(self, plain: str) -> str:
        """The keyed form (:meth:`args_digest`) of a plain ``policy.args_digest`` of raw arguments."""
        return self._digests().key_plain(plain)

    def _digests(self) -> Digests:
        found = self._digester
        if found is None:
            key = self._digest_key
            if key is None:
                secret = getattr(self.store, "secret", None)
                # A store without secrets: a key of this service only (digests stay unguessable,
                # but another service on the same store cannot authorize its requests).
                key = secret("args-digest") if callable(secret) else os.urandom(32)
            found = self._digester = Digests(key)
        return found

    def get(self, request_id: str) -> ApprovalRequest:
        """The request as it now stands.

        Raises:
            UnknownRequestError: no such request.
        """
        request = self.store.get(request_id)
        if request is None:
            raise UnknownRequestError("no approval request with this id")
        return request
