"""The pattern detector: one scan for every structured entity, secret and custom entity."""

from __future__ import annotations

import bisect
from collections.abc import Collection, Sequence

from guardrails._errors import ConfigurationError, InputError, RedactionError
from guardrails._types import Span
from guardrails.detection._custom import CustomEntity
from guardrails.detection._registry import (
    PATTERN_ENTITIES,
    compiled,
    custom_tuple,
    expand_entities,
)
from guardrails.detection._scanner import available_backends, encode, to_str_offsets
from guardrails.detection._validators import Found

__all__ = ["PatternDetector"]


class PatternDetector:
    """Structured PII, secrets and custom entities in one linear-time pass, validated per candidate.

    Candidates come from hyperscan (or RE2 when hyperscan is not available); each is checked with
    ``phonenumbers``, ``python-stdnum``, ``ipaddress`` or a secret-specific rule. Overlapping
    findings are resolved here (higher score, then longer, wins), and nothing inside one of our
    placeholders (``<EMAIL_ADDRESS_1>``) is ever reported.

    Example:
        >>> d = PatternDetector(["EMAIL_ADDRESS", "secrets"])
        >>> [(s.entity_type, s.start) for s in d.detect("mail jane@example.com")]
        [('EMAIL_ADDRESS', 5)]
    """

    name = "patterns"

    def __init__(
        self,
        entities: Collection[str] | None = None,
        *,
        custom: Sequence[CustomEntity] = (),
        backend: str | None = None,
    ) -> None:
        if backend is not None and backend not in available_backends():
            raise ConfigurationError(
                f"scanner backend {backend!r} is not available; use one of {available_backends()}"
            )
        wanted = PATTERN_ENTITIES if entities is None else expand_entities(entities)
        items = custom_tuple(custom)
        self._want = wanted & PATTERN_ENTITIES
        self.entities: frozenset[str] = self._want | {ce.name for ce in items}
        self._compiled = compiled(self._want, items, backend)
        self.backend: str = self._compiled.scanner.backend

    def __repr__(self) -> str:
        return f"PatternDetector(entities={len(self.entities)}, backend={self.backend!r})"

    def detect(self, text: str, /) -> list[Span]:
        """Return the non-overlapping spans found in ``text``, sorted by start."""
        if not isinstance(text, str):
            raise InputError(f"detect() expects str, got {type(text).__name__}")
        if not text:
            return []
        data, same_offsets = encode(text)
        hits = self._compiled.scanner.scan(data)
        if not same_offsets:
            hits = to_str_offsets(data, hits)
        checks = self._compiled.checks
        want = self._want
        found: list[Found] = []
        reserved: list[tuple[int, int]] = []
        try:
            for idx, start, end in hits:
                check = checks[idx]
                if check is None:
                    reserved.append((start, end))
                else:
                    found.extend(check(text, start, end, want))
        except RedactionError:
            raise
        except Exception as exc:
            # a bug in a check must not let a value through unmasked: fail closed, say nothing raw.
            raise RedactionError(f"pattern detection failed ({type(exc).__name__})") from None
        return [
            Span(start=s, end=e, entity_type=ent, score=score, value=text[s:e], detector=self.name)
            for s, e, ent, score in _resolve(found, reserved)
        ]


def _resolve(found: list[Found], reserved: list[tuple[int, int]]) -> list[Found]:
    """Keep the best of overlapping findings: higher score, then longer, then earlier."""
    if not found:
        return []
    found.sort(key=lambda f: (-f[3], f[0] - f[1], f[0]))
    starts: list[int] = []
    ends: list[int] = []
    for s, e in sorted(reserved):
        starts.append(s)
        ends.append(e)
    kept: list[Found] = []
    for f in found:
        s, e = f[0], f[1]
        if e <= s:
            continue
        i = bisect.bisect_left(starts, e)  # intervals starting before our end
        if i > 0 and ends[i - 1] > s:
            continue
        # intervals are disjoint and sorted, so only the one just before ``i`` can overlap us.
        starts.insert(i, s)
        ends.insert(i, e)
        kept.append(f)
    kept.sort()
    return kept
