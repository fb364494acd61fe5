"""Values of secret-named keys (``KEY=value``, ``key: value``, ``"key": "value"``), passwords in
prose ("my password is …") and on command lines (``curl -u user:pw``, ``mysql -pPW``).
"""

from __future__ import annotations

import re

from guardrails.detection._keys import secret_key_entity, strong_secret_key
from guardrails.detection._validators import Found
from guardrails.detection._values import PROSE_WORDS, is_placeholder, looks_random
from guardrails.detection._values import pick as _pick

__all__ = [
    "check_cli_glued_password",
    "check_cli_user",
    "check_kv",
    "check_password_phrase",
    "check_xml",
]

_MAX_VALUE = 1024  # a value is read at most this far past its separator


_KEY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
_UNQUOTED = re.compile(r"[^ \t\r\n\"'`,;&<>]+")
_HAS_ALNUM = re.compile(r"[A-Za-z0-9]")
_CLOSERS = {")": "(", "]": "[", "}": "{"}


def _value_at(text: str, pos: int) -> tuple[int, int] | None:
    """Bounds of the value starting at ``pos``: quoted (with escapes) or up to a delimiter."""
    limit = min(len(text), pos + _MAX_VALUE)
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
    key_end = i
    window = text[max(0, i - 128) : key_end]
    key = window[len(window.rstrip(_KEY_CHARS)) :]  # the run of key characters before the end
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
    if entity == "PASSWORD" and text[vs : vs + 1] == "{":
        # ODBC quotes a password with braces: Pwd={p@ss;word};
        close = text.find("}", vs + 1, min(len(text), vs + 130))
        if close > vs + 1 and not any(c in text[vs + 1 : close] for c in " \r\n:\"'"):
            vs, ve = vs + 1, close
    return _judge(key, entity, text, (vs, ve), want)


def _judge(
    key: str, entity: str, text: str, bounds: tuple[int, int], want: frozenset[str]
) -> list[Found]:
    """Report ``text[vs:ve]`` under ``key`` unless it is a placeholder or does not fit the key."""
    vs, ve = bounds
    value = text[vs:ve]
    if not value or value[0] in "{[(" or is_placeholder(value) or not _HAS_ALNUM.search(value):
        return []
    low = value.lower()
    if entity == "PASSWORD":
        if low in PROSE_WORDS or len(value) > 200:
            return []
        score = 0.9
    elif strong_secret_key(key):
        if len(value) < 4 or low in PROSE_WORDS or (value.isdigit() and len(value) < 8):
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


def check_xml(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """``<password>hunter2</password>``: the text of an element whose tag names a secret."""
    key = text[start + 1 : end - 1].rsplit(":", 1)[-1]  # drop an XML namespace prefix
    entity = secret_key_entity(key)
    if entity is None:
        return []
    close = text.find("</", end, min(len(text), end + _MAX_VALUE))
    if close < 0:
        return []
    vs, ve = end, close
    while vs < ve and text[vs] in " \t\r\n":
        vs += 1
    while ve > vs and text[ve - 1] in " \t\r\n":
        ve -= 1
    if "<" in text[vs:ve]:
        return []  # nested elements, not a value
    return _judge(key, entity, text, (vs, ve), want)


_PHRASE_VALUE = re.compile(r"\S{4,128}")


def check_password_phrase(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """Prose: "my password is Tr0ub4dor&3" — a single token that does not read as a word."""
    m = _PHRASE_VALUE.match(text, end, min(len(text), end + 200))
    if m is None:
        return []
    value = m.group().rstrip(".,;:!?)\"'")
    if not value or is_placeholder(value) or value.lower() in PROSE_WORDS:
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
