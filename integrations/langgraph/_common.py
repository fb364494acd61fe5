"""Small pieces shared by the LangGraph glue: tool info, state access, task turn-taking."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage

from guardrails.guard import ToolInfo

__all__ = ["REQUESTER_KEY", "ToolInfos", "merge_requesters", "tool_info"]

REQUESTER_KEY = "guardrails_requester"
_MAX_TURNS = 64  # requester entries kept per thread (the newest)
_MAX_CALLS = 256  # call entries kept per thread (the newest)
CALL_PREFIX = "c:"  # a call entry: "c:" + call_digest -> {"u": requester, "tag": hmac}
_OWN_CHANNELS = frozenset({"langgraph", "chat"})


def tool_info(tool: Any, name: str, *, unknown_privileged: bool = False) -> ToolInfo:
    """Name, tags, metadata and description of a LangChain tool (``None``: unknown tool).

    ``unknown_privileged``: a tool the caller cannot see (``None``) is treated as tagged
    ``privileged``: its tags are unknown, so a tag-based rule must not fail open (another
    middleware may supply the tool object after this one ruled on the call).
    """
    if tool is None:
        if unknown_privileged:
            return ToolInfo(name=name, tags=frozenset({"privileged"}))
        return ToolInfo(name=name)
    return ToolInfo(
        name=name,
        tags=frozenset(getattr(tool, "tags", None) or ()),
        metadata=dict(getattr(tool, "metadata", None) or {}),
        description=str(getattr(tool, "description", "") or ""),
    )


class ToolInfos:
    """The :class:`ToolInfo` of each tool object, built again only when its name, tags,
    metadata or description change (plain, mutable fields on a LangChain tool: compared against
    copies, so a list or dict changed in place is seen). One per guard; tools are few and
    long-lived, so it is bounded but rarely full."""

    def __init__(self, max_tools: int = 1024) -> None:
        self._cache: dict[int, tuple[Any, tuple[Any, ...], ToolInfo]] = {}
        self._max = max_tools

    def get(self, tool: Any, name: str, *, unknown_privileged: bool = False) -> ToolInfo:
        """:func:`tool_info` of ``tool`` (``None``: unknown, never cached)."""
        if tool is None:
            return tool_info(None, name, unknown_privileged=unknown_privileged)
        tags = getattr(tool, "tags", None)
        meta = getattr(tool, "metadata", None)
        desc = getattr(tool, "description", "")
        cached = self._cache.get(id(tool))
        if cached is not None and cached[0] is tool and cached[1] == (name, tags, meta, desc):
            return cached[2]
        info = tool_info(tool, name)
        copies = (
            name,
            list(tags) if isinstance(tags, list) else tags,
            dict(meta) if isinstance(meta, Mapping) else meta,
            desc,
        )
        if len(self._cache) >= self._max:
            self._cache.clear()
        self._cache[id(tool)] = (tool, copies, info)
        return info


def merge_requesters(
    left: Mapping[str, Any] | None, right: Mapping[str, Any] | None
) -> Mapping[str, Any] | None:
    """Reducer for the requester channel: ``{turn number: entry}``, append-only.

    A number already held keeps its first entry, and a write that is not a mapping is ignored,
    so a later write (a tool's ``Command``, a resume's state update, ``update_state``) can add
    entries — which must still verify, see :meth:`GraphGuard.requester` — but never replace or
    drop the entry a turn was started with.
    """
    if not isinstance(right, Mapping):
        return left
    out = dict(left) if isinstance(left, Mapping) else {}
    for key, value in right.items():
        out.setdefault(str(key), value)
    turns = [k for k in out if k.isdigit()]
    calls = [k for k in out if k.startswith(CALL_PREFIX)]  # insertion order: oldest first
    if len(turns) > _MAX_TURNS or len(calls) > _MAX_CALLS or len(out) > len(turns) + len(calls):
        keep = sorted(turns, key=int)[-_MAX_TURNS:] + calls[-_MAX_CALLS:]
        out = {k: out[k] for k in keep}
    return out


def call_digest(call: Mapping[str, Any], masked_args: Any) -> str:
    """What a call entry binds: the call's id, tool name and masked arguments."""
    doc = {"id": call.get("id") or "", "name": call.get("name") or "", "args": masked_args}
    raw = json.dumps(doc, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _state_get(state: Any, key: str) -> Any:
    if isinstance(state, Mapping):
        return state.get(key)
    return getattr(state, key, None)


def _messages(state: Any) -> list[AnyMessage]:
    if isinstance(state, list):
        return state
    found = _state_get(state, "messages")
    return list(found or [])


def _turn(state: Any) -> str:
    """The last human message, the turn a requester is bound to: its id and a digest of its
    (masked) content, so the message replaced by id (a ``Command`` or ``update_state`` writing
    other words under the same id) is another turn."""
    for msg in reversed(_messages(state)):
        if getattr(msg, "type", None) == "human":
            content = getattr(msg, "content", "")
            text = content if isinstance(content, str) else json.dumps(content, default=str)
            digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
            return f"{getattr(msg, 'id', None) or ''}:{digest}"
    return ""


def _scope(state: Any, call_id: str) -> str:
    """The id of the AI message that made the call: tells apart call ids a model reuses."""
    for msg in reversed(_messages(state)):
        if isinstance(msg, AIMessage) and any(tc.get("id") == call_id for tc in msg.tool_calls):
            return msg.id or ""
    return ""


_RUNTIME_KEY = "__pregel_runtime"
_SCRATCHPAD = "__pregel_scratchpad"


class _Turns:
    """Whose turn it is to ask, in one multi-call task."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.next = 0


def _redacting_writer(writer: Any, redact: Callable[[Any], Any]) -> Callable[[Any], None]:
    def write(chunk: Any) -> None:
        writer(redact(chunk))

    return write
