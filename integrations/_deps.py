"""Turn a missing optional dependency into an error that says what to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from guardrails import MissingDependencyError


def require(module: str, *, extra: str, package: str | None = None) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(package or module.split(".", maxsplit=1)[0], extra) from exc
