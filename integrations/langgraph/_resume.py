"""Reading a resume: v1 decisions, signed permits and plain chat replies, checked before saving.

LangGraph validates a resume against the interrupt's ``response_schema`` *before* it saves it; an
invalid one raises ``pydantic.ValidationError`` (``langgraph.errors.is_invalid_resume`` is true)
and the same interrupt can be answered again. :func:`response_schema` builds that schema for one
request: it parses the answer and has the guard verify it (approver, self-approval, permit,
expiry), so a malformed or forbidden resume never reaches the checkpoint. The error text says
what was wrong; the submitted value is hidden from it (it may hold an edit's raw arguments).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from langgraph.types import interrupt
from pydantic import ConfigDict, RootModel, model_validator

from guardrails import GuardrailsError
from guardrails.guard import Answer

__all__ = [
    "ResumeError",
    "check_labels",
    "decision_json_schema",
    "parse_answer",
    "parse_decisions",
    "response_schema",
    "verified_interrupt",
]

_APPROVE = {"approve", "approved", "yes", "y", "ok", "lgtm", "accept", "allow"}
_REJECT = {"reject", "rejected", "no", "n", "deny", "denied", "decline"}
_CHAT = re.compile(r"^\s*([A-Za-z]+)\s*(?:[:\-,]\s*(.*))?$", re.DOTALL)


class ResumeError(ValueError):
    """A resume value that is not a decision we accept (a ``ValueError`` so pydantic reports it)."""


def parse_answer(value: Any, *, chat_replies: bool = True, tool_name: str | None = None) -> Answer:
    """One decision from a v1 decision dict, a permit, or (where allowed) a chat reply.

    Example:
        >>> parse_answer({"type": "reject", "message": "too broad"}).message
        'too broad'
        >>> parse_answer("reject: too broad").verdict
        'reject'
    """
    if isinstance(value, Mapping) and isinstance(value.get("decisions"), list):
        if len(value["decisions"]) != 1:
            raise ResumeError("expected exactly one decision for this tool call")
        value = value["decisions"][0]
    if isinstance(value, str):
        if not chat_replies:
            raise ResumeError("plain-text replies are not allowed for this tool; send a decision")
        return _chat(value)
    if not isinstance(value, Mapping):
        raise ResumeError(
            'a resume must be a decision like {"type": "approve"}, {"type": "reject", '
            '"message": "..."}, {"type": "edit", "edited_action": {...}} or {"permit": "..."}'
        )
    permit = value.get("permit")
    if permit is not None and not isinstance(permit, str):
        raise ResumeError("'permit' must be a string")
    kind = value.get("type", "approve" if permit else None)
    if kind == "approve":
        return Answer(verdict="approve", permit=permit, message=str(value.get("message") or ""))
    if kind == "reject":
        message = value.get("message", "")
        if not isinstance(message, str):
            raise ResumeError("a reject decision's 'message' must be a string")
        return Answer(verdict="reject", message=message, permit=permit)
    if kind == "edit":
        action = value.get("edited_action")
        if not isinstance(action, Mapping) or not isinstance(action.get("args"), Mapping):
            raise ResumeError("an edit decision needs 'edited_action' with 'name' and 'args'")
        name = action.get("name", tool_name)
        if not isinstance(name, str):
            raise ResumeError("'edited_action.name' must be a string")
        return Answer(verdict="edit", args=dict(action["args"]), tool_name=name, permit=permit)
    if kind == "respond":
        raise ResumeError(
            "'respond' is not accepted: a guarded tool call is approved, edited or rejected"
        )
    # The submitted type is not echoed: the error reaches logs, and a reviewer may have typed
    # anything there (an address, a name).
    raise ResumeError("unknown decision type; use approve, edit or reject")


def check_labels(value: Any, *, call_id: str, request_ids: Sequence[str], where: str) -> None:
    """Refuse a decision that names another tool call or request than the one it answers.

    Decisions are matched by position (LangChain's v1 format has no ids); a client that labels
    them with the ``tool_call_id`` or ``request_id`` of the payload it showed gets its labels
    checked, so decisions sent out of order are refused instead of applied to the wrong call.
    The labels are not echoed (they are caller text).
    """
    if isinstance(value, Mapping) and isinstance(value.get("decisions"), list):
        if len(value["decisions"]) != 1:
            return  # refused by the parser
        value = value["decisions"][0]
    if not isinstance(value, Mapping):
        return
    named = value.get("tool_call_id")
    if named is not None and named != call_id:
        raise ResumeError(f"{where} names another tool call; decisions are matched in order")
    named = value.get("request_id")
    if named is not None and named not in request_ids:
        raise ResumeError(f"{where} names another approval request; decisions are matched in order")


def _chat(text: str) -> Answer:
    m = _CHAT.match(text)
    word = m.group(1).lower() if m else ""
    rest = (m.group(2) or "").strip() if m else ""
    if word in _APPROVE:
        return Answer(verdict="approve", message=rest, channel="chat")
    if word in _REJECT:
        return Answer(verdict="reject", message=rest, channel="chat")
    raise ResumeError(
        'a chat reply must start with "approve" or "reject" (e.g. "reject: too broad")'
    )


def parse_decisions(value: Any, count: int) -> list[Any]:
    """The per-request raw decisions of a batched resume (``{"decisions": [...]}``)."""
    if isinstance(value, str) and count == 1:
        return [value]
    if isinstance(value, Mapping) and "decisions" not in value and count == 1:
        return [value]
    if not isinstance(value, Mapping) or not isinstance(value.get("decisions"), list):
        raise ResumeError('a batched resume must be {"decisions": [...]}, one per action request')
    decisions = value["decisions"]
    if len(decisions) != count:
        raise ResumeError(
            f"expected {count} decision(s), one per action request, got {len(decisions)}"
        )
    return list(decisions)


def decision_json_schema(
    allowed: Sequence[str], *, chat_replies: bool = True, batched: bool = False
) -> dict[str, Any]:
    """The JSON schema clients render for an answer: the allowed v1 decisions, a permit, text.

    Example:
        >>> decision_json_schema(["approve"])["anyOf"][0]["properties"]["type"]["const"]
        'approve'
    """
    branches: list[dict[str, Any]] = []
    if "approve" in allowed:
        branches.append(_obj("approve", {}))
    if "edit" in allowed:
        action = {
            "type": "object",
            "required": ["name", "args"],
            "properties": {"name": {"type": "string"}, "args": {"type": "object"}},
        }
        branches.append(_obj("edit", {"edited_action": action}, ["edited_action"]))
    if "reject" in allowed:
        branches.append(_obj("reject", {"message": {"type": "string"}}))
    branches.append(
        {
            "type": "object",
            "title": "Signed permit",
            "required": ["permit"],
            "properties": {"permit": {"type": "string"}},
        }
    )
    if chat_replies:
        branches.append({"type": "string", "title": 'Chat reply ("approve", "reject: reason")'})
    one: dict[str, Any] = {"anyOf": branches}
    if not batched:
        return one
    return {
        "type": "object",
        "required": ["decisions"],
        "properties": {"decisions": {"type": "array", "items": one}},
    }


def _obj(kind: str, props: dict[str, Any], required: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "title": kind.capitalize(),
        "required": ["type", *required],
        "properties": {"type": {"const": kind}, **props},
    }


def response_schema(
    check: Callable[[Any], Any],
    name: str = "GuardrailsDecision",
    *,
    json_schema: dict[str, Any] | None = None,
) -> type[RootModel[Any]]:
    """A pydantic type whose validation runs ``check`` (parse + verify); errors hide the input.

    ``check`` raises :class:`ResumeError` or a :class:`~guardrails.GuardrailsError`; both become a
    ``ValidationError`` carrying its message, so LangGraph refuses the resume without saving it.
    """

    def _validate(cls: type[RootModel[Any]], value: Any, handler: Any) -> Any:
        raw = value.root if isinstance(value, RootModel) else value
        try:
            result = check(raw)
        except GuardrailsError as exc:
            raise ValueError(str(exc)) from exc
        return cls.model_construct(root=result)

    published = json_schema

    def _schema(cls: type[RootModel[Any]], core_schema: Any, handler: Any) -> Any:
        # A fresh copy each time: a shared schema class must not hand out one mutable dict.
        return copy.deepcopy(published) if published is not None else handler(core_schema)

    model: type[RootModel[Any]] = type(
        name,
        (RootModel[Any],),
        {
            "model_config": ConfigDict(hide_input_in_errors=True, arbitrary_types_allowed=True),
            "_guard": model_validator(mode="wrap")(classmethod(_validate)),  # type: ignore[arg-type]
            "__get_pydantic_json_schema__": classmethod(_schema),
            "__module__": __name__,
        },
    )
    return model


# The check of the interrupt being answered in this context. LangGraph validates a resume inside
# the ``interrupt()`` call (same thread, same context), so a schema class shared by every
# request finds its request's check here: building a pydantic class per interrupt cost ~1.5 ms.
_CHECK: ContextVar[Callable[[Any], Any] | None] = ContextVar(
    "guardrails_resume_check", default=None
)


def verified_interrupt(
    payload: Any,
    check: Callable[[Any], Any],
    name: str = "GuardrailsDecision",
    *,
    json_schema: dict[str, Any] | None = None,
) -> Any:
    """``interrupt(payload)`` whose resume value ``check`` parses and verifies before it is saved.

    Same behaviour as ``interrupt(payload, response_schema=response_schema(check, ...))``, with
    one cached schema class per ``(name, json_schema)`` instead of a new class per call.
    """
    published = json.dumps(json_schema, sort_keys=True) if json_schema is not None else None
    token = _CHECK.set(check)
    try:
        return interrupt(payload, response_schema=_shared_schema(name, published))
    finally:
        _CHECK.reset(token)


def _current_check(raw: Any) -> Any:
    check = _CHECK.get()
    if check is None:  # validated outside the interrupt that set it: verify nothing, accept nothing
        raise ResumeError("no decision is awaited here; the answer was not applied")
    return check(raw)


@functools.lru_cache(maxsize=64)
def _shared_schema(name: str, published: str | None) -> type[RootModel[Any]]:
    return response_schema(
        _current_check, name, json_schema=json.loads(published) if published is not None else None
    )
