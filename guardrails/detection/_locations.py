"""Offline LOCATION detection: GeoNames gazetteer (cities, countries, US states, continents).

Places are matched case-sensitively as capitalized runs ("New York", "San Francisco", "Berlin")
in the same pass the name detector uses (the analysis of each distinct run is shared). A place
whose name is also a common word (Reading, Nice, Mobile, Bath, Orange …) is only reported after
a preposition ("in Reading", "from Nice") or before a state code / country ("Mobile, AL").
"City, ST" pairs, US state codes after a city, and country abbreviations (USA, UK, UAE) are found
by a cue pass. Unlisted places are found from their context: after a place phrase ("grew up in
Remniku", "flew to LOECHES"), after a place label ("city:", "Where:"), and as the town line of
an address block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from guardrails._types import Span
from guardrails.detection._address import AddressDetector
from guardrails.detection._lexicon import COMMON, DEFAULT_SOURCES, LETTER, STOP, UPPER, word_set
from guardrails.detection._lexicon_runs import (
    LOCATION,
    NEEDS_NOTHING,
    PARTICLES,
    PLACE_VERBS,
    RUN,
    RunAnalyzer,
    place_context,
    run_analyzer,
)
from guardrails.detection._lexicon_runs import US_STATES as _STATES
from guardrails.detection._lexicon_scan import SHARED_SCAN, Intervals
from guardrails.detection._lexicon_tables import table_reader
from guardrails.detection._names import NameDetector

__all__ = ["LOCATION_FIELD_NAMES", "LocationDetector"]

#: Structured-data field names (lower-case, ``_`` separated) whose value is a place.
LOCATION_FIELD_NAMES: frozenset[str] = word_set(
    """
    city town village municipality locality county district province state_province
    country country_name nation birthplace place_of_birth birth_place hometown home_town
    city_name state_name billing_city shipping_city mailing_city current_location
    """
)

_CITY_STATE, _ABBREV, _LABEL, _CAPS_AFTER_PREP, _CAPS_LINE, _PLACE_VERB = range(6)
_Q = r"(?:\\?[\"'])?"  # an optional quote, possibly escaped inside a JSON string
# Labels whose value is a place ("city": "Cologne", Office: Leeds). "state"/"region" are left
# out: in agent data they are mostly statuses and cloud regions.
_LABELS = (
    r"city|town|village|country|county|province|hometown|birthplace|place[ _-]of[ _-]birth|where|"
    r"office|based[ _-]in|located[ _-]in|location|billing[ _-]city|shipping[ _-]city"
)
_CUES = (
    # ", CA" / ", CA 94105" after a capitalized word: the city is parsed backwards from here
    rf"[a-z],[ \t]*(?:{_STATES})\b",
    r"(?:^|[ \t\n(,;:\"'])(?:USA|U\.S\.A\.|U\.S\.|UK|U\.K\.|UAE|EU)(?:[^A-Za-z0-9_+/=]|$)",
    rf"(?i)(?:^|[^A-Za-z0-9_])(?:{_LABELS}){_Q}[ \t]*[:=][ \t]*{_Q}[ \t]*(?:[a-z]|[\xc3-\xc9])",
    # an ALL-CAPS place after a preposition: "flew to HELSINKI"
    r"(?i:\b(?:in|at|from|to|near|into|visit|visiting))[ \t]+[A-Z][A-Z]",
    # a line of ALL-CAPS words, as in address blocks: "\n  LAPPEENRANTA\n"
    r"\n[ \t]*[A-Z]{3,}(?:[ \t-][A-Z]{2,}){0,3}[ \t]*(?:\r?\n|,|$)",
    # a phrase that is followed by a place ("grew up in Remniku", "flew to Loeches"): then even
    # an unlisted capitalized name is one
    r"(?i)\b(?:" + PLACE_VERBS + r")[ \t]+(?:the[ \t]+)?(?:[a-z]|[\xc3-\xc9])",
)
_CAPS_VALUE = re.compile(rf"[{UPPER}][{UPPER}'’-]+(?:[ \t][{UPPER}][{UPPER}'’-]+){{0,3}}")
_LABEL_VALUE = re.compile(
    rf"[{UPPER}](?:[{LETTER}]|['’.-])*(?:[ \t]+(?:[{UPPER}](?:[{LETTER}]|['’.-])*|{PARTICLES})){{0,3}}"
)
_CITY_BEFORE = re.compile(rf"({RUN}),[ \t]*((?:{_STATES}))$")
_ABBREV_RX = re.compile(r"USA|U\.S\.A\.|U\.S\.|UK|U\.K\.|UAE|EU")
# After a place phrase: capitalized words, possibly joined by lower-case particles
# ("Villafranca del Cid", "Reguengos de Monsaraz"), or ALL-CAPS words ("KURZENKIRCHEN").
_PLACE_WORD = rf"[{UPPER}][{LETTER}'’.-]*"
_VERB_PLACE = re.compile(
    rf"{_PLACE_WORD}(?:[ \t]+(?:(?:de|del|della|di|da|do|dos|das|la|le|les|los|las|am|an|im|"
    rf"sur|upon|on|en|y|nad|pod|na|bei|an[ \t]+der)[ \t]+)?{_PLACE_WORD}){{0,3}}"
)
_LOWER_PLACE = re.compile(r"[a-z][a-z'’-]+(?:[ \t][a-z][a-z'’-]+)?(?![\w])")
# The line after a street address, in an address block: the town ("20789 Allika 46\n Riisa\n"),
# maybe with a region code or a postcode ("Aalborg NO 9100", "LAPPEENRANTA").
_TOWN_LINE = re.compile(
    rf"[ \t,]*\r?\n(?:[ \t]*\r?\n)?[ \t>?*|•-]*"
    rf"({_PLACE_WORD}(?:[ \t]+(?:[{LETTER}][{LETTER}'’.-]*)){{0,3}}?)"
    r"(?:[ \t,]+([A-Z]{2,3}))?(?:[ \t]+[0-9][0-9 -]{2,9})?[ \t]*(?=\r?\n|$)"
)
_GAP_LINE = re.compile(r"[ \t,]*\r?\n(?:[ \t]*\r?\n)?[ \t>?*|•-]*")
# words that end a place phrase: organisations and times ("moved to Acme Corp", "in Oslo Monday")
_NOT_PLACE = word_set(
    "inc corp corporation llc ltd gmbh co company group team university college school hospital "
    "bank street avenue road suite apt apartment floor unit box"
)


@dataclass(kw_only=True)
class LocationDetector:
    """Detect cities, regions and countries offline with the shipped GeoNames gazetteer.

    Args:
        name_sources: the person-name lexicons that compete with places for a capitalized
            run (see :class:`~guardrails.detection._names.NameDetector`); keep equal to the name
            detector's to share work.
        min_city_population: GeoNames cities smaller than this are not in the gazetteer.

    Example:
        >>> d = LocationDetector()
        >>> t = "Shipped from Berlin to San Francisco, CA via Reading."
        >>> [t[s.start:s.end] for s in d.detect(t)]
        ['Berlin', 'San Francisco', 'CA', 'Reading']
    """

    name_sources: tuple[str, ...] = DEFAULT_SOURCES
    min_city_population: int = 15000
    name: str = field(default="locations", init=False)
    entities: frozenset[str] = field(default=frozenset({LOCATION}), init=False)

    @cached_property
    def _runs(self) -> RunAnalyzer:
        return run_analyzer(tuple(self.name_sources), self.min_city_population)

    @cached_property
    def _addresses(self) -> AddressDetector:
        return AddressDetector()

    @cached_property
    def _names(self) -> NameDetector:
        return NameDetector(
            name_sources=self.name_sources, min_city_population=self.min_city_population
        )

    def detect(self, text: str, /) -> list[Span]:
        """Return LOCATION spans in ``text`` (sorted, de-duplicated)."""
        found: dict[tuple[int, int], float] = {}
        address_spans = [(a.start, a.end) for a in self._addresses.detect(text)]
        addresses = Intervals(address_spans)
        for start, findings in self._runs.runs(text):
            for a, b, entity, score, need in findings:
                if entity != LOCATION:
                    continue
                s, e = start + a, start + b
                # context: a preposition or label, or an address right before ("Elm Ave, Bergen");
                # an ambiguous word before a colon is a field label ("Mobile: 0688 …")
                if need == NEEDS_NOTHING or (
                    (place_context(text, s, e) or addresses.overlaps(s - 3, s))
                    and not text.startswith(":", e)
                ):
                    found[(s, e)] = max(score, found.get((s, e), 0.0))
        for cue, _, end in SHARED_SCAN.hits(text, "locations"):
            if cue == _LABEL:
                hit = self._label_value(text, end - 1)
                if hit is not None:
                    found.setdefault(hit, 0.8)
            elif cue in (_CAPS_AFTER_PREP, _CAPS_LINE):
                hit = self._caps_place(text, end, after_prep=cue == _CAPS_AFTER_PREP)
                if hit is not None:
                    found.setdefault(hit, 0.7)
            elif cue == _PLACE_VERB:
                hit = self._verb_place(text, end - 1)
                if hit is not None:
                    found.setdefault(hit, 0.7)
            elif cue == _CITY_STATE:
                m = _CITY_BEFORE.search(text, max(0, end - 80), end)
                if m:
                    found.setdefault(m.span(1), 0.7)
                    found.setdefault(m.span(2), 0.7)
            else:  # the cue ends one character after the abbreviation (or at the text end)
                last = None
                for m in _ABBREV_RX.finditer(text, max(0, end - 8), end):
                    last = m
                if last is not None:
                    found.setdefault(last.span(), 0.6)
        for s, e in table_reader().cells(text).get(LOCATION, ()):
            if self._plausible(text[s:e]):
                found.setdefault((s, e), 0.8)
        for hit in self._address_towns(text, address_spans):
            found.setdefault(hit, 0.7)
        if not found:
            return []
        # "Hi Charlotte,", "Folake Navarro": a place name inside a person's name is the person
        people = Intervals((p.start, p.end) for p in self._names.detect(text))
        return [
            Span(
                start=s, end=e, entity_type=LOCATION, score=sc, value=text[s:e], detector=self.name
            )
            for (s, e), sc in sorted(found.items())
            if not people.overlaps(s, e)
        ]

    def _verb_place(self, text: str, pos: int) -> tuple[int, int] | None:
        """The place after "grew up in", "flew to", …: capitalized or ALL-CAPS words that are
        not common words, or a lower-case gazetteer place ("moved from switzerland")."""
        lx = self._runs.lx
        m = _VERB_PLACE.match(text, pos)
        if m is None:
            m = _LOWER_PLACE.match(text, pos)
            if m is None:
                return None
            key = m.group().casefold()
            if key not in lx.places or key in lx.ambiguous_places:
                return None
            return m.span()
        words = m.group().split()
        keep = 0
        for i, w in enumerate(words):
            key = w.rstrip(".").casefold()
            if key in _NOT_PLACE or (i > 0 and w[0].isupper() and key in lx.common_words):
                break
            keep = i + 1
        while keep and not words[keep - 1][0].isupper():  # never end on a particle
            keep -= 1
        if not keep:
            return None
        value = " ".join(words[:keep])
        key = value.casefold()
        if key not in lx.places and (
            lx.flags.get(words[0].casefold(), 0) & (COMMON | STOP)
            or len(value) < 3
            or (value.isupper() and len(value) < 4)  # "moved to AWS", "flew to NYC"
        ):
            return None
        end = text.find(words[keep - 1], pos) + len(words[keep - 1])
        return pos, end

    def _address_towns(self, text: str, addresses: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The town line (and region code) right after a street address and its unit lines."""
        out: list[tuple[int, int]] = []
        lx = self._runs.lx
        i, n = 0, len(addresses)
        while i < n:
            end = addresses[i][1]
            # "20789 Allika 46\n Suite 501\n Riisa": skip the unit lines that are addresses too
            while i + 1 < n:
                gap = _GAP_LINE.match(text, end)
                if gap is None or gap.end() != addresses[i + 1][0]:
                    break
                i += 1
                end = addresses[i][1]
            i += 1
            m = _TOWN_LINE.match(text, end)
            if m is None:
                continue
            words = m.group(1).split()
            if all(lx.flags.get(w.casefold(), 0) & (COMMON | STOP) for w in words):
                continue  # "Thanks", "Best regards"
            if any(w.casefold() in _NOT_PLACE for w in words):
                continue
            out.append(m.span(1))
            if m.group(2):
                out.append(m.span(2))
        return out

    def _label_value(self, text: str, pos: int) -> tuple[int, int] | None:
        """A capitalized place name after a place label, unless it is a common word."""
        m = _LABEL_VALUE.match(text, pos)
        if m is None or not self._plausible(m.group()):
            return None
        return m.span()

    def _caps_place(self, text: str, end: int, *, after_prep: bool) -> tuple[int, int] | None:
        """An ALL-CAPS gazetteer place ending a cue; ambiguous names only after a preposition."""
        if after_prep:
            start = end - 2
        else:  # the cue ends after the line: the place starts after the newline and indent
            start = text.rfind("\n", max(0, end - 80), end - 1) + 1
            while start < end and text[start] in " \t":
                start += 1
        m = _CAPS_VALUE.match(text, start)
        if m is None or len(m.group()) < 3:
            return None
        key = m.group().casefold()
        lx = self._runs.lx
        if key not in lx.places or (key in lx.ambiguous_places and not after_prep):
            return None
        return m.span()

    def _plausible(self, value: str) -> bool:
        """A known place, or capitalized words that are not all common words."""
        lx = self._runs.lx
        if value.casefold() in lx.places:
            return True
        words = value.split()
        if not 0 < len(words) <= 4 or not words[0][:1].isupper() or value.isupper():
            return False  # ALL-CAPS unknown values are codes ("location: URL"), not places
        return not all(w.casefold() in lx.common_words for w in words)


SHARED_SCAN.register("locations", _CUES)
