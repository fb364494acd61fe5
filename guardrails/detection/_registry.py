"""Entity names and groups, and the compiled pattern sets (built once per entity set + customs)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

from guardrails._errors import ConfigurationError
from guardrails.detection._custom import CustomEntity, custom_check
from guardrails.detection._entities import ENTITIES, GROUPS
from guardrails.detection._patterns import PLACEHOLDER_RULE, RULES, Check
from guardrails.detection._scanner import PatternSpec, Scanner, build_scanner

__all__ = ["PATTERN_ENTITIES", "Compiled", "compiled", "expand_entities"]

# every entity some built-in pattern rule can emit (PERSON/LOCATION/ADDRESS come from elsewhere)
PATTERN_ENTITIES: frozenset[str] = frozenset().union(*(r.entities for r in RULES)) & ENTITIES


def expand_entities(names: Collection[str] | str) -> frozenset[str]:
    """Entity names and group aliases (``"secrets"``, ``"pii"``, …) -> the entity names.

    Example:
        >>> sorted(expand_entities(["network", "EMAIL_ADDRESS"]))
        ['EMAIL_ADDRESS', 'IP_ADDRESS', 'MAC_ADDRESS']
    """
    if isinstance(names, str):
        names = [names]
    out: set[str] = set()
    for name in names:
        if not isinstance(name, str):
            raise ConfigurationError(f"entity names must be str, got {type(name).__name__}")
        if name in ENTITIES:
            out.add(name)
        elif name.lower() in GROUPS:
            out |= GROUPS[name.lower()]
        elif name.upper() in ENTITIES:
            out.add(name.upper())
        else:
            raise ConfigurationError(
                f"unknown entity or group {name!r}; groups: {', '.join(sorted(GROUPS))}"
            )
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class Compiled:
    """Scanners plus, per pattern index, the check to run (``None`` marks our placeholders).

    Built-in patterns are ASCII-only and scan a one-byte-per-character copy of the text; custom
    patterns may use any Unicode, so they get their own database scanned over UTF-8.
    """

    scanner: Scanner
    checks: tuple[Check | None, ...]
    custom_scanner: Scanner | None
    custom_checks: tuple[Check, ...]


@lru_cache(maxsize=32)
def compiled(
    entities: frozenset[str], custom: tuple[CustomEntity, ...], backend: str | None
) -> Compiled:
    """The compiled pattern sets for ``entities`` and ``custom`` (cached: compiling costs ms)."""
    specs: list[PatternSpec] = [PatternSpec(PLACEHOLDER_RULE)]
    checks: list[Check | None] = [None]
    for rule in RULES:
        if rule.entities & entities:
            specs.append(PatternSpec(rule.regex, som=rule.som))
            checks.append(rule.check)
    custom_scanner = (
        build_scanner([PatternSpec(ce.pattern, utf8=True) for ce in custom], backend)
        if custom
        else None
    )
    return Compiled(
        scanner=build_scanner(specs, backend, cache=True),  # built-in patterns only
        checks=tuple(checks),
        custom_scanner=custom_scanner,
        custom_checks=tuple(custom_check(ce) for ce in custom),
    )


def custom_tuple(custom: Sequence[CustomEntity]) -> tuple[CustomEntity, ...]:
    """Validate the ``custom`` argument: CustomEntity instances with distinct names."""
    items = tuple(custom)
    for ce in items:
        if not isinstance(ce, CustomEntity):
            raise ConfigurationError(
                f"custom entities must be CustomEntity, got {type(ce).__name__}"
            )
    names = [ce.name for ce in items]
    if len(set(names)) != len(names):
        raise ConfigurationError("custom entity names must be distinct")
    return items
