"""The guard's side of :class:`~guardrails.approvals.ApprovalService`: requests under
deterministic ids, decisions translated both ways, single-use authorization."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from guardrails._clock import Clock
from guardrails._errors import ApprovalError
from guardrails.guard._values import Answer, CallContext, Resolution, Ruling, ToolInfo

__all__ = ["ApprovalsPort"]


class ApprovalsPort:
    """Mixed into the guard's backend: everything that talks to the approval service."""

    approvals: Any
    policy: Any
    clock: Clock
    # follow-up request id -> the edited args it was opened for (see note_edit); this process only
    _edits: dict[str, dict[str, Any]]
    # user id -> the Principal made for it when the policy has no directory (see _principal)
    _principals: dict[str, Any]

    # -- approvals (through guardrails.approvals.ApprovalService) -----------------------------

    def _principal(self, user_id: Any) -> Any:
        """The principal behind an id (policy directory first); a principal passes through."""
        if user_id is None:
            return None
        from guardrails.identity import Principal

        if isinstance(user_id, Principal):
            return user_id

        directory = getattr(self.policy, "directory", None)
        if not directory and type(user_id) is str:
            # No directory: the principal is a function of the id alone (and frozen), so it is
            # built once per id, not on every ruling (~5 us each).
            made = self._principals.get(user_id)
            if made is None:
                if len(self._principals) >= 4096:
                    self._principals.clear()
                made = self._principals[user_id] = Principal(id=user_id)
            return made
        found = directory.resolve("principal", user_id) if directory else None
        if found is not None:
            return found
        # Not listed as written. A spelling of a listed agent or service ("Agent-1", "agent-1 ")
        # is that principal's kind, so it is refused as not human; a spelling of a listed human
        # gets none of their groups (it is not them), and counts as them for "same human" checks.
        twin = _listed_twin(directory, user_id)
        if twin is not None and not twin.is_human:
            return Principal(id=user_id, kind=twin.kind)
        return Principal(id=user_id)

    def _approver(self, user_id: Any) -> Any:
        """The approver behind an id. Where the policy's directory lists its principals, an id it
        does not list is nobody (``None``: refused as ``unauthenticated`` and audited), as the
        HTTP, Slack and Teams channels refuse users they cannot resolve; a requester may still be
        unlisted (``_principal``)."""
        principal = self._principal(user_id)
        directory = getattr(self.policy, "directory", None)
        listed = getattr(directory, "principals", None) if directory else None
        if directory is None or principal is None or not isinstance(listed, Mapping) or not listed:
            return principal
        from guardrails.identity import Principal

        if isinstance(user_id, Principal) or not principal.is_human:
            return principal  # given as is, or a spelling of a listed agent: refused as not_human
        return principal if directory.resolve("principal", user_id) is not None else None

    def open_request(self, ruling: Ruling, ctx: CallContext) -> Any:
        """The service's request for ``ruling``: created with the deterministic id if absent."""
        existing = self.approvals.store.get(ruling.request_id)
        if existing is not None:
            return existing
        from guardrails.policy import ToolCall

        call = ToolCall(
            name=ruling.tool.name,
            args=dict(ruling.args),
            id=ruling.call_id,
            tags=frozenset(_tags(ruling.tool)),
            metadata=dict(ruling.tool.metadata),
        )
        try:
            return self.approvals.request(
                call,
                ruling.decision,
                requester=self._principal(ctx.requester),
                masked_args=_jsonable(ruling.masked_args),
                thread_id=ctx.thread_id or None,
                run_id=ctx.run_id,
                request_id=ruling.request_id,
            )
        except ApprovalError:
            # Another task or process created it first (same deterministic id): use theirs.
            found = self.approvals.store.get(ruling.request_id)
            if found is None:
                raise
            return found

    def _target(self, request_id: str) -> Any:
        """The request a decision now applies to (an edit's follow-up, when there is one)."""
        req = self.approvals.store.get(request_id)
        for _ in range(8):
            if req is None or req.status != "superseded" or req.follow_up_id is None:
                break
            req = self.approvals.store.get(req.follow_up_id)
        return req

    def existing_decision(self, ruling: Ruling, ctx: CallContext) -> Resolution | None:
        """The recorded outcome (from any channel), or ``None`` while a decision is pending.

        A pending request past its expiry is expired now (fail closed, audited once).
        """
        req = self._target(ruling.request_id)
        if req is None:
            return None
        if req.status == "pending" and self.clock.now() >= req.expires_at:
            self.approvals.expire_due()
            req = self._target(ruling.request_id)
        return self._settled(ruling, req)

    def _settled(self, ruling: Ruling, req: Any) -> Resolution | None:
        """:func:`_resolution` of the request that decides ``ruling``'s call.

        An edit that needed its own approval left the call's request superseded by a follow-up
        for the *edited* arguments. When that follow-up is approved, the call to run is the
        edited one: never the original arguments, which the follow-up's approvers did not
        approve and the editor replaced. The follow-up does not store raw arguments, so they
        come from :meth:`note_edit` (the edit answer, digest-checked); without them the call
        fails closed.
        """
        done = _resolution(req)
        switched = getattr(req, "approved_tool", None)
        if done is not None and switched is not None and switched != ruling.tool.name:
            # An edit in another channel named another tool (the service allows that for tools
            # it knows): this adapter runs the tool it was handed, never that one, and must not
            # run its own tool with arguments approved for another.
            return Resolution(
                verdict="reject",
                approver=done.approver,
                request_id=req.id,
                channel=done.channel,
                message=f"the reviewer's edit switched the call to tool {switched!r}; "
                f"{ruling.tool.name!r} was not run",
            )
        if (
            done is None
            or req.id == ruling.request_id
            or done.verdict != "approve"
            or done.masked_args is not None
        ):
            return done
        edited = self._edits.get(req.id)
        if edited is None:
            return Resolution(
                verdict="reject",
                approver=done.approver,
                request_id=req.id,
                channel=done.channel,
                message="the edited call was approved, but its edited arguments are not "
                "available to this process; it was not run",
            )
        return Resolution(
            verdict="edit",
            approver=done.approver,
            request_id=req.id,
            masked_args=dict(edited),
            channel=done.channel,
        )

    def note_edit(self, ruling: Ruling, args: Any) -> None:
        """Remember an edit's arguments for the follow-up request opened to approve them.

        Kept only when their keyed digest is the follow-up's own ``args_digest``: whatever
        delivers them (the first answer, or LangGraph re-validating the saved resume on a
        re-run), they are exactly the arguments that follow-up's approvers see and approve.
        """
        req = self._target(ruling.request_id)
        if req is None or req.id == ruling.request_id or not isinstance(args, Mapping):
            return
        try:
            same = self.approvals.args_digest(dict(args)) == req.args_digest
        except Exception:  # not plain JSON: no follow-up was opened for these
            return
        if same:
            if len(self._edits) >= 4096:
                self._edits.pop(next(iter(self._edits)))
            self._edits[req.id] = dict(args)

    def decide(self, ruling: Ruling, ctx: CallContext, answer: Answer) -> Resolution:
        """Verify and record ``answer`` through the approval service.

        LangGraph re-validates a saved resume each time the node re-runs: an answer this
        approver already gave (or any answer once the request is settled) returns the recorded
        outcome instead of voting again; the first valid decision wins.
        """
        from guardrails.approvals import Decision

        req = self._target(ruling.request_id)
        if req is None:
            self.open_request(ruling, ctx)
            req = self._target(ruling.request_id)
        if answer.verdict == "edit":  # a re-validated edit whose follow-up is already settled
            self.note_edit(ruling, answer.args)
        settled = self._settled(ruling, req)
        if settled is not None:
            return settled
        if answer.permit is not None:
            outcome = self.approvals.decide_permit(req.id, answer.permit)
        else:
            decision = Decision(
                verdict=answer.verdict,
                approver=self._approver(ctx.approver),
                args_digest=req.args_digest,
                reason=answer.message,
                edited_tool=answer.tool_name if answer.verdict == "edit" else None,
                edited_args=dict(answer.args)
                if answer.verdict == "edit" and answer.args is not None
                else None,
                channel=answer.channel,
            )
            outcome = self.approvals.decide(req.id, decision)
        if answer.verdict == "edit":
            self.note_edit(ruling, answer.args)
        done = self._settled(ruling, self._target(ruling.request_id))
        if done is not None:
            return done
        return Resolution(
            verdict="approve",
            approver=ctx.approver,
            request_id=outcome.request.id,
            pending=True,
            channel=answer.channel,
        )

    def authorize(self, ruling: Ruling) -> Any:
        """Consume the approval (single use) for the call about to run; raises if not approved."""
        return self.approvals.authorize(
            ruling.request_id, args_digest=ruling.digest, tool_name=ruling.tool.name
        )

    def mark_executed(self, request_id: str, ok: bool, ms: float, error: str | None) -> None:
        self.approvals.mark_executed(request_id, ok=ok, duration_ms=ms, error=error)


def _listed_twin(directory: Any, user_id: str) -> Any:
    """The principal a directory lists under another spelling of ``user_id`` (same
    :func:`~guardrails.identity.identity_key`), for a directory that lists its principals."""
    listed = getattr(directory, "principals", None)
    if not isinstance(listed, Mapping):
        return None
    from guardrails.identity import identity_key

    key = identity_key(user_id)
    return next((p for p in listed.values() if identity_key(p.id) == key), None)


def _tags(tool: ToolInfo) -> set[str]:
    tags = set(tool.tags)
    if tool.privileged:
        tags.add("privileged")
    return tags


def _resolution(req: Any) -> Resolution | None:
    """Translate a settled request into a resolution; ``None`` while it waits."""
    if req is None or req.status == "pending":
        return None
    last = req.votes[-1] if req.votes else None
    channel = last.channel if last is not None else ""
    approver = last.approver.id if last is not None else None
    if req.status == "expired":
        return Resolution(
            verdict="reject",
            approver=None,
            request_id=req.id,
            expired=True,
            channel="clock",
            message="the approval request expired before a decision; the call did not run",
        )
    if req.status == "rejected":
        return Resolution(
            verdict="reject",
            approver=approver,
            request_id=req.id,
            message=last.reason if last is not None else "",
            channel=channel,
        )
    if req.edited_args is not None:
        return Resolution(
            verdict="edit",
            approver=approver,
            request_id=req.id,
            masked_args=dict(req.edited_args),
            channel=channel,
        )
    # approved, consumed or executed: the ledger tells a re-run it already ran.
    return Resolution(verdict="approve", approver=approver, request_id=req.id, channel=channel)


_SCALARS = (str, int, float, bool, type(None))


def _jsonable(value: Any) -> Any:
    """A plain-JSON copy of ``value`` (unknown types as ``str``). A flat dict of JSON scalars
    (most tool calls' masked args, already parsed from JSON) is copied, not round-tripped."""
    if type(value) is dict and all(
        type(k) is str and type(v) in _SCALARS for k, v in value.items()
    ):
        return dict(value)
    return json.loads(json.dumps(value, default=str))
