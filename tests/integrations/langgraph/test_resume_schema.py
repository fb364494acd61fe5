"""The shared resume schema: one class per schema, each interrupt's own check, nothing leaks."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from integrations.langgraph._resume import _CHECK, _shared_schema, decision_json_schema

SCHEMA = json.dumps(decision_json_schema(["approve", "reject"]), sort_keys=True)


def _validate(raw: Any) -> Any:
    return TypeAdapter(_shared_schema("GuardrailsDecision", SCHEMA)).validate_python(raw).root


def test_one_class_serves_every_interrupt_with_the_same_schema() -> None:
    """The class is built once per (name, schema), not once per interrupt."""
    assert _shared_schema("GuardrailsDecision", SCHEMA) is _shared_schema(
        "GuardrailsDecision", SCHEMA
    )
    other = json.dumps(decision_json_schema(["approve"]), sort_keys=True)
    assert _shared_schema("GuardrailsDecision", other) is not _shared_schema(
        "GuardrailsDecision", SCHEMA
    )


def test_published_schema_is_a_fresh_copy_each_time() -> None:
    """Clients get the allowed decisions; mutating one copy does not change the next."""
    adapter = TypeAdapter(_shared_schema("GuardrailsDecision", SCHEMA))
    first = adapter.json_schema()
    first["anyOf"].clear()
    assert [b.get("title") for b in adapter.json_schema()["anyOf"]][:2] == ["Approve", "Reject"]


def test_validation_outside_an_interrupt_accepts_nothing() -> None:
    """With no check set for this context, every answer is refused (fail closed)."""
    with pytest.raises(ValidationError, match="no decision is awaited"):
        _validate({"type": "approve"})


def test_each_thread_validates_with_its_own_check() -> None:
    """Two interrupts answered at once in two threads never use each other's check."""
    barrier = threading.Barrier(2)
    seen: dict[str, Any] = {}

    def answer(name: str) -> None:
        token = _CHECK.set(lambda raw: f"{name}:{raw['type']}")
        try:
            barrier.wait(timeout=10)  # both checks are set before either validates
            seen[name] = [_validate({"type": "approve"}) for _ in range(50)]
        finally:
            _CHECK.reset(token)

    workers = [threading.Thread(target=answer, args=(n,)) for n in ("a", "b")]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert seen == {"a": ["a:approve"] * 50, "b": ["b:approve"] * 50}
