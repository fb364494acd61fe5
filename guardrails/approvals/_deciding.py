"""Verifying and recording decisions, and signed permits (part of :class:`ApprovalService`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from guardrails._errors import ApprovalError, ConfigurationError, DecisionRefused
from guardrails.approvals._base import logger
from guardrails.approvals._lifecycle import expired_event
from guardrails.approvals._models import ApprovalRequest, Decision, DecisionOutcome
from guardrails.approvals._permits import issue_permit, verify_permit
from guardrails.approvals._requests import Requests, mask_edit
from guardrails.approvals._verify import check_decision, refuse
from guardrails.approvals._votes import Applied, FollowUp, apply_decision
from guardrails.identity import Directory, Principal

__all__ = ["Deciding"]


class Deciding(Requests):
    """decide / issue_permit / decide_permit of :class:`~guardrails.approvals.ApprovalService`."""

    _keys: list[bytes]
    directory: Directory | None
    _mask_reason: Callable[[str], str] | None

    def resolve(self, channel: str, subject: str) -> Principal | None:
        """The principal a channel authenticated as ``subject`` (``None`` when unknown).

        A ``None`` approver is refused as ``unauthenticated`` by :meth:`decide`; a directory
        failure counts as unknown (fail closed).
        """
        if self.directory is None:
            return None
        try:
            return self.directory.resolve(channel, subject)
        except Exception as exc:
            logger.warning("directory lookup failed: %s", type(exc).__name__)
            return None

    def decide(self, request_id: str, decision: Decision) -> DecisionOutcome:
        """Verify ``decision`` and record it atomically; every refusal is audited and raised.

        Raises:
            DecisionRefused: verification failed (``code`` says why; see ``_verify``).
            UnknownRequestError: no such request.
        """
        decision = self._masked(decision)
        now = self.clock.now()
        # What the (possibly retried) transaction decided, for the steps after it commits.
        applied: list[Applied] = []
        expiry: list[DecisionRefused] = []

        def change(current: ApprovalRequest) -> ApprovalRequest:
            applied.clear()
            expiry.clear()
            try:
                check_decision(current, decision, now=now)
            except DecisionRefused as refusal:
                if refusal.code == "expired" and current.status == "pending":
                    expiry.append(refusal)  # record the expiry itself, then refuse
                    return current.evolve(status="expired", resolved_at=now)
                raise
            result = apply_decision(
                current,
                decision,
                now=now,
                policy=self.policy,
                tools=self._tools,
                digest=self.args_digest,
            )
            applied.append(result)
            return result.request

        def events(new: ApprovalRequest) -> list[tuple[str, dict[str, Any]]]:
            if expiry:
                return [expired_event(new)]
            if not applied:
                return []
            vote = new.votes[-1]
            return [
                (
                    "approval.decided",
                    {
                        "principal": vote.approver.id,
                        "verdict": vote.verdict,
                        "status": new.status,
                        "args_digest": new.args_digest,
                        "approvals": len(new.approvals),
                        "quorum": new.quorum,
                        "channel": vote.channel,
                        "provenance": vote.provenance,
                        "decision_id": vote.decision_id,
                        "reason_chars": len(vote.reason),
                        "edited_tool": vote.edited_tool,
                        "edited_args_digest": vote.edited_args_digest,
                        "follow_up_id": new.follow_up_id,
                    },
                )
            ]

        try:
            # The decision and its audit event commit together when the store journals them.
            updated = self._update(request_id, change, events)
        except DecisionRefused as refusal:
            self._refused(request_id, decision, refusal)
            raise
        if expiry:
            self._notify("expired", updated)
            self._refused(request_id, decision, expiry[0], request=updated)
            raise expiry[0]
        follow_up: ApprovalRequest | None = None
        plan = applied[0].follow_up if applied else None
        if plan is not None:
            follow_up = self._open_follow_up(updated, decision, plan)
        self._notify("decided" if updated.status != "pending" else "vote", updated)
        return DecisionOutcome(request=updated, status=updated.status, follow_up=follow_up)

    def _masked(self, decision: Decision) -> Decision:
        """``decision`` with its free-text reason masked (a reviewer may type a customer's
        e-mail into "why"): the reason is stored in the vote, shown on other channels' cards
        and told to the model, so it is masked before any of that. A permit's signature was
        checked when it was read, over what was signed; the mask applies after. A lone
        surrogate (no character: no channel could encode a card or a reply holding it) becomes
        ``?`` first."""
        if not decision.reason:
            return decision
        if not decision.reason.isascii():
            text = decision.reason.encode("utf-8", "replace").decode("utf-8")
            if text != decision.reason:
                decision = replace(decision, reason=text)
        if self._mask_reason is None:
            return decision
        try:
            masked = self._mask_reason(decision.reason)
        except Exception as exc:  # fail closed: nothing recorded with an unmasked reason
            raise ApprovalError(
                f"the decision's reason could not be masked ({type(exc).__name__}); "
                "nothing was recorded"
            ) from None
        if not isinstance(masked, str):
            raise ApprovalError("the reason masker must return a string; nothing was recorded")
        return decision if masked == decision.reason else replace(decision, reason=masked)

    def _open_follow_up(
        self, original: ApprovalRequest, decision: Decision, plan: FollowUp
    ) -> ApprovalRequest:
        call = plan.call
        follow = self.request(
            call,
            plan.decision,
            requester=original.requester,
            masked_args=mask_edit(call.args),
            context=original.context,
            thread_id=original.thread_id,
            run_id=original.run_id,
            parent_id=original.id,
            request_id=plan.id,
        )
        # The editor approved what they wrote: count it on the new request when the rule allows.
        approver = decision.approver
        if approver is not None and follow.eligible(self.clock.now()).admits(approver):
            try:
                return self.decide(
                    follow.id,
                    Decision(
                        verdict="approve",
                        approver=approver,
                        args_digest=follow.args_digest,
                        reason=decision.reason,
                        channel=decision.channel,
                        provenance=decision.provenance,
                    ),
                ).request
            except DecisionRefused:
                pass
        return follow

    def _refused(
        self,
        request_id: str,
        decision: Decision,
        refusal: DecisionRefused,
        *,
        request: ApprovalRequest | None = None,
    ) -> None:
        if request is None:
            request = self.store.get(request_id)
        self._audit(
            "approval.refused",
            request,
            principal=decision.approver.id if decision.approver else None,
            code=refusal.code,
            verdict=decision.verdict,
            channel=decision.channel,
            provenance=decision.provenance,
            decision_id=decision.id,
            **({} if request else {"unknown_request": request_id}),
        )
        if request is not None:
            self._notify("refused", request, refusal.code)

    # -- permits ------------------------------------------------------------------------------

    def issue_permit(
        self, request_id: str, decision: Decision, *, ttl: timedelta | None = None
    ) -> str:
        """Sign ``decision`` after checking it would be accepted now (nothing is recorded).

        The permit expires at the request's expiry or after ``ttl``, whichever is first.

        Raises:
            DecisionRefused: the decision would be refused (audited).
            ConfigurationError: the service has no permit key.
        """
        if not self._keys:
            raise ConfigurationError("this ApprovalService has no permit_key")
        # The payload is only base64 and travels through untrusted hands (a resume payload kept
        # in the checkpoint, a browser): its free-text reason is masked before it is signed.
        decision = self._masked(decision)
        request = self.get(request_id)
        now = self.clock.now()
        try:
            check_decision(request, decision, now=now)
        except DecisionRefused as refusal:
            self._refused(request_id, decision, refusal, request=request)
            raise
        expires = request.expires_at if ttl is None else min(request.expires_at, now + ttl)
        return issue_permit(
            self._keys[0], request_id=request_id, decision=decision, expires_at=expires
        )

    def decide_permit(self, request_id: str, token: str) -> DecisionOutcome:
        """Verify a permit (signature, expiry, request binding) and decide with it.

        Raises:
            DecisionRefused: ``bad_signature``, ``permit_expired``, ``wrong_request`` or any
                refusal of :meth:`decide`.
        """
        if not self._keys:
            raise ConfigurationError("this ApprovalService has no permit_key")
        try:
            permit = verify_permit(self._keys, token, now=self.clock.now())
        except DecisionRefused as refusal:
            # Nothing in an unverified permit can be trusted, not even who it claims decided.
            request = self.store.get(request_id)
            self._audit(
                "approval.refused",
                request,
                code=refusal.code,
                channel="permit",
                provenance="permit",
                **({} if request else {"unknown_request": request_id}),
            )
            if request is not None:
                self._notify("refused", request, refusal.code)
            raise
        decision = permit.to_decision()
        if permit.request_id != request_id:
            wrong = refuse("wrong_request", "the permit was issued for another request")
            self._refused(request_id, decision, wrong)
            raise wrong
        if self.directory is not None and decision.approver is not None:
            # The signed groups/roles are those of issue time: with a directory, the approver's
            # current entry decides (a removal from the finance group revokes at once).
            current = self.resolve("principal", decision.approver.id)
            if current is None:
                gone = refuse("not_authorized", "the permit's approver is not in the directory")
                self._refused(request_id, decision, gone)
                raise gone
            decision = replace(decision, approver=current)
        return self.decide(request_id, decision)


@functools.cache
def _default_redactor() -> Any:
    from guardrails.redactor import Redactor

    return Redactor()


def default_mask_reason(text: str) -> str:
    """Mask a reviewer's reason with the built-in entities (``Redactor()``, placeholders local to
    this reason)."""
    return str(_default_redactor().redact(text).text)
