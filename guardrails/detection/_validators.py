"""Candidate checks for the structured PII entities (email, phone, SSN, card, IBAN, IP, MAC).

Each check receives the whole text and one candidate's bounds from the scanner, looks at a bounded
window around it (never the whole text), validates with a well-kept library and returns the spans to
emit as ``(start, end, entity, score)``. Python ``re`` is only used on bounded candidate strings.
"""

from __future__ import annotations

import importlib
import ipaddress
import re
from functools import cache, lru_cache
from types import ModuleType
from typing import Any

__all__ = [
    "WORD_CHARS",
    "Found",
    "check_card",
    "check_email",
    "check_iban",
    "check_ipv4",
    "check_ipv6",
    "check_mac",
    "check_ssn",
    "context_words",
    "has_context",
]

Found = tuple[int, int, str, float]

WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_HEX = frozenset("0123456789abcdefABCDEF")


def context_words(*words: str) -> re.Pattern[str]:
    """``words`` (lower case) for :func:`has_context`: one regex search instead of a loop."""
    return re.compile("|".join(map(re.escape, words)))


def has_context(text: str, start: int, words: re.Pattern[str], width: int = 48) -> bool:
    """Whether one of ``words`` occurs, in any case, in the ``width`` characters before ``start``."""
    return words.search(text[max(0, start - width) : start].lower()) is not None


@cache
def _stdnum(name: str) -> ModuleType:
    """A python-stdnum module, imported on first use (not with the package, and not per call)."""
    return importlib.import_module(f"stdnum.{name}")


def _before(text: str, i: int) -> str:
    return text[i - 1] if i > 0 else ""


def _after(text: str, i: int) -> str:
    return text[i] if i < len(text) else ""


# ---------------------------------------------------------------------------------------- email

_LEADING_GROUP = re.compile(r"[^ \-]*")  # what precedes the first " " or "-"
_LOCAL_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+'-"
_URL_AUTHORITY_END = frozenset(" \t\r\n/\"'<>")
_MACHINE_LOCAL = re.compile(
    r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}|[0-9a-fA-F.\-]{16,}"
)


def check_email(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """A syntactically valid address; not the password half of ``scheme://user:pw@host``.

    The scanner reports only where a match ends; the local part is found walking back from "@".
    """
    nxt = text[end : end + 1]
    if nxt == "-" or (nxt == "." and text[end + 1 : end + 2] in WORD_CHARS):
        return []  # the domain goes on: the scanner also reports the longer match
    lo = max(0, end - 300)
    at, width = text.rfind("@", lo, end), 1
    encoded = text.rfind("%40", max(lo, at + 1), end)  # a URL-encoded "@" after the last "@"
    if encoded >= 0:
        at, width = encoded, 3
    if at <= 0:
        return []
    # RFC 5321 caps the local part at 64 characters: a long run before "@" is not all address.
    # (rstrip, not a regex search ending in "$": that one is quadratic in the window.)
    window = text[max(0, at - 64) : at]
    start = at - (len(window) - len(window.rstrip(_LOCAL_CHARS)))
    while start < at and text[start] in ".-+%'":
        start += 1
    local, domain = text[start:at], text[at + width : end]
    if not local or ".." in local or local.endswith("."):
        return []
    if ".-" in domain or "-." in domain or ".." in domain or domain[:1] in ".-":
        return []  # an empty label, or one that starts or ends with "-" (the last is [A-Za-z])
    tld = domain[domain.rfind(".") + 1 :]
    if not 2 <= len(tld) <= 24 or not (tld.isascii() and tld.isalpha()):
        return []
    i = text.rfind("://", max(0, start - 200), start)
    if i >= 0 and _URL_AUTHORITY_END.isdisjoint(text[i + 3 : start]):
        return []  # scheme://user:PASSWORD@host is URL_CREDENTIALS / PASSWORD, not an address
    if _MACHINE_LOCAL.fullmatch(local):
        return []  # <uuid@mail.example.com> Message-IDs, <hex@host> ids: not a mailbox
    if local == "git" and nxt == ":":
        return []  # git@github.com:org/repo.git is an SSH remote
    return [(start, end, "EMAIL_ADDRESS", 1.0)]


# ------------------------------------------------------------------------------------------ SSN

_SSN_CONTEXT = context_words(
    "ssn", "social security", "social sec", "ss#", "ss #", "tin", "taxpayer"
)


def _ssn_ranges_ok(d: str) -> bool:
    area, group, serial = d[:3], d[3:5], d[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    # well-known advertising/test numbers that were never issued
    return d not in ("123456789", "078051120", "219099999")


def check_ssn(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """A US SSN in a valid range; without dashes only when the context says SSN."""
    cand = text[start:end]
    d = "".join(filter(str.isdigit, cand))
    if len(d) != 9 or not _ssn_ranges_ok(d):
        return []
    prev, nxt = _before(text, start), _after(text, end)
    if prev in ("-", ".", "/", "+") or (nxt in ("-", ".", "/") and _after(text, end + 1).isdigit()):
        return []  # a slice of a longer dashed/dotted identifier
    context = has_context(text, start, _SSN_CONTEXT, 40)
    if "-" in cand:
        return [(start, end, "US_SSN", 1.0 if context else 0.85)]
    if not context:
        return []
    return [(start, end, "US_SSN", 0.9)]


# ---------------------------------------------------------------------------------- credit card


def _card_brand_ok(d: str) -> bool:
    """IIN ranges of the major brands (issuer prefixes are data, not a checksum)."""
    n = len(d)
    if d[0] == "4":
        return n in (13, 16, 19)  # Visa, incl. 19-digit
    p4 = int(d[:4])  # callers pass 12-19 digits
    p2, p3 = p4 // 100, p4 // 10
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return n == 16  # Mastercard incl. the 2-series
    if p2 in (34, 37):
        return n == 15  # American Express
    if p4 == 6011 or p2 == 65 or 644 <= p3 <= 649 or (p2 == 62 and 622126 <= int(d[:6]) <= 622925):
        return 16 <= n <= 19  # Discover
    if p2 == 35:
        return 16 <= n <= 19  # JCB
    if p4 in (1800, 2131):
        return n == 15  # JCB, old 15-digit ranges
    if 300 <= p3 <= 305 or p2 in (36, 38, 39) or p4 == 3095:
        return 14 <= n <= 19  # Diners Club
    if p2 in (62, 81):
        return 16 <= n <= 19  # UnionPay
    if 2200 <= p4 <= 2204:
        return 16 <= n <= 19  # Mir
    if p2 in (50, 56, 57, 58) or 60 <= p2 <= 69 or p4 in (6304, 6759, 6761, 6762, 6763):
        return 12 <= n <= 19  # Maestro and other 6-series
    return False


def _card_ok(cand: str) -> bool:
    d = "".join(filter(str.isdigit, cand))
    if len(cand) - len(d) > 1 and len(set(cand).difference(d)) > 1:
        return False  # "4111-1111 1111-1111": mixed separators are not how cards are written
    if not (12 <= len(d) <= 19 and _card_brand_ok(d)) or not _luhn_sum_ok(d):
        return False
    # python-stdnum decides; the pre-check only rejects early
    return bool(_stdnum("luhn").is_valid(d))


# digit -> digit sum of its double (Luhn): 5 -> 10 -> 1
_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")


def _luhn_sum_ok(d: str) -> bool:
    """The Luhn sum without a Python loop: rejects 9 in 10 random numbers before python-stdnum.

    Summing the bytes of ASCII digits adds 48 per digit; anything else is left to python-stdnum.
    """
    if not d.isascii():
        return True
    doubled = d[-2::-2].translate(_LUHN_DOUBLED)
    return (sum(d[-1::-2].encode()) + sum(doubled.encode()) - 48 * len(d)) % 10 == 0


def _leading_group(cand: str, limit: int) -> str:
    m = _LEADING_GROUP.match(cand, 0, limit)
    return m.group() if m else ""


def check_card(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """A Luhn-valid number of a known brand; trailing groups (a CVV, a date) are trimmed."""
    return _card_at(text, start, end, trim=True)


def _card_at(text: str, start: int, end: int, *, trim: bool) -> list[Found]:
    if _after(text, end) in ("-", "_"):
        return []
    cand = text[start:end]
    first = _leading_group(cand, 4)
    if trim and len(first) <= 3 and len(cand) > len(first) + 1 and cand[len(first)] in " -":
        # "plan B-42 4111 1111 1111 1111": a short number glued in front of a grouped card
        found = _card_at(text, start + len(first) + 1, end, trim=False)
        if found:
            return found
    if _before(text, start) in ("-", ".", "/", "+", "_"):
        return []
    if len(cand) <= _MAX_CARD_CHARS and _card_ok(cand):
        return [(start, end, "CREDIT_CARD", 1.0)]
    # "4111111111111111 2025": an ungrouped number followed by another one. A consistently grouped
    # run that fails is left whole: trimming it would pass Luhn one time in ten by chance.
    head = _leading_group(cand, _MAX_CARD_CHARS + 1)  # == cand if ungrouped: nothing new
    if head != cand and 13 <= len(head) <= 19 and _card_ok(head):
        return [(start, start + len(head), "CREDIT_CARD", 1.0)]
    if sum(map(str.isdigit, cand[:_MAX_CARD_CHARS])) > 19:
        # too long for one card: a few cards in a row? (bounded: a longer run is not a card list)
        return _cards_in_run(start, cand[:_MAX_CARD_RUN])
    return []


_GROUPS = re.compile(r"[0-9]+")
_MAX_CARD_CHARS = 37  # 19 digits and 18 separators
_MAX_CARD_RUN = 160  # about four grouped cards in a row


def _cards_in_run(start: int, cand: str) -> list[Found]:
    """Whole groups of a long digit-group run that form valid cards, left to right."""
    groups = [(m.start(), m.end()) for m in _GROUPS.finditer(cand)]
    out: list[Found] = []
    i = 0
    while i < len(groups):
        digits = 0
        for j in range(i, len(groups)):
            digits += groups[j][1] - groups[j][0]
            if digits > 19:
                break
            if digits >= 12 and _card_ok(cand[groups[i][0] : groups[j][1]]):
                out.append((start + groups[i][0], start + groups[j][1], "CREDIT_CARD", 0.9))
                i = j
                break
        i += 1
    return out


# ----------------------------------------------------------------------------------------- IBAN


# "A" -> "10" … "Z" -> "35": the ISO 7064 letter values
_BASE36 = str.maketrans({chr(ord("A") + i): str(10 + i) for i in range(26)})


@lru_cache(maxsize=4096)
def _iban_ok(cand: str) -> bool:
    compact = cand.replace(" ", "").upper()
    if len(compact) < 15 or not (compact.isascii() and compact.isalnum()):
        return False
    rules = _iban_country(compact[:2])
    if rules is None:
        return _mod97_ok(compact) and bool(_stdnum("iban").is_valid(compact))
    if not rules:
        return False  # a country code python-stdnum does not know (a hex id: "da57…")
    # The country's BBAN structure and a cheap mod 97 pre-check reject look-alikes before
    # python-stdnum decides (its checksum, or the national module: structure, checksum and the
    # national check digits).
    bban, national = rules
    if bban.match(compact[4:]) is None or not _mod97_ok(compact):
        return False
    if national is not None:  # it runs iban.validate itself, then the national check digits
        return bool(national.is_valid(compact))
    return bool(_stdnum("iso7064.mod_97_10").is_valid(compact[4:] + compact[:4]))


def _mod97_ok(compact: str) -> bool:
    """ISO 7064 mod 97-10 as one int(), not python-stdnum's per-character loop: a pre-check."""
    return int((compact[4:] + compact[:4]).translate(_BASE36)) % 97 == 1


@cache
def _iban_country(cc: str) -> tuple[re.Pattern[str], Any] | tuple[()] | None:
    """python-stdnum's IBAN rules for country ``cc``, looked up once instead of per candidate.

    ``iban.validate`` checks the mod 97 checksum, then looks the number up in its IBAN registry
    (a linear walk over ~90 country entries per call) for the BBAN structure, then runs the
    country's own module (national check digits) if there is one. Every registry entry is a
    two-letter country code, so the lookup depends on ``cc`` alone and is cached here, built with
    the library's own functions. ``()``: unknown country; ``None``: a registry of another shape
    (a newer python-stdnum), where :func:`_iban_ok` asks ``iban.is_valid`` for every candidate.
    """
    from stdnum import iban, numdb  # on the first IBAN candidate, not with the package

    db = numdb.get("iban")
    try:
        if any(entry[0] != 2 for entry in db.prefixes):
            return None
        props = db.info(cc)[0][1]
        if not props:
            return ()
        return iban._struct_to_re(props.get("bban", "")), iban._get_cc_module(cc)
    except AttributeError:
        return None


def check_iban(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """An IBAN whose checksum ``python-stdnum`` accepts, with or without spaces."""
    cand = text[start:end]
    cut = len(cand)
    for _ in range(8):  # "… 0130 00 EUR": drop trailing groups that are not part of it
        if _iban_ok(cand[:cut]):
            return [(start, start + cut, "IBAN_CODE", 1.0)]
        sep = cand.rfind(" ", 0, cut)
        if sep <= 0:
            break
        cut = sep
    return []


# ------------------------------------------------------------------------------------------- IP

_VERSION_WORDS = context_words("version", "ver", "release", "firmware", "build", "rev", "v.", "oid")


def check_ipv4(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """A dotted quad ``ipaddress`` accepts that is not a version string (``v1.2.3.4``)."""
    prev, nxt = _before(text, start), _after(text, end)
    if prev in WORD_CHARS or prev == "." or (nxt == "." and _after(text, end + 1).isdigit()):
        return []  # "v1.2.3.4", "1.2.3.4.5"
    if prev in ("-", "/") and _before(text, start - 1) in ("v", "V"):
        return []
    if has_context(text, start, _VERSION_WORDS, 16) or not _ipv4_ok(text[start:end]):
        return []
    return [(start, end, "IP_ADDRESS", 0.95)]


@lru_cache(maxsize=4096)
def _ipv4_ok(cand: str) -> bool:
    try:
        ipaddress.IPv4Address(cand)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=4096)
def _ipv6_ok(cand: str) -> bool:
    try:
        ipaddress.IPv6Address(cand)
    except ValueError:
        return False
    return True


def check_ipv6(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """An address ``ipaddress`` accepts; not a time, a MAC, or ``Foo::Bar``."""
    cand = text[start:end]
    prev, nxt = _before(text, start), _after(text, end)
    if prev in WORD_CHARS or nxt in WORD_CHARS or prev in (":", ".") or nxt in (":", "."):
        return []  # a slice of a longer colon-separated run (a fingerprint, a MAC list)
    if cand.count(":") < 4 and not any(map(str.isdigit, cand)):
        return []
    groups = [g for g in cand.split(":") if g]
    if "::" not in cand and len(groups) < 8 and "." not in cand:
        return []
    if cand.strip(":") == "" or (len(groups) < 2 and cand not in ("::1",)):
        return []
    if not _ipv6_ok(cand):
        return []
    return [(start, end, "IP_ADDRESS", 0.95)]


def check_mac(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
    """Six hex octets, not a slice of a longer colon/dash run (a fingerprint, an IPv6)."""
    prev, nxt = _before(text, start), _after(text, end)
    if prev in (":", "-", ".") or prev in _HEX:
        return []
    if nxt in (":", "-", ".") and _after(text, end + 1) in _HEX:
        return []
    return [(start, end, "MAC_ADDRESS", 0.95)]
