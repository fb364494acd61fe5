"""Compiled conditions answer exactly what cel-python's interpreter answers.

Differential properties over random values (wrong types, missing keys, ints beyond int64, NaN,
unicode, non-JSON objects) for every condition in our tests, docs, benchmarks and examples and
one per construct the compiler covers, at both layers: the condition on CEL values, and the policy
path that leaves plain arguments raw and converts only what a condition reads.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from types import MappingProxyType
from typing import Any

import pytest
from celpy.adapter import json_to_cel
from celpy.celtypes import BoolType
from celpy.evaluation import CELEvalError
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from guardrails import PolicyError
from guardrails.policy import Policy, Rule, ToolCall
from guardrails.policy._cel_values import _UNSET, ConditionError, Lazy, force, refuse_non_finite
from guardrails.policy._conditions import Condition, LazyActivation
from tests.guardrails.policy._cel_cases import FEATURES, INTERPRETED, written_conditions

LISTS = {
    "allowed_domains": ["example.com", "partner.io"],
    "sensitive_tables": ["salaries", "ssn_registry"],
    "hosts": ["api.example.com"],
    "allowed": ["y", "bob@partner.io"],
    "ok": ["example.com"],
}
CEL_LISTS = json_to_cel(LISTS)


def _valid(source: str) -> bool:
    try:
        Condition(source)
    except PolicyError:
        return False  # e.g. the syntax-error example in the loading tests
    return True


WRITTEN = [c for c in written_conditions() if _valid(c)]
CONDITIONS = FEATURES + WRITTEN


@cache
def _condition(source: str) -> Condition:
    return Condition(source)


# -- values ------------------------------------------------------------------------------------

_ints = st.integers() | st.sampled_from(
    [0, 1, 2, 3, 5, 7, 1000, 1001, 2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 2**64]
)
_floats = st.floats() | st.sampled_from([0.0, -0.0, 2.5, 1000.5, 3.0])
_texts = st.text(max_size=10) | st.sampled_from(
    [
        "bob@partner.io",
        "Ann@Corp.IO",
        "x@evil.com",
        "a",
        "ax",
        "abc",
        "t-1",
        "3",
        "https://API.example.com:8443/x",
        "http://[::1",
        "a@b@example.com",
        "^b",
        "(",
        "ä@ü.de",
        "aaaaaaaaab",
        "salaries",
    ]
)
_keys = st.sampled_from(["a", "b", "k", "deep"]) | st.text(max_size=3)


def _json(scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda c: st.lists(c, max_size=4) | st.dictionaries(_keys, c, max_size=3),
        max_leaves=8,
    )


class _Str(str):
    """A str subclass: not plain JSON, converted eagerly."""


_HOSTILE = st.sampled_from(
    [
        b"\xff",
        frozenset({1}),
        (1, "a"),
        MappingProxyType({"a": 1}),
        datetime(2024, 1, 1),
        timedelta(seconds=5),
        object(),
        float("nan"),
        float("inf"),
        2**70,
        {1: "a"},
        {True: 1},
        _Str("x"),
    ]
)


def _values(scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    anything = _json(scalars)
    shaped_x = st.sampled_from([{"a": {"b": 1}}, {"a": 1}, {"a": 2, "b": 3}, "abc", [1, "a"]])
    args = st.fixed_dictionaries(
        {},
        optional={
            "amount": _ints | _floats | anything,
            "to": _texts | anything,
            "s": _texts | anything,
            "x": shaped_x | anything,
            "items": st.lists(_ints | _texts | scalars, max_size=5) | anything,
            "table": _texts,
            "flag": st.booleans() | anything,
            "url": _texts,
            "a": anything,
        },
    )
    tool = st.fixed_dictionaries(
        {
            "name": st.sampled_from(["wire", "send_email"]),
            "tags": st.lists(st.sampled_from(["deploy", "privileged"]), max_size=2),
            "metadata": st.dictionaries(st.just("env"), st.just("prod") | anything, max_size=1),
        }
    )
    requester = st.fixed_dictionaries(
        {
            "id": st.sampled_from(["", "alice"]),
            "kind": st.sampled_from(["human", "agent"]),
            "groups": st.lists(st.sampled_from(["interns", "sales"]), max_size=2),
            "roles": st.just([]),
        }
    )
    context = st.fixed_dictionaries({}, optional={"thread_id": _texts | anything})
    return st.fixed_dictionaries(
        {"args": args, "tool": tool, "requester": requester, "context": context}
    )


_PLAIN = st.none() | st.booleans() | _ints | _floats | _texts
_SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- outcomes ----------------------------------------------------------------------------------


def _outcome(run: Callable[[], Any]) -> tuple[Any, ...]:
    """An evaluation's value (type and repr) or, for any error value or exception, ``error``."""
    try:
        value = force(run())
    except Exception:
        return ("error",)
    if isinstance(value, CELEvalError):
        return ("error",)
    return ("value", type(value).__name__, repr(value))


def _decision(run: Callable[[], bool]) -> tuple[Any, ...]:
    try:
        return ("ok", run())
    except Exception as exc:
        return ("error", type(exc).__name__)


def _legacy(condition: Condition, values: dict[str, Any]) -> bool:
    """The policy path before compilation: convert every named variable, then interpret."""
    activation = {}
    for name in condition.variables:
        if name == "lists":
            activation[name] = CEL_LISTS
            continue
        value = values.get(name, {})
        refuse_non_finite(value)
        activation[name] = json_to_cel(value)
    try:
        result = condition._program.evaluate(dict(activation))
    except Exception as exc:
        raise ConditionError(type(exc).__name__) from None
    if isinstance(result, BoolType | bool):
        return bool(result)
    raise ConditionError("not a boolean")


# -- properties --------------------------------------------------------------------------------


@pytest.mark.parametrize("source", CONDITIONS)
@_SETTINGS
@given(values=_values(_PLAIN))
def test_compiled_equals_interpreter_on_cel_values(source: str, values: dict[str, Any]) -> None:
    """On the same CEL activation, the closures return the interpreter's value or error."""
    condition = _condition(source)
    assert condition.compiled
    try:
        activation = {name: json_to_cel(value) for name, value in values.items()}
    except (ValueError, OverflowError):
        assume(False)  # an int outside int64 is not a CEL value
    activation["lists"] = CEL_LISTS
    expected = _outcome(lambda: condition._program.evaluate(activation))
    assert condition._compiled is not None
    compiled = condition._compiled
    actual = _outcome(lambda: compiled(condition._frame(activation)))
    assert actual == expected


@pytest.mark.parametrize("source", CONDITIONS)
@_SETTINGS
@given(values=_values(_PLAIN | _HOSTILE))
def test_policy_path_equals_interpreted_path(source: str, values: dict[str, Any]) -> None:
    """Raw arguments read lazily decide exactly as converting everything and interpreting did."""
    condition = _condition(source)
    sources: dict[str, Any] = {name: (lambda v=value: v) for name, value in values.items()}
    sources["lists"] = lambda: CEL_LISTS
    new = _decision(lambda: condition.evaluate(LazyActivation(sources).for_condition(condition)))
    assert new == _decision(lambda: _legacy(condition, values))


def test_every_written_condition_is_compiled() -> None:
    """Each condition in our tests, docs, benchmarks and examples runs as compiled closures."""
    assert WRITTEN, "the scan found no conditions"
    assert [c for c in CONDITIONS if not _condition(c).compiled] == []


@pytest.mark.parametrize("source", INTERPRETED)
def test_outside_the_subset_keeps_the_interpreter(source: str) -> None:
    """Constructs the compiler does not cover are interpreted, not approximated."""
    condition = Condition(source)
    assert not condition.compiled
    activation = {"args": json_to_cel({"x": {"a": 1}, "amount": 5, "items": [2, 3]})}
    expected = _outcome(lambda: condition._program.evaluate(activation))
    assert _decision(lambda: condition.evaluate(activation))[0] == (
        "error" if expected == ("error",) or expected[1] != "BoolType" else "ok"
    )


# -- targeted error cases ----------------------------------------------------------------------

_POLICY = Policy.from_yaml(
    """
lists:
  allowed_domains: ["example.com", "partner.io"]
rules:
  - {name: big, tools: [wire], when: "args.amount > 1000", effect: require_approval}
  - name: outside
    tools: [send]
    when: '!lists.allowed_domains.exists(d, args.to.endsWith("@" + d))'
    effect: require_approval
  - {name: sum, tools: [add], when: "args.a + args.b > 0", effect: allow}
  - {name: div, tools: [div], when: "args.a / args.b > 0", effect: allow}
  - {name: lenient, tools: [either], when: "args.flag || args.missing > 1", effect: deny}
"""
)


@pytest.mark.parametrize(
    ("name", "args", "effect", "error"),
    [
        ("wire", {"amount": 5000}, "require_approval", False),  # matches
        ("wire", {"amount": 10}, "allow", False),  # does not match
        ("wire", {}, "deny", True),  # missing field: an error, denied
        ("wire", {"amount": "5000"}, "deny", True),  # string vs int: no such overload
        ("wire", {"amount": 2**63}, "deny", True),  # outside int64: not a CEL value
        ("wire", {"amount": float("nan")}, "deny", True),  # NaN is refused, never "not greater"
        ("wire", {"amount": 1000.5}, "require_approval", False),  # double vs int compares
        # cel-python orders a bool as the int 1 (the CEL spec says no overload): kept as the
        # interpreter does, a known deviation documented in docs/policy.md
        ("wire", {"amount": True}, "allow", False),
        ("send", {"to": "a@partner.io"}, "allow", False),  # inside the allowlist
        ("send", {"to": "a@evil.io"}, "require_approval", False),  # outside
        ("send", {"to": 42}, "deny", True),  # endsWith on an int: error inside exists, denied
        ("add", {"a": 2**63 - 1, "b": 1}, "deny", True),  # int64 overflow is an error
        ("add", {"a": -1, "b": 5}, "allow", False),  # ordinary sum
        ("div", {"a": 1, "b": 0}, "deny", True),  # integer division by zero is an error
        ("div", {"a": 1.0, "b": 0.0}, "allow", False),  # double division by zero is +inf
        ("either", {"flag": True}, "deny", False),  # true || error is true (commutative)
        ("either", {"flag": False}, "deny", True),  # false || error is the error: denied
    ],
)
def test_error_cases_fail_closed(name: str, args: dict[str, Any], effect: str, error: bool) -> None:
    """CEL's error rules hold on the compiled path, and every error denies."""
    decision = _POLICY.evaluate(ToolCall(name=name, args=args))
    assert (decision.effect, decision.error is not None) == (effect, error)
    assert all(rule.condition is not None and rule.condition.compiled for rule in _POLICY.rules)


def test_no_eval_exec_or_compile_anywhere() -> None:
    """Building and evaluating conditions never calls eval, exec or compile."""
    calls: list[str] = []
    saved = {name: getattr(builtins, name) for name in ("eval", "exec", "compile")}

    def forbid(name: str) -> Callable[..., Any]:
        def forbidden(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return saved[name](*args, **kwargs)

        return forbidden

    activation = {"args": json_to_cel({"amount": 5000, "items": ["b", "ab"]})}
    try:
        for name in saved:
            setattr(builtins, name, forbid(name))
        condition = Condition('args.amount > 1000 && args.items.exists(i, i.matches("^a"))')
        result = condition.evaluate(activation)
    finally:
        for name, original in saved.items():
            setattr(builtins, name, original)
    assert (condition.compiled, result, calls) == (True, True, [])


def test_matches_stays_linear_time() -> None:
    """``matches`` runs on RE2: a pattern that backtracks exponentially elsewhere is instant."""
    p = Policy(rules=(Rule(name="r", effect="deny", when='args.s.matches("^(a+)+$")'),))
    started = time.perf_counter()
    decision = p.evaluate(ToolCall(name="t", args={"s": "a" * 50_000 + "!"}))
    assert decision.effect == "allow"
    assert time.perf_counter() - started < 2  # backtracking engines take hours here


def test_large_raw_arguments_are_not_converted_to_read_one_field() -> None:
    """A condition reading one field leaves the rest of the arguments raw."""
    condition = Condition("args.amount > 1")
    rows = [{"id": i, "name": "x" * 10} for i in range(2000)]
    activation = LazyActivation({"args": lambda: {"amount": 5, "rows": rows}})
    values = activation.for_condition(condition)
    assert condition.evaluate(values) is True
    assert isinstance(values["args"], Lazy)
    assert values["args"]._cel is _UNSET  # never converted: only "amount" was read
