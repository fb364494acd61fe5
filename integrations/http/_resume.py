"""Resuming the waiting LangGraph thread once a channel has decided.

The decision is already recorded in the approval store (verified, audited) when a resumer runs.
On resume, the guarded node re-runs, finds the recorded decision through
``ToolGuard.decided`` and does not ask again, so the resume value itself carries no authority:
it only has to have the interrupt's shape. Two implementations of one-method :class:`Resumer`:
:class:`GraphResumer` (a compiled graph + checkpointer in this process) and :class:`SdkResumer`
(a LangGraph server, through ``langgraph-sdk``). :class:`AutoResume` calls one whenever a
request is decided or expires, whichever channel decided it.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, runtime_checkable

from guardrails.approvals import ApprovalEvent, ApprovalRequest, ApprovalService
from integrations._worker import MAX_ERRORS

__all__ = ["AutoResume", "GraphResumer", "Resumer", "SdkResumer"]

logger = logging.getLogger("guardrails.http")
logger.addHandler(logging.NullHandler())

# Decisions made by the graph's own resume: the graph is already running with them.
_GRAPH_CHANNELS = frozenset({"langgraph", "langgraph_batch", "chat"})


@runtime_checkable
class Resumer(Protocol):
    """Continues the thread that waits for ``request``. One method.

    Returns True when a run was started, False when nothing was waiting for this request (or
    other requests in the same interrupt are still pending).

    Example:
        >>> class Noop:
        ...     def resume(self, request: ApprovalRequest) -> bool:
        ...         return False
        >>> isinstance(Noop(), Resumer)
        True
    """

    def resume(self, request: ApprovalRequest, /) -> bool:
        """Resume the thread of a decided request."""
        ...


def _request_ids(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        rid = value.get("request_id")
        if isinstance(rid, str):
            yield rid
        for item in value.get("action_requests") or ():
            yield from _request_ids(item)


def _answer(request: ApprovalRequest) -> dict[str, Any]:
    # Shape only: the node finds the recorded outcome and does not use this value. Anything
    # that is not an approval is sent as a rejection, so the value never says more than the store.
    last = request.votes[-1] if request.votes else None
    if request.status in ("approved", "consumed", "executed"):
        return {"type": "approve"}
    if request.status == "expired":
        return {"type": "reject", "message": "the approval request expired"}
    return {"type": "reject", "message": last.reason if last else ""}


def resume_value(value: Any, requests: Mapping[str, ApprovalRequest]) -> Any:
    """The resume for one interrupt (per-call or batched) whose requests are all settled."""
    ids = list(_request_ids(value))
    answers = [_answer(requests[i]) for i in ids]
    if isinstance(value, Mapping) and "action_requests" in value:
        return {"decisions": answers}
    return answers[0]


class _Base:
    service: ApprovalService

    def _plan(self, interrupts: list[tuple[str, Any]], request_id: str) -> dict[str, Any]:
        """interrupt id -> resume value, for interrupts naming ``request_id`` and fully settled."""
        plan: dict[str, Any] = {}
        for iid, value in interrupts:
            ids = list(_request_ids(value))
            if request_id not in ids:
                continue
            found = self.service.store.get_many(ids)
            if len(found) != len(set(ids)) or any(r.status == "pending" for r in found.values()):
                continue  # wait for the rest of the batch
            plan[iid] = resume_value(value, found)
        return plan


class GraphResumer(_Base):
    """Resumes a compiled graph (with a checkpointer) in this process.

    Args:
        graph: the compiled graph whose guarded node interrupted.
        service: the approval service the graph's guard uses.
        config: extra run config merged under ``configurable`` (``thread_id`` and ``user_id``
            are set per request: the thread of the request, the approver who decided).

    Example:
        >>> from guardrails.policy import Policy, ToolCall
        >>> svc = ApprovalService(Policy.default_policy())
        >>> req = svc.gate(ToolCall(name="wire", tags=frozenset({"privileged"}))).request
        >>> GraphResumer(graph=None, service=svc).resume(req)  # no thread to resume
        False
    """

    def __init__(
        self,
        *,
        graph: Any,
        service: ApprovalService,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        self.graph = graph
        self.service = service
        self.config = dict(config or {})
        self._lock = threading.Lock()

    def _config(self, request: ApprovalRequest) -> dict[str, Any]:
        last = request.votes[-1] if request.votes else None
        conf = {**self.config, "thread_id": request.thread_id}
        if last is not None:
            conf["user_id"] = last.approver.id
        return {"configurable": conf}

    def resume(self, request: ApprovalRequest, /) -> bool:
        """Invoke the graph with ``Command(resume=...)`` for the interrupts naming ``request``."""
        from langgraph.types import Command

        if not request.thread_id:
            return False
        config = self._config(request)
        with self._lock:  # one run per graph at a time from here: no double resume
            state = self.graph.get_state(config)
            interrupts = [(i.id, i.value) for i in getattr(state, "interrupts", ())]
            plan = self._plan(interrupts, request.id)
            if not plan:
                return False
            self.graph.invoke(Command(resume=plan), config, version="v2")
        return True


class SdkResumer(_Base):
    """Resumes a thread on a LangGraph server through ``langgraph-sdk``.

    Args:
        client: a ``langgraph_sdk`` sync client (``get_sync_client(url=..., headers=...)``),
            authenticated as a user allowed to resume the thread.
        assistant_id: the graph/assistant to run.
        service: the approval service the server's guard uses (same store).

    Example:
        >>> from guardrails.policy import Policy, ToolCall
        >>> svc = ApprovalService(Policy.default_policy())
        >>> req = svc.gate(ToolCall(name="wire", tags=frozenset({"privileged"}))).request
        >>> SdkResumer(client=None, assistant_id="agent", service=svc).resume(req)  # no thread
        False
    """

    def __init__(self, *, client: Any, assistant_id: str, service: ApprovalService) -> None:
        self.client = client
        self.assistant_id = assistant_id
        self.service = service

    def resume(self, request: ApprovalRequest, /) -> bool:
        """Start a run with ``command={"resume": ...}`` for the interrupts naming ``request``."""
        if not request.thread_id:
            return False
        state = self.client.threads.get_state(request.thread_id)
        interrupts = [(i["id"], i["value"]) for i in state.get("interrupts") or ()]
        plan = self._plan(interrupts, request.id)
        if not plan:
            return False
        self.client.runs.wait(request.thread_id, self.assistant_id, command={"resume": plan})
        return True


class AutoResume:
    """Resumes the waiting thread whenever a request is decided or expires, from any channel.

    Runs the resumer on one worker thread (``background=True``, the default) so a channel's
    response is not held by the tool run, and runs are never concurrent. Decisions made through
    the graph's own resume are skipped: that run is already going.

    Example:
        >>> from guardrails.policy import Policy
        >>> svc = ApprovalService(Policy())
        >>> auto = AutoResume(svc, resumer=GraphResumer(graph=None, service=svc))
        >>> auto.close()
    """

    def __init__(
        self, service: ApprovalService, *, resumer: Resumer, background: bool = True
    ) -> None:
        self.service = service
        self.resumer = resumer
        self.background = background
        self.errors: list[str] = []
        self._queue: queue.Queue[ApprovalRequest | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        if background:
            self._worker = threading.Thread(target=self._run, name="guardrails-resume", daemon=True)
            self._worker.start()
        self._unsubscribe: Callable[[], None] | None = service.subscribe(self._on_event)

    def _on_event(self, event: ApprovalEvent) -> None:
        request = event.request
        if event.kind not in ("decided", "expired") or not request.thread_id:
            return
        if request.votes and request.votes[-1].channel in _GRAPH_CHANNELS:
            return
        if self.background:
            self._queue.put(request)
        else:
            self._resume(request)

    def _resume(self, request: ApprovalRequest) -> None:
        try:
            self.resumer.resume(request)
        except Exception as exc:  # the decision stands; the thread can be resumed again later
            self.errors.append(type(exc).__name__)
            del self.errors[:-MAX_ERRORS]  # the latest only: a long outage must not grow it
            logger.warning("resuming thread for %s failed: %s", request.id, type(exc).__name__)

    def _run(self) -> None:
        while True:
            request = self._queue.get()
            try:
                if request is None:
                    return
                self._resume(request)
            finally:
                self._queue.task_done()

    def drain(self) -> None:
        """Wait until every queued resume has run (tests, shutdown)."""
        self._queue.join()

    def close(self) -> None:
        """Stop listening and stop the worker after the queued resumes."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._worker is not None:
            self._queue.put(None)
            self._worker.join(timeout=30)
            self._worker = None
