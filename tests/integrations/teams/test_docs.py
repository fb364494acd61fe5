"""The runnable examples in the teams docstrings pass; every public class has one."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import integrations.teams

MODULES = [
    "integrations.teams",
    *sorted(
        m.name for m in pkgutil.iter_modules(integrations.teams.__path__, "integrations.teams.")
    ),
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(name: str) -> None:
    """Every example in this module's docstrings passes."""
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_public_classes_have_examples() -> None:
    """Each public class documents a runnable example (result types excepted)."""
    missing = [
        name
        for name in integrations.teams.__all__
        if isinstance(getattr(integrations.teams, name), type)
        and not issubclass(getattr(integrations.teams, name), Exception)
        and not name.endswith("Response")
        and ">>>" not in (getattr(integrations.teams, name).__doc__ or "")
    ]
    assert missing == []
