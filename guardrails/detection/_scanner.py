"""One linear-time pass over a text for many patterns at once: hyperscan, or RE2 as the fallback.

Both backends report, per pattern, leftmost-longest non-overlapping matches as ``(index, start,
end)`` in *str* offsets. Hyperscan reports every match end (with ``HS_FLAG_SOM_LEFTMOST``, the
leftmost start for each end); we keep the longest end per start and then take the matches greedily
from the left, which is what RE2's ``longest_match`` ``finditer`` yields. (Not always: for an end,
hyperscan names only the leftmost start, so with ``ab|abab`` over ``ababab`` the final ``ab`` is
hidden behind ``abab`` starting at 2. The built-in patterns are delimited by ``\b`` or by
characters outside their classes, where this cannot happen; a parity test holds both backends to
the same spans on a shared table.) The text is scanned as
UTF-8 bytes; lone surrogates are encoded as ``?`` so that every character stays exactly one code
point wide and the byte -> str offset map stays a simple count of UTF-8 lead bytes.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from guardrails.detection._hs_cache import compile_database

__all__ = [
    "Hit",
    "PatternSpec",
    "Scanner",
    "available_backends",
    "build_scanner",
    "encode",
    "encode_ascii",
]

Hit = tuple[int, int, int]  # (pattern index, start, end) in str offsets

# bytes 0x80..0xBF continue a UTF-8 sequence; deleting every other byte and taking len() counts them.
_NON_CONTINUATION = bytes(b for b in range(256) if not 0x80 <= b <= 0xBF)


@dataclass(frozen=True, slots=True)
class PatternSpec:
    """A pattern handed to a backend: RE2/hyperscan common syntax, ``utf8`` for user patterns."""

    regex: str
    utf8: bool = False
    # without start-of-match tracking hyperscan is far faster on patterns that begin with a class;
    # such hits carry start == end and their check derives the start from the end.
    som: bool = True


class Scanner(Protocol):
    """A compiled set of patterns."""

    backend: str

    def scan(self, data: bytes) -> list[Hit]:
        """Return byte-offset hits: leftmost-longest, non-overlapping per pattern, any order."""
        ...


def encode(text: str) -> tuple[bytes, bool]:
    """Encode ``text`` as UTF-8 for scanning; the flag says whether byte offsets = str offsets."""
    if text.isascii():
        return text.encode("ascii"), True
    # "replace" turns each lone surrogate into one "?" byte: still one code point per character.
    return text.encode("utf-8", "replace"), False


def encode_ascii(text: str) -> bytes:
    """One byte per character: every non-ASCII character becomes ``?``.

    The built-in patterns are ASCII-only, so they see exactly what they would see in UTF-8 (a
    non-ASCII character is a non-word byte either way) while offsets stay str offsets, with no map.
    """
    return text.encode("ascii", "replace")


def to_str_offsets(data: bytes, hits: list[Hit]) -> list[Hit]:
    """Map byte offsets of ``hits`` to str offsets, walking the text once in sorted offset order."""
    offsets = sorted({o for _, s, e in hits for o in (s, e)})
    mapping: dict[int, int] = {}
    prev_b = prev_c = 0
    for b in offsets:
        seg = data[prev_b:b]
        prev_c += len(seg) - len(seg.translate(None, _NON_CONTINUATION))
        prev_b = b
        mapping[b] = prev_c
    return [(i, mapping[s], mapping[e]) for i, s, e in hits]


def _greedy(raw: list[Hit], som: tuple[bool, ...]) -> list[Hit]:
    """Leftmost-longest non-overlapping matches per pattern from all reported (start, end) pairs.

    Hits of patterns compiled without start-of-match tracking pass through as ``(idx, end, end)``.
    """
    raw.sort()
    out: list[Hit] = []
    append = out.append
    prev: Hit | None = None  # the longest hit so far of the current (pattern, start) run
    kept_end = -1  # where the last hit kept of prev's pattern ends (hits come pattern by pattern)
    for hit in raw:
        idx = hit[0]
        if not som[idx]:
            append((idx, hit[2], hit[2]))
            continue
        # sorted, so the last hit of a run with equal (pattern, start) has the longest end
        if prev is not None and (prev[0] != idx or prev[1] != hit[1]):
            if prev[1] >= kept_end:
                append(prev)
                kept_end = prev[2]
            if prev[0] != idx:
                kept_end = -1
        prev = hit
    if prev is not None and prev[1] >= kept_end:
        append(prev)
    return out


class _HyperscanScanner:
    backend = "hyperscan"

    def __init__(self, specs: Sequence[PatternSpec], *, cache: bool = False) -> None:
        import hyperscan

        self._hs = hyperscan
        flags = [
            (hyperscan.HS_FLAG_SOM_LEFTMOST if s.som else 0)
            | (hyperscan.HS_FLAG_UTF8 if s.utf8 else 0)
            for s in specs
        ]
        self._db = compile_database(
            [s.regex.encode("utf-8") for s in specs],
            list(range(len(specs))),
            flags,
            mode=hyperscan.HS_MODE_BLOCK,
            use_cache=cache,
        )
        self._som = tuple(s.som for s in specs)
        # a scratch space may be used by one scan at a time: one per thread.
        self._local = threading.local()

    def scan(self, data: bytes) -> list[Hit]:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._hs.Scratch(self._db)
            self._local.scratch = scratch
        raw: list[Hit] = []
        self._db.scan(data, match_event_handler=_collector(raw), scratch=scratch)
        return _greedy(raw, self._som)


def _collector(raw: list[Hit]) -> Any:
    append = raw.append

    def on_match(idx: int, start: int, end: int, flags: int, ctx: Any) -> None:
        append((idx, start, end))

    return on_match


class _Re2Scanner:
    backend = "re2"

    def __init__(self, specs: Sequence[PatternSpec]) -> None:
        import re2

        options = re2.Options()
        options.longest_match = True
        options.log_errors = False
        self._set = re2.Set.SearchSet(options)
        for s in specs:
            self._set.Add(s.regex.encode("utf-8"))
        self._set.Compile()
        self._regexes = [re2.compile(s.regex.encode("utf-8"), options) for s in specs]

    def scan(self, data: bytes) -> list[Hit]:
        # one pass to learn which patterns occur at all, then one linear pass per such pattern.
        found = self._set.Match(data) or ()
        out: list[Hit] = []
        for idx in found:
            for m in self._regexes[idx].finditer(data):
                if m.end() > m.start():
                    out.append((idx, m.start(), m.end()))
        return out


def available_backends() -> tuple[str, ...]:
    """The backends importable here, preferred first."""
    names: list[str] = []
    try:
        import hyperscan  # noqa: F401

        names.append("hyperscan")
    except ImportError:  # pragma: no cover - depends on the platform
        pass
    names.append("re2")
    return tuple(names)


def build_scanner(
    specs: Sequence[PatternSpec], backend: str | None = None, *, cache: bool = False
) -> Scanner:
    """Compile ``specs`` with ``backend`` (default: hyperscan when importable, else RE2).

    ``cache=True`` (built-in patterns only, never user input) keeps the compiled hyperscan
    database in the user's cache directory for the next process (:mod:`._hs_cache`).
    """
    chosen = backend or available_backends()[0]
    if chosen == "hyperscan":
        return _HyperscanScanner(specs, cache=cache)
    if chosen == "re2":
        return _Re2Scanner(specs)
    raise ValueError(f"unknown scanner backend {chosen!r}")
