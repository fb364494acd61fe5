"""User-defined entities: a linear-time regex, an optional validator and optional context words."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from guardrails._errors import ConfigurationError, PatternError, RedactionError
from guardrails.detection._entities import ENTITIES, GROUPS
from guardrails.detection._validators import Found

__all__ = ["CustomEntity", "custom_check"]

_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomEntity:
    """A custom entity detected in the same single pass as the built-in ones.

    The pattern must be linear-time (RE2/hyperscan syntax: no back-references, no look-around) and
    is matched leftmost-longest. ``validator`` receives each match and returns whether to keep it.
    ``context`` words (case-insensitive) found within ``context_window`` characters before or after
    a match raise its score to ``context_score``; with ``context_required`` a match without them is
    dropped.

    Example:
        >>> from guardrails.detection import CustomEntity, PatternDetector
        >>> emp = CustomEntity(name="EMPLOYEE_ID", pattern=r"\\bEMP-[0-9]{6}\\b",
        ...                    context=("employee",), score=0.7)
        >>> [s.entity_type for s in PatternDetector([], custom=[emp]).detect("employee EMP-004211")]
        ['EMPLOYEE_ID']
    """

    name: str
    pattern: str
    validator: Callable[[str], bool] | None = None
    context: tuple[str, ...] = ()
    context_required: bool = False
    score: float = 0.8
    context_score: float = 1.0
    context_window: int = 64

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise ConfigurationError(
                "custom entity name must be UPPER_SNAKE_CASE (letters, digits, underscores)"
            )
        if self.name in ENTITIES or self.name.lower() in GROUPS:
            raise ConfigurationError(f"custom entity {self.name!r} clashes with a built-in name")
        if not isinstance(self.pattern, str) or not self.pattern:
            raise PatternError(f"custom entity {self.name!r}: pattern must be a non-empty str")
        if self.validator is not None and not callable(self.validator):
            raise ConfigurationError(f"custom entity {self.name!r}: validator must be callable")
        if isinstance(self.context, str):
            object.__setattr__(self, "context", (self.context,))
        words = tuple(str(w).lower() for w in self.context if str(w).strip())
        object.__setattr__(self, "context", words)
        if self.context_required and not words:
            raise ConfigurationError(
                f"custom entity {self.name!r}: context_required needs context words"
            )
        for label, value in (("score", self.score), ("context_score", self.context_score)):
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ConfigurationError(
                    f"custom entity {self.name!r}: {label} must be between 0 and 1"
                )
        if not isinstance(self.context_window, int) or not 0 < self.context_window <= 1024:
            raise ConfigurationError(
                f"custom entity {self.name!r}: context_window must be in 1..1024"
            )
        _check_linear(self.name, self.pattern)


def _check_linear(name: str, pattern: str) -> None:
    """Compile with every available engine; the message never repeats the pattern or a match."""
    import re2

    options = re2.Options()
    options.log_errors = False
    try:
        compiled = re2.compile(pattern, options)
    except re2.error:
        raise PatternError(
            f"custom entity {name!r}: pattern does not compile as a linear-time regex "
            "(RE2 syntax; back-references and look-around are not supported)"
        ) from None
    if compiled.fullmatch("") is not None:
        raise PatternError(f"custom entity {name!r}: pattern matches the empty string")
    try:
        import hyperscan
    except ImportError:  # pragma: no cover - depends on the platform
        return
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    try:
        db.compile(
            expressions=[pattern.encode("utf-8")],
            ids=[0],
            elements=1,
            flags=[hyperscan.HS_FLAG_SOM_LEFTMOST | hyperscan.HS_FLAG_UTF8],
        )
    except hyperscan.error:
        raise PatternError(
            f"custom entity {name!r}: pattern is not supported by the hyperscan engine "
            "(simplify large bounded repeats or anchors)"
        ) from None


def custom_check(entity: CustomEntity) -> Callable[[str, int, int, frozenset[str]], list[Found]]:
    """The candidate check for ``entity``: validator, then context words."""

    def check(text: str, start: int, end: int, want: frozenset[str]) -> list[Found]:
        if entity.validator is not None:
            try:
                keep = entity.validator(text[start:end])
            except Exception as exc:
                # not chained: the validator's own message may quote the matched value.
                raise RedactionError(
                    f"validator of custom entity {entity.name!r} raised {type(exc).__name__}"
                ) from None
            if not keep:
                return []
        score = entity.score
        if entity.context:
            w = entity.context_window
            near = (text[max(0, start - w) : start] + " " + text[end : end + w]).lower()
            if any(word in near for word in entity.context):
                score = max(score, entity.context_score)
            elif entity.context_required:
                return []
        return [(start, end, entity.name, score)]

    return check
