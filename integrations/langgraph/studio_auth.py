"""Authentication for ``langgraph dev`` / LangGraph servers running the example guarded agent.

Approvals are only as good as the identity of the person who resumes a thread: the middleware reads
the requester and the approver from ``langgraph_auth_user``, which the server sets after THIS
handler verified the caller. Tokens come from the ``GUARDRAILS_DEV_TOKENS`` environment variable
(``alice=token-a,bob=token-b``); with none configured every bearer token is refused (fail closed).
Compare in constant time; never log the token.

Studio's own UI authenticates as ``langgraph-studio-user`` in local development (LangGraph's
behaviour, see ``disable_studio_auth`` in langgraph.json); that user is a distinct reviewer, never
the requester of a run started with a token.

Example:
    >>> import os
    >>> os.environ["GUARDRAILS_DEV_TOKENS"] = "alice=a-token,bob=b-token"
    >>> user_for("Bearer b-token")
    'bob'
    >>> user_for("Bearer wrong") is None
    True
"""

from __future__ import annotations

import hmac
import os
from typing import Any

from langgraph_sdk import Auth

__all__ = ["auth", "user_for"]

auth = Auth()


def _tokens() -> dict[str, str]:
    pairs = [p for p in os.environ.get("GUARDRAILS_DEV_TOKENS", "").split(",") if "=" in p]
    return {
        tok.strip(): user.strip() for user, tok in (p.split("=", 1) for p in pairs) if tok.strip()
    }


def user_for(authorization: str | None) -> str | None:
    """The user whose configured token is presented as ``Bearer <token>``, else None."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    presented = authorization[len("Bearer ") :].strip().encode()
    found = None
    for token, user in _tokens().items():  # no early exit: the time does not depend on the match
        if hmac.compare_digest(token.encode(), presented):
            found = user
    return found


@auth.authenticate
async def authenticate(authorization: str | None) -> Auth.types.MinimalUserDict:
    """Map a bearer token to the user identity LangGraph passes to the graph."""
    user = user_for(authorization)
    if user is None:
        raise Auth.exceptions.HTTPException(status_code=401, detail="unknown or missing token")
    return {"identity": user, "permissions": []}


@auth.on.threads.create_run
async def checkpoint_at_exit_only(ctx: Auth.types.AuthContext, value: Any) -> None:
    """Persist runs of guarded graphs only at exit or interrupt.

    LangGraph stores a run's raw input in the first checkpoints, before any middleware hook can
    redact it; with ``durability="exit"`` only the state at the end of the run (or at the approval
    interrupt) is saved, and by then the guardrails hooks have replaced every message with its
    masked form. Intermediate checkpoints are the price: a crashed run restarts from its input.
    """
    kwargs = value.setdefault("kwargs", {})
    kwargs["durability"] = "exit"


@auth.on.threads.update
async def no_direct_state_writes(ctx: Auth.types.AuthContext, value: Any) -> None:
    """Refuse writes to a guarded thread's state from outside a run (``update_state``).

    A state write can name any node (``as_node``) and any value: it could skip the hook that binds
    the requester, plant a message the model never had masked, or rewrite history a reviewer saw.
    A guarded thread changes only through runs (new input or a resume, both checked by the graph).
    Updating the thread's metadata stays allowed: LangGraph asks this handler for both, and only a
    state write comes without ``metadata``.
    """
    if value.get("metadata") is None:
        raise Auth.exceptions.HTTPException(
            status_code=403, detail="guarded threads change only through runs"
        )
