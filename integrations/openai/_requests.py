"""Redact one parsed request body, field by field, following the OpenAI wire schema.

Every message of the history is walked, not only the last: system/developer/user/assistant text,
content parts, assistant tool-call arguments, tool results; for the Responses API every input item
including ``function_call`` arguments and ``function_call_output``, plus ``instructions``. Strings
go through the conversation's :class:`~guardrails.session.RedactionSession`, so an item re-sent
with the history costs a digest, not a scan.

Anything without a rule follows :attr:`GuardSettings.on_unknown`: refused with its field path
(never its value) or redacted generically. Errors are :class:`~guardrails.RequestBlocked`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from guardrails import RequestBlocked
from guardrails.session import RedactionSession
from integrations._schema import redact_name, redact_schema, redact_tool
from integrations.openai._rules import (
    ECHO_ITEMS,
    PASS_PARAMS,
    STRUCTURAL_KEYS,
    TEXT_PARAMS,
    Endpoint,
    GuardSettings,
    sdk_params,
)

__all__ = ["BodyRedactor"]

_known_params = cache(sdk_params)


class BodyRedactor:
    """Redacts request bodies for one conversation under one set of settings."""

    def __init__(self, session: RedactionSession, settings: GuardSettings) -> None:
        self.s = session
        self.settings = settings
        # Cached items depend on the settings that change a walk's result.
        self._mode = f"{settings.on_unknown}:{settings.binary}"

    # -- entry points --------------------------------------------------------------------------
    def body(self, kind: Endpoint, doc: Any) -> dict[str, Any]:
        """Redact a known endpoint's JSON body (a dict)."""
        if not isinstance(doc, dict):
            raise RequestBlocked(f"the {kind} request body must be a JSON object", where=kind)
        handlers: dict[str, Callable[[Any, str], Any]] = {
            "messages": self.messages,
            "input": self.embeddings_input if kind == "embeddings" else self.responses_input,
            "prediction": self.generic,
            "prompt": self.generic,
            "metadata": self.data,
            "stop": self.data,
            "web_search_options": self.data,
            "response_format": self.response_format,
            "text": self.text_config,
            "tools": self.tools,
            "functions": self.tools,
        }
        out: dict[str, Any] = {}
        for key, value in doc.items():
            if key in PASS_PARAMS[kind] or key in self.settings.pass_params:
                out[key] = value
            elif key in TEXT_PARAMS:
                out[key] = self.text(value, key)
            elif key in handlers:
                out[key] = handlers[key](value, key)
            elif key in _known_params(kind) or self.settings.on_unknown == "redact":
                out[key] = self.data(value, key)
            else:
                name = self._path(key)
                raise RequestBlocked(
                    f"unsupported parameter {name!r} for {kind}: it is not known to the openai "
                    "SDK and could carry raw data. Allow it with pass_params={...} or "
                    "on_unknown='redact'",
                    where=name,
                )
        return out

    def anything(self, doc: Any) -> Any:
        """Generic redaction of a whole body for an endpoint we do not understand."""
        return self.s.redact_data(doc)

    def _each(
        self, values: list[Any], walk: Callable[[Any, str], Any], where: str, name: str
    ) -> list[Any]:
        """Walk each history entry through the session: a re-sent one costs a digest compare."""
        return self.s.redact_history(
            values,
            lambda i, value: walk(value, f"{where}[{i}]"),
            kind=f"openai.{name}:{self._mode}",
        )

    # -- leaves --------------------------------------------------------------------------------
    def text(self, value: Any, where: str) -> Any:
        if isinstance(value, str):
            return self.s.redact_text(value)
        if value is None:
            return None
        return self.data(value, where)

    def data(self, value: Any, where: str) -> Any:
        """Strings (JSON documents inside strings included) and nested data, field rules applied."""
        del where
        if value is None or isinstance(value, bool | int | float):
            return value
        return self.s.redact_data(value)

    def _path(self, where: str) -> str:
        """A field path for an error message: key names come from the caller and may themselves
        be sensitive (an e-mail used as a key), so the path is redacted like any text."""
        return self.s.redact_text(where)

    def unknown(self, value: Any, where: str) -> Any:
        if value is None or self.settings.on_unknown == "redact":
            return self.generic(value, where)
        where = self._path(where)
        raise RequestBlocked(
            f"{where}: no redaction rule for this field; it was not sent. "
            "Use on_unknown='redact' to redact such fields generically",
            where=where,
        )

    def binary(self, value: Any, where: str) -> Any:
        if value is None or self.settings.binary == "allow":
            return value
        where = self._path(where)
        raise RequestBlocked(
            f"{where}: inline binary content (image, audio or file data) cannot be inspected for "
            "sensitive data; it was not sent. Send a file id or URL, or allow it with binary='allow'",
            where=where,
        )

    def url(self, value: Any, where: str) -> Any:
        if isinstance(value, str) and value.startswith("data:"):
            return self.binary(value, where)
        return self.text(value, where)

    def generic(self, value: Any, where: str) -> Any:
        """Every string redacted except structural keys; inline data follows ``binary``."""
        if isinstance(value, str):
            return self.url(value, where)
        if isinstance(value, list):
            return [self.generic(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            return {
                k: v if k in STRUCTURAL_KEYS else self.generic(v, f"{where}.{k}")
                for k, v in value.items()
            }
        return value

    def arguments(self, value: Any, where: str) -> Any:
        """Tool-call arguments: a JSON string, redacted inside the document (field rules too)."""
        return self.data(value, where)

    # -- schemas sent to the provider ----------------------------------------------------------
    # Structure kept (a generic walk would apply field rules to ``type``), free text and example
    # values masked: see :func:`integrations._schema.redact_schema`.
    def response_format(self, value: Any, where: str) -> Any:
        """Chat ``response_format``: ``{"type": "json_schema", "json_schema": {...}}``."""
        if isinstance(value, dict) and isinstance(value.get("json_schema"), dict):
            return {**value, "json_schema": self.schema_format(value["json_schema"], where)}
        return self.data(value, where)

    def text_config(self, value: Any, where: str) -> Any:
        """Responses ``text``: ``{"format": {"type": "json_schema", "name", "schema"...}}``."""
        if isinstance(value, dict) and isinstance(value.get("format"), dict):
            fmt = value["format"]
            masked = self.schema_format(fmt, where) if "schema" in fmt else self.data(fmt, where)
            rest = self.data({k: v for k, v in value.items() if k != "format"}, where)
            return {**rest, "format": masked}
        return self.data(value, where)

    def schema_format(self, value: dict[str, Any], where: str) -> dict[str, Any]:
        """A named schema (``name`` is an identifier the provider validates: kept)."""
        out = dict(value)
        for key, item in value.items():
            if key == "schema":
                out[key] = redact_schema(item, self.s)
            elif key not in ("name", "type", "strict"):
                out[key] = self.data(item, where)
        return out

    def tools(self, value: Any, where: str) -> Any:
        """Function tools (chat and Responses shapes; the legacy ``functions`` list too):
        description masked, parameters as a schema; any other tool (built-ins, MCP servers)
        redacted generically."""
        if not isinstance(value, list):
            return self.data(value, where)
        return [redact_tool(t, self.s) for t in value]

    # -- chat completions ----------------------------------------------------------------------
    def messages(self, value: Any, where: str) -> Any:
        if not isinstance(value, list):
            raise RequestBlocked(f"{where} must be a list of messages", where=where)
        return self._each(value, self.message, where, "message")

    def message(self, msg: Any, where: str) -> Any:
        if not isinstance(msg, dict):
            raise RequestBlocked(f"{where} must be an object", where=where)
        out: dict[str, Any] = {}
        for key, value in msg.items():
            at = f"{where}.{key}"
            if key in ("role", "tool_call_id", "audio"):
                out[key] = value
            elif key == "content":
                out[key] = self.content(value, at)
            elif key == "name" and isinstance(value, str):
                # A provider-valid name (OpenAI refuses spaces and ``<>``): see _schema.
                out[key] = redact_name(value, self.s, person=msg.get("role") == "user")
            elif key in ("name", "refusal"):
                out[key] = self.text(value, at)
            elif key == "tool_calls":
                out[key] = self.tool_calls(value, at)
            elif key == "function_call":
                out[key] = self.function(value, at)
            elif key == "annotations":
                out[key] = self.generic(value, at)
            else:
                out[key] = self.unknown(value, at)
        return out

    def tool_calls(self, value: Any, where: str) -> Any:
        if value is None:
            return None
        if not isinstance(value, list):
            return self.unknown(value, where)
        out = []
        for i, call in enumerate(value):
            at = f"{where}[{i}]"
            if not isinstance(call, dict):
                out.append(self.unknown(call, at))
                continue
            fixed = dict(call)
            if isinstance(call.get("function"), dict):
                fixed["function"] = self.function(call["function"], f"{at}.function")
            if isinstance(call.get("custom"), dict):
                custom = dict(call["custom"])
                custom["input"] = self.text(custom.get("input"), f"{at}.custom.input")
                fixed["custom"] = custom
            for key in set(call) - {"id", "type", "function", "custom", "index"}:
                fixed[key] = self.unknown(call[key], f"{at}.{key}")
            out.append(fixed)
        return out

    def function(self, value: Any, where: str) -> Any:
        if value is None:
            return None
        if not isinstance(value, dict):
            return self.unknown(value, where)
        out = dict(value)  # "name" is the tool's name: structure, kept
        if "arguments" in value:
            out["arguments"] = self.arguments(value["arguments"], f"{where}.arguments")
        for key in set(value) - {"name", "arguments"}:
            out[key] = self.unknown(value[key], f"{where}.{key}")
        return out

    def content(self, value: Any, where: str) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            return self.data(value, where)  # a tool result is often a JSON document
        if not isinstance(value, list):
            return self.unknown(value, where)
        return [self.part(p, f"{where}[{i}]") for i, p in enumerate(value)]

    def part(self, part: Any, where: str) -> Any:
        """One content part, chat or Responses flavour."""
        if not isinstance(part, dict):
            return self.unknown(part, where)
        out = dict(part)
        for key, value in part.items():
            at = f"{where}.{key}"
            if key in STRUCTURAL_KEYS:
                continue
            if key in ("text", "refusal", "filename", "file_url"):
                out[key] = self.data(value, at) if key == "text" else self.text(value, at)
            elif key == "image_url":
                out[key] = self.image(value, at) if isinstance(value, dict) else self.url(value, at)
            elif key in ("file_data", "data"):
                out[key] = self.binary(value, at)
            elif key in ("input_audio", "file"):
                out[key] = self.part(value, at)
            elif key in ("annotations", "logprobs"):
                out[key] = self.generic(value, at)
            else:
                out[key] = self.unknown(value, at)
        return out

    def image(self, value: dict[str, Any], where: str) -> Any:
        out = dict(value)
        if "url" in value:
            out["url"] = self.url(value["url"], f"{where}.url")
        for key in set(value) - {"url", "detail"}:
            out[key] = self.unknown(value[key], f"{where}.{key}")
        return out

    # -- responses -----------------------------------------------------------------------------
    def responses_input(self, value: Any, where: str) -> Any:
        if isinstance(value, str):
            return self.s.redact_text(value)
        if not isinstance(value, list):
            return self.unknown(value, where)
        return self._each(value, self.item, where, "item")

    def item(self, item: Any, where: str) -> Any:
        if not isinstance(item, dict):
            return self.unknown(item, where)
        kind = item.get("type", "message" if "role" in item else None)
        if kind == "message":
            return (
                self.message(item, where) if "type" not in item else self.response_msg(item, where)
            )
        if kind in ("function_call", "custom_tool_call"):
            out = dict(item)
            for key in ("arguments", "input"):
                if key in item:
                    out[key] = self.arguments(item[key], f"{where}.{key}")
            for key in set(item) - {"arguments", "input", "name", *STRUCTURAL_KEYS}:
                out[key] = self.unknown(item[key], f"{where}.{key}")
            return out
        if kind in ("function_call_output", "custom_tool_call_output"):
            out = dict(item)
            if "output" in item:
                out["output"] = self.content(item["output"], f"{where}.output")
            for key in set(item) - {"output", *STRUCTURAL_KEYS}:
                out[key] = self.unknown(item[key], f"{where}.{key}")
            return out
        if kind == "reasoning":
            return self.generic(item, where)  # summaries are text; encrypted_content is opaque
        if kind == "item_reference":
            return {
                k: v if k in STRUCTURAL_KEYS else self.unknown(v, f"{where}.{k}")
                for k, v in item.items()
            }
        if kind in ECHO_ITEMS:
            return self.generic(item, where)
        return self.unknown(item, where)

    def response_msg(self, item: dict[str, Any], where: str) -> Any:
        out = dict(item)
        for key, value in item.items():
            if key in STRUCTURAL_KEYS:
                continue
            out[key] = (
                self.content(value, f"{where}.{key}")
                if key == "content"
                else self.unknown(value, f"{where}.{key}")
            )
        return out

    # -- embeddings ----------------------------------------------------------------------------
    def embeddings_input(self, value: Any, where: str) -> Any:
        if isinstance(value, str):
            return self.s.redact_text(value)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [self.s.redact_text(v) for v in value]
        raise RequestBlocked(
            f"{where}: token-array inputs cannot be inspected for sensitive data; pass strings",
            where=where,
        )
