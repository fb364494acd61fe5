"""The JSON Lines form of an event, shared by the JSONL sink, ``export`` and ``verify_events``.

A line is the canonical body with the hash spliced in *first*: ``{"hash":"<64 hex>",<rest of the
body>``. It is ordinary JSON with every field, yet the exact hashed bytes are recovered by slicing,
so verifying an exported file costs one parse and one hash per line, no re-serialization.

Example:
    >>> line = to_line('{"seq":1}', "ab" * 32)
    >>> line[:16]
    '{"hash":"abababa'
    >>> split_line(line) == ('{"seq":1}', "ab" * 32)
    True
"""

from __future__ import annotations

import json

from guardrails.audit._events import canonical_json

__all__ = ["split_line", "to_line"]

_PREFIX = '{"hash":"'
_HASH_END = len(_PREFIX) + 64


def to_line(body: str, digest: str) -> str:
    """The JSONL text of a record (without the newline)."""
    if len(digest) != 64 or not body.startswith("{") or body == "{}":
        raise ValueError("not a sealed record")
    return f'{_PREFIX}{digest}",{body[1:]}'


def split_line(line: str) -> tuple[str, str]:
    """``(body, hash)`` from a line; a line in another key order is re-canonicalized.

    A line that is not a JSON object comes back as ``(line, "")`` so ``verify`` reports it as
    malformed at its position instead of crashing.
    """
    line = line.rstrip("\r\n")
    if line.startswith(_PREFIX) and line[_HASH_END : _HASH_END + 2] == '",':
        return "{" + line[_HASH_END + 2 :], line[len(_PREFIX) : _HASH_END]
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than json parses
        return line, ""
    if not isinstance(obj, dict):
        return line, ""
    digest = obj.pop("hash", "")
    try:
        return canonical_json(obj), digest if isinstance(digest, str) else ""
    except (ValueError, TypeError, RecursionError):
        return line, ""
