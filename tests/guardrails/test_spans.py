"""Repeats of context-found values: the per-value search and the token trie find the same."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails._spans import _select, _trie_find, find_repeats
from guardrails._types import Span


def _by_find(text: str, values: list[str]) -> list[tuple[int, int, str]]:
    """Every occurrence, then what ``_select`` keeps: the reference for ``_trie_find``."""
    hits = []
    for v in values:
        i = text.find(v)
        while i >= 0:
            hits.append((i, i + len(v), v))
            i = text.find(v, i + 1)
    hits.sort(key=lambda h: (h[0], -h[1]))
    return _select(text, hits)


# word characters, separators, "_" (a word character), a non-ASCII letter, a newline
ALPHABET = "ab _-.(é\n1"


@settings(max_examples=400, deadline=None)
@given(
    text=st.text(alphabet=ALPHABET, max_size=80),
    extra=st.lists(st.text(alphabet=ALPHABET, min_size=1, max_size=6), max_size=4),
    cuts=st.lists(st.tuples(st.integers(0, 80), st.integers(1, 10)), max_size=6),
)
def test_trie_matches_the_per_value_search(
    text: str, extra: list[str], cuts: list[tuple[int, int]]
) -> None:
    """Leftmost-longest, non-overlapping, word-respecting: both strategies agree."""
    values = {text[i : i + n] for i, n in cuts if text[i : i + n].strip()} | {
        v for v in extra if v.strip()
    }
    if values:
        assert _trie_find(text, sorted(values)) == _by_find(text, sorted(values))


def _names_text(n_words: int, seed: int = 0) -> tuple[str, list[Span]]:
    """Capitalized words; every two-word pair at an even word index is a PERSON span."""
    rng = random.Random(seed)
    words = ["Alice", "Berlin", "Maple", "Johnson", "Street", "Paris", "Garcia", "Chen"]
    picked = [rng.choice(words) + rng.choice(("", "a", "o", "us")) for _ in range(n_words)]
    text = " ".join(picked)
    spans, pos = [], 0
    for i, w in enumerate(picked):
        if i % 2 == 0 and i + 1 < len(picked):
            end = pos + len(w) + 1 + len(picked[i + 1])
            spans.append(Span(start=pos, end=end, entity_type="PERSON", score=0.6))
        pos += len(w) + 1
    return text, spans


def test_many_values_in_a_large_text_take_the_trie_and_agree() -> None:
    """Thousands of distinct names in ~1 MB: same repeats as the per-value search would give."""
    text, spans = _names_text(20_000)
    values = sorted({text[s.start : s.end] for s in spans})
    assert len(values) * len(text) > 20_000_000  # beyond the per-value budget
    assert _trie_find(text, values) == _by_find(text, values)
    repeats = find_repeats(text, spans)
    assert repeats
    assert all(text[r.start : r.end] == r.value for r in repeats)
