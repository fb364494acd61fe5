"""Find every occurrence of already-known values in a text, in one pass per tier.

A thread's vault grows a few values per turn, and rebuilding one big automaton per call would
cost O(values) each time. Values are kept in tiers like a log-structured merge: a new batch is a
small tier, and equal-sized neighbours are merged, so each value is recompiled O(log n) times and a
scan touches O(log n) compiled databases. Hyperscan (literal mode) is used when installed, else
RE2; Python's ``re`` is far too slow on large alternations (seconds per MB).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import re2

_hs: Any
try:  # x86-64 only
    import hyperscan as _hs
except ImportError:  # pragma: no cover - exercised on other platforms
    _hs = None

__all__ = ["LiteralMatcher"]

_RE2_CHUNK = 500  # RE2 refuses very large alternations ("pattern too large")
# Searching the loose values one by one costs about (bytes + _CALL_BYTES) x values per text, in
# units of ~0.2 ns; compiling 100-300 values costs 8-13 ms. Once the searches since the last
# compilation would pass _SEARCH_BUDGET (~4 ms), the loose values are compiled: a vault used for
# a few texts never compiles, one that keeps scanning turns compiles once the scans cost as much.
_CALL_BYTES = 1_000  # the fixed cost of one bytes.find call, in bytes scanned
_SEARCH_BUDGET = 20_000_000


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


class _Tier:
    """One compiled set of literals; ``scan`` yields (byte_start, byte_end, index)."""

    def __init__(self, values: Sequence[str], first_index: int) -> None:
        self.size = len(values)
        self.first = first_index
        self._lock = threading.Lock()  # hyperscan scratch space is not shareable
        self._db: Any = None
        self._re2: list[tuple[Any, int]] = []
        if _hs is not None:
            db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
            db.compile(
                expressions=[_encode(v) for v in values],
                ids=list(range(len(values))),
                elements=len(values),
                flags=[_hs.HS_FLAG_SOM_LEFTMOST] * len(values),
                literal=True,
            )
            self._db = db
        else:
            opts = re2.Options()
            opts.max_mem = 256 << 20
            for lo in range(0, len(values), _RE2_CHUNK):
                chunk = values[lo : lo + _RE2_CHUNK]
                pattern = "|".join(f"({re2.escape(v)})" for v in chunk)
                self._re2.append((re2.compile(pattern, opts), lo))

    def scan(self, data: bytes, text: str) -> list[tuple[int, int, int]]:
        hits: list[tuple[int, int, int]] = []
        if self._db is not None:

            def on_match(idx: int, start: int, end: int, flags: int, ctx: object) -> None:
                hits.append((start, end, idx + self.first))

            with self._lock:
                self._db.scan(data, match_event_handler=on_match)
            return hits
        # RE2 on str reports character offsets: convert to the byte offsets used above.
        for rx, lo in self._re2:
            for m in rx.finditer(text):
                group = m.lastindex or 1
                start = len(_encode(text[: m.start()]))
                end = start + len(_encode(m.group()))
                hits.append((start, end, self.first + lo + group - 1))
        return hits


class LiteralMatcher:
    """Matches a growing list of literal values; values must only be appended, never removed.

    New values first sit in a *loose* list searched with ``bytes.find`` (no compilation):
    structured data adds a value or two per leaf, and compiling a database for each would cost
    far more than the search. They are compiled into a tier once searching them has cost about
    as much as compiling them would (``_SEARCH_BUDGET``).
    """

    def __init__(self) -> None:
        self._values: list[str] = []
        self._tiers: list[_Tier] = []
        self._loose: list[tuple[bytes, int]] = []  # (encoded value, index)
        self._searched = 0  # cost of the loose searches since the last compilation
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._values)

    def extend(self, values: Sequence[str]) -> None:
        """Add values (already de-duplicated and non-empty)."""
        if not values:
            return
        with self._lock:
            first = len(self._values)
            self._values.extend(values)
            self._loose = [*self._loose, *((_encode(v), first + i) for i, v in enumerate(values))]

    def _compile_loose(self) -> None:
        # Caller holds the lock. Loose values are always the newest, contiguous indexes.
        lo = self._loose[0][1]
        tiers = [*self._tiers, _Tier(self._values[lo:], lo)]
        # Merge while the newest tier is at least as large as the one before it.
        while len(tiers) >= 2 and tiers[-1].size >= tiers[-2].size:
            lo = tiers[-2].first
            hi = tiers[-1].first + tiers[-1].size
            tiers[-2:] = [_Tier(self._values[lo:hi], lo)]
        self._tiers = tiers
        self._loose = []
        self._searched = 0

    def find(self, text: str) -> list[tuple[int, int, int]]:
        """Return non-overlapping ``(start, end, value_index)`` in character offsets.

        Leftmost-longest; a match must not cut a word (a known ``Al`` is not found in ``Also``).
        """
        if not text or not self._values:
            return []
        data = _encode(text)
        loose = self._loose
        if loose:
            cost = len(loose) * (len(data) + _CALL_BYTES)
            if self._searched + cost > _SEARCH_BUDGET:
                with self._lock:
                    if self._loose:
                        self._compile_loose()
                loose = self._loose
            else:  # unlocked: a lost update only delays the compilation a little
                self._searched += cost
        hits: list[tuple[int, int, int]] = []
        for tier in self._tiers:
            hits.extend(tier.scan(data, text))
        for value, idx in loose:
            i = data.find(value)
            while i >= 0:
                hits.append((i, i + len(value), idx))
                i = data.find(value, i + 1)
        if not hits:
            return []
        hits.sort(key=lambda h: (h[0], -h[1]))
        ascii_text = len(data) == len(text)
        out: list[tuple[int, int, int]] = []
        last_end = -1
        to_char = None if ascii_text else _ByteToChar(data)
        for b_start, b_end, idx in hits:
            if b_start < last_end:
                continue
            start, end = (b_start, b_end) if to_char is None else (to_char(b_start), to_char(b_end))
            if not on_boundaries(text, start, end):
                continue
            out.append((start, end, idx))
            last_end = b_end
        return out


class _ByteToChar:
    """Converts increasing-ish UTF-8 byte offsets to character offsets without rescanning."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._byte = 0
        self._char = 0

    def __call__(self, offset: int) -> int:
        if offset < self._byte:  # rare: restart from the beginning
            self._byte = self._char = 0
        piece = self._data[self._byte : offset].decode("utf-8", "surrogatepass")
        self._char += len(piece)
        self._byte = offset
        return self._char


def on_boundaries(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` cuts no word (``re``'s ``\\w`` is ``isalnum()`` or ``_``)."""
    if start >= end:
        return False
    if start > 0:
        a, b = text[start - 1], text[start]
        if (a.isalnum() or a == "_") and (b.isalnum() or b == "_"):
            return False
    if end < len(text):
        a, b = text[end - 1], text[end]
        if (a.isalnum() or a == "_") and (b.isalnum() or b == "_"):
            return False
    return True
