"""The pattern detector: one scan for every structured entity, secret and custom entity."""

from __future__ import annotations

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
from guardrails.detection._scanner import (
    available_backends,
    encode,
    encode_ascii,
    to_str_offsets,
)
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
        items = custom_tuple(custom)
        wanted = PATTERN_ENTITIES if entities is None else _expand(entities, items)
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
        comp = self._compiled
        want = self._want
        found: list[Found] = []
        reserved: list[tuple[int, int]] = []
        try:
            checks = comp.checks
            for idx, start, end in comp.scanner.scan(encode_ascii(text)):
                check = checks[idx]
                if check is None:
                    reserved.append((start, end))
                else:
                    found.extend(check(text, start, end, want))
            if comp.custom_scanner is not None:
                data, same_offsets = encode(text)
                hits = comp.custom_scanner.scan(data)
                if not same_offsets:
                    hits = to_str_offsets(data, hits)
                custom_checks = comp.custom_checks
                for idx, start, end in hits:
                    found.extend(custom_checks[idx](text, start, end, want))
        except RedactionError:
            raise
        except Exception as exc:
            # a bug in a check must not let a value through unmasked: fail closed, say nothing raw.
            raise RedactionError(f"pattern detection failed ({type(exc).__name__})") from None
        return [
            Span(start=s, end=e, entity_type=ent, score=score, value=text[s:e], detector=self.name)
            for s, e, ent, score in _resolve(found, reserved)
        ]


def _expand(entities: Collection[str], custom: tuple[CustomEntity, ...]) -> frozenset[str]:
    """Built-in names and groups; the names of ``custom`` entities are accepted too."""
    names = [entities] if isinstance(entities, str) else list(entities)
    own = {ce.name for ce in custom}
    return expand_entities([n for n in names if n not in own])


def _resolve(found: list[Found], reserved: list[tuple[int, int]]) -> list[Found]:
    """Keep the best of overlapping findings (higher score, then longer); drop placeholder hits.

    One sort and a sweep: findings rarely overlap, so clusters are tiny and resolved greedily.
    """
    if not found:
        return []
    # placeholders take part as unbeatable findings that are removed at the end
    items = found + [(s, e, "", 2.0) for s, e in reserved]
    items.sort()
    out: list[Found] = []
    cluster: list[Found] = []
    cluster_end = -1
    for f in items:
        if f[0] >= cluster_end:
            if len(cluster) == 1:  # the usual case, without a call
                if cluster[0][2]:
                    out.append(cluster[0])
            elif cluster:
                _flush(cluster, out)
            cluster = [f]
            cluster_end = f[1]
        else:
            cluster.append(f)
            cluster_end = max(cluster_end, f[1])
    if len(cluster) == 1:
        if cluster[0][2]:
            out.append(cluster[0])
    else:
        _flush(cluster, out)
    return out


def _flush(cluster: list[Found], out: list[Found]) -> None:
    """Append the findings kept of ``cluster`` (two or more overlapping findings) to ``out``."""
    if len(cluster) > _EXACT_CLUSTER:
        # adversarial chains of overlaps ("a@a.aa@a.aa@…"): a linear sweep keeping, of two
        # overlapping findings, the better one. Exact greedy below is quadratic in the cluster.
        cur = cluster[0]
        for f in cluster[1:]:
            if f[0] >= cur[1]:
                if cur[2]:
                    out.append(cur)
                cur = f
            elif _rank(f) < _rank(cur):
                cur = f
        if cur[2]:
            out.append(cur)
        return
    if len(cluster) == 2:  # the usual overlap (a phone also matched after "Phone:"): no sorts
        # b starts inside a, so a is not empty and, unless b is empty, they overlap: keep the
        # better one
        a, b = cluster
        best = b if b[1] > b[0] and _rank(b) < _rank(a) else a
        if best[2]:
            out.append(best)
        return
    kept: list[Found] = []
    for f in sorted(cluster, key=_rank):
        if f[1] > f[0] and all(f[1] <= k[0] or k[1] <= f[0] for k in kept):
            kept.append(f)
    out.extend(sorted(k for k in kept if k[2]))


_EXACT_CLUSTER = 64


def _rank(f: Found) -> tuple[float, int, int]:
    """Sort key: higher score first, then longer, then earlier."""
    return (-f[3], f[0] - f[1], f[0])
