"""Candidate checks for secrets with a recognisable shape: vendor tokens, AWS keys, JWTs, PEM
blocks, bearer/basic credentials and ``scheme://user:password@host`` URLs.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable

from guardrails.detection._validators import Found, context_words, has_context
from guardrails.detection._values import before as _before
from guardrails.detection._values import is_placeholder, looks_random
from guardrails.detection._values import pick as _pick

__all__ = [
    "URL_PATH_RUN",
    "check_aws_key_id",
    "check_aws_secret",
    "check_basic_auth",
    "check_bearer",
    "check_jwt",
    "check_pem",
    "check_pem_open",
    "check_url_credentials",
    "token_check",
]

_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_MAX_TOKEN = 1024  # bounded extension of a token beyond what the scanner reported
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_\-]+")
URL_PATH_RUN = re.compile(r"[A-Za-z0-9_\-/]+")


def _extend(text: str, end: int, chars: re.Pattern[str] | None = None) -> int:
    """Extend a token over the token characters that follow (the scanner stops at a minimum)."""
    m = (chars or _TOKEN_RUN).match(text, end, min(len(text), end + _MAX_TOKEN))
    return m.end() if m else end


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
_AWS_CONTEXT = context_words("aws", "secret")


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
    if not all(any(map(f, tok)) for f in (str.isupper, str.islower, str.isdigit)):
        return []  # 40 random base64 characters practically always mix all three
    if not has_context(text, start, _AWS_CONTEXT, 100):
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
