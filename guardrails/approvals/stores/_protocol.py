"""The :class:`ApprovalStore` protocol: where requests live between the call and the decision.

Five methods. ``update`` is the one that matters: it runs ``change`` on the current record inside
the store's lock or transaction (SQLite ``BEGIN IMMEDIATE``, PostgreSQL ``SELECT … FOR UPDATE``),
so two approvers deciding at the same moment — in two threads or two processes — are serialized and
the second sees the first's result. If ``change`` raises, nothing is written and the exception
propagates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Protocol, runtime_checkable

from guardrails.approvals._models import ApprovalRequest

__all__ = ["ApprovalStore", "Change"]

Change = Callable[[ApprovalRequest], ApprovalRequest]


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
        self, *, limit: int = 100, due_before: datetime | None = None
    ) -> list[ApprovalRequest]:
        """Pending requests, oldest first; with ``due_before``, only those whose next escalation
        or expiry (:attr:`ApprovalRequest.next_due`) is at or before that time."""
        ...
