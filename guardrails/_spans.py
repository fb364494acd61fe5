"""Span arithmetic for the redactor: protected tokens, merging, repeated values, one-join output."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import Any

from guardrails._types import Span
from guardrails.masking._tokens import TOKEN_RE
from guardrails.vault._matcher import on_boundaries

__all__ = ["drop_protected", "find_repeats", "merge", "protected_ranges"]

# Entities found by their shape alone: every occurrence is detected anyway, so the repeat pass
# (for values found through context, like a name after "Name:") can skip them.
SELF_EVIDENT = frozenset(
    {
        "EMAIL_ADDRESS",
        "IP_ADDRESS",
        "MAC_ADDRESS",
        "URL_CREDENTIALS",
        "AWS_ACCESS_KEY_ID",
        "GITHUB_TOKEN",
        "GITLAB_TOKEN",
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "SLACK_TOKEN",
        "STRIPE_KEY",
        "GOOGLE_API_KEY",
        "JWT",
        "PRIVATE_KEY",
    }
)
_FIND_BUDGET = 20_000_000  # values x characters up to which one str.find per value is cheaper


def protected_ranges(text: str, names: frozenset[str]) -> list[tuple[int, int]]:
    """Ranges of masked tokens (``<EMAIL_ADDRESS_1>``…) naming a known entity, in order."""
    if "<" not in text:
        return []
    return [m.span() for m in TOKEN_RE.finditer(text) if m.group(1) in names]


def drop_protected(spans: Iterable[Span], ranges: Sequence[tuple[int, int]]) -> list[Span]:
    """Spans that do not overlap any protected range (both sorted by start)."""
    if not ranges:
        return list(spans)
    ordered = sorted(spans, key=lambda s: s.start)
    out: list[Span] = []
    i = 0
    for span in ordered:
        # Ranges are sorted and disjoint; advance past those ending before this span starts.
        while i < len(ranges) and ranges[i][1] <= span.start:
            i += 1
        j = i
        hit = False
        while j < len(ranges) and ranges[j][0] < span.end:
            if ranges[j][1] > span.start:
                hit = True
                break
            j += 1
        if not hit:
            out.append(span)
    return out


def merge(spans: Iterable[Span], text: str) -> list[Span]:
    """Union overlapping spans; the merged span takes the type of its best-scored, longest part."""
    ordered = sorted(spans, key=_START)
    # The common case: detectors rarely overlap. Spans sharing a start are left to the full
    # order below (longer first) unless all are empty, where both orders agree.
    prev_start = prev_end = -1
    for span in ordered:
        start = span.start
        if start < prev_end or (start == prev_start and span.end != start):
            break
        prev_start, prev_end = start, span.end
    else:
        return ordered
    ordered.sort(key=_order)
    out: list[Span] = []
    cur = best = ordered[0]
    end = cur.end
    for span in ordered[1:]:
        if span.start < end:
            if (span.score, span.end - span.start) > (best.score, best.end - best.start):
                best = span
            end = max(end, span.end)
            continue
        out.append(_final(cur, best, end, text))
        cur = best = span
        end = span.end
    out.append(_final(cur, best, end, text))
    return out


_START = attrgetter("start")


def _order(span: Span) -> tuple[int, int]:
    return span.start, -span.end


def _final(cur: Span, best: Span, end: int, text: str) -> Span:
    if cur is best and end == cur.end:
        return cur  # a lone span: reuse it (masking reads the text, not ``value``)
    return Span(
        start=cur.start,
        end=end,
        entity_type=best.entity_type,
        score=best.score,
        value=text[cur.start : end],
        detector=best.detector,
    )


def find_repeats(text: str, spans: Sequence[Span]) -> list[Span]:
    """Other occurrences of values that were found through context (names, passwords…).

    Leftmost-longest, non-overlapping, never cutting a word. Up to a budget of values x text
    length, ``str.find`` per value; beyond it (thousands of names in megabytes of text) a token
    trie walked once over the text, so the cost does not grow with the number of values.
    """
    seeds: dict[str, Span] = {}
    for span in spans:
        if span.entity_type not in SELF_EVIDENT:
            value = text[span.start : span.end]
            if value not in seeds and len(value.strip()) >= 2:
                seeds[value] = span
    if not seeds:
        return []
    if len(seeds) * len(text) <= _FIND_BUDGET:
        # the usual case: each value occurs once, where it was found, and there is nothing to add
        find = text.find
        for value, seed in seeds.items():
            i = find(value)
            if i != seed.start or find(value, i + 1) >= 0:
                break
        else:
            return []
        hits: list[tuple[int, int, str]] = []
        for value in seeds:
            i = text.find(value)
            while i >= 0:
                hits.append((i, i + len(value), value))
                i = text.find(value, i + 1)
        hits.sort(key=lambda h: (h[0], -h[1]))
        found = _select(text, hits)
    else:
        found = _trie_find(text, seeds)
    out = []
    for start, end, value in found:
        seed = seeds[value]
        if start != seed.start:
            out.append(
                Span(
                    start=start,
                    end=end,
                    entity_type=seed.entity_type,
                    score=seed.score,
                    value=value,
                    detector=seed.detector,
                )
            )
    return out


# A token is a run of word characters or one other character. A match that cuts no word
# (``on_boundaries``) starts and ends on token boundaries, so it is a sequence of whole tokens.
_TOKEN = re.compile(r"\w+|\W")
_Node = dict[str, "list[Any]"]  # token -> [children, value ending here or None]


def _trie_find(text: str, values: Iterable[str]) -> list[tuple[int, int, str]]:
    """What ``_select`` keeps of all occurrences of ``values``, in one pass over the tokens."""
    root: _Node = {}
    starts: set[str] = set()  # non-word characters that begin a value
    for value in values:
        tokens = _TOKEN.findall(value)
        first = tokens[0][0]
        if not (first.isalnum() or first == "_"):
            starts.add(first)
        node = root
        for tok in tokens[:-1]:
            node = node.setdefault(tok, [{}, None])[0]
        node.setdefault(tokens[-1], [{}, None])[1] = value
    # where a value may begin: a run of word characters, or one of the non-word first characters
    begin = re.compile("\\w+" + "".join(f"|{re.escape(c)}" for c in sorted(starts)))
    step = _TOKEN.match
    out: list[tuple[int, int, str]] = []
    last = 0
    for m in begin.finditer(text):
        start = m.start()
        if start < last:
            continue
        entry = root.get(m.group())
        best = None
        pos = m.end()
        while entry is not None:
            if entry[1] is not None:
                best = (start, pos, entry[1])
            if not entry[0]:
                break
            t = step(text, pos)
            if t is None:
                break
            entry = entry[0].get(t.group())
            pos = t.end()
        if best is not None:
            out.append(best)
            last = best[1]
    return out


def _select(text: str, hits: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    out = []
    last = -1
    for start, end, value in hits:
        if start >= last and on_boundaries(text, start, end):
            out.append((start, end, value))
            last = end
    return out
