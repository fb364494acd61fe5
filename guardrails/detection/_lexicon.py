"""Shared lexicons of the offline PERSON / LOCATION / ADDRESS detectors, loaded once, on first use.

The lexicons ship with the package as gzip'd word lists in ``guardrails/data`` (provenance and
licence per file in ``guardrails/data/README.md``). Nothing is downloaded at runtime. Related
helpers: :mod:`._lexicon_scan` (one hyperscan/RE2 pass for all cues), :mod:`._lexicon_runs`
(capitalized-token runs), :mod:`._lexicon_tables` (CSV columns named like person/place fields).
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

__all__ = [
    "AMBIGUOUS_FIRST",
    "BIG_PLACE",
    "COMMON",
    "FIRST",
    "LETTER",
    "LOWER",
    "STOP",
    "SURNAME",
    "UPPER",
    "Lexicons",
    "lexicons",
    "load_lines",
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


BIG_PLACE = 1_000_000  # people rarely share a name with a city this big
# Bits of ``Lexicons.flags``: one dict lookup answers every membership question about a word.
FIRST, SURNAME, COMMON, STOP, AMBIGUOUS_FIRST = 1, 2, 4, 8, 16
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
    #: case-folded word -> FIRST | SURNAME | COMMON | STOP | AMBIGUOUS_FIRST bits (hot loops)
    flags: dict[str, int]
    #: first word of a multi-word place -> most words of a place starting with it
    place_starts: dict[str, int]


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
    for name in load_lines("capitals_geonames.txt.gz"):  # "Wellington", "Canberra": places first
        places[name.casefold()] = max(places.get(name.casefold(), 0), BIG_PLACE)
    ambiguous_first = (frozenset(first) & common) | (_CURATED_AMBIGUOUS & frozenset(first))
    # A common word that is also a place needs context, unless the place is big enough that the
    # capitalized word almost always means it ("Japan", "Cologne", "Turkey").
    ambiguous_places = frozenset(
        p
        for p, pop in places.items()
        # "Mary", "Logan" (first names) and small "Davis" (surname) are towns too: a lone person
        # name needs place context; "Manchester" or "Portland" are cities first.
        if p in _CURATED_AMBIGUOUS
        or ((p in common or p in first) and pop < BIG_PLACE)
        or (p in last and pop < _MID_PLACE)
    )
    common_words = common | _CURATED_AMBIGUOUS
    stop_words = _fold(load_lines("stop_words_spacy.txt.gz"))
    flags: dict[str, int] = {}
    for words, bit in (
        (first, FIRST),
        (last, SURNAME),
        (common_words, COMMON),
        (stop_words, STOP),
        (ambiguous_first, AMBIGUOUS_FIRST),
    ):
        for w in words:
            flags[w] = flags.get(w, 0) | bit
    place_starts: dict[str, int] = {}
    for p in places:
        if " " in p:
            parts = p.split(" ")
            place_starts[parts[0]] = max(place_starts.get(parts[0], 0), len(parts))
    return Lexicons(
        first_names=frozenset(first),
        surnames=frozenset(last),
        common_words=common_words,
        stop_words=stop_words,
        places=MappingProxyType(places),
        ambiguous_first=ambiguous_first,
        ambiguous_places=ambiguous_places,
        state_codes=frozenset(codes),
        max_place_words=max(p.count(" ") + 1 for p in places),
        flags=flags,
        place_starts=place_starts,
    )
