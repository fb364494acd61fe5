"""The runnable examples in the redaction engine's docstrings stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "guardrails.redactor",
    "guardrails.structured",
    "guardrails.vault",
    "guardrails.vault._vault",
    "guardrails.vault._restore",
    "guardrails.masking",
    "guardrails.masking._base",
    "guardrails.masking._registry",
    "guardrails.masking._tokens",
    "guardrails.masking.placeholder",
    "guardrails.masking.redact",
    "guardrails.masking.mask",
    "guardrails.masking.keyed_hash",
    "guardrails.masking.encrypt",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    """Every example in the module's docstrings produces the output shown."""
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
