"""Offline PERSON detection: context cues plus shipped name lexicons, no model download.

Evidence, all linear-time:

* **Cues** ("Name:", "From: Jane Doe <jane@x.com>", "Dear Mr. Smith", "Hi Jane,", a sign-off
  line, "customer Jane Doe", "assigned to …", "her maiden name is …", "says …", a chat speaker
  label) are found in one hyperscan (or RE2) pass; the value after each cue is then parsed with
  an anchored regex. Strong cues also accept ALL-CAPS and lower-case names.
* **Lexicons** (:mod:`._lexicon_runs`): a capitalized run whose first token is a known first name
  followed by a surname-like token ("Maria Garcia"), an unlisted word before a listed surname or
  a middle initial ("Faina D. Yefremova"), two unlisted words shaped like names ("Rubija
  Liberšar"), or a lone first name that is not also a common word. Names that are common words
  (Will, May, Mark, Grant, Bill, Rose …) need a cue; rare ones ("Dyson") need a surname.
* **What found names vouch for**: the parts of a full name repeated alone ("… starring
  Borkowski"), unknown words listed beside lone names ("Gaetane, Hannah and Derek"), the other
  speakers of a transcript.

A name right before an organisation or street word ("Johnson Inc.", "Isaac Lodge Street"), right
after a place phrase ("grew up in …") or inside an address is not reported.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property
from itertools import compress
from operator import itemgetter

from guardrails._types import Span
from guardrails.detection._address import AddressDetector
from guardrails.detection._lexicon import (
    AMBIGUOUS_FIRST,
    COMMON,
    DEFAULT_SOURCES,
    FIRST,
    LETTER,
    RARE_FIRST,
    STOP,
    SURNAME,
    UPPER,
    word_set,
)
from guardrails.detection._lexicon_runs import (
    NEEDS_PLACE_CONTEXT,
    PARTICLES,
    PERSON,
    RUN,
    UNLESS_PLACE_CONTEXT,
    RunAnalyzer,
    after_place_phrase,
    place_context,
    previous_word,
    run_analyzer,
)
from guardrails.detection._lexicon_scan import SHARED_SCAN, Intervals, Memo
from guardrails.detection._lexicon_tables import PERSON_FIELDS, table_reader

__all__ = ["PERSON_FIELD_NAMES", "NameDetector"]

#: Structured-data field names (lower-case, ``_`` separated) whose value is a person's name.
PERSON_FIELD_NAMES: frozenset[str] = PERSON_FIELDS

# Labels whose value is a name even when it is one unknown word ("Name: Yui").
_NAME_LABELS = (
    r"(?:full|first|last|middle|given|family|display|legal|contact|customer|client|patient|"
    r"employee|account|card|billing|shipping|sender|recipient|holder|owner|person)[ _-]?name|"
    r"name|surname|attn|attention|signed[ _-]by"
)
# Labels whose value is usually a person, but may be a company or a team ("Customer: Acme").
_LABELS = (
    r"customer|client|contact|patient|employee|"
    r"assigned[ _-]to|assignee|owner|author|reporter|requester|requested[ _-]by|recipient|"
    r"sender|manager|approver|approved[ _-]by|reviewer|reviewed[ _-]by|cardholder|"
    r"card[ _-]?holder|account[ _-]?holder|beneficiary|guest|passenger|tenant|applicant|"
    r"candidate|spouse|emergency[ _-]contact|next[ _-]of[ _-]kin|physician|doctor|caller|"
    r"driver|buyer|seller|landlord|witness|ship[ _-]to|bill[ _-]to|from|to|cc|bcc|reply-to|"
    r"signed|signature|prepared[ _-]by|created[ _-]by|speaker|agent[ _-]note|note[ _-]from"
)
_ROLES = (
    r"customer|client|patient|employee|colleague|coworker|co-worker|manager|contractor|tenant|"
    r"driver|candidate|applicant|caller|technician|engineer|assignee|recipient|sender|guest|"
    r"passenger|student|teacher|professor|doctor|nurse|lawyer|attorney|landlord|cardholder|"
    r"user|member|agent|rep|representative|named|called|signed[ \t]+by|assigned[ \t]+to|"
    r"approved[ \t]+by|reported[ \t]+by|created[ \t]+by|requested[ \t]+by|submitted[ \t]+by|"
    r"reviewed[ \t]+by|sent[ \t]+by|written[ \t]+by|handled[ \t]+by|escalated[ \t]+to|"
    r"forwarded[ \t]+to|spoke[ \t]+(?:with|to)|talked[ \t]+to|met[ \t]+with|meeting[ \t]+with|"
    r"call[ \t]+with|ask|ping|contact|email|call|tell|thanks[ \t]+to|according[ \t]+to|"
    r"on[ \t]+behalf[ \t]+of|c/o|care[ \t]+of|wife|husband|son|"
    r"daughter|friend|boss|mom|dad|mother|father|brother|sister"
)
(
    _NAME_LABEL,
    _LABEL,
    _SALUTE,
    _TITLE,
    _ROLE,
    _SIGNOFF,
    _ANGLE,
    _SPEAKER,
    _INTRO,
    _CN,
    _NAME_IS,
    _SPEECH,
    _TITLE_LOWER,
) = range(13)
_Q = r"(?:\\?[\"'])?"  # an optional quote, possibly escaped inside a JSON string
# The first letter of a value: ASCII, or the UTF-8 lead byte of a Latin-1/Extended letter ("É").
_A = r"(?:[a-z]|[\xc3-\xc9])"
_AU = r"(?:[A-Z]|[\xc3-\xc9])"
_CUES = {
    _NAME_LABEL: rf"(?i)\b(?:{_NAME_LABELS}){_Q}[ \t]*[:=][ \t]*{_Q}[ \t]*{_A}",
    # ends one character after an ASCII first letter, which must not be a digit: log fields
    # ("client=v1.9.6", "owner=a3f9") never reach Python (see ``_after_cue``)
    _LABEL: rf"(?i)\b(?:{_LABELS}){_Q}[ \t]*[:=][ \t]*{_Q}[ \t]*(?:[a-z][^0-9]|[\xc3-\xc9])",
    _SALUTE: r"(?i)\b(?:dear|hi|hello|hey|hiya|greetings|thanks|thank[ \t]+you|cheers|"
    r"good[ \t]+(?:morning|afternoon|evening))[ \t]*,?[ \t]+" + _A,
    _TITLE: r"\b(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Sir|Dame|Lady|Lord|Rev|Fr|Capt|Sgt|Lt|Col|Hon|"
    r"Judge|Officer|Detective|Nurse|Coach|MR|MRS|MS|DR)\.?[ \t]+" + _AU,
    _ROLE: rf"(?i:\b(?:{_ROLES}))[ \t]+{_AU}",
    _SIGNOFF: r"(?i)(?:\b(?:best|regards|best[ \t]+regards|kind[ \t]+regards|warm[ \t]+regards|"
    r"many[ \t]+thanks|thanks|thank[ \t]+you|cheers|sincerely|yours[ \t]+(?:truly|sincerely)|"
    r"respectfully|warmly|rgds|talk[ \t]+soon)[ \t]*[,!.]?|\n--)[ \t]*\r?\n[ \t]*" + _A,
    _ANGLE: r"[A-Za-z.][\"']?[ \t]*<[A-Za-z0-9._%+-]+@",
    # iCalendar / vCard / LDAP common name: "ATTENDEE;CN=Jane Doe:mailto:…", "CN=Jane Doe,OU=…"
    _CN: r"(?:^|[;,\n])CN=\"?" + _AU,
    _INTRO: r"(?i)\b(?:my[ \t]+name[ \t]+is|i[ \t]+am|i'm|this[ \t]+is|call(?:s|ed)?[ \t]+me|"
    r"known[ \t]+as|goes[ \t]+by)[ \t]+" + _A,
    # "her maiden name is Nyberg", "What's your last name? Boyle"
    _NAME_IS: r"(?i)\b(?:my|his|her|their|your)[ \t]+(?:(?:first|last|middle|maiden|full|given|"
    r"family|nick|sur|birth)[ \t]?)?name(?:[ \t]+is|[ \t]*\?)[ \t]+" + _A,
    # quote attribution and reported speech: '…," says Hartvigsson.', "asked Joly to …"
    _SPEECH: r"\b(?:says|said|asks|asked|replied|replies|explained|explains|adds|added|wrote|"
    r"writes|tweeted|told|tells|thanked|informed|emailed|messaged|texted)[ \t]+" + _AU,
    _TITLE_LOWER: r"\b(?:mr|mrs|ms|mx|dr|prof)\.[ \t]+" + _A,  # "mr. elliott", "ms. Quinzia"
    _SPEAKER: r"(?:^|\n)[ \t]*(?:\[[^\]\n]{0,40}\][ \t]*)?[A-Z][a-z]+(?:[ \t][A-Z][a-z]+){0,2}"
    r"[ \t]*:[ \t]",
}
# Only the value after a strong cue may be ALL-CAPS or lower-case.
_CASE_FREE = frozenset({_NAME_LABEL, _LABEL, _SALUTE, _SIGNOFF, _INTRO, _NAME_IS, _TITLE_LOWER})
# After these cues a value may go on in lower case ("Mr. Leiva flew to …", "says Joly that …").
_ANY_TAIL = frozenset({_TITLE, _TITLE_LOWER, _SPEECH})
# How much one word after a cue may be: weak cues need an unambiguous listed first name; strong
# ones accept an unknown capitalized word ("Name: Aoi"); greetings also accept "Will"; titles
# also accept a surname that is a common word ("Mr. Smith").
_WEAK, _STRONG, _TITLE_MODE, _GREETING = range(4)
_MODE = {
    _NAME_LABEL: _STRONG,
    _CN: _STRONG,
    _INTRO: _STRONG,
    _NAME_IS: _STRONG,
    _SPEECH: _STRONG,
    _TITLE: _TITLE_MODE,
    _TITLE_LOWER: _TITLE_MODE,
    _SALUTE: _GREETING,
    _SIGNOFF: _GREETING,
}
# A capitalized run right after a street word is a street ("31 rue Victor Hugo").
_STREET_WORDS = word_set(
    "rue via viale calle avenida avenue av boulevard bd piazza corso plaza rua ul ulica place "
    "chemin quai allée paseo carrer strada"
)
_STREET_BEFORE = re.compile(
    r"(?i:\b(?:rue|via|viale|calle|avenida|avenue|av\.|boulevard|bd|piazza|corso|plaza|rua|"
    r"ul\.|ulica|place|chemin|quai|allée|paseo|carrer|strada))[ \t]+$"
)
_TITLED = re.compile(RUN)
_CAPS_RUN = rf"[{UPPER}][{UPPER}'’-]+(?:[ \t]+[{UPPER}][{UPPER}'’-]+){{0,3}}"
_CAPS = re.compile(rf"{_CAPS_RUN}(?![\w])")
_LOWER = re.compile(r"[a-z][a-z'’-]+(?:[ \t]+[a-z][a-z'’-]+){0,2}(?![\w])")
_INITIAL = re.compile(rf"[{UPPER}]\.?")
_WORDS = re.compile(r"[^ \t]+")
_NEXT_WORD = re.compile(r"[ \t]+[a-z]")  # a lower-case word right after the value
_NAME_WORD = re.compile(rf"[{LETTER}](?:[{LETTER}]|['’.-])*")
_DIGITS = frozenset("0123456789")  # never the second character of a name, ALL-CAPS or lower-case
_STOP = word_set(
    "inc corp corporation llc ltd gmbh co company group team support street avenue road "
    "mr mrs ms mx dr prof sir madam"  # titles: the title cue reports the name after them
)


@dataclass(kw_only=True)
class NameDetector:
    """Detect person names offline with context cues and shipped lexicons.

    Args:
        name_sources: person-name lexicons to use: ``"census1990"``, ``"census2010"``,
            ``"ssa"`` (US Census and Social Security lists, public domain) and/or ``"faker"``
            (Faker's per-locale lists, MIT); all by default.
        min_city_population: places (which win over lone first names) smaller than this are
            ignored; shared with :class:`~guardrails.detection._locations.LocationDetector`.

    Example:
        >>> d = NameDetector()
        >>> [(s.entity_type, s.start, s.end) for s in d.detect("Dear Mr. Smith, I am Maria Garcia.")]
        [('PERSON', 9, 14), ('PERSON', 21, 33)]
    """

    name_sources: tuple[str, ...] = DEFAULT_SOURCES
    min_city_population: int = 15000
    name: str = field(default="names", init=False)
    entities: frozenset[str] = field(default=frozenset({PERSON}), init=False)

    @cached_property
    def _runs(self) -> RunAnalyzer:
        return run_analyzer(tuple(self.name_sources), self.min_city_population)

    @cached_property
    def _addresses(self) -> AddressDetector:
        return AddressDetector()

    @cached_property
    def _decisions(self) -> dict[tuple[str, int], int]:
        return {}

    @cached_property
    def _speakers(self) -> dict[tuple[str, bool], tuple[int, int] | None]:
        return {}

    @cached_property
    def _memo(self) -> Memo:
        return _memo(tuple(self.name_sources), self.min_city_population)

    def detect(self, text: str, /) -> list[Span]:
        """Return PERSON spans in ``text`` (sorted, de-duplicated; may overlap)."""
        spans: list[Span] | None = self._memo.get(text)
        if spans is None:  # else the location detector asked for this very text already
            spans = self._detect(text)
            self._memo.put(text, spans)
        return list(spans)

    def _detect(self, text: str) -> list[Span]:
        found: dict[tuple[int, int], float] = {}
        cells = table_reader().cells(text)
        place_cells: Intervals | None = None  # built for the first lone name that is a town
        # a street named after a person ("31 rue Victor Hugo") is part of an address, and a
        # town right after an address ("12 Elm Ave, Bergen") is a place
        address_spans = [(a.start, a.end) for a in self._addresses.detect(text)]
        addresses = Intervals(address_spans)
        for start, findings in self._runs.runs(text):
            for fa, fb, entity, score, need in findings:
                if entity != PERSON or need == NEEDS_PLACE_CONTEXT:
                    continue
                a, b = start + fa, start + fb
                if need == UNLESS_PLACE_CONTEXT:
                    if place_cells is None:
                        place_cells = Intervals(cells.get("LOCATION", ()))
                    if (
                        place_context(text, a, b, strong=True)
                        or place_cells.overlaps(a, b)
                        or addresses.overlaps(a - 3, a)
                    ):
                        continue
                word = previous_word(text, a)
                if word.rstrip(".") in _STREET_WORDS and (
                    _STREET_BEFORE.search(text, max(0, a - 12), a)
                ):
                    continue
                # "grew up in Villafranca del Cid"
                if after_place_phrase(text, a, previous=word):
                    continue
                found[(a, b)] = score
        speakers = 0
        other_speakers: list[int] = []
        for cue, _, end in SHARED_SCAN.hits(text, "names"):
            hit = self._after_cue(text, cue, end)
            if hit is not None:
                found[hit] = 0.9
                speakers += cue == _SPEAKER
            elif cue == _SPEAKER:
                other_speakers.append(end)
        if speakers:  # a transcript whose other speakers are people: "Ubul: …" is one too
            for end in other_speakers:
                if (hit := self._unknown_speaker(text, end)) is not None:
                    found.setdefault(hit, 0.7)
        for m in _lower_lines(text):  # "naomi ryan\nsewer pipe cleaner"
            last = m.group(3).removesuffix("'s").removesuffix("’s")
            if self._lower_name(m.group(1), last):
                found.setdefault((m.start(1), m.start(3) + len(last)), 0.6)
        for s, e in cells.get(PERSON, ()):
            if self._plausible_cell(text[s:e]):
                found[(s, e)] = max(0.8, found.get((s, e), 0.0))
        if found:
            self._relatives(text, found)
        out: dict[tuple[int, int], float] = {}
        for (s, end), sc in found.items():
            if _ORG_OR_STREET_AFTER.match(text, end):  # "Johnson Inc.", "Isaac Lodge Street"
                continue
            e = end
            if addresses.overlaps(s, e):
                # "Mrs. Barbara Yudina Apt. 675": the name ends where the address starts
                e = _before_address(text, s, e, address_spans)
                if e <= s or addresses.overlaps(s, e):
                    continue
            out[(s, e)] = max(sc, out.get((s, e), 0.0))
        return [
            Span(start=s, end=e, entity_type=PERSON, score=sc, value=text[s:e], detector=self.name)
            for (s, e), sc in sorted(out.items())
        ]

    def _relatives(self, text: str, found: dict[tuple[int, int], float]) -> None:
        """Add what the names already found vouch for, in place.

        * a part of a full name found elsewhere in the text ("Maciej Borkowski … starring
          Borkowski", "Aantje Mourik … calls me Aantje");
        * an unknown capitalized word listed beside lone names ("Gaetane, Hannah, Anthony",
          "Eklund, Michael and Hodge"), growing a chain from each known name.
        Words that are common words, places or organisation words are never added.
        """
        lx = self._runs.lx
        flags, places = lx.flags, lx.places
        parts: set[str] = set()  # as written: "Borkowski" (a run is capitalized like it)
        lone: list[tuple[int, int]] = []
        full: set[str] = set()  # full names seen ("Jane Doe" in a header and a signature)
        for s, e in found:
            name = text[s:e]
            if name in full:
                continue
            words = name.split()
            if len(words) == 1:
                lone.append((s, e))
                continue
            full.add(name)
            for w in words:
                part = w.removesuffix("'s").removesuffix("’s").rstrip(".,")
                key = part.casefold()
                if len(key) >= 3 and key not in places and not flags.get(key, 0) & (COMMON | STOP):
                    parts.add(part)
        positions = self._runs.positions(text)
        if parts:
            taken = Intervals(found)
            # A run word equal to a part is added only where no name found so far overlaps it: a
            # part written nowhere else (one written once is in its own name) is not looked for.
            # A few C-level finds decide it for the usual short text; long texts, where this
            # costs more than the filtered pass below, and texts with many names skip it.
            if len(text) <= 4096 and len(parts) <= 8:
                parts = {p for p in parts if _written_outside(text, p, taken)}
            if parts:
                # the few distinct runs holding a part are picked first; the positions are then
                # filtered in C (a log chunk has thousands of runs, nearly all without a part)
                relevant = {
                    run for run in set(map(_RUN_TEXT, positions)) if _holds_part(run, parts)
                }
                picked = map(relevant.__contains__, map(_RUN_TEXT, positions))
                for start, run in compress(positions, picked):
                    if " " in run or "\t" in run:
                        spans = [(start + m.start(), start + m.end()) for m in _WORDS.finditer(run)]
                    else:
                        spans = [(start, start + len(run))]
                    for a, word_end in spans:
                        b = (
                            word_end - 2
                            if text.startswith(("'s", "’s"), word_end - 2)
                            else word_end
                        )
                        if text[a:b] in parts and not taken.overlaps(a, b):
                            found[(a, b)] = 0.7
        if not lone:
            return
        starts = dict(positions)

        def listed(a: int) -> int:
            """The end of a plausible one-word run starting at ``a``, else 0."""
            run = starts.get(a)
            if run is None or " " in run or "\t" in run:
                return 0
            b = a + len(run) - 2 if run.endswith(("'s", "’s")) else a + len(run)
            key = text[a:b].casefold()
            if len(key) < 3 or flags.get(key, 0) & (COMMON | STOP) or key in places:
                return 0
            return 0 if key in _STOP or (a, b) in found else b

        todo = sorted(lone)
        while todo:
            s, e = todo.pop()
            after = _LIST_AFTER.match(text, e)
            if after is not None and (b := listed(after.end())):
                found[(after.end(), b)] = 0.6
                todo.append((after.end(), b))
            before = _LIST_BEFORE.search(text, max(0, s - 8), s)
            if before is not None:
                word = _WORD_BEFORE.search(text, max(0, before.start() - 40), before.start())
                if word is not None and listed(word.start()) == before.start():
                    found[(word.start(), before.start())] = 0.6
                    todo.append((word.start(), before.start()))

    def _after_cue(self, text: str, cue: int, end: int) -> tuple[int, int] | None:
        if cue == _ANGLE:  # 'Jane Doe <jane@x.com>': the name is the words before "<"
            lt = text.rfind("<", max(0, end - 80), end)
            words = _trailing_words(text, max(0, lt - 80), lt)
            return (
                self._validate(text, words[0][0], text[words[0][0] : words[-1][1]], mode=_STRONG)
                if words
                else None
            )
        if cue == _SPEAKER:  # "Jane Doe: message" at a line start
            return self._speaker(text, end)
        pos = end - 1  # every other cue pattern ends on the first letter of the value
        if cue == _LABEL and text[pos - 1 : pos].isascii() and text[pos - 1 : pos].isalpha():
            pos -= 1  # ... or on the character after an ASCII one (the value follows a separator)
        if text[pos + 1 : pos + 2] in _DIGITS:  # "client=v1.9.6": no value regex takes a digit
            return None
        m = _TITLED.match(text, pos)
        if m is not None:
            hit = self._validate(text, pos, m.group(), mode=_MODE.get(cue, _WEAK))
            if hit is not None and self._in_identifier(text, hit[1]):
                return None
            if hit is not None and cue not in _ANY_TAIL and not self._ends_value(text, hit):
                return None  # "name: Human-readable name to attach": prose, not a name
            return hit
        if cue in _CASE_FREE:
            m = _CAPS.match(text, pos) or _LOWER.match(text, pos)
            if m is not None:  # ALL-CAPS or lower-case: only names the lexicon knows
                hit = self._validate_cased(pos, m.group(), title=cue == _TITLE_LOWER)
                return None if hit is None or self._in_identifier(text, hit[1]) else hit
        return None

    def _validate(self, text: str, pos: int, value: str, *, mode: int) -> tuple[int, int] | None:
        # Cue values repeat ("Hi Jane," in every mail): decide each distinct value once.
        cache = self._decisions
        length = cache.get((value, mode))
        if length is None:
            if len(cache) > 50_000:
                cache.clear()
            length = cache[(value, mode)] = self._name_length(value, mode=mode)
        return (pos, pos + length) if length else None

    def _name_length(self, value: str, *, mode: int) -> int:
        """Length of the name at the start of ``value`` (0: not a name).

        ``value`` is words separated by blanks (a capitalized run, or the words before "<").
        """
        flags = self._runs.lx.flags
        words = value.split()
        n = 0
        for w in words[:4]:  # the leading name-like words: "Jane Doe Support"
            k = w.casefold()
            if k.rstrip(".") in _STOP:
                break
            f = flags.get(k, 0)
            if n and f & STOP:  # "This is On The Trending Tab": not a surname
                break
            if f & COMMON and not f & (SURNAME | FIRST):
                break
            n += 1
        while n and _INITIAL.fullmatch(words[n - 1]):
            n -= 1
        if not n or not self._lexicon_hit(words[:n], mode=mode):
            return 0
        end = 0
        for w in words[:n]:
            end = value.index(w, end) + len(w)
        if words[n - 1][-2:] in ("'s", "’s"):
            end -= 2
        return end

    def _speaker(self, text: str, end: int) -> tuple[int, int] | None:
        """The name of a speaker label ("Jane Doe: message"), else ``None``.

        Labels repeat ("From:", "Subject:", "Agent:" on every record): the verdict depends only
        on the label's line up to the colon and on whether an upper-case letter follows the
        cue (see ``_lone_speaker``), so it is decided once per distinct pair.
        """
        colon = text.rfind(":", max(0, end - 3), end)
        lo = max(0, colon - 60)  # the window of ``_speaker_words``
        seg = text[lo:colon]
        cut = seg.rfind("\n") + 1
        key = (seg[cut:], end < len(text) and text[end].isupper())
        cache = self._speakers
        rel = cache.get(key, _UNSEEN)  # one lookup: another thread may clear the cache
        if rel is _UNSEEN:
            if len(cache) > 50_000:
                cache.clear()
            rel = cache[key] = self._speaker_label(text, end, lo + cut)
        return None if rel is None else (lo + cut + rel[0], lo + cut + rel[1])

    def _speaker_label(self, text: str, end: int, base: int) -> tuple[int, int] | None:
        """The name of the speaker label ending at ``end`` relative to ``base`` (its line in the
        window), else ``None``."""
        words = self._speaker_words(text, end)
        names = [text[a:b] for a, b in words]
        if not words:
            return None
        if len(names) == 1:
            if not self._lone_speaker(names[0], text, end):
                return None
        elif not self._speaker_names(names):
            return None
        return words[0][0] - base, words[-1][1] - base

    @staticmethod
    def _speaker_words(text: str, end: int) -> list[tuple[int, int]]:
        colon = text.rfind(":", max(0, end - 3), end)
        return _trailing_words(text, max(0, colon - 60), colon)

    def _speaker_names(self, names: list[str]) -> bool:
        """A multi-word speaker label is a name when no word is a common word that is not also a
        name ("Will Smith:" yes; "Directed By:", "Mission Statement:" no)."""
        flags = self._runs.lx.flags
        for w in names:
            f = flags.get(w.casefold(), 0)
            if f & (COMMON | STOP) and not f & (FIRST | SURNAME):
                return False
        return self._lexicon_hit(names, mode=_WEAK)

    def _unknown_speaker(self, text: str, end: int) -> tuple[int, int] | None:
        """A one-word speaker label that is a capitalized unknown word ("Ubul: What a wife."):
        a name only when another speaker of the same transcript is one (see ``_detect``)."""
        words = self._speaker_words(text, end)
        if len(words) != 1:
            return None
        word = text[words[0][0] : words[0][1]]
        key = word.casefold()
        lx = self._runs.lx
        if len(word) < 2 or not word[1:].islower() or lx.flags.get(key, 0) & (COMMON | STOP):
            return None
        return None if key in lx.places else words[0]

    def _lone_speaker(self, word: str, text: str, end: int) -> bool:
        """A one-word speaker label ("Jane: …"): a listed first name; one that is also a word
        ("John", "Will", "See") only when an upper-case sentence follows ("See: https…" is not)."""
        lx = self._runs.lx
        key = word.casefold()
        f = lx.flags.get(key, 0)
        if not f & FIRST:
            return False
        if key in lx.places and key not in lx.ambiguous_places:  # "Berlin: 3 offices"
            return False
        if f & (COMMON | STOP):
            return end < len(text) and text[end].isupper()
        return True

    @staticmethod
    def _in_identifier(text: str, end: int) -> bool:
        """Whether the word continues as an e-mail or identifier ("ingrid+billing@", "kofi.x@")."""
        nxt = text[end : end + 2]
        return nxt[:1] == "@" or (len(nxt) == 2 and nxt[0] in "+._" and nxt[1].isalnum())

    def _ends_value(self, text: str, hit: tuple[int, int]) -> bool:
        """A lone name the lexicon does not know must end its value: no lower-case word follows."""
        words = text[hit[0] : hit[1]].split()
        if len(words) > 1 or self._runs.lx.flags.get(words[0].casefold(), 0) & FIRST:
            return True
        return _NEXT_WORD.match(text, hit[1]) is None

    def _validate_cased(
        self, pos: int, value: str, *, title: bool = False
    ) -> tuple[int, int] | None:
        """An ALL-CAPS / lower-case value: a listed first name (or, after a title, a listed
        surname: "mr. elliott"), then listed names only."""
        flags = self._runs.lx.flags
        words = list(_WORDS.finditer(value))[:3]
        fl = [flags.get(m.group().casefold(), 0) for m in words]
        if fl[0] & STOP:
            return None
        if not fl[0] & FIRST and not (title and fl[0] & SURNAME):
            return None
        n = 1
        while n < len(fl) and not fl[n] & STOP:
            if not fl[n] & (SURNAME | FIRST):
                break
            n += 1
        if n == 1 and fl[0] & AMBIGUOUS_FIRST:  # "hi will", "NAME: MAY" stay unclear
            return None
        return pos, pos + words[n - 1].end()

    def _lexicon_hit(self, words: list[str], *, mode: int) -> bool:
        """Whether ``words`` (already free of common words) can be a name after a cue of ``mode``."""
        flags = self._runs.lx.flags
        if len(words) > 1:
            # two capitalized non-common words after a cue ("Customer: Minjun Al-Farsi")
            return words[0][:1].isupper() or any(
                flags.get(w.casefold().removesuffix("'s").removesuffix("’s"), 0) & (FIRST | SURNAME)
                for w in words
            )
        f = flags.get(words[0].casefold().removesuffix("'s").removesuffix("’s"), 0)
        if mode == _WEAK:  # "ask Jane" yes, "ask Will" no, "ask Dyson" (a rare name) no
            return f & (FIRST | AMBIGUOUS_FIRST | RARE_FIRST) == FIRST
        if f & STOP:  # "Thanks,\nWill" yes; "name: An optional …", "See:" no
            return mode == _GREETING and bool(f & FIRST)
        if f & COMMON:  # "Dear Grant," and "Mr. Smith" yes; "name: True" no
            return bool(f & FIRST) or (mode == _TITLE_MODE and bool(f & SURNAME))
        # an unknown capitalized word after a strong cue ("Hi Yui,"), or a listed name
        return (words[0][:1].isupper() and not words[0].isupper()) or bool(f & (FIRST | SURNAME))

    def _lower_name(self, first: str, last: str) -> bool:
        """A lower-case "first [initial] last" opening a line: a curated first name that is no
        English word and a listed surname that is none either ("olga krylova")."""
        flags = self._runs.lx.flags
        f, g = flags.get(first, 0), flags.get(last, 0)
        return (
            f & (FIRST | AMBIGUOUS_FIRST | RARE_FIRST | COMMON | STOP) == FIRST
            and g & (SURNAME | COMMON | STOP) == SURNAME
        )

    def _plausible_cell(self, value: str) -> bool:
        """A table cell under a name column: letters only, at most 5 words, not all common."""
        words = value.split()
        if not 0 < len(words) <= 5 or not all(_NAME_WORD.fullmatch(w) for w in words):
            return False
        if not value[0].isupper():  # names in tables are capitalized; "val", "none" are not
            return False
        flags = self._runs.lx.flags
        return not all(flags.get(w.casefold(), 0) & COMMON for w in words)


# Words after which a name is an organisation's or a street's ("Rand Corporation", "Thomas and
# Sons", "Ane Flats Street", "Hoge Wei 32 St.").
_ORG_OR_STREET_AFTER = re.compile(
    r"(?:[ \t]*,)?[ \t]+(?:(?:and|&)[ \t]+(?:Sons|Co)\b|(?:Inc|Corp|Corporation|LLC|Ltd|Limited|"
    r"GmbH|AG|PLC|Group|Holdings|Partners|Investments|Consulting|Associates|Capital|Ventures|"
    r"Foundation|Institute|University|College|Bank|Hotel|Hospital|Orchestra|Brothers|Bros)\b|"
    # a street word, unless a capitalized word follows ("… Dr. Ahmed", "… St Georges")
    r"(?:\d{1,5}[ \t]+)?(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Trail|"
    r"Loop|Parkway|Pkwy|Highway|Hwy|Terrace|Crescent|Court|Ct|Place|Pl|Square|Sq|Alley|Way)\b\.?+"
    r"(?![ \t]*[A-Z][a-z]))"
)


def _before_address(text: str, start: int, end: int, addresses: list[tuple[int, int]]) -> int:
    """The end of the words of ``text[start:end]`` before the first address starting inside it
    (``start`` when none does)."""
    i = bisect_right(addresses, (start, len(text) + 1))
    if i >= len(addresses) or addresses[i][0] >= end:
        return start
    return start + len(text[start : addresses[i][0]].rstrip(" \t,;"))


def _part_key(word: str) -> str:
    """A name part as written, without a possessive or a trailing dot."""
    return word.removesuffix("'s").removesuffix("’s").rstrip(".,")


def _written_outside(text: str, part: str, taken: Intervals) -> bool:
    """Whether ``part`` occurs in ``text`` somewhere no span of ``taken`` overlaps."""
    at = text.find(part)
    while at >= 0:
        if not taken.overlaps(at, at + len(part)):
            return True
        at = text.find(part, at + 1)
    return False


def _holds_part(run: str, parts: set[str]) -> bool:
    """Whether a capitalized run is one of ``parts`` (maybe possessive) or has one as a word."""
    if " " in run or "\t" in run:
        words = run.split()
        return not (parts.isdisjoint(words) and parts.isdisjoint(map(_part_key, words)))
    return run in parts or (run[-2:] in ("'s", "’s") and run[:-2] in parts)


_RUN_TEXT = itemgetter(1)


# the separator between two members of a list of names: ", ", " and ", ", and ", " & ", " or "
_LIST_SEP = r"(?:[ \t]*,[ \t]*(?:(?:and|or|&)[ \t]+)?|[ \t]+(?:and|or|&)[ \t]+)"
_LIST_BEFORE = re.compile(_LIST_SEP + r"$")
_LIST_AFTER = re.compile(_LIST_SEP)
# A line opening with two lower-case words, maybe an initial between ("eva kleist lives at …").
_LOWER_LINE_BODY = r"[ \t>*-]*([a-z][a-z'’-]+)[ \t]+(?:([a-z])\.?[ \t]+)?([a-z][a-z'’-]+)(?![\w@.])"
_LOWER_LINE = re.compile(_LOWER_LINE_BODY)  # at the start of the text
# after a newline: the literal "\n" lets the regex engine jump from line to line (a "(?m)^"
# pattern is tried at every position: 5 ms/MB of logs); a match never crosses a line
_LOWER_LINE_NL = re.compile("\n" + _LOWER_LINE_BODY)


def _lower_lines(text: str) -> Iterator[re.Match[str]]:
    """The matches of ``_LOWER_LINE`` at the start of each line of ``text``, in order."""
    first = _LOWER_LINE.match(text)
    if first is not None:
        yield first
    yield from _LOWER_LINE_NL.finditer(text)


_WORD_BEFORE = re.compile(rf"[{UPPER}][{LETTER}'’-]*$")


def _trailing_words(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """Spans of the last (up to 4) capitalized words of ``text[lo:hi]`` on its last line.

    Plain string operations on a short window: cheaper than a backwards regex search.
    """
    seg = text[lo:hi]
    cut = seg.rfind("\n") + 1
    words: list[tuple[int, int]] = []
    pos = len(seg.rstrip(" \t\"'"))
    while len(words) < 4 and pos > cut:
        start = (
            max(seg.rfind(" ", cut, pos), seg.rfind("\t", cut, pos), seg.rfind('"', cut, pos)) + 1
        )
        start = max(start, cut)
        word = seg[start:pos]
        if not _NAME_WORD.fullmatch(word) or word.rstrip(".").casefold() in _STOP:
            break  # "From:", "Dr.", "<", digits: the name starts after them
        if not (word[0].isupper() or word in _PARTICLE_WORDS):
            break
        words.append((lo + start, lo + pos))
        pos = len(seg[:start].rstrip(" \t"))
    words.reverse()
    while words and not text[words[0][0]].isupper():  # never start on a particle
        words.pop(0)
    return words


_PARTICLE_WORDS = frozenset(PARTICLES.split("|"))
_UNSEEN = (-1, -1)  # a speaker label not decided yet (compared by identity)


@cache
def _memo(sources: tuple[str, ...], min_city_population: int) -> Memo:
    return Memo()  # one per configuration, shared by every detector instance using it


SHARED_SCAN.register("names", [_CUES[i] for i in range(len(_CUES))])
