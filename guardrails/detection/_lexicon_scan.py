"""One linear-time pass over a text for every cue pattern of the name/place/address detectors.

:class:`CueScanner` wraps hyperscan (RE2 where hyperscan is unavailable) and reports hits in str
offsets; :data:`SHARED_SCAN` compiles every detector's cues into one database so a text is
encoded and scanned once. :class:`Memo` and :class:`Intervals` let the detectors share per-text
results and test overlaps cheaply.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import Any

from guardrails.detection._hs_cache import compile_database

__all__ = ["SHARED_SCAN", "CueScanner", "Intervals", "Memo", "SharedScan"]


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
        if not ordered:  # the usual case on text with nothing in it
            self._starts: list[int] = []
            self._max_end: list[int] = []
            return
        self._starts = [s for s, _ in ordered]
        self._max_end = list(accumulate((e for _, e in ordered), max))

    def overlaps(self, start: int, end: int) -> bool:
        """Whether some span starts before ``end`` and ends after ``start``."""
        if not self._starts:
            return False
        i = bisect_left(self._starts, end)  # spans [0, i) start before `end`
        return i > 0 and self._max_end[i - 1] > start


# Bytes 0x80..0xBF continue a UTF-8 sequence: deleting every other byte counts them.
_NON_CONTINUATION = bytes(b for b in range(256) if not 0x80 <= b <= 0xBF)


class CueScanner:
    """Report where cue patterns end, in one linear-time pass over the text.

    Patterns use the syntax common to hyperscan and RE2; each pattern should end on a fixed
    element (e.g. ``:`` or the first letter of the value) so that each match has one end.
    Hits are ``(pattern id, end offset)`` in *str* offsets, sorted by end offset.

    Args:
        patterns: the cue regexes.
        starts: report start offsets (hyperscan SOM) for all patterns, or per pattern.
        cache: the patterns are built-in: load/store the compiled database in the on-disk cache
            (:mod:`guardrails.detection._hs_cache`). Never for user-supplied patterns.

    Example:
        >>> s = CueScanner([r"(?i)\\bname[ \\t]*[:=]"])
        >>> s.scan("Name: Jane")
        [(0, 5)]
    """

    def __init__(
        self,
        patterns: Sequence[str],
        *,
        starts: bool | Sequence[bool] = False,
        cache: bool = False,
    ) -> None:
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
            # Built-in cue patterns only (``cache``): the compiled database may be reused from
            # the on-disk cache (0.3 s of compiling per process otherwise); never user patterns.
            self._hs = compile_database(
                [p.encode() for p in self._patterns],
                list(range(len(self._patterns))),
                [hyperscan.HS_FLAG_SOM_LEFTMOST if f else 0 for f in self._som],
                use_cache=cache,
            )

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

    Only the package's own detector modules register patterns here (the database goes through
    the on-disk cache of built-in pattern sets).

    Each detector module registers its patterns under a group name at import time; the first
    scan compiles them all into one database, and the hits of the last text are kept, so the three
    detectors (and the table reader) share a single pass and a single UTF-8 encoding of the text.

    Two kinds of group are scanned again, alone, only when the shared pass says they can match
    (most texts, such as logs and JSON, hit neither):

    * a group asking for starts: start-of-match tracking roughly doubles hyperscan's cost, so the
      shared pass runs its patterns without starts, and a hit triggers the scan with starts (a
      pattern matches at the same end offsets with or without them);
    * a group with a ``gate``, a cheap pattern that matches wherever one of the group's patterns
      can (a necessary condition, e.g. the street suffix a costly address pattern ends on): the
      shared pass runs the gate instead of the group.
    """

    def __init__(self) -> None:
        self._groups: dict[str, tuple[tuple[str, ...], bool, str | None]] = {}
        self._lock = threading.Lock()
        self._compiled: _Compiled | None = None
        self._memo = Memo()

    def register(
        self, group: str, patterns: Sequence[str], *, starts: bool = False, gate: str | None = None
    ) -> None:
        """Add (or replace) a group's patterns; ``starts`` asks for start offsets (SOM);
        ``gate`` must match wherever any of ``patterns`` matches (it may match more)."""
        with self._lock:
            self._groups[group] = (tuple(patterns), starts, gate)
            self._compiled = None
            self._memo = Memo()

    def hits(self, text: str, group: str) -> list[tuple[int, int, int]]:
        """``(pattern index in its group, start, end)`` hits of ``group``, sorted by end."""
        memo = self._memo
        by_group: dict[str, list[tuple[int, int, int]]] | None = memo.get(text)
        if by_group is None:
            scanner, owners, deferred = self._scanner()
            by_group = {g: [] for g in self._groups}
            triggered: set[str] = set()
            for i, s, e in scanner.spans(text):
                g, local = owners[i]
                if local < 0:  # the group's gate
                    triggered.add(g)
                else:
                    by_group[g].append((local, s, e))
            for g, again in deferred.items():
                if g in triggered or by_group[g]:
                    by_group[g] = again.spans(text)
            memo.put(text, by_group)
        return by_group.get(group, [])

    def _scanner(self) -> _Compiled:
        compiled = self._compiled
        if compiled is not None:  # built: no lock needed to read one attribute
            return compiled
        with self._lock:
            if self._compiled is None:
                patterns: list[str] = []
                owners: list[tuple[str, int]] = []
                deferred: dict[str, CueScanner] = {}
                for g, (pats, starts, gate) in self._groups.items():
                    if gate is not None:
                        patterns.append(gate)
                        owners.append((g, -1))
                    else:
                        patterns.extend(pats)
                        owners.extend((g, k) for k in range(len(pats)))
                    if gate is not None or starts:
                        deferred[g] = CueScanner(pats, starts=starts, cache=True)
                self._compiled = (CueScanner(patterns, cache=True), owners, deferred)
            return self._compiled


# (the shared scanner without starts, (group, index in group or -1 for a gate) per pattern,
# the scanner of each group scanned again alone)
_Compiled = tuple[CueScanner, list[tuple[str, int]], dict[str, CueScanner]]


#: The process-wide shared scanner.
SHARED_SCAN = SharedScan()
