"""In-memory approval store: one process, for tests and notebooks."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from datetime import datetime

from guardrails._errors import ApprovalError, UnknownRequestError
from guardrails.approvals._models import ApprovalRequest
from guardrails.approvals.stores._protocol import Change, Journal, check_page
from guardrails.audit import AuditSink, MemorySink

__all__ = ["InMemoryApprovalStore"]


class InMemoryApprovalStore:
    """A dict behind a lock. Not shared between processes.

    Example:
        >>> store = InMemoryApprovalStore()
        >>> store.get("apr_missing") is None
        True
    """

    def __init__(self) -> None:
        self._rows: dict[str, ApprovalRequest] = {}
        self._secrets: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def secret(self, name: str, /) -> bytes:
        """A random 32-byte secret named ``name``, created on first use (lives with the store)."""
        with self._lock:
            return self._secrets.setdefault(name, os.urandom(32))

    def create(self, request: ApprovalRequest, /) -> None:
        """Insert a new request."""
        with self._lock:
            if request.id in self._rows:
                raise ApprovalError(f"approval request {request.id} already exists")
            self._rows[request.id] = request

    def get(self, request_id: str, /) -> ApprovalRequest | None:
        """The request, or ``None``."""
        with self._lock:
            return self._rows.get(request_id)

    def get_many(self, request_ids: Iterable[str], /) -> dict[str, ApprovalRequest]:
        """The requests that exist among ``request_ids``, by id (one lock, not one per id)."""
        with self._lock:
            return {i: self._rows[i] for i in request_ids if i in self._rows}

    def shares_audit(self, sink: AuditSink, /) -> bool:
        """An in-memory trail: its events are appended under this store's lock."""
        return isinstance(sink, MemorySink)

    def update(
        self, request_id: str, change: Change, /, journal: Journal | None = None
    ) -> ApprovalRequest:
        """Atomically replace the request with ``change(current)`` (and append its events)."""
        with self._lock:
            current = self._rows.get(request_id)
            if current is None:
                raise UnknownRequestError("no approval request with this id")
            new = change(current)
            if new is not current:
                if new.id != request_id:
                    raise ApprovalError("an update cannot change the request id")
                builds = journal.events(new) if journal is not None else ()
                self._rows[request_id] = new
                for build in builds:
                    journal.sink.append(build)  # type: ignore[union-attr]  # builds imply journal
            return new

    def pending(
        self,
        *,
        limit: int = 100,
        due_before: datetime | None = None,
        after: tuple[datetime, str] | None = None,
    ) -> list[ApprovalRequest]:
        """Pending requests, oldest first (``after``: the page after that ``(created_at, id)``)."""
        check_page(due_before, after)
        with self._lock:
            rows = [
                r
                for r in self._rows.values()
                if r.status == "pending"
                and (due_before is None or r.next_due <= due_before)
                and (after is None or (r.created_at, r.id) > after)
            ]
        rows.sort(key=lambda r: (r.created_at, r.id))
        return rows[:limit]
