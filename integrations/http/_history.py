"""``/api/history`` from shared state: which requests closed (the audit trail), as they stand (the store).

The approval store has no listing of closed requests (its protocol lists only pending ones), so
the ids come from the audit trail every replica shares — its ``approval.decided`` and
``approval.expired`` events, newest first — and the cards from one batched ``store.get_many`` of
those ids, masked like every other card. Another replica's decision, or one made before a restart,
is therefore in every replica's history. Only ids are taken from the trail; nothing else in an
event is read or returned.

The index of ids is kept per process and brought up to date incrementally: each call reads only
the trail records appended since the last one (on a cold start, the trail's tail, backwards in
windows, until ``keep`` ids or ``max_scan`` records).

Without a readable trail (no audit log, or a sink that cannot be read back) the history falls back
to the cards this process has seen close (:class:`InboxChannel`), re-read from the store; the
response says which (``source``: ``"audit"`` or ``"process"``).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, Literal

from guardrails.approvals import ApprovalService
from guardrails.channels import Card
from integrations.http._inbox import InboxChannel

__all__ = ["History"]

_CLOSING = ("approval.decided", "approval.expired")
_WINDOW = 2_000


class History:
    """Recently closed requests, newest first, from the audit trail's ids and the store's records.

    Example:
        >>> from guardrails.policy import Policy
        >>> History(ApprovalService(Policy()), InboxChannel()).cards(10)
        ([], 'process')
    """

    def __init__(
        self,
        service: ApprovalService,
        inbox: InboxChannel,
        *,
        keep: int = 500,
        max_scan: int = 50_000,
    ) -> None:
        self._service = service
        self._inbox = inbox
        self._keep = keep
        self._max_scan = max_scan
        self._lock = threading.Lock()
        self._ids: OrderedDict[str, None] = OrderedDict()  # newest last
        self._seq = 0  # the last trail record read
        sink = getattr(service.audit, "sink", None)
        readable = callable(getattr(sink, "records", None)) and callable(
            getattr(sink, "head", None)
        )
        self._sink: Any = sink if readable else None

    @property
    def source(self) -> Literal["audit", "process"]:
        """Where the ids come from: the shared audit trail, or this process's own memory."""
        return "audit" if self._sink is not None else "process"

    def cards(self, limit: int) -> tuple[list[Card], Literal["audit", "process"]]:
        """Up to ``limit`` closed cards, newest first, and the ``source`` of their ids."""
        if self._sink is None:
            ids = [c.request_id for c in self._inbox.history(limit)]
        else:
            ids = self._recent(limit)
        found = self._service.store.get_many(ids) if ids else {}
        cards = [Card.from_request(found[i]) for i in ids if i in found]
        return [c for c in cards if not c.open][:limit], self.source

    def _recent(self, limit: int) -> list[str]:
        with self._lock:
            head = int(self._sink.head()[0])
            if head < self._seq or (self._seq and head - self._seq > self._max_scan):
                self._ids.clear()  # a different (or far advanced) trail: start over from its tail
                self._seq = 0
            if self._seq == 0:
                self._cold(head)
            else:
                for request_id in self._read(self._seq + 1, head):
                    self._ids.pop(request_id, None)
                    self._ids[request_id] = None
            self._seq = max(self._seq, head)
            while len(self._ids) > self._keep:
                self._ids.popitem(last=False)
            return list(reversed(self._ids))[:limit]

    def _cold(self, head: int) -> None:
        """Fill the index from the trail's tail, newest window first."""
        end, scanned = head, 0
        while end >= 1 and len(self._ids) < self._keep and scanned < self._max_scan:
            start = max(1, end - _WINDOW + 1)
            older: OrderedDict[str, None] = OrderedDict()
            for request_id in self._read(start, end):
                older.pop(request_id, None)
                older[request_id] = None
            for request_id in self._ids:  # what is already indexed is newer
                older.pop(request_id, None)
            older.update(self._ids)
            self._ids = older
            scanned += end - start + 1
            end = start - 1

    def _read(self, start: int, end: int) -> Iterator[str]:
        """Request ids of closing events among records ``start..end``, in trail order."""
        for record in self._sink.records(start):
            if record.seq > end:
                return
            body = record.body
            if not any(kind in body for kind in _CLOSING):
                continue
            try:
                event = json.loads(body)
            except ValueError:
                continue  # not ours to judge: `verify` reports a damaged trail
            if event.get("kind") in _CLOSING and isinstance(event.get("request_id"), str):
                yield event["request_id"]
