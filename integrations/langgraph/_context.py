"""Who and where, read from a LangGraph run config: thread, run, requester, resuming user."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from guardrails.guard import CallContext

__all__ = ["UserResolver", "call_context", "default_user"]

UserResolver = Callable[[Mapping[str, Any]], str | None]


def default_user(config: Mapping[str, Any]) -> str | None:
    """The authenticated user of a run: LangGraph platform auth, else ``configurable.user_id``.

    ``langgraph_auth_user`` is set by the LangGraph server after its auth handler verified the
    caller (an object with ``identity``, or a dict with ``identity``); ``user_id`` is what an
    application that authenticates its own users passes in the config.
    """
    conf = config.get("configurable") or {}
    auth = conf.get("langgraph_auth_user")
    if auth is not None:
        identity = (
            auth.get("identity") if isinstance(auth, Mapping) else getattr(auth, "identity", None)
        )
        if isinstance(identity, str) and identity:
            return identity
    user = conf.get("user_id")
    return user if isinstance(user, str) and user else None


def _run_id(config: Mapping[str, Any]) -> Any:
    """The run's id: set by the LangGraph server (configurable/metadata ``run_id``); locally,
    the traced parent run of this node (what LangSmith shows), as LangGraph hides the root's."""
    conf = config.get("configurable") or {}
    meta = config.get("metadata") or {}
    found = config.get("run_id") or conf.get("run_id") or meta.get("run_id")
    if found is None:
        found = getattr(config.get("callbacks"), "parent_run_id", None)
    return found


_UNSET: Any = object()


def call_context(
    config: Mapping[str, Any],
    *,
    requester: str | None,
    scope: str = "",
    resolve_user: UserResolver = default_user,
    approver: str | None = _UNSET,
) -> CallContext:
    """The guard's context for a call running under ``config``.

    ``requester`` is the user the thread's current turn acts for (kept in state, because a
    resuming run is made by someone else); the approver is the resuming run's own user
    (``resolve_user(config)``, or ``approver`` when the caller already resolved it).
    """
    conf = config.get("configurable") or {}
    thread_id = conf.get("thread_id")
    run_id = _run_id(config)
    return CallContext(
        thread_id=str(thread_id) if thread_id is not None else "",
        run_id=str(run_id) if run_id is not None else None,
        requester=requester,
        approver=resolve_user(config) if approver is _UNSET else approver,
        scope=scope,
    )
