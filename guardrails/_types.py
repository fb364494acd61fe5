"""Values shared by detection, masking and every integration.

A :class:`Span` is one detected sensitive value. Its raw ``value`` is kept for masking and the
vault but is excluded from ``repr`` and ``str`` so it cannot leak into logs or tracebacks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

__all__ = ["Detector", "Span"]


_set = object.__setattr__  # how a frozen dataclass sets its fields


@dataclass(frozen=True, slots=True, kw_only=True, init=False)
class Span:
    """One detected sensitive value in a text.

    Example:
        >>> s = Span(start=5, end=12, entity_type="US_SSN", score=1.0, value="123-45-6789")
        >>> "123" in repr(s)
        False
    """

    start: int
    end: int
    entity_type: str
    score: float
    value: str = field(repr=False, compare=False, default="")
    detector: str = field(default="", compare=False)

    # Written out rather than generated (the generated one looks up object.__setattr__ for
    # each field, then calls __post_init__): every detected value is a Span, ~1.4e4 per MB
    # of agent records. Same signature, same check.
    def __init__(
        self,
        *,
        start: int,
        end: int,
        entity_type: str,
        score: float,
        value: str = "",
        detector: str = "",
    ) -> None:
        if not (0 <= start <= end):
            raise ValueError("span bounds must satisfy 0 <= start <= end")
        _set(self, "start", start)
        _set(self, "end", end)
        _set(self, "entity_type", entity_type)
        _set(self, "score", score)
        _set(self, "value", value)
        _set(self, "detector", detector)

    def __len__(self) -> int:
        return self.end - self.start


@runtime_checkable
class Detector(Protocol):
    """Finds sensitive values in a text. One method; add your own, e.g. presidio-analyzer + spaCy.

    ``entities`` names the entity types the detector may emit; ``name`` identifies it in spans.

    Example:
        >>> class Badge:
        ...     name = "badge"
        ...     entities = frozenset({"BADGE_ID"})
        ...     def detect(self, text: str) -> list[Span]:
        ...         i = text.find("BDG-")
        ...         if i < 0:
        ...             return []
        ...         return [Span(start=i, end=i + 8, entity_type="BADGE_ID", score=1.0,
        ...                      value=text[i:i + 8], detector=self.name)]
        >>> isinstance(Badge(), Detector)
        True
    """

    name: str
    entities: frozenset[str]

    def detect(self, text: str, /) -> Iterable[Span]:
        """Return the spans found in ``text`` (any order, may overlap; the redactor merges)."""
        ...
