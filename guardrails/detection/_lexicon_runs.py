"""Names and places in capitalized-token runs ("Maria Garcia", "New York", "Ken N. Fukuda").

One C-level regex pass finds the runs; each *distinct* run is analysed once per process against
the lexicons (first name + surname-like token, unlisted given name + surname, multi-word places,
ambiguity filters), so repeated agent text costs almost nothing.
"""

from __future__ import annotations

import re
from functools import cache

from guardrails.detection._lexicon import (
    BIG_PLACE,
    LETTER,
    LOWER,
    UPPER,
    Lexicons,
    lexicons,
    word_set,
)

__all__ = [
    "LOCATION",
    "NEEDS_NOTHING",
    "NEEDS_PLACE_CONTEXT",
    "PARTICLES",
    "PERSON",
    "RUN",
    "UNLESS_PLACE_CONTEXT",
    "US_STATES",
    "RunAnalyzer",
    "place_context",
    "run_analyzer",
]

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
_CODE_AFTER = frozenset("([")  # a call or an index: an identifier, not a name


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
            if before == "." or after in _CODE_AFTER:  # "_internal.Conn", "Conn(", "Conn[0]"
                continue
            if text.startswith(" = ", pos) or (after == "=" and not text.startswith("==", pos)):
                continue  # "Conn = …": an assignment target
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
            if toks[i][2] in _PARTICLE_SET or _INITIAL.fullmatch(toks[i][2]):
                i += 1
                continue
            place_words = self._place_words(keys, i)
            if place_words > 1:  # "New York", "San Francisco": a multi-word place wins
                out.append(self._place(toks, keys, i, place_words))
                i += place_words
                continue
            if key in lx.first_names:
                j = i + 1
                while j < n and (toks[j][2] in _PARTICLE_SET or _INITIAL.fullmatch(toks[j][2])):
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
        if lx.places.get(key, 0) >= BIG_PLACE:
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
