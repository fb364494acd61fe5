"""The grammar of masked tokens, shared by the operators, the vault and the redactor.

Every reversible or typed replacement we emit is an angle-bracketed token whose name part is an
entity type in upper case: ``<EMAIL_ADDRESS_1>`` (placeholder), ``<EMAIL_ADDRESS>`` (redact),
``<EMAIL_ADDRESS#9f86d081884c7d65>`` (keyed hash), ``<EMAIL_ADDRESS#enc:…>`` (encrypt).
The redactor never re-detects inside such a token, which makes masking idempotent and keeps a
re-sent history cheap. Only tokens naming a known entity are protected, so a secret that merely
sits in angle brackets (``<AKIA…>``) is still detected.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["PLACEHOLDER_RE", "TOKEN_RE", "token_name"]

# Name, optional ``_N`` counter, optional ``#payload``. Bounded repetition keeps it linear.
TOKEN_RE = re.compile(
    r"<([A-Z][A-Z0-9_]{0,63}?)(?:_([0-9]{1,9}))?(?:#([A-Za-z0-9_:=\-]{1,65536}))?>"
)

# Only the reversible form, for restore.
PLACEHOLDER_RE = re.compile(r"<[A-Z][A-Z0-9_]{0,63}_[0-9]{1,9}>")

_NOT_NAME = re.compile(r"[^A-Z0-9_]")


@lru_cache(maxsize=1024)
def token_name(entity_type: str) -> str:
    """The name part of a token for ``entity_type`` (upper case, other characters as ``_``).

    Example:
        >>> token_name("badge-id")
        'BADGE_ID'
    """
    name = _NOT_NAME.sub("_", entity_type.upper())
    if not name or not name[0].isalpha():
        name = "X" + name
    return name[:64]
