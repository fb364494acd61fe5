"""At-most-once execution: ledger claim, single-use authorization, run, remember, audit."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from guardrails._errors import ActionBlocked
from guardrails.guard._backend import Backend
from guardrails.guard._ledger import ExecutionLedger
from guardrails.guard._values import CallContext, Ruling

__all__ = ["ExecutionInFlight", "ExecutionMixin"]

T = TypeVar("T")

# Exceptions that are control flow of the host framework, never a tool failure (LangGraph's
# GraphInterrupt/GraphBubbleUp, asyncio cancellation): matched by name so core imports nothing.
_SIGNALS = frozenset({"GraphInterrupt", "GraphBubbleUp", "ParentCommand", "CancelledError"})


class ExecutionInFlight(ActionBlocked):
    """The call was claimed before but has no recorded result: it is running elsewhere, or the
    process died while it ran. It is not run again (at most once); the outcome must be checked."""


class ExecutionMixin:
    """Mixed into :class:`~guardrails.guard.ToolGuard`: runs a ruled call at most once."""

    backend: Backend
    ledger: ExecutionLedger

    def execute(
        self,
        ruling: Ruling,
        ctx: CallContext,
        run: Callable[[Mapping[str, Any]], T],
        *,
        args: Mapping[str, Any] | None = None,
        encode: Callable[[T], str] = str,
        decode: Callable[[str], T] | None = None,
        approval: tuple[str, str] | None = None,
    ) -> T:
        """Run the call at most once; a re-run returns the remembered (redacted) result.

        ``run`` gets the restored args; ``encode``/``decode`` turn its result into the text kept
        in the ledger (already redacted by the adapter) and back.

        ``approval`` is ``(request_id, args_digest)`` of the approved request: the approval is
        consumed (single use, bound to the digest) right before the tool runs.

        Raises:
            ExecutionInFlight: the call was claimed before and has no result.
            ApprovalRejected, ApprovalExpired, DecisionRefused: the approval cannot be used.
        """
        done = self._claim(ruling, approval)
        if done is not None:
            return decode(done) if decode else done  # type: ignore[return-value]
        started = time.perf_counter()
        try:
            result = run(args if args is not None else ruling.args)
        except BaseException as exc:
            self._finish(ruling, ctx, started, None, exc, approval=approval)
            raise
        return self._finish(ruling, ctx, started, result, None, approval=approval, encode=encode)

    async def aexecute(
        self,
        ruling: Ruling,
        ctx: CallContext,
        run: Callable[[Mapping[str, Any]], Awaitable[T]],
        *,
        args: Mapping[str, Any] | None = None,
        encode: Callable[[T], str] = str,
        decode: Callable[[str], T] | None = None,
        approval: tuple[str, str] | None = None,
    ) -> T:
        """Async :meth:`execute`."""
        done = self._claim(ruling, approval)
        if done is not None:
            return decode(done) if decode else done  # type: ignore[return-value]
        started = time.perf_counter()
        try:
            result = await run(args if args is not None else ruling.args)
        except BaseException as exc:
            self._finish(ruling, ctx, started, None, exc, approval=approval)
            raise
        return self._finish(ruling, ctx, started, result, None, approval=approval, encode=encode)

    def _claim(self, ruling: Ruling, approval: tuple[str, str] | None) -> str | None:
        got = self.ledger.claim(ruling.ledger_key)
        if got == "in_flight":
            raise ExecutionInFlight(
                f"tool {ruling.tool.name!r} call {ruling.call_id!r} was already started and has "
                "no recorded result; it is not run again",
                tool=ruling.tool.name,
            )
        if got is None:
            if approval is not None:
                try:
                    self.backend.approvals.authorize(
                        approval[0], args_digest=approval[1], tool_name=ruling.tool.name
                    )
                except BaseException:
                    self.ledger.release(ruling.ledger_key)  # nothing ran
                    raise
            return None
        return str(json.loads(got)["result"])

    def _finish(
        self,
        ruling: Ruling,
        ctx: CallContext,
        started: float,
        result: T | None,
        exc: BaseException | None,
        *,
        approval: tuple[str, str] | None,
        encode: Callable[[T], str] = str,
    ) -> T:
        ms = round((time.perf_counter() - started) * 1000, 3)
        if exc is not None:
            # A control-flow signal raised by the tool itself (e.g. its own interrupt) did not
            # complete the call: free the claim so the re-run can finish it.
            if not isinstance(exc, Exception) or any(
                c.__name__ in _SIGNALS for c in type(exc).__mro__
            ):
                self.ledger.release(ruling.ledger_key)
                raise exc
            self.ledger.complete(
                ruling.ledger_key, json.dumps({"result": f"error: {type(exc).__name__}"})
            )
            self._executed(ruling, ctx, ms, type(exc).__name__, approval)
            raise exc
        self.ledger.complete(ruling.ledger_key, json.dumps({"result": encode(result)}))  # type: ignore[arg-type]
        self._executed(ruling, ctx, ms, None, approval)
        return result  # type: ignore[return-value]

    def _executed(
        self,
        ruling: Ruling,
        ctx: CallContext,
        ms: float,
        error: str | None,
        approval: tuple[str, str] | None,
    ) -> None:
        if approval is None:
            self.backend.executed(ruling, ctx, ms, "ok" if error is None else "error", None)
            return
        # The approval service records tool.executed against the request it authorized.
        self.backend.mark_executed(self._authorized_id(approval[0]), error is None, ms, error)

    def _authorized_id(self, request_id: str) -> str:
        target = self.backend._target(request_id)
        return str(target.id) if target is not None else request_id
