"""The :class:`ApprovalService`: one instance shared by every channel.

It evaluates calls against the policy, opens requests, verifies and records decisions atomically in
the store, expires and escalates, authorizes each approved call exactly once, writes every step to
the audit trail and tells subscribed channels so their cards can update. The parts live in
``_requests`` (gate, request), ``_deciding`` (decide, permits), ``_lifecycle`` (authorize, tick)
and ``_base`` (audit, listeners, digests).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping

from guardrails._clock import Clock, SystemClock
from guardrails._errors import ConfigurationError
from guardrails.approvals._base import AuditRecorder, Listener
from guardrails.approvals._deciding import Deciding, default_mask_reason
from guardrails.approvals._requests import GateResult, hide_values
from guardrails.approvals.stores import ApprovalStore, InMemoryApprovalStore
from guardrails.identity import Directory
from guardrails.policy import Policy, ToolCall

__all__ = ["ApprovalService", "AuditRecorder", "GateResult", "Listener", "hide_values"]


class ApprovalService(Deciding):
    """Policy evaluation, approval requests, verified decisions, single-use authorization.

    Args:
        policy: the policy calls and edits are evaluated under.
        store: where requests live (default: in memory; use SQLite/PostgreSQL across processes).
        audit: an :class:`~guardrails.audit.AuditLog` (anything with its ``record``).
        clock: the time source (a :class:`~guardrails.FixedClock` in tests).
        permit_key: the HMAC key for :meth:`issue_permit`/:meth:`decide_permit` (>= 32 bytes);
            a sequence of keys verifies with any (rotation) and issues with the first.
        tools: tags/metadata of tools an edit may switch to, by name (an edit naming another tool
            is refused unless that tool is known here, so its own policy can apply).
        directory: maps channel identities to principals for :meth:`resolve` (default: the
            principals listed in the policy file, if any).
        digest_key: the key of the argument digests reviewers see (>= 32 bytes; default: a
            random secret kept by the store, shared by every process using it). See
            :meth:`args_digest`.
        mask_reasons: how a reviewer's free-text reason is masked before it is stored, shown
            or told to the model: ``True`` (default) with ``Redactor()``, a callable of your own
            (``str -> str``, e.g. a session's ``redact_text``), or ``False`` to keep it as typed.

    Example:
        >>> from guardrails.approvals import Decision
        >>> from guardrails.identity import Principal
        >>> from guardrails.testing import FixedClock
        >>> svc = ApprovalService(Policy.default_policy(), clock=FixedClock())
        >>> alice, bob = Principal(id="alice"), Principal(id="bob")
        >>> call = ToolCall(name="wire", args={"amount": 10}, tags=frozenset({"privileged"}))
        >>> req = svc.gate(call, requester=alice).request
        >>> svc.decide(req.id, Decision(verdict="approve", approver=bob,
        ...                             args_digest=req.args_digest)).status
        'approved'
        >>> svc.authorize(req.id, args_digest=svc.args_digest(call.args)).approvers
        ('bob',)
    """

    def __init__(
        self,
        policy: Policy,
        *,
        store: ApprovalStore | None = None,
        audit: AuditRecorder | None = None,
        clock: Clock | None = None,
        permit_key: bytes | Iterable[bytes] | None = None,
        tools: Mapping[str, ToolCall] | None = None,
        directory: Directory | None = None,
        digest_key: bytes | None = None,
        mask_reasons: bool | Callable[[str], str] = True,
    ) -> None:
        if not isinstance(policy, Policy):
            raise ConfigurationError("ApprovalService needs a Policy")
        self.policy = policy
        self.store: ApprovalStore = store if store is not None else InMemoryApprovalStore()
        self.audit = audit
        self.clock: Clock = clock or SystemClock()
        if permit_key is None:
            self._keys: list[bytes] = []
        elif isinstance(permit_key, bytes | bytearray):
            self._keys = [bytes(permit_key)]
        else:
            self._keys = [bytes(k) for k in permit_key]
        if digest_key is not None and len(digest_key) < 32:
            raise ConfigurationError("digest_key must be at least 32 bytes")
        self._digest_key = digest_key
        self._tools = dict(tools or {})
        if mask_reasons is True:
            self._mask_reason: Callable[[str], str] | None = default_mask_reason
        elif mask_reasons is False:
            self._mask_reason = None
        elif callable(mask_reasons):
            self._mask_reason = mask_reasons
        else:
            raise ConfigurationError("mask_reasons must be True, False or a callable")
        self.directory: Directory | None = directory if directory is not None else policy.directory
        self._listeners: list[Listener] = []
        self._seen: dict[str, tuple[str, int, bool]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ApprovalService(policy={self.policy.hash[:19]}…, store={self.store!r})"
