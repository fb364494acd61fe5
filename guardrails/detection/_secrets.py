"""Candidate checks for secrets: vendor tokens, PEM blocks, bearer tokens, URL credentials, and
values of secret-named keys (``KEY=value``, ``key: value``, ``"key": "value"``).

Placeholders and references (``${DB_PASSWORD}``, ``<EMAIL_ADDRESS_1>``, ``changeme``,
``os.environ[...]``) are names of secrets, not secrets: they are left alone.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from collections.abc import Callable

from guardrails.detection._keys import secret_key_entity, strong_secret_key
from guardrails.detection._validators import Found, has_context

__all__ = [
    "check_aws_key_id",
    "check_aws_secret",
    "check_basic_auth",
    "check_bearer",
    "check_cli_glued_password",
    "check_cli_user",
    "check_jwt",
    "check_kv",
    "check_password_phrase",
    "check_pem",
    "check_pem_open",
    "check_url_credentials",
    "is_placeholder",
    "token_check",
]

_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_MAX_TOKEN = 1024  # bounded extension of a token beyond what the scanner reported
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_\-]+")
URL_PATH_RUN = re.compile(r"[A-Za-z0-9_\-/]+")

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
_PROSE_WORDS = frozenset(
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


def looks_random(value: str, min_len: int = 8) -> bool:
    """A value with the character mix of a generated secret (not a word, not a number)."""
    if len(value) < min_len or len(set(value)) < 5:
        return False
    classes = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
    )
    return classes >= 2 and _entropy(value) >= 3.0


def _before(text: str, i: int) -> str:
    return text[i - 1] if i > 0 else ""


def _extend(text: str, end: int, chars: re.Pattern[str] | None = None) -> int:
    """Extend a token over the token characters that follow (the scanner stops at a minimum)."""
    m = (chars or _TOKEN_RUN).match(text, end, min(len(text), end + _MAX_TOKEN))
    return m.end() if m else end


def _pick(entity: str, want: frozenset[str]) -> str | None:
    """``entity`` if requested, else the generic SECRET when that is, else nothing."""
    if entity in want:
        return entity
    return "SECRET" if "SECRET" in want else None


def token_check(
    entity: str, min_len: int, exclude: str = "", chars: re.Pattern[str] | None = None
) -> Callable[[str, int, int, frozenset[str]], list[Found]]:
    """A check for a vendor token with a fixed prefix: whole token, not an example or filler."""

    def check(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
        if _before(text, start) in _TOKEN_CHARS or (exclude and text.startswith(exclude, start)):
            return []
        end = _extend(text, end, chars)
        tok = text[start:end]
        body = tok[tok.find("_", 3) + 1 :] if "_" in tok[3:] else tok[4:]
        if len(tok) < min_len or len(set(body)) < 6 or "EXAMPLE" in tok.upper():
            return []
        ent = _pick(entity, want)
        return [(start, end, ent, 1.0)] if ent else []

    return check


def check_aws_key_id(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """AKIA/ASIA… 20 characters; AWS's documented ``…EXAMPLE`` ids are left alone."""
    tok = text[start:end]
    if _before(text, start) in _TOKEN_CHARS or tok.endswith("EXAMPLE") or len(set(tok[4:])) < 6:
        return []
    if end < len(text) and text[end] in _TOKEN_CHARS:
        return []
    ent = _pick("AWS_ACCESS_KEY_ID", want)
    return [(start, end, ent, 1.0)] if ent else []


_B64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_HEXCHARS = frozenset("0123456789abcdefABCDEF")


def check_aws_secret(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """40 base64 characters next to AWS/secret context; not hex (a git SHA), not the example.

    The scanner reports the end, which includes the delimiter after the token unless at the end.
    """
    if text[end - 1] not in _B64:
        end -= 1
    start = end - 40
    if start < 0 or _before(text, start) in _B64:
        return []
    tok = text[start:end]
    if len(tok) != 40 or set(tok) <= _HEXCHARS or "EXAMPLE" in tok:
        return []
    classes = (str.isupper, str.islower, str.isdigit)
    if not all(any(f(c) for c in tok) for f in classes):
        return []  # 40 random base64 characters practically always mix all three
    if not has_context(text, start, ("aws", "secret"), 100):
        return []
    ent = _pick("AWS_SECRET_ACCESS_KEY", want)
    return [(start, end, ent, 0.95)] if ent else []


def _b64json(segment: str) -> object:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded))


def check_jwt(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """Three base64url segments whose header decodes to a JSON object with ``alg``/``typ``."""
    if _before(text, start) in _TOKEN_CHARS:
        return []
    end = _extend(text, end)
    header = text[start : text.index(".", start)]
    try:
        obj = _b64json(header)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return []
    if not isinstance(obj, dict) or not ({"alg", "typ", "kid", "enc"} & obj.keys()):
        return []
    ent = _pick("JWT", want)
    return [(start, end, ent, 1.0)] if ent else []


def check_pem(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """A whole ``-----BEGIN … PRIVATE KEY----- … -----END … PRIVATE KEY-----`` block."""
    ent = _pick("PRIVATE_KEY", want)
    return [(start, end, ent, 1.0)] if ent else []


# base64 lines (real or JSON-escaped newlines); stops at prose, a space or a blank line
_NL = r"(?:\r?\n|(?:\\r)?\\n)"
_PEM_BODY_RUN = re.compile(
    rf"[A-Za-z0-9+/=]*(?:{_NL}[A-Za-z0-9+/=]{{20,}})*"
    rf"(?:{_NL}[A-Za-z0-9+/]{{1,19}}={{0,2}}(?=[\s\\\"']|$))?"
)
_MAX_PEM = 16384


def check_pem_open(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """A PEM block cut before its END line: the header and all the base64 body that follows."""
    m = _PEM_BODY_RUN.match(text, end, min(len(text), end + _MAX_PEM))
    end = m.end() if m else end
    while end > start and text[end - 1] in " \t\r\n\\":
        end -= 1
    ent = _pick("PRIVATE_KEY", want)
    return [(start, end, ent, 0.95)] if ent else []


_BEARER_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]+")


def check_bearer(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """The token after ``Bearer``; not ``<token>``/``${TOKEN}``/``YOUR_TOKEN``."""
    m = _BEARER_TOKEN.match(text, end, min(len(text), end + _MAX_TOKEN))
    if m is None:
        return []
    tok = m.group()
    if len(tok) < 8 or is_placeholder(tok) or not looks_random(tok, 8):
        return []
    ent = _pick("BEARER_TOKEN", want)
    return [(m.start(), m.end(), ent, 0.95)] if ent else []


def check_basic_auth(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """``Authorization: Basic <base64 user:password>``: the credential part."""
    m = _BEARER_TOKEN.match(text, end, min(len(text), end + _MAX_TOKEN))
    if m is None or len(m.group()) < 8 or is_placeholder(m.group()):
        return []
    ent = "PASSWORD" if "PASSWORD" in want else _pick("SECRET", want)
    return [(m.start(), m.end(), ent, 0.95)] if ent else []


# ------------------------------------------------------------------------- URL credentials

_DB_SCHEMES = frozenset(
    {
        "postgres",
        "postgresql",
        "mysql",
        "mariadb",
        "mongodb",
        "mongodb+srv",
        "redis",
        "rediss",
        "amqp",
        "amqps",
        "mssql",
        "sqlserver",
        "oracle",
        "jdbc:postgresql",
        "jdbc:mysql",
        "postgresql+psycopg",
        "postgresql+psycopg2",
        "postgresql+asyncpg",
        "mysql+pymysql",
        "clickhouse",
        "cockroachdb",
        "snowflake",
        "neo4j",
        "couchdb",
        "elasticsearch",
        "kafka",
    }
)


def check_url_credentials(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """``scheme://user:pass@host``: the ``user:pass`` part (PASSWORD for database URLs)."""
    cand = text[start:end]
    sep = cand.index("://")
    # "jdbc:postgresql", "URL:postgres": any colon-separated part may name the database scheme
    schemes = cand[:sep].lower().split(":")
    info_start = start + sep + 3
    info = text[info_start : end - 1]
    if ":" not in info:
        return []
    user, pw = info.split(":", 1)
    if not pw or is_placeholder(pw) or is_placeholder(info):
        return []
    pw_start = info_start + len(user) + 1
    is_db = any(x in _DB_SCHEMES or x.split("+", 1)[0] in _DB_SCHEMES for x in schemes)
    if (is_db or "URL_CREDENTIALS" not in want) and "PASSWORD" in want:
        return [(pw_start, end - 1, "PASSWORD", 1.0)]
    if "URL_CREDENTIALS" in want:
        return [(info_start, end - 1, "URL_CREDENTIALS", 1.0)]
    return [(pw_start, end - 1, "SECRET", 1.0)] if "SECRET" in want else []


# ------------------------------------------------------------------ values of secret-named keys

_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_UNQUOTED = re.compile(r"[^ \t\r\n\"'`,;&<>]+")
_HAS_ALNUM = re.compile(r"[A-Za-z0-9]")
_CLOSERS = {")": "(", "]": "[", "}": "{"}


def _value_at(text: str, pos: int) -> tuple[int, int] | None:
    """Bounds of the value starting at ``pos``: quoted (with escapes) or up to a delimiter."""
    limit = min(len(text), pos + _MAX_TOKEN)
    if pos >= limit:
        return None
    if text.startswith('\\"', pos):  # JSON nested in a JSON string
        close = text.find('\\"', pos + 2, limit)
        return (pos + 2, close) if close > 0 else None
    q = text[pos]
    if q in "\"'`":
        i = pos + 1
        while True:
            close = text.find(q, i, limit)
            if close < 0:
                return None
            k = close
            while k > i and text[k - 1] == "\\":
                k -= 1
            if (close - k) % 2 == 0:  # not an escaped quote
                nl = text.find("\n", pos, close)
                return None if nl >= 0 else (pos + 1, close)
            i = close + 1
    m = _UNQUOTED.match(text, pos, limit)
    i = m.end() if m else pos
    # prose: "password=hunter2." / "(token=abc)": drop a full stop or an unbalanced closer.
    while i > pos:
        last = text[i - 1]
        opener = _CLOSERS.get(last)
        if last == "." or (opener and text.count(opener, pos, i) < text.count(last, pos, i)):
            i -= 1
            continue
        break
    return pos, i


def check_kv(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """The value of a secret-named key; generic keys need a value that looks generated.

    The scanner reports where the separator ends; the key is found walking back from there.
    """
    n = len(text)
    if end < n and text[end] in "=>":
        return []  # ":" of ":=", "=" of "=>": the longer separator is reported too
    i = end
    while i > 0 and text[i - 1] in ":=>":
        i -= 1
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    if i > 0 and text[i - 1] in "\"'":
        i -= 1
        if i > 0 and text[i - 1] == "\\":
            i -= 1
    key_end, limit = i, max(0, i - 128)
    while i > limit and text[i - 1] in _KEY_CHARS:
        i -= 1
    key = text[i:key_end]
    if not key:
        return []
    while end < n and text[end] in " \t":
        end += 1
    entity = secret_key_entity(key)
    if entity is None:
        return []
    bounds = _value_at(text, end)
    if bounds is None:
        return []
    vs, ve = bounds
    value = text[vs:ve]
    if entity == "PASSWORD" and value[:1] == "{":
        # ODBC quotes a password with braces: Pwd={p@ss;word};
        close = text.find("}", vs + 1, min(len(text), vs + 130))
        if close > vs + 1 and not any(c in text[vs + 1 : close] for c in " \r\n:\"'"):
            vs, ve = vs + 1, close
            value = text[vs:ve]
    if not value or value[0] in "{[(" or is_placeholder(value) or not _HAS_ALNUM.search(value):
        return []
    low = value.lower()
    if entity == "PASSWORD":
        if low in _PROSE_WORDS or len(value) > 200:
            return []
        score = 0.9
    elif strong_secret_key(key):
        if len(value) < 4 or low in _PROSE_WORDS or (value.isdigit() and len(value) < 8):
            return []
        score = 0.85
    else:
        if "=" in value or not looks_random(value):
            return []  # "Cookie: session=…": the inner key=value pair is reported on its own
        score = 0.8
    ent = (
        _pick(entity, want)
        if entity != "PASSWORD"
        else ("PASSWORD" if "PASSWORD" in want else _pick("SECRET", want))
    )
    return [(vs, ve, ent, score)] if ent else []


_PHRASE_VALUE = re.compile(r"\S{4,128}")


def check_password_phrase(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """Prose: "my password is Tr0ub4dor&3" — a single token that does not read as a word."""
    m = _PHRASE_VALUE.match(text, end, min(len(text), end + 200))
    if m is None:
        return []
    value = m.group().rstrip(".,;:!?)\"'")
    if not value or is_placeholder(value) or value.lower() in _PROSE_WORDS:
        return []
    if value.isalpha() and value.islower():
        return []  # "the password is required", "password is incorrect"
    ent = "PASSWORD" if "PASSWORD" in want else _pick("SECRET", want)
    return [(m.start(), m.start() + len(value), ent, 0.8)] if ent else []


_CLI_VALUE = re.compile(r"[\"']?([^\s\"':]+):([^\s\"']+)")


def check_cli_user(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """``curl -u user:password``: the password (a bare ``-u user`` is a user name only)."""
    m = _CLI_VALUE.match(text, end, min(len(text), end + 300))
    if m is None or is_placeholder(m.group(2)):
        return []
    ent = "PASSWORD" if "PASSWORD" in want else _pick("SECRET", want)
    return [(m.start(2), m.end(2), ent, 0.9)] if ent else []


_GLUED = re.compile(r"[^\s\"']+")


def check_cli_glued_password(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """``mysql -u root -pS3cret``: the password glued to ``-p`` (bare ``-p`` prompts for it)."""
    m = _GLUED.match(text, end, min(len(text), end + 200))
    if m is None or is_placeholder(m.group()):
        return []
    ent = "PASSWORD" if "PASSWORD" in want else _pick("SECRET", want)
    return [(m.start(), m.end(), ent, 0.9)] if ent else []
