"""Shared helpers of the offline PERSON / LOCATION / ADDRESS detectors: lexicons and scanning.

The lexicons ship with the package as gzip'd word lists in ``guardrails/data`` (provenance and
licence per file in ``guardrails/data/README.md``) and are loaded once, on first use. Nothing is
downloaded at runtime.

Speed comes from never looping in Python over every word: :class:`CueScanner` finds the few cue
positions in one linear-time pass (hyperscan, or RE2 where hyperscan is unavailable), and
:class:`RunAnalyzer` finds capitalized-token runs with one C-level regex pass and analyses each *distinct* run once (cached), so repeated agent text costs almost nothing.
"""

from __future__ import annotations

import gzip
import re
import threading
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import accumulate
from types import MappingProxyType
from typing import Any

__all__ = [
    "ADDRESS_FIELDS",
    "LETTER",
    "LOCATION_FIELDS",
    "LOWER",
    "PARTICLES",
    "PERSON_FIELDS",
    "SHARED_SCAN",
    "UPPER",
    "US_STATES",
    "CueScanner",
    "Intervals",
    "Lexicons",
    "Memo",
    "SharedScan",
    "lexicons",
    "load_lines",
    "normalize_field",
    "place_context",
    "table_reader",
    "word_set",
]

# Upper/lower-case Latin letters (Basic, Latin-1, Extended-A/B): Python's ``re`` has no \p{Lu}.
UPPER = "A-Z" + "".join(chr(c) for c in range(0xC0, 0x250) if chr(c).isupper())
LOWER = "a-z" + "".join(chr(c) for c in range(0xDF, 0x250) if chr(c).islower())
LETTER = r"^\W\d_"  # any letter, only as the whole class: [{LETTER}] (a negated class)


def word_set(words: str) -> frozenset[str]:
    """Return the whitespace-separated words of ``words`` as a frozenset."""
    return frozenset(words.split())


def load_lines(filename: str) -> tuple[str, ...]:
    """Return the lines of a shipped gzip'd lexicon file (UTF-8, one entry per line)."""
    blob = resources.files("guardrails").joinpath("data", filename).read_bytes()
    return tuple(line for line in gzip.decompress(blob).decode("utf-8").split("\n") if line)


# Words that are names or places in some lexicon but mostly mean something else in agent text
# (months, weekdays, UI and tech words). They are detected only with a cue or context.
_CURATED_AMBIGUOUS = word_set(
    """
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday
    will mark grant bill rose lane bay park reading nice mobile sunday page link jade ruby
    java python rust swift kotlin scala julia dart go perl lua elixir crystal pascal ada haskell
    docker linux windows apple amazon google alexa siri cortana azure oracle jenkins mercedes
    tesla porsche chase wells fargo delta united phoenix aurora mesa vista orange sierra
    express republic independence victory liberty union unity harmony faith hope joy grace
    admin user guest customer client support team staff service status error warning info
    debug trace fatal critical success failure pending active inactive enabled disabled
    summary description title subject message note notes comment comments total amount
    order invoice account address street city state country region zip code phone email
    name first last middle full id type date time version release build test prod dev
    north south east west central new old great little big upper lower
    apache spring visual microsoft amazon aws oracle ibm red hat kafka redis mongo kubernetes
    github gitlab jira confluence slack zoom salesforce stripe twilio datadog grafana sentry
    ubuntu debian fedora centos android macos iphone ipad galaxy pixel chrome firefox safari
    edge node react angular vue django flask rails laravel spark hadoop tableau looker
    """
)


_BIG_PLACE = 1_000_000
_MID_PLACE = 100_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Lexicons:
    """Case-folded lexicons. ``ambiguous_*`` entries need a cue or context to be detected."""

    first_names: frozenset[str]
    surnames: frozenset[str]
    common_words: frozenset[str]
    stop_words: frozenset[str]
    places: MappingProxyType[str, int]  # case-folded place -> population (countries: large)
    ambiguous_first: frozenset[str]
    ambiguous_places: frozenset[str]
    state_codes: frozenset[str]
    max_place_words: int


def _fold(words: Sequence[str]) -> frozenset[str]:
    return frozenset(w.casefold() for w in words)


@cache
def lexicons(
    sources: tuple[str, ...] = ("census1990", "faker"),
    min_city_population: int = 15000,
) -> Lexicons:
    """Load (once per argument set) and return the shipped lexicons.

    Args:
        sources: which person-name lexicons to use: ``"census1990"`` (US Census 1990, public
            domain) and/or ``"faker"`` (Faker's per-locale name lists, MIT).
        min_city_population: GeoNames cities smaller than this are left out.
    """
    first: set[str] = set()
    last: set[str] = set()
    for src in sources:
        first |= _fold(load_lines(f"first_names_{src}.txt.gz"))
        last |= _fold(load_lines(f"surnames_{src}.txt.gz"))
    common = _fold(load_lines("common_words_scowl.txt.gz"))
    places: dict[str, int] = {}
    for row in load_lines("cities_geonames.txt.gz"):
        name, _cc, pop = row.split("\t")
        if int(pop) >= min_city_population and len(name) >= 3:
            key = name.casefold()
            places[key] = max(places.get(key, 0), int(pop))
    big = 10**9  # countries, states and continents outrank any city
    codes: set[str] = set()
    for row in load_lines("us_states_geonames.txt.gz"):
        name, code = row.split("\t")
        places[name.casefold()] = big
        codes.add(code)
    for name in load_lines("countries_geonames.txt.gz") + load_lines("continents_geonames.txt.gz"):
        places[name.casefold()] = big
    ambiguous_first = (frozenset(first) & common) | (_CURATED_AMBIGUOUS & frozenset(first))
    # A common word that is also a place needs context, unless the place is big enough that the
    # capitalized word almost always means it ("Japan", "Cologne", "Turkey").
    ambiguous_places = frozenset(
        p
        for p, pop in places.items()
        # "Mary", "Logan" (first names) and small "Davis" (surname) are towns too: a lone person
        # name needs place context; "Manchester" or "Portland" are cities first.
        if p in _CURATED_AMBIGUOUS
        or ((p in common or p in first) and pop < _BIG_PLACE)
        or (p in last and pop < _MID_PLACE)
    )
    return Lexicons(
        first_names=frozenset(first),
        surnames=frozenset(last),
        common_words=common | _CURATED_AMBIGUOUS,
        stop_words=_fold(load_lines("stop_words_spacy.txt.gz")),
        places=MappingProxyType(places),
        ambiguous_first=ambiguous_first,
        ambiguous_places=ambiguous_places,
        state_codes=frozenset(codes),
        max_place_words=max(p.count(" ") + 1 for p in places),
    )


class Memo:
    """Remember the result for the last text (by identity), so that detectors sharing work
    (names -> places, addresses -> names) compute it once per text. Thread-safe: one tuple
    attribute is read and replaced atomically."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: tuple[str, Any] | None = None

    def get(self, text: str) -> Any:
        """The value stored for this very ``text`` object, else ``None``."""
        last = self._last
        return last[1] if last is not None and last[0] is text else None

    def put(self, text: str, value: Any) -> None:
        """Store ``value`` for ``text``."""
        self._last = (text, value)


class Intervals:
    """Answer "does (start, end) overlap any of these spans?" in O(log n) per question.

    Example:
        >>> iv = Intervals([(10, 20), (30, 35)])
        >>> iv.overlaps(15, 40), iv.overlaps(20, 30)
        (True, False)
    """

    __slots__ = ("_max_end", "_starts")

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self._starts = [s for s, _ in ordered]
        self._max_end = list(accumulate((e for _, e in ordered), max))

    def overlaps(self, start: int, end: int) -> bool:
        """Whether some span starts before ``end`` and ends after ``start``."""
        i = bisect_left(self._starts, end)  # spans [0, i) start before `end`
        return i > 0 and self._max_end[i - 1] > start


# Bytes 0x80..0xBF continue a UTF-8 sequence: deleting every other byte counts them.
_NON_CONTINUATION = bytes(b for b in range(256) if not 0x80 <= b <= 0xBF)


class CueScanner:
    """Report where cue patterns end, in one linear-time pass over the text.

    Patterns use the syntax common to hyperscan and RE2; each pattern should end on a fixed
    element (e.g. ``:`` or the first letter of the value) so that each match has one end.
    Hits are ``(pattern id, end offset)`` in *str* offsets, sorted by end offset.

    Example:
        >>> s = CueScanner([r"(?i)\\bname[ \\t]*[:=]"])
        >>> s.scan("Name: Jane")
        [(0, 5)]
    """

    def __init__(self, patterns: Sequence[str], *, starts: bool | Sequence[bool] = False) -> None:
        self._patterns = tuple(patterns)
        som = [starts] * len(self._patterns) if isinstance(starts, bool) else list(starts)
        self._som = tuple(som)
        self._lock = threading.Lock()
        self._hs: Any = None
        self._re2: list[Any] = []
        try:
            import hyperscan
        except ImportError:  # non-x86 platforms: RE2 is a core dependency everywhere
            import re2

            self._re2 = [re2.compile(p) for p in self._patterns]
        else:
            db = hyperscan.Database()
            db.compile(
                expressions=[p.encode() for p in self._patterns],
                ids=list(range(len(self._patterns))),
                flags=[hyperscan.HS_FLAG_SOM_LEFTMOST if f else 0 for f in self._som],
            )
            self._hs = db

    def scan(self, text: str) -> list[tuple[int, int]]:
        """Return the ``(pattern id, end)`` hits in ``text`` (str offsets), sorted by end."""
        return [(i, e) for i, _, e in self.spans(text)]

    def spans(self, text: str) -> list[tuple[int, int, int]]:
        """Return ``(pattern id, start, end)`` hits sorted by end; ``start`` is only meaningful
        when the scanner was built with ``starts=True`` (else it equals ``end``)."""
        if self._hs is None:
            if not text.isascii():  # RE2 needs valid UTF-8: one "?" per lone surrogate
                text = text.encode("utf-8", "replace").decode("utf-8")
            found = [
                (m.end(), m.start() if self._som[i] else m.end(), i)
                for i, rx in enumerate(self._re2)
                for m in rx.finditer(text)
            ]
            return [(i, s, e) for e, s, i in sorted(found)]
        ascii_only = text.isascii()
        # "replace" turns a lone surrogate into one "?" byte: one code point stays one character.
        data = text.encode("ascii") if ascii_only else text.encode("utf-8", "replace")
        hits: list[tuple[int, int, int]] = []

        def on_match(i: int, s: int, e: int, _f: int, _c: object) -> None:
            hits.append((e, s, i))

        with self._lock:  # a hyperscan Database owns one scratch space
            self._hs.scan(data, match_event_handler=on_match)
        hits.sort()
        som = self._som
        if ascii_only:
            return [(i, s if som[i] else e, e) for e, s, i in hits]
        # byte offsets -> str offsets: walk the sorted offsets once, counting UTF-8 lead bytes
        offsets = sorted({o for e, s, i in hits for o in ((s, e) if som[i] else (e,))})
        chars: dict[int, int] = {}
        prev_b = prev_c = 0
        for b in offsets:
            seg = data[prev_b:b]
            prev_c += len(seg) - len(seg.translate(None, _NON_CONTINUATION))
            prev_b = b
            chars[b] = prev_c
        return [(i, chars[s] if som[i] else chars[e], chars[e]) for e, s, i in hits]


class SharedScan:
    """One scanner pass per text for every registered cue set (names, places, addresses, tables).

    Each detector module registers its patterns under a group name at import time; the first
    scan compiles them all into one database, and the hits of the last text are kept, so the three
    detectors (and the table reader) share a single pass and a single UTF-8 encoding of the text.
    """

    def __init__(self) -> None:
        self._groups: dict[str, tuple[tuple[str, ...], bool]] = {}
        self._lock = threading.Lock()
        self._compiled: tuple[CueScanner, list[tuple[str, int]]] | None = None
        self._memo = Memo()

    def register(self, group: str, patterns: Sequence[str], *, starts: bool = False) -> None:
        """Add (or replace) a group's patterns; ``starts`` asks for start offsets (SOM)."""
        with self._lock:
            self._groups[group] = (tuple(patterns), starts)
            self._compiled = None
            self._memo = Memo()

    def hits(self, text: str, group: str) -> list[tuple[int, int, int]]:
        """``(pattern index in its group, start, end)`` hits of ``group``, sorted by end."""
        memo = self._memo
        by_group: dict[str, list[tuple[int, int, int]]] | None = memo.get(text)
        if by_group is None:
            scanner, owners = self._scanner()
            by_group = {g: [] for g in self._groups}
            for i, s, e in scanner.spans(text):
                g, local = owners[i]
                by_group[g].append((local, s, e))
            memo.put(text, by_group)
        return by_group.get(group, [])

    def _scanner(self) -> tuple[CueScanner, list[tuple[str, int]]]:
        with self._lock:
            if self._compiled is None:
                patterns: list[str] = []
                som: list[bool] = []
                owners: list[tuple[str, int]] = []
                for g, (pats, starts) in self._groups.items():
                    for k, p in enumerate(pats):
                        patterns.append(p)
                        som.append(starts)
                        owners.append((g, k))
                self._compiled = (CueScanner(patterns, starts=som), owners)
            return self._compiled


#: The process-wide shared scanner.
SHARED_SCAN = SharedScan()


# --- field names and tables ------------------------------------------------------------------

#: Field names (lower-case, ``_``-separated) whose value is a person's name.
PERSON_FIELDS: frozenset[str] = word_set(
    """
    name full_name fullname first_name firstname last_name lastname middle_name given_name
    family_name surname display_name legal_name preferred_name nickname maiden_name
    customer_name client_name contact_name patient_name employee_name user_full_name
    account_holder account_holder_name cardholder cardholder_name card_holder name_on_card
    holder_name beneficiary beneficiary_name recipient_name sender_name billing_name
    shipping_name ship_to_name bill_to_name owner_name author_name assignee_name
    requester_name reporter_name approver_name reviewer_name manager_name spouse_name
    emergency_contact emergency_contact_name next_of_kin guardian_name parent_name
    physician_name doctor_name passenger_name guest_name tenant_name applicant_name
    signatory signer_name contact_person person customer contact
    """
)
#: Field names whose value is a place.
LOCATION_FIELDS: frozenset[str] = word_set(
    """
    city town village municipality locality county district province region
    state_province country country_name nation birthplace place_of_birth birth_place
    hometown home_town location geo_location city_name region_name state_name
    billing_city shipping_city mailing_city residence current_location office_city
    """
)
#: Field names whose value is a street address.
ADDRESS_FIELDS: frozenset[str] = word_set(
    """
    address street street_address address_line address_line1 address_line2 address_line_1
    address_line_2 address1 address2 addr home_address mailing_address billing_address
    shipping_address postal_address residential_address work_address delivery_address
    street_name full_address po_box
    """
)
_FIELD_ENTITY: dict[str, str] = {
    **dict.fromkeys(ADDRESS_FIELDS, "ADDRESS"),
    **dict.fromkeys(LOCATION_FIELDS, "LOCATION"),
    **dict.fromkeys(PERSON_FIELDS, "PERSON"),
}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[\s.\-]+")


def normalize_field(name: str) -> str:
    """``"Customer Name"``, ``"customerName"``, ``"customer-name"`` -> ``"customer_name"``."""
    return _SEPARATORS.sub("_", _CAMEL.sub("_", name.strip().strip("\"'"))).lower()


_TABLE_HEADER = (  # a known field name as a whole header cell, followed by a delimiter
    r"(?i)(?:^|[\n,\t;|])[ \t]*\"?(?:"
    + "|".join(sorted({re.escape(f).replace("_", "[ _-]?") for f in _FIELD_ENTITY}, key=len)[::-1])
    + r")\"?[ \t]*(?:[,\t;|]|\r?\n)"
)
_MAX_HEADER = 4000  # longer lines are not read as table headers (keeps the scan linear)
_CELL_VALUE = re.compile(r"[ \t]*[\"']?([^\W\d_][^\n]{0,200})")  # a cell starting with a letter


class TableReader:
    """Find CSV/TSV columns whose header names a person, place or address field.

    A header line is found by one scanner pass; the rows below it (same cell count) are read once.
    """

    def __init__(self) -> None:
        self._last: tuple[str, dict[str, list[tuple[int, int]]]] | None = None

    def cells(self, text: str) -> dict[str, list[tuple[int, int]]]:
        """Return ``entity -> [(start, end)]`` of the values in named columns of ``text``."""
        last = self._last
        if last is not None and last[0] is text:
            return last[1]
        out: dict[str, list[tuple[int, int]]] = {}
        done = 0
        for _, _, end in SHARED_SCAN.hits(text, "tables"):
            if end <= done:
                continue
            lo = max(0, end - _MAX_HEADER)
            start = text.rfind("\n", lo, max(lo, end - 1)) + 1
            if start == 0 and lo > 0:
                continue
            done = self._table(text, start, out)
        self._last = (text, out)
        return out

    @staticmethod
    def _split(text: str, start: int, end: int, delim: str) -> list[tuple[int, int]]:
        cells, pos = [], start
        while True:
            nxt = text.find(delim, pos, end)
            if nxt < 0:
                cells.append((pos, end))
                return cells
            cells.append((pos, nxt))
            pos = nxt + 1

    def _table(self, text: str, start: int, out: dict[str, list[tuple[int, int]]]) -> int:
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = text[start:end]
        delim = max(",\t;|", key=line.count)
        header = self._split(text, start, end, delim)
        cols = {
            i: ent
            for i, (a, b) in enumerate(header)
            if (ent := _FIELD_ENTITY.get(normalize_field(text[a:b]))) is not None
        }
        if len(header) < 2 or not cols:
            return end
        pos = end + 1
        while pos < len(text):
            row_end = text.find("\n", pos)
            row_end = len(text) if row_end < 0 else row_end
            row = self._split(text, pos, row_end, delim)
            if len(row) != len(header):
                break
            for i, ent in cols.items():
                m = _CELL_VALUE.match(text, row[i][0], row[i][1])
                if m is not None:
                    value = m.group(1).rstrip(" \t\r\"'")
                    out.setdefault(ent, []).append((m.start(1), m.start(1) + len(value)))
            pos = row_end + 1
        return pos


SHARED_SCAN.register("tables", [_TABLE_HEADER])


@cache
def table_reader() -> TableReader:
    """The shared table reader (the three detectors read the same tables)."""
    return TableReader()


# --- capitalized-token runs -------------------------------------------------------------------

# A capitalized word: "Jane", "McDonald", "O'Brien", "Jean-Pierre", "Szöllösy", "Jane's".
_WORD = rf"[{UPPER}](?:['’][{UPPER}])?[{LOWER}][{LETTER}]*(?:[-'’][{LETTER}]+)*"
PARTICLES = "van|von|de|da|di|del|della|der|den|du|dos|das|la|le|bin|ibn|al|el|ter|ten|y"
# Bounded repetitions keep the backtracking of a run constant-size, hence the scan linear.
RUN = (
    rf"{_WORD}(?:[ \t]+(?:(?:{PARTICLES})[ \t]+){{0,2}}"
    rf"(?:[{UPPER}]\.?[ \t]+){{0,2}}{_WORD}){{0,7}}"
)
_RUNS = re.compile(RUN)
_TOKEN = re.compile(r"[^ \t]+")
_INITIAL = re.compile(rf"[{UPPER}]\.?")
_PARTICLE_SET = frozenset(PARTICLES.split("|"))


_GLUE = frozenset("_/+=\\")  # characters that join a word into a token (base64, paths)


# Words that end a name: organisations and streets ("John Street", "Acme Inc").
_NOT_SURNAME = word_set(
    """
    inc corp corporation llc ltd limited gmbh ag co company plc group team holdings partners
    university college school academy institute foundation hospital clinic bank trust fund
    street avenue road boulevard drive lane way court place square terrace parkway highway
    center centre building tower plaza mall hotel airport station county city state
    """
)

PERSON, LOCATION = "PERSON", "LOCATION"
# What a finding still needs: nothing; place context (a LOCATION); or *no* place context (a lone
# first name that is also a town: "Hi Florence" is a person, "in Florence" a place).
NEEDS_NOTHING, NEEDS_PLACE_CONTEXT, UNLESS_PLACE_CONTEXT = 0, 1, 2

US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|"
    "NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR"
)
_PREP = re.compile(
    r"(?i:\b(?:in|at|from|near|to|around|outside|across|throughout|via|into|visit|visiting|"
    r"visited|based|located|lives|living|moved|office|offices|branch|city|town|of))[ \t]+$"
)
_AFTER = re.compile(  # ", CA", ", Germany", " office", " airport"
    rf",[ \t]*(?:(?:{US_STATES})\b|[A-Z][a-z]+)|[ \t]+(?:office|offices|branch|area|airport|"
    r"headquarters|HQ|campus|site|warehouse|store|region|metro|suburbs)\b"
)


_PLACE_LABEL_BEFORE = re.compile(  # "city": "…", Office: …, hometown=…
    r"(?i:\b(?:city|town|village|country|county|province|hometown|birthplace|office|location|"
    r"based[ _-]in|located[ _-]in))\\?[\"']?[ \t]*[:=][ \t]*\\?[\"']?[ \t]*$"
)


def place_context(text: str, start: int, end: int) -> bool:
    """Whether a place name sits after a preposition or a place label, or before
    ", <state/country>" / " office"."""
    return bool(
        _PREP.search(text, max(0, start - 16), start)
        or _PLACE_LABEL_BEFORE.search(text, max(0, start - 24), start)
        or _AFTER.match(text, end)
    )


# (start in run, end in run, entity, score, what context it still needs)
Found = tuple[int, int, str, float, int]


class RunAnalyzer:
    """Find names and places in capitalized-token runs; each distinct run is analysed once."""

    _MAX_CACHE = 200_000

    def __init__(self, lx: Lexicons) -> None:
        self.lx = lx
        self._cache: dict[str, tuple[Found, ...]] = {}
        self._with_findings: set[str] = set()
        self._last: tuple[str, list[tuple[int, tuple[Found, ...]]]] | None = None

    def runs(self, text: str) -> list[tuple[int, tuple[Found, ...]]]:
        """Return ``(run start, findings)`` for every run of ``text`` with a finding."""
        last = self._last
        if last is not None and last[0] is text:  # the other detector just scanned this text
            return last[1]
        # One C-level regex pass; Python only analyses each *distinct* run, once per process.
        runs = _RUNS.findall(text)
        distinct = set(runs)
        cache, with_findings = self._cache, self._with_findings
        if len(cache) > self._MAX_CACHE:
            cache.clear()
            with_findings.clear()
        for run in distinct.difference(cache):
            found = cache[run] = self._analyze(run)
            if found:
                with_findings.add(run)
        hits = distinct & with_findings
        out: list[tuple[int, tuple[Found, ...]]] = []
        if not hits:
            self._last = (text, out)
            return out
        # Positions: the runs are in text order and do not overlap, so the next occurrence of each
        # run after the previous one's end is exactly where the regex matched it (an earlier
        # occurrence would have been matched first). str.find is C-level; no match objects.
        find, n, pos = text.find, len(text), 0
        for run in runs:
            start = find(run, pos)
            pos = start + len(run)
            if run not in hits:
                continue
            # inside a token ("nr00P9YCmghZ03Ey635", "sk_live_pJo1ne"): not a word
            before = text[start - 1] if start else " "
            after = text[pos] if pos < n else " "
            if before.isalnum() or after.isalnum() or before in _GLUE or after in _GLUE:
                continue
            out.append((start, cache[run]))
        self._last = (text, out)
        return out

    def _analyze(self, run: str) -> tuple[Found, ...]:
        lx = self.lx
        toks: list[tuple[int, int, str]] = []
        for m in _TOKEN.finditer(run):
            start, end, tok = m.start(), m.end(), m.group()
            if tok[-2:] in ("'s", "’s"):  # possessive: "Jane's" -> "Jane"
                end, tok = end - 2, tok[:-2]
            toks.append((start, end, tok))
        keys = [t.casefold() for _, _, t in toks]
        n = len(toks)
        out: list[Found] = []
        i = 0
        while i < n:
            key = keys[i]
            if key in _PARTICLE_SET or _INITIAL.fullmatch(toks[i][2]):
                i += 1
                continue
            place_words = self._place_words(keys, i)
            if place_words > 1:  # "New York", "San Francisco": a multi-word place wins
                out.append(self._place(toks, keys, i, place_words))
                i += place_words
                continue
            if key in lx.first_names:
                j = i + 1
                while j < n and (keys[j] in _PARTICLE_SET or _INITIAL.fullmatch(toks[j][2])):
                    j += 1
                k = j
                while k < n and k - i < 5 and self._surname_like(keys[k]):
                    k += 1
                if k > j and (
                    key not in lx.ambiguous_first
                    # "Will Byrne" yes; "Spring Boot", "Grant Access", "Bill Payment" no
                    or (keys[j] in lx.surnames and keys[j] not in lx.common_words)
                ):
                    out.append((toks[i][0], toks[k - 1][1], PERSON, 0.85, NEEDS_NOTHING))
                    i = k
                    continue
            k = self._unknown_then_surname(toks, keys, i)
            if k:  # "Minjun Navarro", "Aoi Wang": an unlisted given name before a surname
                out.append((toks[i][0], toks[i + k - 1][1], PERSON, 0.7, NEEDS_NOTHING))
                i += k
                continue
            if place_words == 1:
                place = self._place(toks, keys, i, 1)
                out.append(place)
                # "Anna", "Mary": a lone first name that is also a town is a person unless "in Anna"
                lone_name = key in lx.first_names and key not in lx.ambiguous_first
                if place[4] == NEEDS_PLACE_CONTEXT and lone_name:
                    out.append((toks[i][0], toks[i][1], PERSON, 0.6, UNLESS_PLACE_CONTEXT))
            elif key in lx.first_names and key not in lx.ambiguous_first:
                out.append((toks[i][0], toks[i][1], PERSON, 0.6, NEEDS_NOTHING))
            i += 1
        return tuple(out)

    def _unknown_then_surname(
        self, toks: list[tuple[int, int, str]], keys: list[str], i: int
    ) -> int:
        """Length of "<unlisted word> [initials] <surname> […]" at ``i`` ("Minjun K. Reddy")."""
        lx = self.lx
        key = keys[i]
        if len(key) < 2 or key in lx.common_words or key in _NOT_SURNAME:
            return 0
        if lx.places.get(key, 0) >= _BIG_PLACE:
            return 0
        j = i + 1
        while j < len(keys) and j - i < 3 and _INITIAL.fullmatch(toks[j][2]):
            j += 1
        if j >= len(keys):
            return 0
        nxt = keys[j]
        if nxt not in lx.surnames or nxt in lx.stop_words or nxt in lx.common_words:
            return 0  # "Redis Stack", "AirPods Max"
        if nxt in _NOT_SURNAME:
            return 0
        k = j + 1
        while k < len(keys) and k - i < 5 and self._surname_like(keys[k]):
            k += 1
        return k - i

    def _place_words(self, keys: list[str], i: int) -> int:
        places = self.lx.places
        for k in range(min(self.lx.max_place_words, len(keys) - i), 0, -1):
            if " ".join(keys[i : i + k]) in places:
                return k
        return 0

    def _place(self, toks: list[tuple[int, int, str]], keys: list[str], i: int, k: int) -> Found:
        name = " ".join(keys[i : i + k])
        need = NEEDS_PLACE_CONTEXT if name in self.lx.ambiguous_places else NEEDS_NOTHING
        score = 0.85 if self.lx.places[name] >= 10**9 else 0.75
        return (toks[i][0], toks[i + k - 1][1], LOCATION, score, need)

    def _surname_like(self, key: str) -> bool:
        lx = self.lx
        if key in _NOT_SURNAME or key in lx.stop_words or len(key) < 2:
            return False
        return key in lx.surnames or key not in lx.common_words


@cache
def run_analyzer(sources: tuple[str, ...], min_city_population: int) -> RunAnalyzer:
    """The shared analyzer for one lexicon configuration (names and places share its cache)."""
    return RunAnalyzer(lexicons(sources, min_city_population))
