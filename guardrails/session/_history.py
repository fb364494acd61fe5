"""Recognising a re-sent history by its JSON, for :meth:`RedactionSession.redact_history`.

A client re-sends its whole history every turn with something added (or its last message
replaced). One call keeps *checkpoints*: ``(count, end, digest)`` for its last few items, where
``end`` is where the JSON of the list's first ``count`` items ends (``[`` + items joined by
``,``, without the closing bracket) and ``digest`` is the SHA-256 of those bytes. The next call
writes its list as JSON once and starts with the first ``count`` items of the previous call
exactly when its JSON has the same digest up to ``end`` *and* an item boundary (``,`` or the
closing ``]``) follows: JSON values end where they end, so those items are then the same JSON
texts — what a digest per item would compare, for one pass over the bytes. Only digests are
kept, never the text.
"""

from __future__ import annotations

from typing import Any

from guardrails.session import _keys

__all__ = ["Checkpoint", "checkpoints_after", "matched_prefix"]

Checkpoint = tuple[int, int, bytes]  # (count, end, digest)

# What follows an item of a JSON list: the next item's comma or the closing bracket.
_BOUNDARY = frozenset(b",]")
# Checkpoints kept per call: after all its items, all but the last, ...
_KEPT = 4


def matched_prefix(
    kind: str, checkpoints: tuple[Checkpoint, ...], whole: bytes
) -> tuple[int, int, Any]:
    """``(count, end, hasher)`` of the longest checkpoint ``whole`` starts with, ``hasher`` fed
    ``whole[:end]``; ``(0, 0, a fresh hasher)`` when none matches.

    Example:
        >>> import orjson
        >>> old = orjson.dumps([{"a": 1}, {"b": 2}])
        >>> kept = checkpoints_after((), old, [8, 16], _keys.history_hasher("k"), (0, 0))
        >>> matched_prefix("k", kept, orjson.dumps([{"a": 1}, {"b": 2}, {"c": 3}]))[:2]
        (2, 16)
        >>> matched_prefix("k", kept, orjson.dumps([{"a": 1}, {"b": 3}]))[:2]
        (1, 8)
    """
    hasher = _keys.history_hasher(kind)
    view = memoryview(whole)
    fed, best = 0, (0, 0, hasher)
    for count, end, digest in checkpoints:  # growing prefixes of one list
        if len(whole) <= end or whole[end] not in _BOUNDARY:
            break
        hasher.update(view[fed:end])
        fed = end
        if hasher.digest() != digest:
            break
        best = (count, end, hasher.copy())
    if not best[0] and fed:
        return 0, 0, _keys.history_hasher(kind)
    return best


def checkpoints_after(
    kept: tuple[Checkpoint, ...],
    whole: bytes | None,
    ends: list[int],
    hasher: Any,
    served: tuple[int, int],
) -> tuple[Checkpoint, ...]:
    """The checkpoints of a call: ``kept`` (of the served items) plus one after each of its last
    items. ``ends[j]`` is where item ``served[0] + j`` ends in ``whole``; ``hasher`` was fed
    ``whole[:served[1]]``, the JSON of the served items."""
    if not ends:
        return kept  # nothing after the served items: the list is one the previous call had
    # The ends add up to the whole list only if each item was written as in the list.
    if whole is None or ends[-1] != len(whole) - 1:
        return ()
    count, start = served
    view = memoryview(whole)
    new = []
    for j in range(max(0, len(ends) - _KEPT), len(ends)):
        hasher.update(view[start : ends[j]])
        start = ends[j]
        new.append((count + j + 1, ends[j], hasher.digest()))
    return (*kept, *new)[-_KEPT:]
