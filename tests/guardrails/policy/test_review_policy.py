"""Review of the policy (compiled CEL, 15f1bbf/74e485c/baa5553): refusals, never crashes, and
no condition that fails open where cel-python's interpreter errors or matches."""

from __future__ import annotations

import pytest
from celpy.adapter import json_to_cel
from celpy.celtypes import BoolType

from guardrails import PolicyError
from guardrails.policy import Policy
from guardrails.policy._cel_values import ConditionError
from guardrails.policy._conditions import Condition
from tests.guardrails.policy.test_compiled import _decision


@pytest.mark.parametrize(
    "expires_in",
    [
        86_400_000_000_000,  # seconds past timedelta's range (hypothesis found it)
        float("inf"),
        float("nan"),
        "99999999999d",  # the string form past the range
        10**400,  # an int too big for a float
    ],
)
def test_an_out_of_range_duration_is_a_policy_error(expires_in: object) -> None:
    """Durations timedelta cannot hold are refused as PolicyError (not OverflowError)."""
    doc = {"rules": [{"name": "r", "effect": "require_approval", "tools": ["t"]}]}
    doc["rules"][0]["approval"] = {"expires_in": expires_in}  # type: ignore[index]
    with pytest.raises(PolicyError):
        Policy.from_dict(doc)


@pytest.mark.parametrize(
    ("source", "args"),
    [
        ("1 in [[1]]", {}),  # a one-element list inside a list literal is a list, not its item
        ("[[1]] == [[1]]", {}),
        ("size([[1, 2]]) == 1", {}),
        ("args.id in [['root']]", {"id": "root"}),
        ("!(args.id in [['root']])", {"id": "root"}),
        ('args.to.matches(["^admin"])', {"to": "admin@x.io"}),  # a list is not a pattern
        ('!args.to.matches(["^admin"])', {"to": "admin@x.io"}),
    ],
)
def test_nested_one_element_lists_are_lists(source: str, args: dict[str, object]) -> None:
    """The compiled closures read ``[[x]]`` as the interpreter does (not as ``[x]``)."""
    condition = Condition(source)
    assert condition.compiled
    activation = {"args": json_to_cel(args)}
    compiled = _decision(lambda: condition.evaluate(activation))
    interpreted = _decision(lambda: _interpreted(condition, activation))
    assert compiled[0] == interpreted[0]  # both decide, or both fail (and the rule denies)
    if compiled[0] == "ok":
        assert compiled == interpreted


def _interpreted(condition: Condition, activation: dict[str, object]) -> bool:
    result = condition._program.evaluate(activation)
    if isinstance(result, BoolType):
        return bool(result)
    raise ConditionError("not a boolean")
