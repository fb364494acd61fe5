"""Provider-bound fields that are not plain text: JSON schemas and message ``name`` fields.

Framework-free; shared by the LangChain middleware and the OpenAI guard.

A JSON schema (a ``response_format``, a tool's parameters) is structure plus a little free text.
Redacting it as generic data breaks it: a property named ``email`` is a field rule, so its
``"type": "string"`` would become ``"<EMAIL_ADDRESS_1>"``. :func:`redact_schema` walks the
schema keywords instead: free text (``description``, ``title``, ``$comment``) goes through the
detectors; values (``default``, ``examples``, ``const``, ``enum``) are redacted as the value of
their property, so its field rule applies; structure (``type``, ``required``, ``pattern``,
``$ref``, property names...) is kept; an unknown keyword is redacted as generic data.

A message ``name`` must stay a valid name for the provider (OpenAI: no whitespace and none of
``<>|\\/``), so :func:`redact_name` writes its placeholders without the angle brackets:
``PERSON_1`` for ``<PERSON_1>`` (the vault's entry, so the value can be looked up again). The
name of a human speaker is personal data whatever its shape: when the detectors find nothing
in it, the whole name becomes a ``PERSON`` placeholder. Other names (an agent's, a tool's) are
identifiers: only what the detectors find in them is masked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from guardrails.session import RedactionSession

__all__ = ["redact_name", "redact_schema", "redact_tool"]

_TEXT = frozenset({"description", "title", "$comment"})
_VALUES = frozenset({"default", "examples", "example", "const", "enum"})
# Keywords holding one subschema, a list of them, or a map of name -> subschema.
_ONE = frozenset(
    {
        "items", "additionalItems", "additionalProperties", "unevaluatedItems",
        "unevaluatedProperties", "not", "if", "then", "else", "contains", "propertyNames",
        "contentSchema",
    }
)  # fmt: skip
_MANY = frozenset({"anyOf", "oneOf", "allOf", "prefixItems"})
_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
# Keywords that are structure: kept as they are.
_KEEP = frozenset(
    {
        "type", "format", "pattern", "required", "$ref", "$id", "$schema", "$anchor",
        "$dynamicRef", "$dynamicAnchor", "$vocabulary", "dependentRequired", "minimum",
        "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength",
        "maxLength", "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties",
        "minContains", "maxContains", "contentEncoding", "contentMediaType", "readOnly",
        "writeOnly", "deprecated", "nullable", "strict", "discriminator",
    }
)  # fmt: skip

_BARE = re.compile(r"<([A-Z][A-Z0-9_]*_[0-9]+)>")
_TOKEN = re.compile(r"[A-Z][A-Z0-9_]*_[0-9]+")


def redact_schema(
    schema: Any, session: RedactionSession, *, field: str | None = None, depth: int = 0
) -> Any:
    """``schema`` with its free text and example values redacted, its structure intact.

    Example:
        >>> from guardrails.redactor import Redactor
        >>> s = RedactionSession(Redactor())
        >>> redact_schema({"type": "object", "properties": {"email": {"type": "string",
        ...     "description": "e.g. jane.doe@example.com"}}}, s)["properties"]["email"]
        {'type': 'string', 'description': 'e.g. <EMAIL_ADDRESS_1>'}
    """
    if not isinstance(schema, Mapping) or depth > 64:
        return schema if isinstance(schema, bool) else session.redact_data(schema)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _KEEP:
            out[key] = value
        elif key in _TEXT and isinstance(value, str):
            out[key] = session.redact_text(value)
        elif key in _VALUES:
            out[key] = _values(value, field, session)
        elif key in _MAPS and isinstance(value, Mapping):
            out[key] = {
                name: redact_schema(
                    sub, session, field=name if key == "properties" else None, depth=depth + 1
                )
                for name, sub in value.items()
            }
        elif key in _MANY and isinstance(value, list):
            out[key] = [redact_schema(s, session, field=field, depth=depth + 1) for s in value]
        elif key in _ONE:
            if isinstance(value, list):  # draft-4 tuple ``items``
                out[key] = [redact_schema(s, session, field=field, depth=depth + 1) for s in value]
            else:
                out[key] = redact_schema(value, session, field=field, depth=depth + 1)
        else:
            out[key] = _values(value, None, session)  # unknown: generic
    return out


def redact_tool(tool: Any, session: RedactionSession) -> Any:
    """A provider tool spec (OpenAI chat ``{"function": {...}}`` or Responses/legacy flat
    shape): description masked, ``parameters`` as a schema, ``name`` kept; any other tool
    (built-ins, MCP servers) redacted as generic data."""
    if isinstance(tool, Mapping) and isinstance(tool.get("function"), Mapping):
        return {**tool, "function": redact_tool(tool["function"], session)}
    if not isinstance(tool, Mapping) or not (
        tool.get("type") == "function" or ("parameters" in tool and "name" in tool)
    ):
        return session.redact_data(tool)
    out = dict(tool)
    for key, value in tool.items():
        if key == "parameters":
            out[key] = redact_schema(value, session)
        elif key not in ("name", "type", "strict"):
            out[key] = session.redact_data(value)
    return out


def _values(value: Any, field: str | None, session: RedactionSession) -> Any:
    """Example and allowed values, redacted as the value of ``field`` (its rule applies)."""
    if value is None or isinstance(value, bool | int | float):
        return value  # a number keeps the schema's type (a rule would make it a string)
    if field is None:
        return session.redact_data(value)
    return session.redact_data({field: value})[field]


def redact_name(name: str, session: RedactionSession, *, person: bool) -> str:
    """A message's ``name`` with placeholders written as ``PERSON_1`` (provider-valid).

    ``person``: the name is a human speaker's, masked whole when the detectors find nothing.

    Example:
        >>> from guardrails.redactor import Redactor
        >>> s = RedactionSession(Redactor())
        >>> redact_name("jane_doe", s, person=True), redact_name("support_bot", s, person=False)
        ('PERSON_1', 'support_bot')
    """
    if not name or _is_placeholder(name, session):
        return name
    masked = session.redact_text(name)
    if masked == name and person and not _BARE.search(name):  # ``<PERSON_1>``: written before
        masked = session.vault.placeholder_for("PERSON", name)
    return _BARE.sub(r"\1", masked)


def _is_placeholder(name: str, session: RedactionSession) -> bool:
    """A name this function already wrote (``PERSON_1``: the vault holds ``<PERSON_1>``)."""
    return _TOKEN.fullmatch(name) is not None and session.vault.value_of(f"<{name}>") is not None
