"""The runnable examples in the slack docstrings pass; every public class has one."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import integrations.slack

MODULES = [
    "integrations.slack",
    *sorted(
        m.name for m in pkgutil.iter_modules(integrations.slack.__path__, "integrations.slack.")
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
        for name in integrations.slack.__all__
        if isinstance(getattr(integrations.slack, name), type)
        and not issubclass(getattr(integrations.slack, name), Exception)
        and not name.endswith("Response")
        and ">>>" not in (getattr(integrations.slack, name).__doc__ or "")
    ]
    assert missing == []
