"""The Slack interactivity endpoint: verify, identify, decide through the one approval service.

Order of checks, each failure answered with a 4xx and, when it concerns who is asking, an audit
event: content type and size (415/413), ``X-Slack-Request-Timestamp`` inside 300 s (401
``stale_timestamp``), ``X-Slack-Signature`` over the raw body with slack-sdk's
``SignatureVerifier`` (401 ``bad_signature``), the payload shape (400), the request id (404).
The approver is *only* the verified payload's ``user.id`` resolved through the directory
(``("slack", user_id)``, else ``users.info`` e-mail → ``("email", address)``); nothing else in
the payload names who decides. The service refuses and audits self-approval, agents, unknown
users, approvers outside the rule and replays; the click's ``action_ts`` is the decision id, so a
replayed (re-sent, still signed) click is refused as ``replayed`` and a double click counts once.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_sdk.signature import SignatureVerifier

from guardrails import DecisionRefused, InputError, Principal, UnknownRequestError
from guardrails.approvals import ApprovalService
from guardrails.channels import Card, submit_decision
from integrations._budget import AuditBudget
from integrations.slack._blocks import (
    ACTION_APPROVE,
    ACTION_APPROVE_REASON,
    ACTION_REJECT,
    MODAL_CALLBACK,
)
from integrations.slack._channel import SlackChannel
from integrations.slack._parsing import (
    REFUSAL_TEXT,
    SlackResponse,
    _button,
    _Clock,
    _fail,
    _id_part,
    _modal_reason,
    _payload,
    _slack_id,
    _user_id,
)

__all__ = ["MAX_BODY", "SlackInteractions"]

logger = logging.getLogger("guardrails.slack")

MAX_BODY = 64 * 1024
WINDOW = 300  # seconds; Slack's documented replay window


class SlackInteractions:
    """Handles Slack interactivity requests (button clicks and the reason modal).

    Framework-free: :meth:`handle` takes the headers and the raw body and returns a
    :class:`SlackResponse`; :func:`~integrations.slack.create_slack_app` wraps it in a Starlette
    route.

    Args:
        service: the approval service every channel shares (its directory resolves users).
        signing_secret: the Slack app's signing secret.
        channel: the :class:`SlackChannel` that posted the cards (modals, private replies).
        lookup_email: when a Slack user id is not linked in the directory, ask ``users.info``
            for the e-mail address and resolve ``("email", address)``. Found addresses are
            cached for ``lookup_ttl`` seconds; a lookup slower than ``lookup_timeout`` counts as
            an unknown user (refused, audited; the reviewer can click again), so Slack still
            gets its answer inside 3 s.
        team_id: when set, only payloads from this Slack workspace (``team.id``) are accepted
            (403 ``wrong_team``, audited): an app installed in several workspaces shares one
            signing secret.
        audit_failures_per_minute: at most this many ``slack.auth_failed`` events a minute
            (anyone can send forged requests); further failures are refused all the same and
            counted into the next recorded event's ``suppressed``.
        now: the clock for the timestamp window (tests).

    Example:
        >>> from slack_sdk import WebClient
        >>> from guardrails.policy import Policy
        >>> ch = SlackChannel(WebClient(token="xoxb-t"), channel="C1")
        >>> slack = SlackInteractions(ApprovalService(Policy()), signing_secret="s" * 32, channel=ch)
        >>> slack.handle({"content-type": "application/json"}, b"{}").status
        415
        >>> ch.close()
    """

    def __init__(
        self,
        service: ApprovalService,
        *,
        signing_secret: str,
        channel: SlackChannel,
        lookup_email: bool = True,
        max_body: int = MAX_BODY,
        team_id: str | None = None,
        lookup_timeout: float = 1.5,
        lookup_ttl: float = 600.0,
        audit_failures_per_minute: int = 60,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.service = service
        self.team_id = team_id
        self.channel = channel
        self.lookup_email = lookup_email
        self.max_body = max_body
        self._now = now
        self._verifier = SignatureVerifier(signing_secret, clock=_Clock(now))
        self._failures = AuditBudget(audit_failures_per_minute, now=now)
        self.lookup_timeout = lookup_timeout
        self.lookup_ttl = lookup_ttl
        self._emails: dict[str, tuple[float, str]] = {}  # slack user -> (fetched at, e-mail)
        self._emails_lock = threading.Lock()
        self._lookups = ThreadPoolExecutor(
            max_workers=4, thread_name_prefix="guardrails-slack-users"
        )

    def close(self) -> None:
        """Stop the users.info lookup threads (a lookup still running is abandoned)."""
        self._lookups.shutdown(wait=False, cancel_futures=True)

    # -- entry point --------------------------------------------------------------------------

    def handle(self, headers: Mapping[str, str], body: bytes) -> SlackResponse:
        """Verify and act on one interactivity request."""
        h = {k.lower(): v for k, v in headers.items()}
        ctype = h.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            return _fail(415, "unsupported_media_type", "Slack sends form-encoded payloads")
        if len(body) > self.max_body:
            return _fail(413, "too_large", f"the body must be at most {self.max_body} bytes")
        stamp = h.get("x-slack-request-timestamp", "")
        if not (stamp.isascii() and stamp.isdigit()) or "x-slack-signature" not in h:
            return self._auth_failed("missing_signature")
        # int() refuses over 4,300 digits (a 500, unaudited): no real timestamp has 20
        if len(stamp) > 20 or abs(self._now() - int(stamp)) > WINDOW:
            return self._auth_failed("stale_timestamp")
        try:
            body.decode("utf-8")  # slack-sdk's verifier raises on other bytes
        except UnicodeDecodeError:
            return _fail(400, "malformed", "the body is not UTF-8")
        # slack-sdk compares with hmac.compare_digest, which raises TypeError on non-ASCII text
        # (a header byte like 0xE9): such a signature cannot be ours, so it is a bad one.
        if not h["x-slack-signature"].isascii() or not self._verifier.is_valid_request(body, h):
            return self._auth_failed("bad_signature")
        try:
            payload = _payload(body)
        except InputError as exc:
            return _fail(400, "malformed", str(exc))
        if self.team_id is not None:
            team = payload.get("team")
            if not isinstance(team, dict) or team.get("id") != self.team_id:
                self._audit("slack.auth_failed", code="wrong_team", slack_user=_user_id(payload))
                return _fail(403, "wrong_team", "this workspace may not decide here")
        kind = payload.get("type")
        if kind == "block_actions":
            return self._block_actions(payload)
        if kind == "view_submission":
            return self._view_submission(payload)
        return _fail(400, "unsupported", "only block_actions and view_submission are handled")

    # -- payload kinds ------------------------------------------------------------------------

    def _block_actions(self, payload: Mapping[str, Any]) -> SlackResponse:
        actions = payload.get("actions")
        if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
            return _fail(400, "malformed", "block_actions without actions")
        action = actions[0]
        action_id = action.get("action_id")
        if action_id not in (ACTION_APPROVE, ACTION_REJECT, ACTION_APPROVE_REASON):
            return SlackResponse(200)  # e.g. the "open in inbox" link button: nothing to do
        user = _user_id(payload)
        target = _button(action.get("value"))
        if user is None or target is None:
            return _fail(400, "malformed", "the click has no user or no request reference")
        rid, digest = target
        try:
            request = self.service.get(rid)
        except UnknownRequestError:
            self._audit("slack.unknown_request", slack_user=user)
            return _fail(404, "unknown_request", "no such approval request")
        container = payload.get("container") or {}
        if not isinstance(container, dict):
            container = {}
        where, message_ts = (
            _slack_id(container.get("channel_id")),
            _slack_id(container.get("message_ts")),
        )
        if message_ts:
            self.channel.remember(rid, where or "", message_ts)
        card = Card.from_request(request)
        wants_reason = action_id != ACTION_APPROVE or card.reason_required
        if wants_reason:
            trigger = payload.get("trigger_id")
            if not isinstance(trigger, str) or not trigger:
                return _fail(400, "malformed", "a reason needs a trigger_id")
            verdict = "reject" if action_id == ACTION_REJECT else "approve"
            # The modal only collects a reason: identity is checked again on its submission.
            self.channel.open_reason_modal(trigger, card, verdict)
            return SlackResponse(200)
        click = _id_part(action.get("action_ts"))
        decision_id = f"slack:{user}:{click}" if click else None
        error = self._decide(
            user,
            request_id=rid,
            verdict="approve",
            reason="",
            digest=digest,
            decision_id=decision_id,
        )
        if error is not None:
            self.channel.tell(
                user, REFUSAL_TEXT.get(error, "Your decision was refused."), channel=where
            )
            return SlackResponse(200, {"ok": False, "error": error})
        return SlackResponse(200, {"ok": True})

    def _view_submission(self, payload: Mapping[str, Any]) -> SlackResponse:
        view = payload.get("view")
        if not isinstance(view, dict) or view.get("callback_id") != MODAL_CALLBACK:
            return _fail(400, "unsupported", "not a guardrails modal")
        user = _user_id(payload)
        try:
            meta = json.loads(view.get("private_metadata") or "")
            rid, digest, verdict = str(meta["r"]), str(meta["d"]), str(meta["v"])
        except (ValueError, KeyError, TypeError, RecursionError):
            return _fail(400, "malformed", "the modal's metadata is unreadable")
        if user is None or verdict not in ("approve", "reject"):
            return _fail(400, "malformed", "the submission has no user or an unknown verdict")
        reason = _modal_reason(view)
        if reason is None:
            return SlackResponse(
                200,
                {
                    "response_action": "errors",
                    "errors": {"reason": "The reason is not valid text."},
                },
            )
        try:
            self.service.get(rid)
        except UnknownRequestError:
            self._audit("slack.unknown_request", slack_user=user)
            return _fail(404, "unknown_request", "no such approval request")
        decision_id = f"slack:{user}:view:{_id_part(view.get('id'))}"
        error = self._decide(
            user,
            request_id=rid,
            verdict=verdict,
            reason=reason,
            digest=digest,
            decision_id=decision_id,
        )
        if error is not None:
            text = REFUSAL_TEXT.get(error, "Your decision was refused.")
            return SlackResponse(200, {"response_action": "errors", "errors": {"reason": text}})
        return SlackResponse(200, {"response_action": "clear"})

    # -- deciding -----------------------------------------------------------------------------

    def _decide(
        self,
        user: str,
        *,
        request_id: str,
        verdict: str,
        reason: str,
        digest: str,
        decision_id: str | None,
    ) -> str | None:
        """Submit the decision; the refusal code (already audited by the service) or None."""
        approver = self.resolve(user)
        if approver is None:
            self._audit("slack.unknown_user", slack_user=user, request_id=request_id)
        try:
            submit_decision(
                self.service,
                request_id,
                channel="slack",
                approver=approver,
                verdict=verdict,
                reason=reason,
                args_digest=digest,
                decision_id=decision_id,
            )
        except DecisionRefused as refusal:
            return refusal.code or "refused"
        except InputError:
            return "invalid"
        return None

    def resolve(self, user: str) -> Principal | None:
        """The principal behind a verified Slack user id (directory, then users.info e-mail)."""
        found = self.service.resolve("slack", user)
        if found is not None or not self.lookup_email:
            return found
        email = self._email(user)
        return self.service.resolve("email", email) if email else None

    def _email(self, user: str) -> str | None:
        with self._emails_lock:
            cached = self._emails.get(user)
        if cached is not None and self._now() - cached[0] < self.lookup_ttl:
            return cached[1]
        try:
            info = self._lookups.submit(self.channel.client.users_info, user=user).result(
                timeout=self.lookup_timeout
            )
            email = info["user"]["profile"].get("email")
        except Exception as exc:  # unknown user, network, too slow: unknown reviewer
            logger.info("users.info failed: %s", type(exc).__name__)
            return None
        if not isinstance(email, str) or not email:
            return None
        with self._emails_lock:
            self._emails[user] = (self._now(), email)
        return email

    def _auth_failed(self, code: str) -> SlackResponse:
        left_out = self._failures.admit()  # None: over the budget, counted, not recorded
        if left_out is not None:
            extra: dict[str, Any] = {"suppressed": left_out} if left_out else {}
            self._audit("slack.auth_failed", code=code, **extra)
        messages = {
            "missing_signature": "missing X-Slack-Signature or X-Slack-Request-Timestamp",
            "stale_timestamp": f"the request timestamp is more than {WINDOW} s off",
            "bad_signature": "the request signature does not verify",
        }
        return _fail(401, code, messages[code])

    def _audit(self, kind: str, *, request_id: str | None = None, **data: Any) -> None:
        if self.service.audit is not None:
            self.service.audit.record(kind, request_id=request_id, data=data)
