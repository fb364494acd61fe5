"""HTTP channel: an approvals API and a web inbox (FastAPI), JWT/API-key auth, thread resumers.

Example:
    >>> from guardrails.approvals import ApprovalService
    >>> from guardrails.policy import Policy
    >>> from integrations.http import ApiKeys, create_app
    >>> app = create_app(ApprovalService(Policy()), verifier=ApiKeys({"dev-key-0123456789": "bob"}))
    >>> app.title
    'action-guardrails approvals'
"""

from integrations._deps import require

require("fastapi", extra="http")
require("jwt", extra="http", package="pyjwt")
require("limits", extra="http")

from integrations.http._app import REFUSAL_STATUS, create_app  # noqa: E402
from integrations.http._auth import (  # noqa: E402
    ApiKeys,
    AuthenticationFailed,
    JWTVerifier,
    TokenVerifier,
    Verifiers,
)
from integrations.http._inbox import InboxChannel  # noqa: E402
from integrations.http._ratelimit import RateLimits  # noqa: E402
from integrations.http._resume import AutoResume, GraphResumer, Resumer, SdkResumer  # noqa: E402

__all__ = [
    "REFUSAL_STATUS",
    "ApiKeys",
    "AuthenticationFailed",
    "AutoResume",
    "GraphResumer",
    "InboxChannel",
    "JWTVerifier",
    "RateLimits",
    "Resumer",
    "SdkResumer",
    "TokenVerifier",
    "Verifiers",
    "create_app",
]
