"""What a secret value looks like, and what merely stands for one.

Placeholders and references (``${DB_PASSWORD}``, ``<EMAIL_ADDRESS_1>``, ``changeme``,
``os.environ[...]``, ``get_secret("x")``) are names of secrets, not secrets: they are left alone.
"""

from __future__ import annotations

import math
import re
from collections import Counter

__all__ = ["PROSE_WORDS", "before", "is_placeholder", "looks_random", "pick"]

_PLACEHOLDER = re.compile(
    r"""\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z_][A-Za-z0-9_]*%
    |\{\{.*\}\}|\{[A-Za-z_][A-Za-z0-9_.]*\}|<[^<>]*>|\[[A-Za-z _-]*\]|%\([A-Za-z_]+\)s|%s
    |[*xX#•.\-_]{3,}|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+
    |(?:os\.environ|os\.getenv|getenv|process\.env|env|secrets|vault|ssm|settings|config)\b.*
    |arn:aws:(?:secretsmanager|ssm).*
    |[A-Za-z_][A-Za-z0-9_.]*\(.*""",
    re.VERBOSE,
)
_PLACEHOLDER_WORDS = frozenset(
    {
        "",
        "none",
        "null",
        "nil",
        "true",
        "false",
        "undefined",
        "todo",
        "tbd",
        "n/a",
        "na",
        "changeme",
        "change_me",
        "change-me",
        "changeit",
        "redacted",
        "hidden",
        "masked",
        "secret",
        "password",
        "passwd",
        "token",
        "example",
        "placeholder",
        "dummy",
        "sample",
        "xxx",
        "your_password",
        "yourpassword",
        "your-password",
        "your_token",
        "your_api_key",
        "required",
        "optional",
        "string",
        "str",
        "bearer",
        "basic",
        "digest",
        "test",
        "fake",
    }
)
PROSE_WORDS = frozenset(
    {
        "is",
        "was",
        "the",
        "a",
        "an",
        "and",
        "or",
        "not",
        "to",
        "for",
        "of",
        "in",
        "on",
        "with",
        "click",
        "here",
        "please",
        "reset",
        "enter",
        "your",
        "expired",
        "changed",
        "updated",
        "incorrect",
        "invalid",
        "wrong",
        "must",
        "should",
        "will",
        "see",
        "below",
        "above",
        "use",
        "set",
        "same",
        "empty",
        "sent",
        "provided",
        "protected",
        "missing",
        "rotated",
        "stored",
        "length",
        "policy",
        "manager",
        "field",
        "needed",
        "ok",
        "yes",
        "no",
        "if",
        "be",
        "has",
        "been",
        "it",
        "that",
        "this",
        "from",
        "by",
        "at",
        "as",
        "we",
        "you",
        "i",
        "my",
        "our",
    }
)


def is_placeholder(value: str) -> bool:
    """Whether ``value`` names or stands for a secret instead of being one."""
    v = value.strip()
    low = v.lower()
    if low in _PLACEHOLDER_WORDS or low.startswith(("your_", "your-", "<your", "my_", "insert")):
        return True
    if "example" in low or "placeholder" in low:
        return True
    return _PLACEHOLDER.fullmatch(v) is not None


def _entropy(s: str) -> float:
    counts = Counter(s)
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


_CLASSES = (
    re.compile(r"[a-z]"),
    re.compile(r"[A-Z]"),
    re.compile(r"[0-9]"),
    re.compile(r"[^A-Za-z0-9]"),
)


def looks_random(value: str, min_len: int = 8) -> bool:
    """A value with the character mix of a generated secret (not a word, not a number)."""
    if len(value) < min_len:
        return False
    distinct = len(set(value))
    if distinct < 5:
        return False
    classes = sum(1 for rx in _CLASSES if rx.search(value))
    if classes < 2:
        return False
    # many distinct characters of three kinds: generated; otherwise let the entropy decide
    return (distinct >= 10 and classes >= 3) or _entropy(value) >= 3.0


def before(text: str, i: int) -> str:
    return text[i - 1] if i > 0 else ""


def pick(entity: str, want: frozenset[str]) -> str | None:
    """``entity`` if requested, else the generic SECRET when that is, else nothing."""
    if entity in want:
        return entity
    return "SECRET" if "SECRET" in want else None
