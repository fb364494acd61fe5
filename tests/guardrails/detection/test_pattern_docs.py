"""The runnable examples in the pattern-detection docstrings are correct."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "guardrails.detection",  # PatternDetector / default_detectors examples
        "guardrails.detection._custom",  # CustomEntity
        "guardrails.detection._detector",  # PatternDetector
        "guardrails.detection._keys",  # secret_key_entity
        "guardrails.detection._registry",  # expand_entities
    ],
)
def test_docstring_examples_run(module: str) -> None:
    """Every docstring example in the module passes."""
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
