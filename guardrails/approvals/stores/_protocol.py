"""The :class:`ApprovalStore` protocol: where requests live between the call and the decision.

Five methods. ``update`` is the one that matters: it runs ``change`` on the current record inside
the store's lock or transaction (SQLite ``BEGIN IMMEDIATE``, PostgreSQL ``SELECT … FOR UPDATE``),
so two approvers deciding at the same moment — in two threads or two processes — are serialized and
the second sees the first's result. If ``change`` raises, nothing is written and the exception
propagates.

The built-in stores also keep named random secrets (``secret(name)``: created on first use, the
same for every process sharing the store), which key the argument digests reviewers see, and
implement :class:`JournalingStore`: when the audit trail lives in the
same database (``shares_audit``), ``update(..., journal=...)`` appends the audit events of the
change in the *same* transaction, so a decision and its audit event are committed together or not
at all (and share one fsync).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from guardrails._errors import InputError
from guardrails.approvals._models import ApprovalRequest
from guardrails.audit._sink import AuditSink, Builder

__all__ = ["ApprovalStore", "Change", "Journal", "JournalingStore", "check_page"]

Change = Callable[[ApprovalRequest], ApprovalRequest]


def check_page(due_before: datetime | None, after: object) -> None:
    """Validate the ``after`` argument of :meth:`ApprovalStore.pending`.

    Raises:
        InputError: ``after`` is not ``(timezone-aware datetime, str)``, or comes with
            ``due_before`` (the two orders differ, so a page key of one means nothing in the other).
    """
    if after is None:
        return
    if due_before is not None:
        raise InputError("pending(): 'after' pages the oldest-first order; not with 'due_before'")
    if (
        not isinstance(after, tuple)
        or len(after) != 2
        or not isinstance(after[0], datetime)
        or after[0].tzinfo is None
        or not isinstance(after[1], str)
    ):
        raise InputError("pending(): 'after' must be (created_at: aware datetime, request id: str)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Journal:
    """The audit events of a change, to append inside the transaction that writes it.

    Attributes:
        sink: the audit sink the events belong to (one the store ``shares_audit`` with).
        events: given the changed request, the event builders (``AuditLog.prepare`` makes them)
            the store seals at the trail's head and inserts before it commits.

    Example:
        >>> from guardrails.audit import MemorySink
        >>> Journal(sink=MemorySink(), events=lambda request: []).events(None)
        []
    """

    sink: AuditSink
    events: Callable[[ApprovalRequest], Sequence[Builder]]


@runtime_checkable
class ApprovalStore(Protocol):
    """Persistence for approval requests.

    Example:
        >>> from guardrails.approvals.stores import InMemoryApprovalStore
        >>> isinstance(InMemoryApprovalStore(), ApprovalStore)
        True
    """

    def create(self, request: ApprovalRequest, /) -> None:
        """Insert a new request. Raises :class:`~guardrails.ApprovalError` if the id exists."""
        ...

    def get(self, request_id: str, /) -> ApprovalRequest | None:
        """The request, or ``None``."""
        ...

    def get_many(self, request_ids: Iterable[str], /) -> dict[str, ApprovalRequest]:
        """The requests that exist among ``request_ids``, by id (one batched read)."""
        ...

    def update(self, request_id: str, change: Change, /) -> ApprovalRequest:
        """Atomically replace the request with ``change(current)`` and return the new value.

        Raises :class:`~guardrails.UnknownRequestError` for an unknown id. When ``change`` returns
        its argument unchanged (the same object), nothing is written.
        """
        ...

    def pending(
        self,
        *,
        limit: int = 100,
        due_before: datetime | None = None,
        after: tuple[datetime, str] | None = None,
    ) -> list[ApprovalRequest]:
        """Pending requests, oldest first; with ``due_before``, only those whose next escalation
        or expiry (:attr:`ApprovalRequest.next_due`) is at or before that time.

        ``after``: the ``(created_at, id)`` of the last request of the previous page; only the
        requests after it in the oldest-first order are returned (keyset paging: a page never
        repeats nor skips a request that stays pending). Not combined with ``due_before``.
        Callers pass it only when paging, so a store written before it existed still works.
        """
        ...


@runtime_checkable
class JournalingStore(ApprovalStore, Protocol):
    """A store that can commit a change and its audit events in one transaction.

    Example:
        >>> from guardrails.approvals.stores import InMemoryApprovalStore
        >>> from guardrails.audit import MemorySink
        >>> InMemoryApprovalStore().shares_audit(MemorySink())
        True
    """

    def shares_audit(self, sink: AuditSink, /) -> bool:
        """Whether ``update(..., journal=...)`` can append to ``sink`` in its own transaction."""
        ...

    def update(
        self, request_id: str, change: Change, /, journal: Journal | None = None
    ) -> ApprovalRequest:
        """:meth:`ApprovalStore.update`; when the request changed, ``journal.events(new)`` are
        appended to ``journal.sink`` in the same transaction. If they raise, nothing is written
        and the exception propagates."""
        ...
