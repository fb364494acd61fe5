"""Canonical JSON and SHA-256 digests: the byte form every hash and signature is computed over.

Keys sorted, no whitespace, UTF-8, no NaN/Infinity. Only JSON types are accepted (tuples count as
lists): a digest over ``repr()`` of an arbitrary object would not be stable across processes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from guardrails._errors import InputError

__all__ = ["args_digest", "canonical_json", "json_safe_items", "sha256_hex"]

_MAX_DEPTH = 64


def _check(value: Any, depth: int) -> None:
    # json.dumps would accept some non-JSON values (e.g. int subclasses, tuples as keys error late);
    # walking first gives one clear error type and bounds depth on hostile input.
    if depth > _MAX_DEPTH:
        raise InputError("value is nested too deeply for canonical JSON")
    if value is None or isinstance(value, str | bool | int | float):
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InputError("canonical JSON needs string keys")
            _check(item, depth + 1)
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check(item, depth + 1)
        return
    raise InputError(f"canonical JSON cannot encode a {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """Serialize ``value`` deterministically.

    Example:
        >>> canonical_json({"b": 1, "a": [True, None, "é"]})
        '{"a":[true,null,"é"],"b":1}'

    Raises:
        InputError: a non-JSON type, a non-string key, NaN/Infinity or too-deep nesting.
    """
    _check(value, 0)
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError as exc:  # NaN / Infinity
        raise InputError("canonical JSON cannot encode NaN or Infinity") from exc


def json_safe_items(value: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``value`` that are plain JSON (tool metadata may hold arbitrary objects).

    Dropping the others changes no selector outcome: a policy file can only compare against JSON
    values, which a non-JSON object never equals.
    """
    out: dict[str, Any] = {}
    for key, item in value.items():
        try:
            _check({key: item}, 0)
        except InputError:
            continue
        out[key] = item
    return out


def sha256_hex(text: str) -> str:
    """SHA-256 of the UTF-8 bytes of ``text``, lowercase hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def args_digest(args: Mapping[str, Any]) -> str:
    """The digest an approval is bound to: SHA-256 of the canonical JSON of the exact raw args.

    Example:
        >>> args_digest({"amount": 5}) == args_digest({"amount": 5})
        True
        >>> args_digest({"amount": 5}) == args_digest({"amount": 6})
        False
    """
    return "sha256:" + sha256_hex(canonical_json(dict(args)))
