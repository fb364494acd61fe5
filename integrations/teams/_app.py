"""The bot messaging endpoint as a Starlette app."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from integrations._body import BodyRefused, read_body
from integrations.teams._bot import TeamsBot, TeamsResponse

__all__ = ["create_teams_app"]


def create_teams_app(
    bot: TeamsBot, *, path: str = "/api/messages", read_timeout: float = 10.0
) -> Starlette:
    """A Starlette app with ``POST {path}``, the bot's messaging endpoint.

    The body is read with a size cap (413) and a deadline (408 after ``read_timeout`` seconds:
    it must be whole before its token is checked, so anyone could otherwise hold a connection
    open by sending it slowly).

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
        try:
            body = await read_body(request, limit=bot.max_body, timeout=read_timeout)
        except BodyRefused as refused:
            status = refused.status
            return _json(TeamsResponse(status, {"statusCode": status, "error": refused.code}))
        result = await run_in_threadpool(bot.handle, dict(request.headers), body)
        return _json(result)

    return Starlette(routes=[Route(path, endpoint, methods=["POST"])])


def _json(result: TeamsResponse) -> Response:
    if result.body is None:
        return Response(status_code=result.status)
    return JSONResponse(result.body, status_code=result.status)
