"""The redactor's view of :mod:`guardrails.detection`: entity expansion, detectors, key rules.

Kept in one place so the redactor depends on a handful of names, not on detection internals.
"""

from __future__ import annotations

import datetime as _dt
import enum
import numbers
import re
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from guardrails._errors import ConfigurationError
from guardrails._types import Detector
from guardrails.detection._entities import ENTITIES
from guardrails.detection._registry import expand_entities

__all__ = [
    "PERSON_SHAPE",
    "custom_detectors",
    "custom_names",
    "default_detectors",
    "detection_field_rules",
    "expand",
    "is_number",
    "is_safe_scalar",
    "known_entities",
    "secret_key_entity",
]

# A person's name in a ``name`` field: letters with spaces, apostrophes, hyphens or dots between
# them, at most six words. ``get_weather``, ``report.pdf`` or ``v2`` are left alone.
PERSON_SHAPE = re.compile(r"[^\W\d_]+\.?(?:[ '\u2019\-][^\W\d_]+\.?){0,5}")

_SAFE_SCALARS = (_dt.date, _dt.time, _dt.timedelta, uuid.UUID, enum.Enum, complex)


def custom_names(custom: Sequence[Any]) -> frozenset[str]:
    """The entity names defined by custom entities."""
    names = set()
    for c in custom:
        name = getattr(c, "name", None) or getattr(c, "entity_type", None)
        if not isinstance(name, str):
            raise ConfigurationError(
                f"custom entities must be CustomEntity objects, got {type(c).__name__}"
            )
        names.add(name)
    return frozenset(names)


def known_entities(enabled: frozenset[str]) -> frozenset[str]:
    """Built-in entity names plus the enabled (custom, plug-in) ones."""
    return ENTITIES | enabled


def expand(entities: Iterable[str] | None, *, extra: frozenset[str]) -> frozenset[str]:
    """Names and groups -> entity names; None = every built-in plus ``extra`` (custom, plug-ins)."""
    if entities is None:
        return ENTITIES | extra
    if isinstance(entities, str):
        entities = [entities]
    out: set[str] = set()
    for name in entities:
        if not isinstance(name, str):
            raise ConfigurationError("entities must be entity type names or group names")
        if name in extra:
            out.add(name)
        else:  # built-in names and groups; raises ConfigurationError for an unknown name
            out |= expand_entities([name])
    if not out:
        raise ConfigurationError("entities must name at least one entity type")
    return frozenset(out)


def default_detectors(entities: frozenset[str], custom: Sequence[Any]) -> tuple[Detector, ...]:
    """The built-in detectors for ``entities`` (plus the custom entities)."""
    from guardrails.detection import default_detectors as build

    return tuple(build(entities & ENTITIES, custom=tuple(custom)))


def custom_detectors(custom: Sequence[Any]) -> tuple[Detector, ...]:
    """Detectors for custom entities only (used when ``detectors=`` replaces the built-ins)."""
    return default_detectors(frozenset(), custom)


def secret_key_entity(name: str) -> str | None:
    """The entity for a field whose name says it holds a secret (``password`` -> PASSWORD)."""
    from guardrails.detection import secret_key_entity as from_detection

    result: str | None = from_detection(name)
    return result


# Detection's field-name lists, minus names that mostly mean something else in tool output
# ("unit": "kg", "zip": "archive.zip", "line1" of a diff), where masking the whole value would
# destroy harmless data.
_AMBIGUOUS_FIELDS = frozenset(
    {"unit", "suite", "building", "apartment", "apt", "zip", "line1", "line2", "contact", "person"}
)


def detection_field_rules() -> dict[str, str]:
    """Field name -> entity from the name, location and address detectors' field lists."""
    from guardrails.detection._address import ADDRESS_FIELD_NAMES
    from guardrails.detection._locations import LOCATION_FIELD_NAMES
    from guardrails.detection._names import PERSON_FIELD_NAMES

    rules: dict[str, str] = {}
    for names, entity in (
        (PERSON_FIELD_NAMES, "PERSON"),
        (LOCATION_FIELD_NAMES, "LOCATION"),
        (ADDRESS_FIELD_NAMES, "ADDRESS"),
    ):
        for name in names:
            if name not in _AMBIGUOUS_FIELDS:
                rules.setdefault(name, entity)
    return rules


def is_number(value: object) -> bool:
    """A number other than a bool (Decimal and Fraction included)."""
    return isinstance(value, numbers.Number) and not isinstance(value, bool | complex)


def is_safe_scalar(value: object) -> bool:
    """Types that carry no free text: passed through unchanged."""
    return isinstance(value, _SAFE_SCALARS)
