"""The interactivity endpoint as a Starlette app (mount it, or run it with uvicorn)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from integrations.slack._interactions import SlackInteractions
from integrations.slack._parsing import SlackResponse

__all__ = ["create_slack_app"]


def create_slack_app(
    interactions: SlackInteractions, *, path: str = "/slack/interactions"
) -> Starlette:
    """A Starlette app with ``POST {path}`` for Slack's interactivity requests.

    The body is read with a size cap before anything else; verification and the decision run in
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
        limit = interactions.max_body
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return _json(SlackResponse(413, {"ok": False, "error": "too_large"}))
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return _json(SlackResponse(413, {"ok": False, "error": "too_large"}))
            chunks.append(chunk)
        body = b"".join(chunks)
        headers = dict(request.headers)
        result = await run_in_threadpool(interactions.handle, headers, body)
        return _json(result)

    return Starlette(routes=[Route(path, endpoint, methods=["POST"])])


def _json(result: SlackResponse) -> Response:
    if result.body is None:
        return Response(status_code=result.status)
    return JSONResponse(result.body, status_code=result.status)
