"""Restore placeholders in text and structured data (JSON strings nested anywhere included)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from guardrails._errors import InputError
from guardrails.detection._entities import GROUPS
from guardrails.masking._tokens import PLACEHOLDER_RE
from guardrails.structured import transform

if TYPE_CHECKING:
    from guardrails.vault._vault import Vault

__all__ = ["looks_like_json", "restore", "restore_obj"]


def looks_like_json(text: str) -> bool:
    """Cheap pre-check before ``json.loads``: an object or array, by its first and last char."""
    s = text.strip()
    return len(s) >= 2 and ((s[0] == "{" and s[-1] == "}") or (s[0] == "[" and s[-1] == "]"))


def _expand(entities: Iterable[str] | None) -> frozenset[str] | None:
    if entities is None:
        return None
    if isinstance(entities, str):
        entities = [entities]
    out: set[str] = set()
    for name in entities:
        if not isinstance(name, str):
            raise InputError("entities must be entity type names or group names")
        out |= GROUPS.get(name, frozenset({name}))
    return frozenset(out)


def restore_obj(vault: Vault, obj: Any, *, entities: Iterable[str] | None = None) -> Any:
    """See :meth:`Vault.restore`."""
    allowed = _expand(entities)

    def text(value: str) -> str:
        if looks_like_json(value) and PLACEHOLDER_RE.search(value):
            # Restore inside the parsed document: a raw value with a quote or backslash pasted
            # into JSON text would break it.
            try:
                doc = json.loads(value)
            except (ValueError, RecursionError):
                return vault.restore_text(value, allowed)
            if isinstance(doc, dict | list):
                return json.dumps(transform(doc, leaf, key=key), ensure_ascii=False)
        return vault.restore_text(value, allowed)

    def leaf(value: Any, _rule: str | None) -> Any:
        return text(value) if isinstance(value, str) else value

    def key(k: Any) -> Any:
        return vault.restore_text(k, allowed) if isinstance(k, str) else k

    return transform(obj, leaf, key=key)


def restore(obj: Any, vault: Vault, *, entities: Iterable[str] | None = None) -> Any:
    """Restore placeholders from ``vault`` in ``obj`` (text or structured data).

    Example:
        >>> from guardrails import Vault
        >>> v = Vault()
        >>> p = v.placeholder_for("EMAIL_ADDRESS", "jane@example.com")
        >>> restore({"to": p, "cc": "<EMAIL_ADDRESS_99>"}, v)
        {'to': 'jane@example.com', 'cc': '<EMAIL_ADDRESS_99>'}
    """
    from guardrails.vault._vault import Vault

    if not isinstance(vault, Vault):
        raise InputError("restore(obj, vault): vault must be a guardrails.Vault")
    return restore_obj(vault, obj, entities=entities)
