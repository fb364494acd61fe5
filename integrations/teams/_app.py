"""The bot messaging endpoint as a Starlette app."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from integrations.teams._bot import TeamsBot, TeamsResponse

__all__ = ["create_teams_app"]


def create_teams_app(bot: TeamsBot, *, path: str = "/api/messages") -> Starlette:
    """A Starlette app with ``POST {path}``, the bot's messaging endpoint.

    Example:
        >>> from guardrails.approvals import ApprovalService
        >>> from guardrails.policy import Policy
        >>> from integrations.teams import BotFrameworkAuth
        >>> bot = TeamsBot(ApprovalService(Policy()),
        ...                auth=BotFrameworkAuth(app_id="a", jwks={"keys": []}))
        >>> [r.path for r in create_teams_app(bot).routes]
        ['/api/messages']
    """

    async def endpoint(request: Request) -> Response:
        limit = bot.max_body
        declared = request.headers.get("content-length")
        too_large = TeamsResponse(413, {"statusCode": 413, "error": "too_large"})
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return _json(too_large)
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return _json(too_large)
            chunks.append(chunk)
        result = await run_in_threadpool(bot.handle, dict(request.headers), b"".join(chunks))
        return _json(result)

    return Starlette(routes=[Route(path, endpoint, methods=["POST"])])


def _json(result: TeamsResponse) -> Response:
    if result.body is None:
        return Response(status_code=result.status)
    return JSONResponse(result.body, status_code=result.status)
