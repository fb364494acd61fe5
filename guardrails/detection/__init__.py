"""Detection: which substrings of a text are sensitive, and what they are.

``PatternDetector`` finds structured PII, secrets and custom entities in one linear-time pass;
person names, locations and addresses come from their own detectors. ``default_detectors`` wires
them all for an entity selection; any object following the :class:`~guardrails.Detector` protocol
(e.g. presidio-analyzer with a spaCy model) can be added next to them.

Example:
    >>> from guardrails.detection import PatternDetector
    >>> [s.entity_type for s in PatternDetector().detect("key AKIAZ3MSJV4WWNKWW5FG")]
    ['AWS_ACCESS_KEY_ID']
"""

from __future__ import annotations

import importlib
from collections.abc import Collection, Sequence

from guardrails._types import Detector
from guardrails.detection._custom import CustomEntity
from guardrails.detection._detector import PatternDetector
from guardrails.detection._entities import ENTITIES, GROUPS, PII_ENTITIES, SECRET_ENTITIES
from guardrails.detection._keys import secret_key_entity
from guardrails.detection._registry import PATTERN_ENTITIES, expand_entities

__all__ = [
    "ENTITIES",
    "GROUPS",
    "PATTERN_ENTITIES",
    "PII_ENTITIES",
    "SECRET_ENTITIES",
    "CustomEntity",
    "PatternDetector",
    "default_detectors",
    "expand_entities",
    "secret_key_entity",
]

# entity -> (module, class) of the detector that finds it outside the pattern pass
_TEXT_DETECTORS: tuple[tuple[str, str, str], ...] = (
    ("PERSON", "guardrails.detection._names", "NameDetector"),
    ("LOCATION", "guardrails.detection._locations", "LocationDetector"),
    ("ADDRESS", "guardrails.detection._address", "AddressDetector"),
)


def default_detectors(
    entities: Collection[str] | None = None, *, custom: Sequence[CustomEntity] = ()
) -> list[Detector]:
    """The built-in detectors for ``entities`` (names or groups; ``None`` = all) plus ``custom``.

    Example:
        >>> [d.name for d in default_detectors(["EMAIL_ADDRESS"])]
        ['patterns']
    """
    own = {getattr(ce, "name", None) for ce in custom}
    names = [entities] if isinstance(entities, str) else entities
    wanted = ENTITIES if names is None else expand_entities([n for n in names if n not in own])
    detectors: list[Detector] = []
    if wanted & PATTERN_ENTITIES or custom:
        detectors.append(PatternDetector(wanted & PATTERN_ENTITIES, custom=custom))
    for entity, module, cls in _TEXT_DETECTORS:
        if entity not in wanted:
            continue
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue  # that detector has not landed yet
        detectors.append(getattr(mod, cls)())
    return detectors
