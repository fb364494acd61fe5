"""The public API is explicit: every name in ``guardrails.__all__`` resolves (as httpx tests it)."""

from __future__ import annotations

import pytest

import guardrails


def test_all_exported_names_resolve() -> None:
    """Each public name is importable and defined in a guardrails module."""
    for name in guardrails.__all__:
        member = getattr(guardrails, name)
        module = getattr(member, "__module__", "guardrails")
        assert module.split(".")[0] == "guardrails", (name, module)


def test_all_is_sorted_and_unique() -> None:
    """__all__ has no duplicates, so the list stays readable as it grows."""
    assert len(set(guardrails.__all__)) == len(guardrails.__all__)


def test_dir_lists_the_public_names() -> None:
    """dir(guardrails) shows the public API."""
    assert set(guardrails.__all__) <= set(dir(guardrails))


def test_unknown_attribute_raises_attribute_error() -> None:
    """A typo is an AttributeError, not a silent None."""
    with pytest.raises(AttributeError, match="Redactr"):
        guardrails.Redactr  # type: ignore[attr-defined]
