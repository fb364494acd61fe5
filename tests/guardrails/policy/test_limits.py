"""Size and shape limits: an oversized policy or condition is refused with a PolicyError that
names the file and the limit, nothing is loaded, and no hostile nesting reaches a RecursionError."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from guardrails import ConfigurationError, PolicyError
from guardrails.policy import Policy, Rule, ToolCall
from guardrails.policy._conditions import MAX_CONDITION_DEPTH, MAX_CONDITION_LENGTH
from guardrails.policy._loader import MAX_DOCUMENT_VALUES, MAX_POLICY_BYTES
from guardrails.policy._policy import MAX_RULES


def _rules_yaml(count: int) -> str:
    return "rules:\n" + "".join(f"  - {{name: r{i}, effect: allow}}\n" for i in range(count))


@pytest.mark.parametrize("suffix", [".yaml", ".toml", ".json"])
def test_oversized_file_is_refused_naming_file_and_limit(tmp_path: Path, suffix: str) -> None:
    """A policy file over 1 MiB is refused before it is parsed."""
    path = tmp_path / f"huge{suffix}"
    path.write_text(
        "#" * (MAX_POLICY_BYTES + 1) if suffix != ".json" else " " * (MAX_POLICY_BYTES + 1)
    )
    with pytest.raises(PolicyError) as info:
        Policy.load(path)
    assert str(path) in str(info.value)
    assert str(MAX_POLICY_BYTES) in str(info.value)


@pytest.mark.parametrize(
    "loader",
    [Policy.from_yaml, Policy.from_toml],
)
def test_oversized_text_is_refused(loader: Any) -> None:
    """YAML or TOML text over 1 MiB (counted in UTF-8 bytes) is refused."""
    text = "# " + "é" * (MAX_POLICY_BYTES // 2) + "\n"  # fewer characters than bytes
    with pytest.raises(PolicyError) as info:
        loader(text, source="big.policy")
    assert str(info.value).startswith("big.policy")
    assert "limit" in str(info.value)


def test_too_many_rules_in_a_file_names_the_line_and_field() -> None:
    """More rules than the limit: refused with the location of ``rules``."""
    with pytest.raises(PolicyError) as info:
        Policy.from_yaml(_rules_yaml(MAX_RULES + 1), source="rules.yaml")
    err = info.value
    assert (err.source, err.field) == ("rules.yaml", "rules")
    assert err.location is not None
    assert "line 1" in err.location
    assert str(MAX_RULES) in str(err)


def test_rule_limit_itself_loads() -> None:
    """Exactly the limit is accepted."""
    assert len(Policy.from_yaml(_rules_yaml(MAX_RULES)).rules) == MAX_RULES


def test_too_many_rules_in_python_is_a_configuration_error() -> None:
    """A Policy built in Python obeys the same rule limit."""
    rules = tuple(Rule(name=f"r{i}", effect="allow") for i in range(MAX_RULES + 1))
    with pytest.raises(ConfigurationError, match=str(MAX_RULES)):
        Policy(rules=rules)


def test_too_many_values_in_a_dict_is_refused() -> None:
    """A dict document holding more values than the limit is refused, nothing built."""
    doc = {"lists": {"big": list(range(MAX_DOCUMENT_VALUES))}}
    with pytest.raises(PolicyError) as info:
        Policy.from_dict(doc, source="api-payload")
    assert str(info.value).startswith("api-payload")
    assert str(MAX_DOCUMENT_VALUES) in str(info.value)


def test_cyclic_dict_is_refused() -> None:
    """A dict that contains itself is refused as too deep, never a RecursionError or a hang."""
    doc: dict[str, Any] = {"lists": {}}
    doc["lists"]["self"] = doc
    with pytest.raises(PolicyError, match="nested too deeply"):
        Policy.from_dict(doc)


def test_long_condition_is_refused_with_file_line_and_field() -> None:
    """A condition over the length limit names the file, its line, the field and the limit."""
    long = " || ".join(f'args.to == "user{i}@example.com"' for i in range(200))
    assert len(long) > MAX_CONDITION_LENGTH
    text = f"rules:\n  - name: a\n    effect: deny\n    when: '{long}'\n"
    with pytest.raises(PolicyError) as info:
        Policy.from_yaml(text, source="long.yaml")
    err = info.value
    assert (err.source, err.field) == ("long.yaml", "when")
    assert err.location is not None
    assert "line 4" in err.location
    assert str(MAX_CONDITION_LENGTH) in str(err)
    assert "lists" in str(err)  # says where long value lists belong


@pytest.mark.parametrize(
    "source",
    [
        "(" * 30 + "args.a" + ")" * 30 + " > 1",  # 30 nested parentheses
        "(" * 2040 + "1" + ")" * 2040,  # as deep as the length limit allows
        "!" * 4000 + "true",  # a tower of negations
        "[" * 2040 + "]" * 2040,  # nested list literals
        "f(" * 1300 + ")" * 1300,  # nested calls
        "a" + ".b" * 2000,  # a very long field path
    ],
)
def test_deep_condition_is_refused_not_a_recursion_error(source: str) -> None:
    """Nesting beyond the depth limit is a PolicyError naming the limit, at load time."""
    with pytest.raises(PolicyError) as info:
        Rule(name="deep", effect="deny", when=source)
    assert f"limit is {MAX_CONDITION_DEPTH}" in str(info.value)
    assert info.value.field == "when"


def test_conditions_within_the_limits_load_and_evaluate() -> None:
    """Long ``||`` chains and moderate nesting inside the limits compile and evaluate."""
    chain = " || ".join(f"args.a == {i}" for i in range(150))
    nested = "(" * 15 + "args.a" + ")" * 15 + " > 1"
    policy = Policy(
        rules=(
            Rule(name="chain", tools=("x",), effect="deny", when=chain),
            Rule(name="nested", tools=("y",), effect="deny", when=nested),
        )
    )
    assert all(r.condition is not None and r.condition.compiled for r in policy.rules)
    assert policy.evaluate(ToolCall(name="x", args={"a": 149})).rule == "chain"
    assert policy.evaluate(ToolCall(name="x", args={"a": 150})).effect == "allow"
    assert policy.evaluate(ToolCall(name="y", args={"a": 2})).rule == "nested"


def test_refused_file_loads_nothing(tmp_path: Path) -> None:
    """A refused document raises before any Policy exists: there is nothing half-loaded to use."""
    path = tmp_path / "p.json"
    path.write_text(
        json.dumps({"rules": [{"name": f"r{i}", "effect": "allow"} for i in range(1001)]})
    )
    with pytest.raises(PolicyError) as info:
        Policy.load(path)
    assert info.value.location == "rules"
