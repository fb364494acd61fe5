"""The runnable examples in the approvals docstrings pass; every public class has one."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import guardrails.approvals
import guardrails.approvals.stores

MODULES = [
    *sorted(
        m.name
        for pkg in (guardrails.approvals, guardrails.approvals.stores)
        for m in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + ".")
    ),
    "guardrails.approvals",
    "guardrails.testing",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(name: str) -> None:
    """Every example in this module's docstrings passes (the PostgreSQL one is skipped)."""
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_public_classes_have_examples() -> None:
    """Each public class of guardrails.approvals documents a runnable example."""
    missing = [
        name
        for name in guardrails.approvals.__all__
        if isinstance(getattr(guardrails.approvals, name), type)
        and ">>>" not in (getattr(guardrails.approvals, name).__doc__ or "")
    ]
    assert missing == []
