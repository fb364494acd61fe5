"""Microsoft Teams channel: a bot that decides in place (Adaptive Card ``Action.Execute``) with a
validated Bot Connector JWT, and a notify-only webhook tier that links to the web inbox.

Example:
    >>> from guardrails.approvals import ApprovalService
    >>> from guardrails.policy import Policy
    >>> from integrations.teams import BotFrameworkAuth, TeamsBot, create_teams_app
    >>> bot = TeamsBot(ApprovalService(Policy.default_policy()),
    ...                auth=BotFrameworkAuth(app_id="00000000-bot-app-id"))
    >>> app = create_teams_app(bot)
"""

from integrations._deps import require

require("jwt", extra="teams", package="pyjwt")
require("httpx", extra="teams")
require("starlette", extra="teams")

from integrations.teams._app import create_teams_app  # noqa: E402
from integrations.teams._auth import (  # noqa: E402
    BOT_FRAMEWORK_ISSUER,
    BOT_FRAMEWORK_OPENID,
    BotAuthFailed,
    BotFrameworkAuth,
)
from integrations.teams._bot import TeamsBot, TeamsResponse  # noqa: E402
from integrations.teams._cards import notify_card, request_card  # noqa: E402
from integrations.teams._connector import TeamsBotChannel  # noqa: E402
from integrations.teams._webhook import TeamsWebhookChannel  # noqa: E402

__all__ = [
    "BOT_FRAMEWORK_ISSUER",
    "BOT_FRAMEWORK_OPENID",
    "BotAuthFailed",
    "BotFrameworkAuth",
    "TeamsBot",
    "TeamsBotChannel",
    "TeamsResponse",
    "TeamsWebhookChannel",
    "create_teams_app",
    "notify_card",
    "request_card",
]
