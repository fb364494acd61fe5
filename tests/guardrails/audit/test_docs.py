"""The runnable examples in the audit package's docstrings run and pass."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import guardrails.audit

MODULES = sorted(
    m.name for m in pkgutil.iter_modules(guardrails.audit.__path__, "guardrails.audit.")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(name: str) -> None:
    """Every example in this module's docstrings passes."""
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_public_classes_have_examples() -> None:
    """Each public class of guardrails.audit documents a runnable example."""
    missing = [
        name
        for name in guardrails.audit.__all__
        if isinstance(getattr(guardrails.audit, name), type)
        and ">>>" not in (getattr(guardrails.audit, name).__doc__ or "")
    ]
    assert missing == []
