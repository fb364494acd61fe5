"""Shared lexicons of the offline PERSON / LOCATION / ADDRESS detectors, loaded once, on first use.

The lexicons ship with the package as gzip'd word lists in ``guardrails/data`` (provenance and
licence per file in ``guardrails/data/README.md``). Nothing is downloaded at runtime. Related
helpers: :mod:`._lexicon_scan` (one hyperscan/RE2 pass for all cues), :mod:`._lexicon_runs`
(capitalized-token runs), :mod:`._lexicon_tables` (CSV columns named like person/place fields).
"""

from __future__ import annotations

import gzip
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from importlib import resources
from operator import neg
from types import MappingProxyType
from zlib import crc32

__all__ = [
    "AMBIGUOUS_FIRST",
    "BIG_PLACE",
    "COMMON",
    "DEFAULT_SOURCES",
    "FIRST",
    "LETTER",
    "LOWER",
    "NAME_SOURCES",
    "RARE_FIRST",
    "STOP",
    "SURNAME",
    "UPPER",
    "FlagView",
    "Lexicons",
    "lexicons",
    "name_shape",
    "word_set",
]

# Upper/lower-case Latin letters (Basic, Latin-1, Extended-A/B): Python's ``re`` has no \p{Lu}.
UPPER = "A-Z" + "".join(chr(c) for c in range(0xC0, 0x250) if chr(c).isupper())
LOWER = "a-z" + "".join(chr(c) for c in range(0xDF, 0x250) if chr(c).islower())
LETTER = r"^\W\d_"  # any letter, only as the whole class: [{LETTER}] (a negated class)


def word_set(words: str) -> frozenset[str]:
    """Return the whitespace-separated words of ``words`` as a frozenset."""
    return frozenset(words.split())


# Words that are names or places in some lexicon but mostly mean something else in agent text
# (months, weekdays, UI and tech words). They are detected only with a cue or context.
_CURATED_AMBIGUOUS: frozenset[str] = word_set(
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


# Nationalities, languages and faiths: capitalized, absent from the lower-case word list, and
# first names or surnames somewhere ("English", "Muslim", "German").
_CURATED_AMBIGUOUS |= word_set(
    """
    english french german spanish italian dutch polish russian chinese japanese korean indian
    american british canadian mexican brazilian australian irish scottish welsh swedish danish
    norwegian finnish greek turkish arabic arab african asian european latin latino hispanic
    portuguese persian hebrew hindi urdu swiss belgian austrian czech hungarian romanian
    muslim christian jewish hindu buddhist catholic protestant orthodox sikh
    """
)

BIG_PLACE = 1_000_000  # people rarely share a name with a city this big
_MID_PLACE = 100_000
_REGION = 10**9  # countries, US states and continents outrank any city

# Bits of ``Lexicons.flags``: one dict lookup answers every membership question about a word.
FIRST, SURNAME, COMMON, STOP, AMBIGUOUS_FIRST, RARE_FIRST = 1, 2, 4, 8, 16, 32
_CORE_FIRST = 64  # a first name of a curated list (not only the SSA long tail)

# Bits of a word in ``data/person_words.txt.gz`` (``build_lexicons.WORD_BITS``).
_C90_FIRST, _C90_LAST, _FAKER_FIRST, _FAKER_LAST, _SSA_FIRST, _SSA_RARE, _C10_LAST = (
    1, 2, 4, 8, 16, 32, 64
)  # fmt: skip
_SCOWL, _SPACY_STOP = 128, 256

#: Person-name lexicons. Provenance and licences: ``guardrails/data/README.md``.
NAME_SOURCES: dict[str, str] = {
    "census1990": "US Census 1990 first names and surnames (public domain)",
    "census2010": "US Census 2010 surnames occurring 100+ times (public domain)",
    "ssa": "US Social Security first names 1880-2017, 200+ babies (public domain)",
    "faker": "Faker's per-locale lists, incl. romanized Cyrillic, Greek, Georgian (MIT)",
}
DEFAULT_SOURCES: tuple[str, ...] = tuple(NAME_SOURCES)


class FlagView:
    """A read-only set view of the words carrying one flag (``"jane" in lx.first_names``)."""

    __slots__ = ("_bit", "_flags")

    def __init__(self, flags: dict[str, int], bit: int) -> None:
        self._flags = flags
        self._bit = bit

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and bool(self._flags.get(key, 0) & self._bit)


@dataclass(frozen=True, slots=True, kw_only=True)
class Lexicons:
    """Case-folded lexicons. ``ambiguous_*`` entries need a cue or context to be detected."""

    first_names: FlagView
    surnames: FlagView
    common_words: FlagView
    stop_words: FlagView
    ambiguous_first: FlagView
    places: MappingProxyType[str, int]  # case-folded place -> population (countries: large)
    ambiguous_places: frozenset[str]
    state_codes: frozenset[str]
    max_place_words: int
    #: case-folded word -> FIRST | SURNAME | COMMON | STOP | AMBIGUOUS_FIRST | RARE_FIRST bits;
    #: a plain dict for the hot loops (read only by convention)
    flags: dict[str, int]
    #: first word of a multi-word place -> most words of a place starting with it
    place_starts: dict[str, int]


def _blocks(filename: str) -> list[str]:
    """The blank-line separated blocks of a shipped gzip'd table (see ``build_lexicons.py``)."""
    blob = resources.files("guardrails").joinpath("data", filename).read_bytes()
    return gzip.decompress(blob).decode("utf-8").split("\n\n")


@cache
def _words() -> tuple[list[str], str]:
    """Every listed word (case-folded) and one source-bits character per word."""
    keys, bits = _blocks("person_words.txt.gz")
    return keys.split("\n"), bits


@cache
def _places() -> tuple[list[str], list[int], list[str], list[str], frozenset[str]]:
    """Cities by falling population and their populations, capitals, regions, US state codes."""
    cities, pops, capitals, regions = _blocks("places_geonames.txt.gz")
    states = _blocks("us_states_geonames.txt.gz")[0].split("\n")
    return (
        cities.split("\n"),
        list(map(int, pops.split("\n"))),
        capitals.split("\n"),
        regions.split("\n"),
        frozenset(row.split("\t")[1] for row in states),
    )


_SHAPE_SCALE = 16  # build_lexicons.SHAPE_SCALE


@cache
def _shape_table() -> array[int]:
    blob = resources.files("guardrails").joinpath("data", "name_shapes.bin.gz").read_bytes()
    return array("b", gzip.decompress(blob))


def name_shape(word: str) -> float:
    """How much ``word`` looks like a name rather than an English word, from its character
    2-4-grams (mean log ratio; above 0: more name-like). Loaded on first use.

    Example:
        >>> name_shape("Szczepańska") > 0.5 > 0 > name_shape("Dashboard")
        True
    """
    table = _shape_table()
    mask = len(table) - 1
    s = f"^{word.casefold()}$"
    total = count = 0
    for n in (2, 3, 4):
        for i in range(len(s) - n + 1):
            total += table[crc32(s[i : i + n].encode()) & mask]
            count += 1
    return total / count / _SHAPE_SCALE if count else 0.0


def _flag_table(sources: frozenset[str]) -> dict[str, int]:
    """Source-bits character -> ``flags`` for this choice of sources (512 entries)."""
    c90, c10, ssa, fk = (s in sources for s in ("census1990", "census2010", "ssa", "faker"))
    table: dict[str, int] = {}
    for b in range(512):
        word = b & (_SCOWL | _SPACY_STOP)
        core = (c90 and b & _C90_FIRST) or (fk and b & _FAKER_FIRST)
        # SSA's long tail and Census 2010's rare surnames hold words ("Cache", "Active", "The"):
        # from those lists only non-words count
        ssa_first = ssa and b & (_SSA_FIRST | _SSA_RARE) and not word
        f = COMMON if b & _SCOWL else 0
        f |= STOP if b & _SPACY_STOP else 0
        if core or ssa_first:
            f |= FIRST | (_CORE_FIRST if core else 0)
            f |= AMBIGUOUS_FIRST if b & _SCOWL else 0
            f |= RARE_FIRST if not core and not b & _SSA_FIRST else 0  # "Dyson", "Audi"
        if (
            (c90 and b & _C90_LAST)
            or (fk and b & _FAKER_LAST)
            or (c10 and b & _C10_LAST and not word)
        ):
            f |= SURNAME
        table[chr(0x100 + b)] = f
    return table


@cache
def lexicons(
    sources: tuple[str, ...] = DEFAULT_SOURCES,
    min_city_population: int = 15000,
) -> Lexicons:
    """Load (once per argument set) and return the shipped lexicons.

    Args:
        sources: which person-name lexicons to use (keys of :data:`NAME_SOURCES`).
        min_city_population: GeoNames cities smaller than this are left out.

    Raises:
        ValueError: an unknown source name.
    """
    unknown = sorted(set(sources) - set(NAME_SOURCES))
    if unknown:
        raise ValueError(f"unknown name sources {unknown}; known: {sorted(NAME_SOURCES)}")
    keys, bits = _words()
    # C-level zip/map over ~280k words: the table turns source bits into flags
    flags = dict(zip(keys, map(_flag_table(frozenset(sources)).__getitem__, bits), strict=True))
    for w in _CURATED_AMBIGUOUS:
        f = flags.get(w, 0) | COMMON
        flags[w] = f | AMBIGUOUS_FIRST if f & FIRST else f
    cities, pops, capitals, regions, codes = _places()
    # cities come by falling population: those kept are a prefix (C-level dict building)
    kept = bisect_right(pops, -min_city_population, key=neg)
    places: dict[str, int] = dict(zip(cities[:kept], pops[:kept], strict=True))
    for key in capitals:  # "Wellington", "Canberra": national capitals are places first
        places[key] = max(places.get(key, 0), BIG_PLACE)
    places.update(dict.fromkeys(regions, _REGION))
    # A common word that is also a place needs context, unless the place is big enough that the
    # capitalized word almost always means it ("Japan", "Cologne", "Turkey"). "Mary", "Logan"
    # (first names) and small "Davis" (surname) are towns too: a lone person name needs place
    # context; "Manchester" or "Portland" are cities first.
    ambiguous: set[str] = set()
    for p in places.keys() & flags.keys():  # places that are also listed words
        f, pop = flags[p], places[p]
        if (
            (f & (COMMON | _CORE_FIRST) and pop < BIG_PLACE)
            or (f & SURNAME and pop < _MID_PLACE)
            or p in _CURATED_AMBIGUOUS
        ):
            ambiguous.add(p)
    place_starts: dict[str, int] = {}
    for p, pop in places.items():
        if " " in p:
            parts = p.split(" ")
            place_starts[parts[0]] = max(place_starts.get(parts[0], 0), len(parts))
            # a small town named with common words only ("Country Club", "Mill Village")
            if pop < _MID_PLACE and all(flags.get(w, 0) & COMMON for w in parts):
                ambiguous.add(p)
    ambiguous_places = frozenset(ambiguous)
    return Lexicons(
        first_names=FlagView(flags, FIRST),
        surnames=FlagView(flags, SURNAME),
        common_words=FlagView(flags, COMMON),
        stop_words=FlagView(flags, STOP),
        ambiguous_first=FlagView(flags, AMBIGUOUS_FIRST),
        places=MappingProxyType(places),
        ambiguous_places=ambiguous_places,
        state_codes=codes,
        max_place_words=max(place_starts.values(), default=1),
        flags=flags,
        place_starts=place_starts,
    )
