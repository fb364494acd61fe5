"""The runnable examples in the policy and identity docstrings pass; public classes have one."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import guardrails.policy

MODULES = [
    *sorted(m.name for m in pkgutil.iter_modules(guardrails.policy.__path__, "guardrails.policy.")),
    "guardrails.policy",
    "guardrails.identity",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(name: str) -> None:
    """Every example in this module's docstrings passes."""
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


@pytest.mark.parametrize("module", ["guardrails.policy", "guardrails.identity"])
def test_public_classes_have_examples(module: str) -> None:
    """Each public class documents a runnable example."""
    mod = importlib.import_module(module)
    missing = [
        name
        for name in mod.__all__
        if isinstance(getattr(mod, name), type) and ">>>" not in (getattr(mod, name).__doc__ or "")
    ]
    assert missing == []
