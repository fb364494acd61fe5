"""The interactivity endpoint as a Starlette app (mount it, or run it with uvicorn)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from integrations._body import BodyRefused, read_body
from integrations.slack._interactions import SlackInteractions
from integrations.slack._parsing import SlackResponse

__all__ = ["create_slack_app"]


def create_slack_app(
    interactions: SlackInteractions,
    *,
    path: str = "/slack/interactions",
    read_timeout: float = 10.0,
) -> Starlette:
    """A Starlette app with ``POST {path}`` for Slack's interactivity requests.

    The body is read with a size cap and a deadline before anything else (413, or 408 when it
    takes over ``read_timeout`` seconds: the body must be whole before its signature can be
    checked, so anyone could otherwise hold a connection open by sending it slowly); verification and the decision run in
    a worker thread (the decision is one store transaction; Slack Web API calls are queued on
    the channel's own thread), so Slack gets its answer well inside 3 s.

    Example:
        >>> from slack_sdk import WebClient
        >>> from guardrails.approvals import ApprovalService
        >>> from guardrails.policy import Policy
        >>> from integrations.slack import SlackChannel
        >>> ch = SlackChannel(WebClient(token="xoxb-t"), channel="C1")
        >>> app = create_slack_app(SlackInteractions(ApprovalService(Policy()),
        ...                        signing_secret="s" * 32, channel=ch))
        >>> [r.path for r in app.routes]
        ['/slack/interactions']
        >>> ch.close()
    """

    async def endpoint(request: Request) -> Response:
        try:
            body = await read_body(request, limit=interactions.max_body, timeout=read_timeout)
        except BodyRefused as refused:
            return _json(SlackResponse(refused.status, {"ok": False, "error": refused.code}))
        headers = dict(request.headers)
        result = await run_in_threadpool(interactions.handle, headers, body)
        return _json(result)

    return Starlette(routes=[Route(path, endpoint, methods=["POST"])])


def _json(result: SlackResponse) -> Response:
    if result.body is None:
        return Response(status_code=result.status)
    return JSONResponse(result.body, status_code=result.status)
