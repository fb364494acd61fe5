"""Tiny regex detectors for redactor tests that must not depend on the built-in detectors."""

from __future__ import annotations

import re

from guardrails import Span


class RegexDetector:
    """Emits ``entity`` for every match of ``pattern`` (group 1 when present)."""

    def __init__(self, name: str, entity: str, pattern: str, score: float = 1.0) -> None:
        self.name = name
        self.entities = frozenset({entity})
        self._entity = entity
        self._rx = re.compile(pattern)
        self._score = score

    def detect(self, text: str) -> list[Span]:
        group = 1 if self._rx.groups else 0
        return [
            Span(
                start=m.start(group),
                end=m.end(group),
                entity_type=self._entity,
                score=self._score,
                value=m.group(group),
                detector=self.name,
            )
            for m in self._rx.finditer(text)
        ]


EMAIL = RegexDetector(
    "fake-email", "EMAIL_ADDRESS", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
)
SSN = RegexDetector("fake-ssn", "US_SSN", r"\b\d{3}-\d{2}-\d{4}\b")
# A context detector: the name after "Name:" (two capitalised words).
PERSON = RegexDetector("fake-person", "PERSON", r"Name: ([A-Z][a-z]+ [A-Z][a-z]+)", score=0.8)
FAKES = (EMAIL, SSN, PERSON)


class Exploding:
    """A detector that fails, with the text in its exception message."""

    name = "exploding"
    entities = frozenset({"EMAIL_ADDRESS"})

    def detect(self, text: str) -> list[Span]:
        raise ValueError(f"cannot parse {text}")
