"""Names and places in capitalized-token runs ("Maria Garcia", "New York", "Ken N. Fukuda").

One C-level regex pass finds the runs; each *distinct* run is analysed once per process against
the lexicons (first name + surname-like token, unlisted given name + surname, multi-word places,
ambiguity filters), so repeated agent text costs almost nothing.
"""

from __future__ import annotations

import re
import string
import threading
from functools import cache
from itertools import compress
from operator import itemgetter
from typing import Any

from guardrails.detection._hs_cache import compile_database
from guardrails.detection._lexicon import (
    AMBIGUOUS_FIRST,
    BIG_PLACE,
    COMMON,
    FIRST,
    LETTER,
    LOWER,
    RARE_FIRST,
    STOP,
    SURNAME,
    UPPER,
    Lexicons,
    lexicons,
    name_shape,
    word_set,
)

# How name-like (``name_shape``) each word of an unlisted pair must look. At this level 82% of
# held-out listed names pass and 6% of held-out English words (a pair of words: ~0.3%); chosen
# on a 90/10 split of the lexicons themselves, not on any benchmark.
_SHAPE_MIN = 0.2
_VOWEL = re.compile(r"[aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿāăąēĕėęěīĭįıōŏőœūŭůűų]")

__all__ = [
    "LOCATION",
    "NEEDS_NOTHING",
    "NEEDS_PLACE_CONTEXT",
    "PARTICLES",
    "PERSON",
    "PLACE_VERBS",
    "RUN",
    "UNLESS_PLACE_CONTEXT",
    "US_STATES",
    "RunAnalyzer",
    "after_place_phrase",
    "place_context",
    "previous_word",
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
# Not glued to a word, a path, base64 or an attribute access before it ("xJane", "a.Conn"). The
# look-behind sits after the first letter so that the regex engine can still skip ahead to
# upper-case letters (a pattern starting with a look-behind is tried at every position: 2x).
_FIRST = f"[{UPPER}]"
_RUNS = re.compile(_FIRST + r"(?<![\w/+=\\.].)" + RUN.removeprefix(_FIRST))
# A necessary condition for a run, over UTF-8 bytes: an ASCII capital not glued to a word, path or
# base64 before it (the look-behind's ASCII members) followed by a lower-case letter, an
# apostrophe or a non-ASCII byte; or the lead byte (C3-C9) of a non-ASCII capital. Logs, JSON and
# code often have none in a whole text ("INFO", "T14:28:32Z", "req_XrF6bn"): then the run regex,
# which tries every capital letter, is skipped (see ``_RunGate``).
_RUN_GATE = rb"(?:^|[^A-Za-z0-9_/+=\\.])[A-Z][a-z'\x80-\xff]|[\xc3-\xc9]"
_PARTICLE_SET = frozenset(PARTICLES.split("|"))


def _load_native() -> Any:
    """The C twin of ``_RUNS`` (``_runscan.c``), or ``None`` where it was not built."""
    try:
        from guardrails.detection import _runscan
    except ImportError:  # no C compiler at install time: the regex below does the same work
        return None
    _runscan.configure(
        string.ascii_uppercase + UPPER.removeprefix("A-Z"),
        string.ascii_lowercase + LOWER.removeprefix("a-z"),
    )
    return _runscan


_NATIVE = _load_native()


def native_available() -> bool:
    """Whether the capitalized-run scan runs in C (same results as the regex, ~2.5x faster)."""
    return _NATIVE is not None


def regex_positions(text: str) -> list[tuple[int, str]]:
    """``(start, run)`` of every capitalized run, by the reference regex (the C scan's twin)."""
    return [(m.start(), m.group()) for m in _RUNS.finditer(text)]


_GLUE = frozenset("_/+=\\")  # characters that join a word into a token (base64, paths)
_CODE_AFTER = frozenset("([")  # a call or an index: an identifier, not a name


# Words that end a name: organisations and streets ("John Street", "Acme Inc").
_NOT_SURNAME = word_set(
    """
    inc corp corporation llc ltd limited gmbh ag co company plc group team holdings partners
    university college school academy institute foundation hospital clinic bank trust fund
    street avenue road boulevard drive lane way court place square terrace parkway highway
    center centre building tower plaza mall hotel airport station county city state
    mr mrs ms mx dr prof sir
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
# Phrases after which a capitalized name is a place ("grew up in Remniku", "flew to Loeches").
PLACE_VERBS = (
    r"grew[ \t]+up[ \t]+in|born[ \t]+in|originally[ \t]+from|hails?[ \t]+from|hometown|"
    r"home[ \t]+(?:city|town)|"
    r"moved[ \t]+(?:here[ \t]+|back[ \t]+|away[ \t]+)?(?:to|from)|relocat(?:e|ed|ing)[ \t]+to|"
    r"(?:flew|flying|fly|flight|travel(?:l?ing|l?ed)?|trip|drove|driving|headed|heading)[ \t]+to|"
    r"(?:lives?|living|resides?|residing|settled|stationed|based|headquartered|situated)[ \t]+in|"
    r"arrived[ \t]+(?:at|in)|returned[ \t]+to|(?:i[ \t]+am|i'm|we[ \t]+are|we're)[ \t]+in|"
    r"(?:city|town|village|suburb|municipality)[ \t]+of"
)
_PLACE_PHRASE_BEFORE = re.compile(rf"(?i:\b(?:{PLACE_VERBS}))[ \t]+(?:the[ \t]+)?$")


def previous_word(text: str, start: int) -> str:
    """The lower-cased word right before ``start`` across blanks ("" at a line start)."""
    end = start
    while end > 0 and text[end - 1] in " \t":
        end -= 1
    lo = max(0, end - 24)
    begin = max(text.rfind(" ", lo, end), text.rfind("\t", lo, end), text.rfind("\n", lo, end))
    return text[max(begin + 1, lo) : end].lower()


# the last word of every place phrase (a cheap test before the regex)
_PLACE_PHRASE_ENDS = frozenset({"in", "from", "to", "at", "of", "hometown", "city", "town", "the"})


def after_place_phrase(text: str, start: int, *, previous: str | None = None) -> bool:
    """Whether a place phrase ends right before ``start`` ("grew up in |Remniku").

    ``previous``: ``previous_word(text, start)`` when the caller already has it.
    """
    if (previous_word(text, start) if previous is None else previous) not in _PLACE_PHRASE_ENDS:
        return False
    return _PLACE_PHRASE_BEFORE.search(text, max(0, start - 40), start) is not None


_PREP = re.compile(
    r"(?i:\b(in|at|from|near|to|around|outside|across|throughout|via|into|visit|visiting|"
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


def place_context(text: str, start: int, end: int, *, strong: bool = False) -> bool:
    """Whether a place name sits after a preposition or a place label, or before
    ", <state/country>" / " office".

    ``strong``: "to", "at", "of", "via" and "into" alone do not count (for a word that is also
    a common first name: "said Gladys to Logan", "shouted at Gary", "reply to Mary"), unless a
    place phrase ends there ("flew to Florence").
    """
    m = _PREP.search(text, max(0, start - 16), start)
    if m is not None and strong and m.group(1).lower() in _WEAK_PREPS:
        m = None if not after_place_phrase(text, start) else m
    return bool(
        m or _PLACE_LABEL_BEFORE.search(text, max(0, start - 24), start) or _AFTER.match(text, end)
    )


_WEAK_PREPS = frozenset({"to", "at", "of", "via", "into"})


class _RunGate:
    """Whether a text may hold a capitalized run: one hyperscan pass over ``_RUN_GATE`` that stops
    at the first hit. Where hyperscan is missing, every text may."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hs: Any = None
        self._stop: type[BaseException] = Exception
        try:
            import hyperscan
        except ImportError:  # RE2 platforms: no gate, the run regex decides alone
            return
        self._stop = hyperscan.ScanTerminated
        self._hs = compile_database([_RUN_GATE], [0], [0], use_cache=True)

    def may_hold_run(self, text: str) -> bool:
        """False only when ``_RUNS`` cannot match anywhere in ``text``."""
        if self._hs is None:
            return True
        # "replace": a lone surrogate becomes "?", which is neither a capital nor glue
        data = text.encode("ascii") if text.isascii() else text.encode("utf-8", "replace")
        with self._lock:  # a hyperscan Database owns one scratch space
            try:
                self._hs.scan(data, match_event_handler=_stop_at_first)
            except self._stop:
                return True
        return False


def _stop_at_first(_i: int, _s: int, _e: int, _f: int, _c: object) -> bool:
    return True  # stop the scan: one hit is enough


@cache
def _run_gate() -> _RunGate:
    return _RunGate()


# (start in run, end in run, entity, score, what context it still needs)
Found = tuple[int, int, str, float, int]
_RUN_TEXT = itemgetter(1)
_MANY_RUNS = 64  # more runs in one text: look up each distinct run once (see ``runs``)


class RunAnalyzer:
    """Find names and places in capitalized-token runs; each distinct run is analysed once."""

    _MAX_CACHE = 200_000

    def __init__(self, lx: Lexicons) -> None:
        self.lx = lx
        self._flags = lx.flags
        self._cache: dict[str, tuple[Found, ...]] = {}
        self._last: tuple[str, list[tuple[int, tuple[Found, ...]]]] | None = None
        self._positions: tuple[str, list[tuple[int, str]]] | None = None

    def runs(self, text: str) -> list[tuple[int, tuple[Found, ...]]]:
        """Return ``(run start, findings)`` for every run of ``text`` with a finding."""
        last = self._last
        if last is not None and last[0] is text:  # the other detector just scanned this text
            return last[1]
        # One C pass; Python only analyses each *distinct* run, once per process.
        cache = self._cache
        positions = self.positions(text)
        if len(positions) > _MANY_RUNS:
            # a long text (a log chunk) repeats its runs: the cache, large and cold, is asked once
            # per distinct run, and the positions of runs with findings are picked in C
            with_findings = {run for run in set(map(_RUN_TEXT, positions)) if self._findings(run)}
            picked = map(with_findings.__contains__, map(_RUN_TEXT, positions))
            positions = list(compress(positions, picked))
        # else (a record: ~8 runs, nearly all distinct) one plain lookup per run costs less
        out: list[tuple[int, tuple[Found, ...]]] = []
        n = len(text)
        for start, run in positions:
            found = cache.get(run)
            if found is None:
                found = self._findings(run)
            if not found:
                continue
            pos = start + len(run)
            # inside a token ("nr00P9YCmghZ03Ey635", "sk_live_pJo1ne"): not a word
            after = text[pos] if pos < n else " "
            if after.isalnum() or after in _GLUE or after in _CODE_AFTER:  # "Conn(", "Conn[0]"
                continue
            if text.startswith(" = ", pos) or (after == "=" and not text.startswith("==", pos)):
                continue  # "Conn = …": an assignment target
            out.append((start, found))
        self._last = (text, out)
        return out

    def _findings(self, run: str) -> tuple[Found, ...]:
        """The findings of ``run``, analysed on first sight."""
        cache = self._cache
        found = cache.get(run)
        if found is None:
            if len(cache) > self._MAX_CACHE:
                cache.clear()
            found = cache[run] = self._analyze(run)
        return found

    def positions(self, text: str) -> list[tuple[int, str]]:
        """``(start, run)`` of every capitalized run of ``text``, in text order."""
        last = self._positions
        if last is not None and last[0] is text:
            return last[1]
        # Real text (logs with "INFO … OrderService - Cache miss", records, mail) nearly always
        # has a run with a finding, and then the positions are needed: one finditer yields them
        # with the runs (cheaper than findall + a str.find per run: 12.6 vs ~19 ms/MB of logs).
        if _NATIVE is not None:  # one C pass, no gate needed (the gate alone costs more)
            out: list[tuple[int, str]] = _NATIVE.positions(text)
        elif _run_gate().may_hold_run(text):
            out = regex_positions(text)
        else:
            out = []
        self._positions = (text, out)
        return out

    def _analyze(self, run: str) -> tuple[Found, ...]:
        flags = self._flags
        toks: list[tuple[int, int, str]] = []
        keys: list[str] = []
        fl: list[int] = []
        # particles ("van", "de") and initials ("K", "K."): glue inside a name, never its start
        glue: list[bool] = []
        pos = 0
        for word in run.split():  # a run's blanks are spaces and tabs only
            start = run.index(word, pos)
            pos = start + len(word)
            if word[-2:] in ("'s", "’s"):  # possessive: "Jane's" -> "Jane"
                t = word[:-2]
                toks.append((start, pos - 2, t))
            else:
                t = word
                toks.append((start, pos, t))
            key = t.casefold()
            keys.append(key)
            fl.append(flags.get(key, 0))
            glue.append(t in _PARTICLE_SET or (len(t) <= 2 and _is_initial(t)))
        n = len(toks)
        out: list[Found] = []
        places, place_starts = self.lx.places, self.lx.place_starts
        i = 0
        while i < n:
            if glue[i]:
                i += 1
                continue
            f = fl[i]
            # most words start no multi-word place: then only the word itself may be one
            if keys[i] in place_starts:
                place_words = self._place_words(keys, i)
            else:
                place_words = 1 if keys[i] in places else 0
            if place_words > 1:  # "New York", "San Francisco": a multi-word place wins
                out.append(self._place(toks, keys, i, place_words))
                i += place_words
                continue
            if f & FIRST:
                j = i + 1
                while j < n and glue[j]:
                    j += 1
                k = j
                while k < n and k - i < 5 and self._surname_like(keys[k], fl[k]):
                    k += 1
                if k > j and (
                    not (
                        f & (AMBIGUOUS_FIRST | RARE_FIRST)
                        or (place_words and self._big_place(keys[i]))
                    )
                    # "Will Byrne", "Paris Hilton" yes; "Spring Boot", "Grant Access",
                    # "Bill Payment", "Berlin Monday", "Prisma Client" no
                    or fl[j] & (SURNAME | COMMON) == SURNAME
                ):
                    out.append((toks[i][0], toks[k - 1][1], PERSON, 0.85, NEEDS_NOTHING))
                    i = k
                    continue
            k = self._unknown_then_surname(toks, keys, fl, i)
            if k:  # "Minjun Navarro", "Aoi Wang": an unlisted given name before a surname
                out.append((toks[i][0], toks[i + k - 1][1], PERSON, 0.7, NEEDS_NOTHING))
                i += k
                continue
            if i == 0 and self._unlisted_pair(keys, fl, glue):  # "Rubija Liberšar"
                # unless a place phrase or an address says it is a town ("Suite 632\n Črni Vrh")
                out.append((toks[0][0], toks[-1][1], PERSON, 0.6, UNLESS_PLACE_CONTEXT))
                break
            lone_name = f & (FIRST | AMBIGUOUS_FIRST | RARE_FIRST) == FIRST
            if place_words == 1:
                place = self._place(toks, keys, i, 1)
                out.append(place)
                # "Anna", "Mary": a lone first name that is also a town is a person unless "in Anna"
                if place[4] == NEEDS_PLACE_CONTEXT and lone_name:
                    out.append((toks[i][0], toks[i][1], PERSON, 0.6, UNLESS_PLACE_CONTEXT))
            elif lone_name:
                out.append((toks[i][0], toks[i][1], PERSON, 0.6, NEEDS_NOTHING))
            i += 1
        return tuple(out)

    def _unknown_then_surname(
        self, toks: list[tuple[int, int, str]], keys: list[str], fl: list[int], i: int
    ) -> int:
        """Length of "<unlisted word> <surname> […]" ("Aoi Wang") or "<unlisted word> <initials>
        <uncommon word> […]" ("Faina D. Yefremova") at ``i``."""
        key = keys[i]
        if len(key) < 2 or fl[i] & COMMON or key in _NOT_SURNAME:
            return 0
        j = i + 1
        n = len(keys)
        while j < n and j - i < 3 and _is_initial(toks[j][2]):
            j += 1
        if j >= n:
            return 0
        if keys[j] in _NOT_SURNAME or len(keys[j]) < 2 or toks[j][2] in _PARTICLE_SET:
            return 0  # "Villafranca del Cid": a lower-case particle is not a surname
        if j > i + 1:  # "Faina D. Yefremova": a middle initial makes two plain words a name
            if fl[j] & (STOP | COMMON):
                return 0
        elif fl[j] & (SURNAME | STOP | COMMON) != SURNAME:
            return 0  # "Redis Stack", "AirPods Max"
        if self.lx.places.get(key, 0) >= BIG_PLACE:
            return 0
        k = j + 1
        while k < n and k - i < 5 and self._surname_like(keys[k], fl[k]):
            k += 1
        return k - i

    def _unlisted_pair(self, keys: list[str], fl: list[int], glue: list[bool]) -> bool:
        """A run of exactly two words no list knows (particles between allowed), both shaped
        like names rather than English words ("Rubija Liberšar", "Wisława Szczepańska")."""
        words = [i for i, g in enumerate(glue) if not g]
        if len(words) != 2 or words[0] != 0 or words[1] != len(keys) - 1:
            return False
        places = self.lx.places
        for i in words:
            key = keys[i]
            if fl[i] or len(key) < 3 or key in places or key in _NOT_SURNAME:
                return False
            if not _VOWEL.search(key):  # "Zio Http": names have vowels
                return False
        return all(name_shape(keys[i]) >= _SHAPE_MIN for i in words)

    def _big_place(self, key: str) -> bool:
        return self.lx.places.get(key, 0) >= BIG_PLACE

    def _place_words(self, keys: list[str], i: int) -> int:
        """How many words from ``i`` form a gazetteer place (longest first), or 0."""
        places = self.lx.places
        most = self.lx.place_starts.get(keys[i], 0)
        for k in range(min(most, len(keys) - i), 1, -1):
            if " ".join(keys[i : i + k]) in places:
                return k
        return 1 if keys[i] in places else 0

    def _place(self, toks: list[tuple[int, int, str]], keys: list[str], i: int, k: int) -> Found:
        name = " ".join(keys[i : i + k])
        need = NEEDS_PLACE_CONTEXT if name in self.lx.ambiguous_places else NEEDS_NOTHING
        score = 0.85 if self.lx.places[name] >= 10**9 else 0.75
        return (toks[i][0], toks[i + k - 1][1], LOCATION, score, need)

    @staticmethod
    def _surname_like(key: str, f: int) -> bool:
        if f & STOP or len(key) < 2 or key in _NOT_SURNAME:
            return False
        return bool(f & SURNAME or not f & COMMON)


def _is_initial(tok: str) -> bool:
    """``"K"`` or ``"K."`` (run tokens start upper-case unless they are particles)."""
    return (len(tok) == 1 and tok.isupper()) or (
        len(tok) == 2 and tok[1] == "." and tok[0].isupper()
    )


@cache
def run_analyzer(sources: tuple[str, ...], min_city_population: int) -> RunAnalyzer:
    """The shared analyzer for one lexicon configuration (names and places share its cache)."""
    return RunAnalyzer(lexicons(sources, min_city_population))
