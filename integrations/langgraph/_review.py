"""Asking for decisions: per-call and batched interrupts, verified before LangGraph saves them."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage
from langgraph.config import get_config

from guardrails import GuardrailsError
from guardrails.guard import Answer, CallContext, Resolution, Ruling
from guardrails.session import RedactionSession
from integrations.langgraph._common import (
    _OWN_CHANNELS,
    _SCRATCHPAD,
    _messages,
    _Turns,
    tool_info,
)
from integrations.langgraph._context import UserResolver, call_context
from integrations.langgraph._payloads import batched_request, tool_approval
from integrations.langgraph._resume import (
    ResumeError,
    check_labels,
    decision_json_schema,
    parse_answer,
    parse_decisions,
    verified_interrupt,
)

if TYPE_CHECKING:
    from guardrails.guard import ToolGuard as _ToolGuard

__all__ = ["ReviewMixin"]

_MAX_EDITS = 8  # follow-ups an approval store follows (ToolGuard backend ``_target``)


class ReviewMixin:
    """Interrupts with HITL payloads; answers verified by the guard inside resume validation."""

    guard: _ToolGuard
    resolve_user: UserResolver
    _lock: threading.Lock
    _turns: OrderedDict[int, tuple[Any, _Turns]]

    def context(self, state: Any, config: Mapping[str, Any], call_id: str = "") -> CallContext:
        raise NotImplementedError

    def session(self, state: Any, ctx: CallContext) -> RedactionSession:
        raise NotImplementedError

    def call_requester(
        self, state: Any, config: Mapping[str, Any], call: Mapping[str, Any], masked: Any
    ) -> str | None:
        raise NotImplementedError

    def unbound(
        self, state: Any, config: Mapping[str, Any], call: Mapping[str, Any], masked: Any
    ) -> bool:
        raise NotImplementedError

    def _call_context(
        self, state: Any, config: Mapping[str, Any], call: Mapping[str, Any], masked: Any
    ) -> CallContext:
        """The context of one tool call (its own requester when the guard binds calls)."""
        ctx = self.context(state, config, call.get("id") or "")
        if getattr(self, "bind_calls", False):
            ctx = replace(ctx, requester=self.call_requester(state, config, call, masked))
        return ctx

    def decision(
        self, ruling: Ruling, ctx: CallContext, session: RedactionSession, *, replay: bool = True
    ) -> Resolution:
        """Find or ask for a verified decision. Pauses the graph (``interrupt``) when none exists.

        Before the interrupt: opening the request (idempotent) and building the payload (pure).
        """
        req = self.guard.open(ruling, ctx)
        requester = req.requester.id if req.requester is not None else None
        ctx = replace(ctx, requester=requester)
        found = self.guard.decided(ruling, ctx)
        # A decision made through this graph's own resume is replayed through interrupt() so
        # the interrupt indices of a multi-call node stay the same on every re-run.
        if found is not None and (
            not replay or found.expired or found.channel not in _OWN_CHANNELS
        ):
            return found
        # One interrupt per vote still needed (a quorum of N asks up to N times, in order),
        # plus one per edit: each edit supersedes the request by a follow-up that needs its
        # own votes (the approval store follows up to 8). Bounded by quorum + 1 before, a
        # third edit under quorum 2 left the loop pending: ApprovalRequired escaped the run on
        # every resume and the thread was stuck.
        for index in range(max(1, int(getattr(req, "quorum", 1))) + 1 + _MAX_EDITS):
            current = self.guard.backend._target(ruling.request_id) or req
            follow_up = current.id != ruling.request_id
            payload = tool_approval(
                ruling,
                # After an edit that needs its own approval, the vote is on the edited call.
                self._follow_up_args(current, session)
                if follow_up
                else self._card_args(ruling, session),
                args_digest=current.args_digest if follow_up else None,
                requester=requester,
                created=current.created_at,
                expires_at=current.expires_at,
                request_id=current.id,
                approvals=len(current.approvals),
                quorum=current.quorum,
            )

            def check(raw: Any, k: int = index) -> Resolution:
                return self._verify(raw, ruling, requester, vote_index=k, session=session)

            answered = verified_interrupt(
                payload,
                check,
                json_schema=decision_json_schema(
                    ruling.allowed_decisions, chat_replies=ruling.chat_replies
                ),
            )
            resolution: Resolution = answered.root if hasattr(answered, "root") else answered
            if not resolution.pending:
                return resolution
        return self.guard.decided(ruling, ctx) or resolution

    def _card_args(self, ruling: Ruling, session: RedactionSession) -> Any:
        """The args a reviewer sees: masked, except entity types the rule lets reviewers see."""
        card = session.redact_data(json.loads(json.dumps(dict(ruling.masked_args), default=str)))
        spec = getattr(ruling.decision, "approval", None)
        visible = frozenset(getattr(spec, "reviewer_may_see", None) or ())
        return session.restore_data(card, visible) if visible else card

    @staticmethod
    def _follow_up_args(current: Any, session: RedactionSession) -> Any:
        """The args of an edit's follow-up request as its reviewers see them (stored masked)."""
        return session.redact_data(json.loads(json.dumps(dict(current.masked_args), default=str)))

    @staticmethod
    def _answer(raw: Any, ruling: Ruling, session: RedactionSession | None) -> Answer:
        """The reviewer's answer, with what they typed masked into the thread's vault.

        A reject reason ("not to jane@x.com") becomes the model's tool message and a vote in
        the approval store; an edit's args are stored with the request and re-ruled. Masked
        here, neither holds a raw value; the tool still receives an edited value where its
        policy restores that entity type.
        """
        answer = parse_answer(raw, chat_replies=ruling.chat_replies, tool_name=ruling.tool.name)
        if session is None:
            return answer
        return replace(
            answer,
            message=session.redact_text(answer.message) if answer.message else answer.message,
            args=session.redact_data(dict(answer.args)) if answer.args is not None else None,
        )

    def _verify(
        self,
        raw: Any,
        ruling: Ruling,
        requester: str | None,
        *,
        vote_index: int | None = None,
        session: RedactionSession | None = None,
    ) -> Resolution:
        """Runs inside LangGraph's resume validation, under the resuming run's config.

        LangGraph re-validates saved answers each time the node re-runs: the answer to the
        ``vote_index``-th interrupt is a replay when the request already holds that many votes,
        and it then returns the recorded state instead of voting again.
        """
        if vote_index is not None:
            current = self.guard.backend._target(ruling.request_id)
            check_labels(
                raw,
                call_id=ruling.call_id,
                request_ids=(ruling.request_id, current.id if current is not None else ""),
                where="the decision",
            )
            if current is not None and self._interrupt_votes(ruling.request_id) > vote_index:
                # A saved edit re-validated on a re-run (maybe in a new process) brings back the
                # edited args an approved follow-up request stands for (digest-checked).
                replayed = self._answer(raw, ruling, session)
                if replayed.verdict == "edit":
                    self.guard.backend.note_edit(ruling, replayed.args)
                settled = self.guard.decided(ruling, CallContext(thread_id=""))
                return settled or Resolution(
                    verdict="approve",
                    approver=None,
                    request_id=current.id,
                    pending=True,
                    channel="langgraph",
                )
        config = get_config()
        ctx = call_context(config, requester=requester, scope="", resolve_user=self.resolve_user)
        return self.guard.resolve(ruling, ctx, self._answer(raw, ruling, session))

    def _interrupt_votes(self, request_id: str) -> int:
        """How many answers this call's per-call interrupts recorded: votes in this graph's
        own channels (or by permit) on its request and on the follow-ups its edits opened,
        without the vote a follow-up carries for its editor (that answer counted once, as the
        edit on the request it superseded).

        Votes cast in another channel (the inbox, Slack, Teams, a batched review) are not
        counted: the k-th interrupt's answer is a replay only when k interrupt answers exist.
        Counting every vote of the current request made a fresh answer look like a replay
        whenever someone voted elsewhere in between (dropped without a word, a reject too);
        counting only the newest follow-up's made a saved edit look fresh after a second edit
        (re-validated in the next reviewer's run, it became *their* vote).
        """
        store = self.guard.backend.approvals.store
        req = store.get(request_id)
        count = 0
        editor: str | None = None  # who edited the request this one follows up
        for _ in range(9):
            if req is None:
                break
            own = [v for v in req.votes if v.channel in _OWN_CHANNELS or v.provenance == "permit"]
            if (
                own
                and editor is not None
                and own[0] is req.votes[0]
                and own[0].verdict == "approve"
                and own[0].approver is not None
                and own[0].approver.id == editor
            ):
                own = own[1:]  # the editor's carried approval
            count += len(own)
            if req.status != "superseded" or req.follow_up_id is None or not req.votes:
                break
            last = req.votes[-1]
            editor = last.approver.id if last.approver is not None else None
            if not (last.channel in _OWN_CHANNELS or last.provenance == "permit"):
                editor = None  # an edit made elsewhere: its carried vote is not ours either
            req = store.get(req.follow_up_id)
        return count

    @contextmanager
    def _turn(
        self, request: Any, ruling: Ruling, *, refuse_unbound: bool = False
    ) -> Iterator[None]:
        """In a task that runs several calls at once, ask for decisions in call order.

        LangGraph numbers a task's interrupts in the order they are raised and matches resume
        values by that number; calls racing in threads would get different numbers on each
        re-run, so an answer could land on another call. A ``Send`` task holds one call and
        needs no ordering; a pulled task (e.g. after another middleware's ``jump_to``) runs every
        call of the last AI message, and its gated calls take turns here.
        """
        config = request.runtime.config if request.runtime is not None else {}
        path = (config.get("metadata") or {}).get("langgraph_path") or ()
        pad = (config.get("configurable") or {}).get(_SCRATCHPAD)
        if not path or path[0] != "__pregel_pull" or pad is None:
            yield
            return
        order = self._gated_order(request, refuse_unbound=refuse_unbound)
        if ruling.call_id not in order:
            yield
            return
        with self._lock:
            entry = self._turns.get(id(pad))
            if entry is None or entry[0] is not pad:
                entry = (pad, _Turns())
                self._turns[id(pad)] = entry
                while len(self._turns) > 256:
                    self._turns.popitem(last=False)
            turn = entry[1]
        position = order.index(ruling.call_id)
        with turn.cond:
            turn.cond.wait_for(lambda: turn.next >= position, timeout=60)
        try:
            yield
        finally:
            with turn.cond:
                turn.next = max(turn.next, position + 1)
                turn.cond.notify_all()

    def _gated_order(self, request: Any, *, refuse_unbound: bool = False) -> list[str]:
        """Ids of the last AI message's calls that need approval, in order (pure)."""
        state = request.state
        last = next((m for m in reversed(_messages(state)) if isinstance(m, AIMessage)), None)
        if last is None:
            return []
        tools = {t.name: t for t in (getattr(request.runtime, "tools", None) or [])}
        if request.tool is not None:
            tools.setdefault(request.tool_call["name"], request.tool)
        config = request.runtime.config
        out = []
        for tc in last.tool_calls:
            ctx = self.context(state, config, tc.get("id") or "")
            session = self.session(state, ctx)
            masked = session.redact_data(dict(tc.get("args") or {}))
            if refuse_unbound and self.unbound(state, config, tc, masked):
                continue  # refused when it is run, never reviewed
            ctx = self._call_context(state, config, tc, masked)
            info = tool_info(
                tools.get(tc["name"]),
                tc["name"],
                unknown_privileged=getattr(self, "unknown_tools_privileged", False),
            )
            if (
                self.guard.rule(tc.get("id") or "", masked, info, ctx, vault=session.vault).outcome
                == "approval"
            ):
                out.append(tc.get("id") or "")
        return out

    def review_batch(
        self,
        state: Any,
        config: Mapping[str, Any],
        calls: Sequence[Any],
        tools: Mapping[str, Any],
        *,
        refuse_unbound: bool = False,
    ) -> None:
        """Ask for every pending decision of a turn in one batched interrupt.

        Decisions are verified and recorded by the approval store; the tools themselves are
        still gated one by one at execution (``call``), which finds them there. A call
        ``refuse_unbound`` refuses there is never put in front of a reviewer.
        """
        pending: list[tuple[Ruling, CallContext, Any, datetime]] = []
        for tc in calls:
            ctx = self.context(state, config, tc.get("id") or "")
            session = self.session(state, ctx)
            masked = session.redact_data(dict(tc.get("args") or {}))
            if refuse_unbound and self.unbound(state, config, tc, masked):
                continue  # refused when it is run, never reviewed
            ctx = self._call_context(state, config, tc, masked)
            ruling = self.guard.rule(
                tc.get("id") or "",
                masked,
                tool_info(
                    tools.get(tc["name"]),
                    tc["name"],
                    unknown_privileged=getattr(self, "unknown_tools_privileged", False),
                ),
                ctx,
                vault=session.vault,
            )
            if ruling.outcome != "approval":
                continue
            req = self.guard.open(ruling, ctx)
            rid = req.requester.id if req.requester is not None else None
            if self.guard.decided(ruling, replace(ctx, requester=rid)) is not None:
                continue
            pending.append(
                (
                    ruling,
                    replace(ctx, requester=rid),
                    self._card_args(ruling, session),
                    req.created_at,
                )
            )
        if not pending:
            return
        requester = pending[0][1].requester
        payload = batched_request([(r, m, c) for r, _, m, c in pending], requester=requester)

        def check(raw: Any) -> list[Resolution]:
            decisions = parse_decisions(raw, len(pending))
            cfg = get_config()
            answers = []
            for n, ((ruling, ctx, _, _), d) in enumerate(zip(pending, decisions, strict=True)):
                check_labels(
                    d,
                    call_id=ruling.call_id,
                    request_ids=(ruling.request_id,),
                    where=f"decision {n + 1}",
                )
                answers.append(
                    (
                        ruling,
                        ctx,
                        # Own channel: the per-call gate finds it and does not ask again.
                        replace(
                            self._answer(d, ruling, self.session(state, ctx)),
                            channel="langgraph_batch",
                        ),
                    )
                )
            out: list[Resolution] = []
            for ruling, ctx, answer in answers:
                vctx = call_context(cfg, requester=ctx.requester, resolve_user=self.resolve_user)
                try:
                    out.append(self.guard.resolve(ruling, vctx, answer))
                except GuardrailsError as exc:
                    if not out:
                        raise
                    # The earlier decisions are recorded (the store has no undo): say so, or
                    # the reviewer reads "refused" and believes none of the batch counted.
                    raise ResumeError(
                        f"decision {len(out) + 1} was refused ({exc}); decisions 1-{len(out)} "
                        "were recorded and stand; answer the remaining action requests"
                    ) from exc
            return out

        allowed = sorted({d for r, _, _, _ in pending for d in r.allowed_decisions})
        schema = decision_json_schema(allowed, batched=True)
        verified_interrupt(payload, check, "GuardrailsDecisions", json_schema=schema)
