"""The Teams bot endpoint: ``invoke`` ``adaptiveCard/action`` decides through the approval service.

Order of checks: content type and size (415/413), JSON object (400), the Bot Connector JWT
(401; every failure an audit event ``teams.auth_failed`` with its code), the activity's
``channelId`` (403 ``wrong_channel``), the tenant when one is configured (403), the invoke
shape (400), the request id (404). The approver is *only* the verified activity's
``from.aadObjectId`` resolved through the directory as ``("teams", aad_object_id)``, and only
on an activity from Teams itself: the Bot Connector vouches for ``from`` per channel, and a
Direct Line or Web Chat client writes its own (Microsoft's signing keys are endorsed for those
channels too, so the endorsement check alone does not keep them out). The answer is the invoke
response: the card as it now stands, so the clicker sees the outcome (or why they were refused)
in place. The activity id is the decision id, so a replayed activity is refused as ``replayed``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from guardrails import DecisionRefused, InputError, UnknownRequestError
from guardrails.approvals import ApprovalService
from guardrails.channels import Card, submit_decision
from integrations._budget import AuditBudget
from integrations.teams._auth import BotAuthFailed, BotFrameworkAuth
from integrations.teams._cards import VERB_APPROVE, VERB_REFRESH, VERB_REJECT, request_card

__all__ = ["MAX_BODY", "TeamsBot", "TeamsResponse"]

MAX_BODY = 64 * 1024
MAX_REASON = 2000  # the HTTP API's limit; the card's input stops at 1,000
_CARD = "application/vnd.microsoft.card.adaptive"

_REFUSAL_TEXT = {
    "self_approval": "You requested this action, so you cannot decide it.",
    "not_authorized": "You are not one of the approvers for this rule.",
    "unauthenticated": "Your Teams account is not linked to a known reviewer.",
    "not_human": "Only people can approve actions.",
    "duplicate_approver": "You already decided on this request.",
    "replayed": "This click was already counted.",
    "not_pending": "This request is already decided.",
    "expired": "This request has expired.",
    "digest_mismatch": "The arguments changed since this card was sent.",
    "reason_required": "This rule requires a reason.",
    "decision_not_allowed": "This rule does not allow that decision.",
}


@dataclass(frozen=True, slots=True)
class TeamsResponse:
    """The HTTP status and JSON body to answer the Bot Connector with (``None``: empty)."""

    status: int
    body: dict[str, Any] | None = None


def _error(status: int, code: str, message: str) -> TeamsResponse:
    # The invoke response shape Teams shows as an error toast.
    value = {"code": code, "message": message}
    return TeamsResponse(
        status, {"statusCode": status, "type": "application/vnd.microsoft.error", "value": value}
    )


_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")


def _trail_id(value: Any) -> str | None:
    """``from.aadObjectId`` as the append-only trail may keep it: only an id-shaped string.

    The Bot Connector token is not bound to the activity body, so ``from`` is text its bearer
    chose: an e-mail address or anything else typed there would stay in the trail for good (a
    60 KB one, or a nested object, would fail the audit write).
    """
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


def _id_part(value: Any) -> str | None:
    """A decision id part for caller text: the id itself when id-shaped, else a digest of it
    (a replay of the same text is still the same decision; the trail never holds the text)."""
    if not isinstance(value, str) or not value:
        return None
    if _ID.fullmatch(value):
        return value
    return "h-" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _is_text(value: str) -> bool:
    """Whether ``value`` can be written as UTF-8 (no lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _tenant(activity: Mapping[str, Any]) -> str | None:
    data = activity.get("channelData")
    tenant = data.get("tenant") if isinstance(data, dict) else None
    tid = tenant.get("id") if isinstance(tenant, dict) else None
    return tid if isinstance(tid, str) else None


def _card(card: Card, note: str | None = None, inbox_url: str | None = None) -> TeamsResponse:
    value = request_card(card, note=note, inbox_url=inbox_url)
    return TeamsResponse(200, {"statusCode": 200, "type": _CARD, "value": value})


class TeamsBot:
    """Handles the activities Microsoft Teams posts to the bot's messaging endpoint.

    Framework-free: :meth:`handle` takes headers and the raw body; :func:`create_teams_app`
    wraps it in a Starlette route.

    Args:
        service: the approval service every channel shares (its directory resolves users).
        auth: validates the Bot Connector JWT.
        inbox_url: optional web inbox link on the cards.
        tenant_id: when set, only activities from this Microsoft Entra tenant
            (``channelData.tenant.id``) may decide (403 ``wrong_tenant``, audited).
        channel_ids: the Bot Framework channels whose activities are accepted (403
            ``wrong_channel``, audited, for others). Only ``msteams`` authenticates
            ``from.aadObjectId``; add ``emulator`` for local development only.
        audit_failures_per_minute: at most this many ``teams.auth_failed`` events a minute
            (failed tokens, other channels, other tenants: anyone can cause them); further
            failures are refused all the same and counted into the next recorded event's
            ``suppressed``.

    Example:
        >>> from guardrails.policy import Policy
        >>> bot = TeamsBot(ApprovalService(Policy()), auth=BotFrameworkAuth(app_id="a", jwks={"keys": []}))
        >>> bot.handle({"content-type": "text/plain"}, b"hi").status
        415
    """

    def __init__(
        self,
        service: ApprovalService,
        *,
        auth: BotFrameworkAuth,
        inbox_url: str | None = None,
        max_body: int = MAX_BODY,
        tenant_id: str | None = None,
        channel_ids: Collection[str] = ("msteams",),
        audit_failures_per_minute: int = 60,
    ) -> None:
        self.service = service
        self.tenant_id = tenant_id
        # a lone string is one channel id, not a set of letters
        self.channel_ids = frozenset([channel_ids] if isinstance(channel_ids, str) else channel_ids)
        self.auth = auth
        self.inbox_url = inbox_url
        self.max_body = max_body
        self._failures = AuditBudget(audit_failures_per_minute)

    def handle(self, headers: Mapping[str, str], body: bytes) -> TeamsResponse:
        """Authenticate and act on one activity."""
        h = {k.lower(): v for k, v in headers.items()}
        if h.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return _error(415, "unsupported_media_type", "activities are application/json")
        if len(body) > self.max_body:
            return _error(413, "too_large", f"the body must be at most {self.max_body} bytes")
        try:
            activity = json.loads(body)
        except (UnicodeDecodeError, ValueError, RecursionError):  # deep nesting: RecursionError
            return _error(400, "malformed", "the body is not JSON")
        if not isinstance(activity, dict):
            return _error(400, "malformed", "the activity must be a JSON object")
        scheme, _, token = h.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return self._auth_failed("missing", "send the Bot Connector token")
        try:
            self.auth.verify(token.strip(), activity)
        except BotAuthFailed as exc:
            return self._auth_failed(exc.code, str(exc))
        if activity.get("channelId") not in self.channel_ids:
            # anyone with a Web Chat / Direct Line client can make the connector send these
            return self._auth_failed("wrong_channel", "only Microsoft Teams may decide", 403)
        if self.tenant_id is not None and _tenant(activity) != self.tenant_id:
            return self._auth_failed("wrong_tenant", "this tenant may not decide here", 403)
        if activity.get("type") != "invoke":
            return TeamsResponse(200)  # messages, conversation updates: nothing to do here
        if activity.get("name") != "adaptiveCard/action":
            return _error(400, "unsupported", "only adaptiveCard/action invokes are handled")
        return self._action(activity)

    def _action(self, activity: Mapping[str, Any]) -> TeamsResponse:
        value = activity.get("value")
        action = value.get("action") if isinstance(value, dict) else None
        data = action.get("data") if isinstance(action, dict) else None
        if not isinstance(action, dict) or action.get("type") != "Action.Execute":
            return _error(400, "malformed", "expected an Action.Execute")
        verb = action.get("verb")
        if verb not in (VERB_APPROVE, VERB_REJECT, VERB_REFRESH) or not isinstance(data, dict):
            return _error(400, "malformed", "unknown verb or no data")
        rid, digest = data.get("r"), data.get("d")
        if not isinstance(rid, str) or not isinstance(digest, str):
            return _error(400, "malformed", "the action does not name a request")
        sender = activity.get("from")
        aad = sender.get("aadObjectId") if isinstance(sender, dict) else None
        try:
            request = self.service.get(rid)
        except UnknownRequestError:
            self._audit("teams.unknown_request", aad_object_id=_trail_id(aad))
            return _error(404, "unknown_request", "no such approval request")
        if verb == VERB_REFRESH:
            return _card(Card.from_request(request), inbox_url=self.inbox_url)
        approver = self.service.resolve("teams", aad) if isinstance(aad, str) and aad else None
        if approver is None:
            self._audit("teams.unknown_user", request_id=rid, aad_object_id=_trail_id(aad))
        reason = data.get("reason")
        if isinstance(reason, str) and not _is_text(reason):
            # JSON's \ud800 escapes decode to lone surrogates, which no UTF-8 answer can carry:
            # stored in the vote, the card of this request could no longer be sent anywhere
            return _error(400, "malformed", "the reason is not valid text")
        if isinstance(reason, str) and len(reason) > MAX_REASON:
            # the card's maxLength binds only a well-behaved client
            note = f"The reason is too long (at most {MAX_REASON:,} characters)."
            return _card(Card.from_request(request), note, self.inbox_url)
        click, who = _id_part(activity.get("id")), _id_part(aad)
        try:
            outcome = submit_decision(
                self.service,
                rid,
                channel="teams",
                approver=approver,
                verdict="approve" if verb == VERB_APPROVE else "reject",
                reason=reason if isinstance(reason, str) else "",
                args_digest=digest,
                decision_id=f"teams:{who}:{click}" if click else None,
            )
        except DecisionRefused as refusal:
            note = _REFUSAL_TEXT.get(refusal.code or "", "Your decision was refused.")
            return _card(Card.from_request(self.service.get(rid)), note, self.inbox_url)
        except InputError:
            return _error(400, "malformed", "the decision is invalid")
        return _card(Card.from_request(outcome.request), inbox_url=self.inbox_url)

    def _auth_failed(self, code: str, message: str, status: int = 401) -> TeamsResponse:
        left_out = self._failures.admit()  # None: over the budget, counted, not recorded
        if left_out is not None:
            extra: dict[str, Any] = {"suppressed": left_out} if left_out else {}
            self._audit("teams.auth_failed", code=code, **extra)
        return _error(status, code, message)

    def _audit(self, kind: str, *, request_id: str | None = None, **data: Any) -> None:
        if self.service.audit is not None:
            self.service.audit.record(kind, request_id=request_id, data=data)
