"""The FastAPI app: the approvals API and the web inbox, over one :class:`ApprovalService`.

Every route except the page, its static files and ``/healthz`` needs a bearer token. The
approver is *only* the principal the verified token's subject resolves to in the service's
directory; nothing in a request body names who decides. Refusals come back as 4xx with the
service's refusal ``code`` and are in the audit trail, as are authentication failures
(``http.auth_failed``) and unknown users (``http.unknown_user``).
"""

# No `from __future__ import annotations`: FastAPI reads the route annotations at runtime and
# `Caller` is local to create_app.
import base64
import binascii
import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from guardrails import (
    AuditError,
    ConfigurationError,
    DecisionRefused,
    InputError,
    Principal,
    UnknownRequestError,
)
from guardrails.approvals import ApprovalRequest, ApprovalService
from guardrails.channels import Card, FanOut, submit_decision
from integrations._body import BodyRefused, read_body
from integrations.http._auth import AuthenticationFailed, TokenVerifier
from integrations.http._history import History
from integrations.http._inbox import InboxChannel
from integrations.http._ratelimit import RateLimiter, RateLimits
from integrations.http._schemas import DecisionIn, DecisionOut, ErrorOut, MeOut

__all__ = ["REFUSAL_STATUS", "create_app"]

_STATIC = Path(__file__).parent / "static"
MAX_BODY = 64 * 1024

# refusal code -> HTTP status: who you are (403), the request's state (409/410), the payload (422)
REFUSAL_STATUS: dict[str, int] = {
    "unauthenticated": 403,
    "not_human": 403,
    "self_approval": 403,
    "not_authorized": 403,
    "duplicate_approver": 409,
    "replayed": 409,
    "not_pending": 409,
    "already_used": 409,
    "digest_mismatch": 409,
    "expired": 410,
    "decision_not_allowed": 422,
    "reason_required": 422,
    "edit_unknown_tool": 422,
    "edit_invalid": 422,
    "edit_denied": 422,
}


def _encode_cursor(request: ApprovalRequest) -> str:
    raw = json.dumps([request.created_at.isoformat(), request.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


_BAD_CURSOR = "the cursor is not one this API issued (start again without it)"


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The ``(created_at, id)`` page key of a cursor from :func:`_encode_cursor`, or a 400."""
    try:
        if len(cursor) > 512:
            raise ValueError
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        when, request_id = raw
        created = datetime.fromisoformat(when)
        if (
            created.tzinfo is None
            or not isinstance(request_id, str)
            or len(request_id) > 200
            or "\x00" in request_id  # no id we issue holds one (PostgreSQL cannot store it)
        ):
            raise ValueError
    except (ValueError, TypeError, binascii.Error):
        raise _HTTPError(400, "bad_cursor", _BAD_CURSOR) from None
    return created, request_id


class _HTTPError(Exception):
    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ):
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})


def _error(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": code, "message": message}, status_code=status, headers=dict(headers or {})
    )


_ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorOut} for s in (400, 401, 403, 404, 408, 409, 410, 413, 415, 422, 429, 503)
}
_DEFAULT_LIMITS = RateLimits()


def create_app(
    service: ApprovalService,
    *,
    verifier: TokenVerifier,
    inbox: InboxChannel | None = None,
    identity_channel: str = "token",
    max_body: int = MAX_BODY,
    rate_limits: RateLimits | None = _DEFAULT_LIMITS,
    title: str = "action-guardrails approvals",
    read_timeout: float = 10.0,
    api_docs: bool = False,
    visibility: Literal["all", "involved"] = "involved",
) -> FastAPI:
    """The approvals API + web inbox for ``service``.

    Args:
        service: the approval service every channel shares (its directory resolves subjects).
        verifier: checks bearer tokens (:class:`JWTVerifier`, :class:`ApiKeys`, :class:`Verifiers`).
        inbox: the inbox channel, if you wire it into your own :class:`FanOut` (with Slack,
            Teams…); by default the app creates one and a fan-out of its own.
        identity_channel: the directory channel a token subject is looked up under; a subject
            that is not linked there resolves as the principal with that id, if listed.
        max_body: the largest request body accepted (413 above it).
        read_timeout: seconds allowed to send a decision's body (408 after it): the ASGI server
            sets no such limit, and a body sent byte by byte would hold its connection.
        visibility: who may read a request through the API (listings, one request, history):
            ``"involved"`` (default) only its requester, the people who may decide it now and
            those who voted on it (others get 404, as for an unknown id); ``"all"`` (opt-in)
            every authenticated human in the directory, so a colleague who opens a link sees
            the masked card and is told they cannot decide. Deciding is authorized by the
            service either way.
        api_docs: serve Swagger UI at ``/docs``. Off by default: it loads its script from a
            public CDN onto the inbox's origin, where reviewers would paste their tokens
            (``/openapi.json`` is always served).
        rate_limits: per-client-address (before authentication) and per-reviewer limits on the
            API (429 with ``Retry-After`` above them); ``None`` or :meth:`RateLimits.off` turns
            them off. The defaults are :class:`RateLimits`' (counters in this process).

    Example:
        >>> from guardrails.policy import Policy
        >>> from integrations.http import ApiKeys
        >>> app = create_app(ApprovalService(Policy()), verifier=ApiKeys({"k" * 16: "bob"}))
        >>> sorted(r.path for r in app.routes if r.path.startswith("/api"))[:2]
        ['/api/history', '/api/me']
    """
    if inbox is None:
        inbox = InboxChannel()
        fanout: FanOut | None = FanOut(service, {"inbox": inbox})
    else:
        fanout = None
    # Swagger UI pulls its script from a public CDN onto this origin: opt-in only.
    app = FastAPI(title=title, version="1", docs_url="/docs" if api_docs else None, redoc_url=None)
    app.add_middleware(_NoStore)
    app.state.service = service
    app.state.inbox = inbox
    app.state.fanout = fanout
    limiter = RateLimiter(rate_limits) if rate_limits is not None else None
    app.state.limiter = limiter
    closed = History(service, inbox)
    bearer = HTTPBearer(
        auto_error=False, description="A JWT from your identity provider or a dev API key"
    )

    def audit(kind: str, **data: Any) -> None:
        if service.audit is not None:
            principal = data.pop("principal", None)
            request_id = data.pop("request_id", None)
            service.audit.record(kind, principal=principal, request_id=request_id, data=data)

    @app.exception_handler(_HTTPError)
    async def _http_error(request: Request, exc: _HTTPError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, "invalid", _describe(exc.errors()))

    def throttle(limit: str, key: str) -> None:
        if limiter is None:
            return
        wait = limiter.hit(limit, key)
        if wait is not None:
            who = "this address" if limit.endswith("_ip") else "you"
            raise _HTTPError(
                429,
                "rate_limited",
                f"too many requests from {who}; retry in {wait:.0f} s",
                {"Retry-After": f"{wait:.0f}"},
            )

    def principal(
        request: Request,
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal | None:
        path_id = request.path_params.get("request_id")
        # Before the token is looked at: floods of guessed or forged tokens cost one counter each.
        ip = limiter.client(request) if limiter is not None else ""
        throttle("per_ip", ip)
        # An address that spent its failures still gets valid tokens through: it is often
        # shared (an office NAT, a proxy), and one client's bad tokens must not shut out every
        # reviewer behind it. Its further failures are refused with 429 and not audited.
        spent = limiter.blocked("auth_failures_per_ip", ip) if limiter is not None else None

        def failed(code: str, message: str, challenge: str) -> _HTTPError:
            if spent is not None:
                return _HTTPError(
                    429,
                    "rate_limited",
                    f"too many failed tokens from this address; retry in {spent:.0f} s",
                    {"Retry-After": f"{spent:.0f}"},
                )
            if limiter is not None:
                limiter.hit("auth_failures_per_ip", ip)
            audit(
                "http.auth_failed",
                code=code,
                path=_route(request),
                request_id=_known_id(service, path_id),
            )
            return _HTTPError(401, code, message, {"WWW-Authenticate": challenge})

        per_principal = (
            "decisions_per_principal" if request.method == "POST" else "reads_per_principal"
        )
        if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
            raise failed("missing", "send Authorization: Bearer <token>", "Bearer")
        try:
            subject = verifier.verify(creds.credentials)
        except AuthenticationFailed as exc:
            raise failed(exc.code, str(exc), 'Bearer error="invalid_token"') from None
        found = service.resolve(identity_channel, subject) or service.resolve("principal", subject)
        throttle(per_principal, found.id if found is not None else "subject:" + subject)
        if found is None:
            audit(
                "http.unknown_user",
                path=_route(request),
                request_id=_known_id(service, path_id),
                subject_chars=len(subject),
            )
            if request.method == "POST" and path_id:
                return None  # the service refuses (and audits) it as unauthenticated
            raise _HTTPError(403, "unknown_user", "your identity is not a known reviewer")
        return found

    Caller = Annotated[Principal | None, Depends(principal)]

    if visibility not in ("all", "involved"):
        raise ConfigurationError("visibility must be 'all' or 'involved'")

    def _sees(request: ApprovalRequest, me: Principal) -> bool:
        """Whether ``me`` may read ``request`` under ``visibility``."""
        if visibility == "all":
            return True
        mine = me.identity_key
        if request.requester is not None and request.requester.identity_key == mine:
            return True
        if any(v.approver.identity_key == mine for v in request.votes):
            return True
        return request.eligible(service.clock.now()).admits(me)

    def _readable(request_id: str, me: Principal) -> bool:
        """Whether ``me`` may read the request ``request_id`` (an unknown one: no)."""
        if visibility == "all":
            return True
        try:
            return _sees(service.get(request_id), me)
        except UnknownRequestError:
            return False

    def _view(request: ApprovalRequest, me: Principal) -> dict[str, Any]:
        card = Card.from_request(request)
        data = card.to_dict()
        now = service.clock.now()
        data["seconds_left"] = card.seconds_left(now)
        data["you_requested"] = card.requester == me.id
        data["expired"] = now >= request.expires_at
        data["you_may_decide"] = (
            card.open
            and not data["expired"]
            and me.is_human
            and card.requester != me.id
            and request.eligible(now).admits(me)
            and me.id not in card.decided_by
        )
        return data

    def _human(me: Principal | None) -> Principal:
        if me is None:
            raise _HTTPError(403, "unknown_user", "your identity is not a known reviewer")
        if not me.is_human:
            raise _HTTPError(403, "not_human", f"a {me.kind} principal cannot use the inbox")
        return me

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(_STATIC / "inbox.html", headers=_PAGE_HEADERS)

    app.mount("/static", StaticFiles(directory=_STATIC), name="static")

    @app.get("/api/me", response_model=MeOut, responses=_ERRORS)
    def me(me: Caller) -> MeOut:
        """The authenticated reviewer."""
        me = _human(me)
        return MeOut(
            id=me.id,
            display_name=me.display_name or me.id,
            kind=me.kind,
            groups=sorted(me.groups),
            roles=sorted(me.roles),
        )

    @app.get("/api/requests", responses=_ERRORS)
    def pending(me: Caller, limit: int = 100, cursor: str | None = None) -> dict[str, Any]:
        """Pending requests as masked cards, oldest first, ``limit`` (1-500) per page.

        ``next_cursor`` is set when more follow: pass it back as ``cursor`` for the next page
        (keyset paging: a request is never listed twice nor skipped while it stays pending).
        """
        me = _human(me)
        limit = max(1, min(limit, 500))
        after = _decode_cursor(cursor) if cursor is not None else None
        # A request past its expiry stays listed (marked expired) until the sweep records it, so a
        # reviewer sees why it can no longer be decided instead of a card vanishing.
        page: list[ApprovalRequest] = []
        more = False
        while not more:  # read on until the page is full of requests this caller may see
            rows = service.pending(limit=limit + 1, after=after)
            for r in rows:
                if not _sees(r, me):
                    continue
                if len(page) == limit:
                    more = True
                    break
                page.append(r)
            if len(rows) <= limit:
                break
            after = (rows[-1].created_at, rows[-1].id)
        # the cursor names the last card shown, never a request this caller may not see
        return {
            "requests": [_view(r, me) for r in page],
            "version": inbox.version,
            "next_cursor": _encode_cursor(page[-1]) if more else None,
        }

    @app.get("/api/requests/{request_id}", responses=_ERRORS)
    def get_one(request_id: str, me: Caller) -> dict[str, Any]:
        """One request as a masked card (any status)."""
        me = _human(me)
        try:
            request = service.get(request_id)
        except UnknownRequestError:
            request = None
        if request is None or not _sees(request, me):  # not theirs to read: as if unknown
            raise _HTTPError(404, "unknown_request", "no such approval request")
        return _view(request, me)

    @app.get("/api/history", responses=_ERRORS)
    def history(me: Caller, limit: int = 50) -> dict[str, Any]:
        """Recently closed requests, newest first, as masked cards.

        The same on every replica and after a restart: the ids come from the shared audit trail
        (``source: "audit"``); without a readable trail, from what this process saw close
        (``source: "process"``). The cards are read from the approval store.
        """
        me = _human(me)
        try:
            cards, source = closed.cards(max(1, min(limit, 200)))
        except AuditError:
            raise _HTTPError(503, "history_unavailable", "the audit trail cannot be read") from None
        if visibility != "all":
            found = service.store.get_many([c.request_id for c in cards]) if cards else {}
            cards = [c for c in cards if c.request_id in found and _sees(found[c.request_id], me)]
        return {"requests": [c.to_dict() for c in cards], "source": source}

    body_schema = DecisionIn.model_json_schema(ref_template="#/components/schemas/{model}")

    @app.post(
        "/api/requests/{request_id}/decision",
        response_model=DecisionOut,
        responses=_ERRORS,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": body_schema}},
            }
        },
    )
    async def decide(request_id: str, request: Request, me: Caller) -> DecisionOut:
        """Approve, edit or reject a request as the authenticated reviewer."""
        body = await _read_json(request, max_body, read_timeout)
        try:
            data = DecisionIn.model_validate_json(body)
        except ValidationError as exc:
            raise _HTTPError(422, "invalid", _describe(exc.errors(include_input=False))) from None
        approver = me
        try:
            outcome = await run_in_threadpool(
                lambda: submit_decision(
                    service,
                    request_id,
                    channel="http",
                    approver=approver,
                    verdict=data.verdict,
                    reason=data.reason,
                    args_digest=data.args_digest,
                    edited_tool=data.edited_tool,
                    edited_args=data.edited_args,
                    decision_id=f"http:{me.id if me else '?'}:{data.decision_id}"
                    if data.decision_id
                    else None,
                )
            )
        except DecisionRefused as refusal:
            if approver is not None and not await run_in_threadpool(
                _readable, request_id, approver
            ):
                # refused and audited by the service; the answer does not tell it exists
                raise _HTTPError(404, "unknown_request", "no such approval request") from None
            status = REFUSAL_STATUS.get(refusal.code, 403)
            raise _HTTPError(status, refusal.code, refusal.reason) from None
        except UnknownRequestError:
            audit(
                "http.unknown_request",
                principal=approver.id if approver else None,
                path=_route(request),
            )
            raise _HTTPError(404, "unknown_request", "no such approval request") from None
        except InputError as exc:
            raise _HTTPError(422, "invalid", str(exc)) from None
        return DecisionOut(
            status=outcome.status,
            card=_view(outcome.request, _human(me)),
            follow_up=outcome.follow_up.id if outcome.follow_up else None,
        )

    app.openapi_tags = [{"name": "approvals"}]
    return app


class _NoStore:
    """Every ``/api`` answer (cards, refusals, errors) is ``no-store`` and ``nosniff``: masked
    business data stays out of browser and proxy caches (pure ASGI: nothing is buffered)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Cache-Control"] = "no-store"
                headers["X-Content-Type-Options"] = "nosniff"
            await send(message)

        await self.app(scope, receive, send_marked)


# The page loads nothing from elsewhere and runs only its own script file.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


async def _read_json(request: Request, limit: int, timeout: float) -> bytes:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise _HTTPError(415, "unsupported_media_type", "send the decision as application/json")
    try:
        body = await read_body(request, limit=limit, timeout=timeout)
    except BodyRefused as refused:
        if refused.status == 408:
            raise _HTTPError(408, "too_slow", f"the body took over {timeout:g} s") from None
        raise _HTTPError(413, "too_large", f"the body must be at most {limit} bytes") from None
    if not body:
        raise _HTTPError(400, "empty_body", "the decision body is empty")
    return body


def _known_id(service: ApprovalService, value: Any) -> str | None:
    """A path's request id as an audit event may carry it: only an id the store holds.

    The path is the caller's text, written before (or without) any authentication, and the
    trail is append-only: an e-mail address or card number typed there would stay in it for
    good (and one over 512 characters would make the audit write fail, a 500 with the refusal
    unrecorded). An id the store does not hold names nothing worth keeping.
    """
    if not isinstance(value, str) or not 0 < len(value) <= 512:
        return None
    try:
        return value if service.store.get(value) is not None else None
    except Exception:  # a store that refuses the text (or is down) names nothing here
        return None


def _route(request: Request) -> str:
    """The route's template (``/api/requests/{request_id}/decision``), never the raw path."""
    route = request.scope.get("route")
    template = getattr(route, "path", None)
    return template if isinstance(template, str) else "?"


# The names a validation error may show; any other key in a location is the caller's text (an
# unknown field named after an e-mail address, say) and is shown as <field>.
_NAMES = frozenset(DecisionIn.model_fields) | {"query", "path", "limit", "cursor", "request_id"}


def _describe(errors: Any) -> str:
    """Validation errors as 'field: message' (never the submitted values or unknown names)."""
    parts = []
    for err in list(errors)[:5]:
        loc = ".".join(
            str(x) if isinstance(x, int) or x in _NAMES else "<field>"
            for x in err.get("loc", ())
            if x not in ("body",)
        )
        loc = loc or "body"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"
