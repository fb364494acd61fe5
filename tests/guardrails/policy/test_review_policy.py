"""Review of the policy (compiled CEL, 15f1bbf/74e485c/baa5553): refusals, never crashes, and
no condition that fails open where cel-python's interpreter errors or matches."""

from __future__ import annotations

from typing import Any

import pytest
from celpy.adapter import json_to_cel
from celpy.celtypes import BoolType
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from guardrails import PolicyError
from guardrails.policy import Policy
from guardrails.policy._cel_values import ConditionError
from guardrails.policy._conditions import Condition, LazyActivation
from tests.guardrails.policy.test_compiled import (
    _HOSTILE,
    _PLAIN,
    CEL_LISTS,
    _decision,
    _legacy,
    _outcome,
    _values,
)


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


# -- random expressions: the gap in the differential test --------------------------------------
# test_compiled checks a fixed list of conditions against random values; random *expressions*
# over the covered constructs find what no one wrote down (the nested-list folding above).

_LITERALS = st.sampled_from(
    [
        "0", "1", "-1", "3", "1000", "9223372036854775807", "-9223372036854775808",
        "18446744073709551615u", "0u", "5u", "2.5", "-0.0", "1e3", "1.0", '"a"', '""', '"abc"',
        '"A"', "'x@evil.com'", '"\\u00e4"', 'b"a"', 'b""', "true", "false", "null", "[]",
        "[1, 2]", '["a", "b"]', "[1, 'a', 2.0]", "[true]", "[null]", "[[1]]", '[["a"]]', "[(1)]",
        "(((1)))", "0x10", "0x10u", '"\\x41"', 'r"a\\d"', "-0", "[1u]", "[2.0, 2]", "[[]]",
        '["bob@partner.io"]', "9223372036854775808",
    ]
)  # fmt: skip
_NAMES = st.sampled_from(
    [
        "args", "args.amount", "args.to", "args.s", "args.x", "args.items", "args.flag",
        "args.a", "args.missing", "args.x.a", "args.x.a.b", 'args["amount"]', "args.items[0]",
        "args.items[-1]", "requester.groups", "requester.id", "tool.tags", "tool.name",
        "tool.metadata", "tool.metadata.env", "context.thread_id", "lists.allowed",
        "lists.missing", "context", "args.url", "args.table", 'args.x["a"]', "v",
    ]
)  # fmt: skip


def _expressions(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return _LITERALS | _NAMES
    sub = st.deferred(lambda: _expressions(depth - 1))
    ops = st.sampled_from(["+", "-", "*", "/", "%", "<", "<=", ">", ">=", "==", "!=", "in", "&&", "||"])  # fmt: skip
    functions = st.sampled_from(["size", "int", "uint", "double", "string", "bytes", "dyn", "email_domain", "url_host"])  # fmt: skip
    methods = st.sampled_from(["startsWith", "endsWith", "contains", "matches"])
    macros = st.sampled_from(["all", "exists", "exists_one", "map", "filter"])
    patterns = st.sampled_from(['"^a"', '"a+"', '"[a-z]+@x"', '"("', '""', '"(?i)A"'])
    return st.one_of(
        _LITERALS,
        _NAMES,
        st.builds("{}({})".format, st.sampled_from(["!", "-", "!!"]), sub),
        st.builds("({}) {} ({})".format, sub, ops, sub),
        st.builds("({}) ? ({}) : ({})".format, sub, sub, sub),
        st.builds("{}({})".format, functions, sub),
        st.builds("({}).size()".format, sub),
        st.builds("({}).{}({})".format, sub, methods, sub),
        st.builds("({}).matches({})".format, sub, patterns),
        st.builds(
            "has({})".format,
            st.sampled_from(["args.x", "args.x.a", "args.missing", "tool.metadata.env"]),
        ),
        st.builds("({})[{}]".format, sub, sub),
        st.builds("({}).{}(v, {})".format, sub, macros, sub),
        st.builds("[{}, {}]".format, sub, sub),
        st.builds("[{}]".format, sub),
        st.builds("({}).{}".format, sub, st.sampled_from(["a", "b", "amount", "env"])),
    )


def _compiled_condition(source: str) -> Condition:
    try:
        condition = Condition(source)
    except PolicyError:
        assume(False)
    assume(condition.compiled)
    return condition


_FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


@_FUZZ
@given(source=_expressions(3), values=_values(_PLAIN))
def test_random_expressions_compile_to_the_interpreters_answers(
    source: str, values: dict[str, Any]
) -> None:
    """Any expression of the covered subset: the closures return the interpreter's value."""
    condition = _compiled_condition(source)
    try:
        activation = {name: json_to_cel(value) for name, value in values.items()}
    except (ValueError, OverflowError):
        assume(False)
    activation["lists"] = CEL_LISTS
    compiled = condition._compiled
    assert compiled is not None
    expected = _outcome(lambda: condition._program.evaluate(activation))
    assert _outcome(lambda: compiled(condition._frame(activation))) == expected


@_FUZZ
@given(source=_expressions(3), values=_values(_PLAIN | _HOSTILE))
def test_random_expressions_decide_as_the_interpreted_policy_path(
    source: str, values: dict[str, Any]
) -> None:
    """Any expression, raw (even hostile) arguments: the same decision or the same refusal."""
    condition = _compiled_condition(source)
    sources: dict[str, Any] = {name: (lambda v=value: v) for name, value in values.items()}
    sources["lists"] = lambda: CEL_LISTS
    new = _decision(lambda: condition.evaluate(LazyActivation(sources).for_condition(condition)))
    assert new == _decision(lambda: _legacy(condition, values))
