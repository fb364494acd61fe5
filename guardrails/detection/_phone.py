"""Phone number candidates, validated against the ``phonenumbers`` metadata (libphonenumber's).

``phonenumbers.parse`` + ``is_valid_number`` cost ~50 µs per call, too slow for dense tool output.
We apply the same rule ``is_valid_number`` applies — the national number matches one of the
number-type patterns (fixed line, mobile, toll free, …) of a region of its country code — with
the patterns from the library's own metadata, compiled once per country, and cache the outcome.
``phonenumbers`` is imported on the first phone candidate, not with the package (~40 ms).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from types import ModuleType

from guardrails.detection._validators import WORD_CHARS, Found, context_words, has_context

__all__ = ["check_phone", "check_phone_cue", "valid_international", "valid_national"]

_TYPES = (
    "fixed_line",
    "mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "personal_number",
    "voip",
    "pager",
    "uan",
    "voicemail",
)


@cache
def _phonenumbers() -> ModuleType:
    import phonenumbers

    return phonenumbers


def _region_pattern(region: str) -> str | None:
    meta = _phonenumbers().PhoneMetadata.metadata_for_region(region)
    if meta is None:
        return None
    parts = [
        desc.national_number_pattern
        for desc in (getattr(meta, t, None) for t in _TYPES)
        if desc is not None and desc.national_number_pattern
    ]
    return "|".join(f"(?:{p})" for p in parts) if parts else None


@cache
def _country_regex(cc: int) -> re.Pattern[str] | None:
    """One regex: any number type of any region sharing country code ``cc``."""
    regions = _phonenumbers().COUNTRY_CODE_TO_REGION_CODE.get(cc, ())
    parts = [p for r in regions if (p := _region_pattern(r))]
    return re.compile("|".join(f"(?:{p})" for p in parts)) if parts else None


@cache
def _national(region: str) -> tuple[str, int, re.Pattern[str] | None]:
    meta = _phonenumbers().PhoneMetadata.metadata_for_region(region)
    prefix = (meta.national_prefix or "") if meta is not None else ""
    cc = meta.country_code if meta is not None else 0
    return prefix, cc or 0, _country_regex(cc) if cc else None


@lru_cache(maxsize=8192)
def valid_international(digits: str) -> bool:
    """``digits`` = country code + national number (what follows ``+`` or ``00``)."""
    codes = _phonenumbers().COUNTRY_CODE_TO_REGION_CODE
    for k in (1, 2, 3):
        cc = int(digits[:k])
        if cc in codes:
            rx = _country_regex(cc)
            if rx is None:
                return False
            nsn = digits[k:]
            if rx.fullmatch(nsn):
                return True
            # "+44 (0)20 …": the trunk prefix written after the country code
            return nsn[:1] == "0" and rx.fullmatch(nsn[1:]) is not None
    return False


@lru_cache(maxsize=8192)
def valid_national(digits: str, region: str) -> bool:
    """``digits`` as dialled inside ``region`` (with its trunk prefix, e.g. ``0`` or ``1``)."""
    prefix, _, rx = _national(region)
    if rx is None:
        return False
    if prefix and digits.startswith(prefix) and rx.fullmatch(digits[len(prefix) :]):
        return True
    return rx.fullmatch(digits) is not None


def possible_international(candidate: str) -> bool:
    """``phonenumbers.is_possible_number`` (length only) for a ``+`` number."""
    pn = _phonenumbers()
    try:
        return bool(pn.is_possible_number(pn.parse(candidate, None)))
    except pn.NumberParseException:
        return False


_PHONE_CONTEXT = context_words(
    "phone", "tel", "call", "mobile", "cell", "fax", "whatsapp", "sms", "contact", "text me",
    "reach", "dial", "number", "ph:", "ph.", "telefon", "téléphone",
)  # fmt: skip
_NOT_PHONE_CONTEXT = context_words(
    "order", "invoice", "sku", "ticket", "tracking", "account", "acct", "id:", "id=", "ref",
    "serial", "version", "build", "port", "pid", "uid", "#",
)  # fmt: skip
_DATE = re.compile(r"(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})(?!\d)")
_DATE_SPLIT = re.compile(r"[-./]")
_GROUP_SPLIT = re.compile(r"[ ().\-]+")
_SSN_SHAPE = re.compile(r"[0-9]{3}-[0-9]{2}-[0-9]{4}")
_HAS_LETTER = re.compile(r"[A-Za-z]")
_NUMBER_START = re.compile(r"[0-9+(]")
_EXTENSION = re.compile(r"(?i)(?:x|ext\.?|extension)[ ]?[0-9]{1,6}$")
# regions tried for national numbers with a trunk "0" prefix, most common in agent data first.
_TRUNK_REGIONS = (
    "GB", "DE", "FR", "NL", "BE", "CH", "AT", "AU", "IN", "IE", "NZ", "ZA", "JP", "SE", "BR",
    "TR", "PH", "MX", "ES", "IT",
)  # fmt: skip
_ISO_DATE_LEN = 4


def is_date(cand: str) -> bool:
    """Whether ``cand`` starts with a plausible calendar date (a day <= 31 and a month <= 12)."""
    m = _DATE.match(cand)
    if m is None:
        return False
    parts = [int(p) for p in _DATE_SPLIT.split(m.group())]
    if m.group()[:_ISO_DATE_LEN].isdigit():
        return 1 <= parts[1] <= 12 and 1 <= parts[2] <= 31
    a, b = parts[0], parts[1]
    return 1 <= a <= 31 and 1 <= b <= 31 and (a <= 12 or b <= 12)


def _before(text: str, i: int) -> str:
    return text[i - 1] if i > 0 else ""


def _after(text: str, i: int) -> str:
    return text[i] if i < len(text) else ""


def check_phone(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """A number valid per the phonenumbers metadata, shaped like a phone, not a date or an id."""
    prev = _before(text, start)
    nxt = _after(text, end)
    if (
        prev in WORD_CHARS
        or prev in ("#", "/", ".", "_")
        or (nxt in ("-", "/", ".") and _after(text, end + 1).isdigit())
    ):
        return []  # part of an identifier, a path, a longer dotted/dashed run
    if prev in (" ", "-") and _before(text, start - 1).isdigit():
        return []  # the tail of a longer digit-group run (a card, an account number)
    cand = text[start:end]
    ext = _EXTENSION.search(cand) if _HAS_LETTER.search(cand) else None
    number = cand[: ext.start()].rstrip(" ,") if ext else cand
    digits = "".join(filter(str.isdigit, number))
    if not 7 <= len(digits) <= 15:
        return []
    if number[0] == "+":
        # "+" and grouping are specific enough to accept numbers that are merely possible, and
        # the score is 1.0 whatever the context
        if valid_international(digits) or (
            len(_groups(number)) >= 3 and possible_international(number)
        ):
            return [(start, end, "PHONE_NUMBER", 1.0)]
        return []
    if is_date(number) or _SSN_SHAPE.fullmatch(number):
        return []
    groups = _groups(number)
    seps = set(number).intersection(" .-()")
    if seps == {"."} and len(groups) == 4 and all(len(g) <= 3 for g in groups):
        return []  # an IPv4 address or a 4-part version
    if any(len(g) == 1 for g in groups[1:]):
        return []  # "1.2.3", "4 5 6": versions, list counters
    context = has_context(text, start, _PHONE_CONTEXT, 40)
    if not context and has_context(text, start, _NOT_PHONE_CONTEXT, 16):
        return []  # "order 4155550123": an id, unless the number is written "+…" or a cue says phone
    if number.startswith("00"):
        ok = valid_international(digits[2:])
    else:
        if not seps and not context:
            return []  # a bare run of digits is an order/invoice number unless context says phone
        if number.lstrip("(")[:1] == "0":
            ok = any(valid_national(digits, r) for r in _TRUNK_REGIONS)
        else:
            ok = valid_national(digits, "US")
    if not ok:
        return []
    return [(start, end, "PHONE_NUMBER", 1.0 if context else 0.85)]


def _groups(number: str) -> list[str]:
    """The digit groups of ``number`` ("+44 (0)20 7946-0958" -> 44, 0, 20, 7946, 0958)."""
    return [g for g in _GROUP_SPLIT.split(number.lstrip("+")) if g]


def check_phone_cue(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """Any 7-15 digit grouped number right after a phone cue ("Phone: 467 3395")."""
    # the scanner's match starts at the cue word; the number at its first digit, "+" or "("
    # (the match is ASCII: the pattern's classes are)
    m = _NUMBER_START.search(text, start, end)
    i = m.start() if m else end
    cand = text[i:end]
    ext = _EXTENSION.search(cand) if _HAS_LETTER.search(cand) else None
    if ext:
        cand = cand[: ext.start()].rstrip(" ,")
    digits = sum(map(str.isdigit, cand))
    if not 7 <= digits <= 15 or is_date(cand.lstrip("+(")):
        return []
    prev = _before(text, i)
    if (
        prev in WORD_CHARS
        or prev in ("#", "/", ".", "_")
        or (prev == "-" and _before(text, i - 1) in WORD_CHARS)
    ):
        return []  # "call ORD-2026-137168", "call #9836228": an id after the cue, not a number
    if "." in cand:
        groups = _groups(cand)
        if len(groups) == 4 and all(len(g) <= 3 for g in groups):
            return []
    return [(i, end, "PHONE_NUMBER", 0.7)]
