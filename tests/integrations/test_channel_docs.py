"""The runnable examples in the Slack and Teams docstrings pass; every public class has one."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ["integrations.slack", "integrations.teams"]


def _modules(package: str) -> list[str]:
    pkg = importlib.import_module(package)
    return [package, *sorted(m.name for m in pkgutil.iter_modules(pkg.__path__, package + "."))]


MODULES = [name for package in PACKAGES for name in _modules(package)]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(name: str) -> None:
    """Every example in this module's docstrings passes."""
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


@pytest.mark.parametrize("package", PACKAGES)
def test_public_classes_have_examples(package: str) -> None:
    """Each public class documents a runnable example (result types excepted)."""
    pkg = importlib.import_module(package)
    missing = [
        name
        for name in pkg.__all__
        if isinstance(getattr(pkg, name), type)
        and not issubclass(getattr(pkg, name), Exception)
        and not name.endswith("Response")
        and ">>>" not in (getattr(pkg, name).__doc__ or "")
    ]
    assert missing == []
