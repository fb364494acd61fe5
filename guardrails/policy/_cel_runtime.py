"""What compiled CEL closures call at evaluation time: errors, ``in``, calls, macros, literals.

Each piece reproduces the corresponding part of ``celpy.evaluation`` (named in its comment),
minus the debug logging that formats argument values; see :mod:`guardrails.policy._cel_compile`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celpy.celtypes import (
    BoolType,
    DoubleType,
    IntType,
    ListType,
    UintType,
    logical_and,
    logical_or,
)
from celpy.evaluation import CELEvalError, celbytes, celstr

from guardrails.policy._cel_values import force, items

__all__ = [
    "ERROR_LITERAL",
    "FALSE",
    "MACRO_BUILDERS",
    "TRUE",
    "Fallback",
    "Fn",
    "Unsupported",
    "call",
    "call_checked",
    "error",
    "literal_value",
    "operator_in",
]

Fn = Callable[[list[Any]], Any]  # a closure: the evaluation frame (variables, macro slots) -> value

TRUE = BoolType(True)
FALSE = BoolType(False)
_CALL_ERRORS = (ValueError, TypeError, AttributeError)  # Evaluator.function_eval / method_eval
ERROR_LITERAL: Any = object()  # a literal the interpreter turns into an error value (ValueError)


class Unsupported(Exception):
    """The expression uses something the compiler does not cover: keep the interpreter."""


class Fallback(Exception):
    """At evaluation: a value the closures do not model; evaluate this call with the interpreter."""


def error(what: str) -> CELEvalError:
    # A fresh error value each time (they are exceptions: never share one between threads).
    return CELEvalError(what)


def operator_in(item: Any, container: Any) -> Any:
    # celpy.evaluation.operator_in without its debug logging (which formats the values).
    if isinstance(item, CELEvalError):
        return item
    if isinstance(container, CELEvalError):
        return container
    result: Any = FALSE
    for candidate in container:
        try:
            if candidate == item:
                return TRUE
        except TypeError:
            result = error("no such overload")
    return result


def literal_value(token: Any) -> Any:
    """The interpreter's ``literal`` node, computed once; a ValueError is its error value."""
    kind, text = token.type, token.value
    try:
        if kind == "FLOAT_LIT":
            return DoubleType(text)
        if kind == "INT_LIT":
            return IntType(text)
        if kind == "UINT_LIT" and text[-1].lower() == "u":
            return UintType(text[:-1])
        if kind in ("MLSTRING_LIT", "STRING_LIT"):
            return celstr(token)
        if kind == "BYTES_LIT":
            return celbytes(token)
        if kind == "BOOL_LIT":
            return BoolType(text.lower() == "true")
        if kind == "NULL_LIT":
            return None
    except ValueError:
        return ERROR_LITERAL
    raise Unsupported(kind)


def call(function: Any, values: list[Any]) -> Any:
    try:
        return function(*values)
    except _CALL_ERRORS:
        return error("function failed")


def call_checked(function: Any, values: list[Any]) -> Any:
    for v in values:
        if isinstance(v, CELEvalError):
            return v
    return call(function, values)


# -- macro evaluation (celpy.evaluation.Evaluator.member_dot_arg) ----------------------------


def _map(get: Fn, body: Fn, slot: int) -> Fn:
    def run(frame: list[Any]) -> Any:
        target = get(frame)
        if isinstance(target, CELEvalError):
            return target
        out = []
        for item in items(target):
            frame[slot] = item
            value = body(frame)
            if isinstance(value, CELEvalError):
                raise value  # the interpreter's nested evaluation raises it too
            out.append(value)
        return ListType(out)

    return run


def _filter(get: Fn, body: Fn, slot: int) -> Fn:
    def run(frame: list[Any]) -> Any:
        target = get(frame)
        if isinstance(target, CELEvalError):
            return target
        out = []
        for item in items(target):
            frame[slot] = item
            value = body(frame)
            if isinstance(value, CELEvalError):
                raise value
            if value:
                out.append(force(item))
        return ListType(out)

    return run


def _exists_one(get: Fn, body: Fn, slot: int) -> Fn:
    def run(frame: list[Any]) -> Any:
        target = get(frame)
        if isinstance(target, CELEvalError):
            return target
        count = 0
        for item in items(target):
            frame[slot] = item
            value = body(frame)
            if isinstance(value, CELEvalError):
                raise value
            if value:
                count += 1
        return BoolType(count == 1)

    return run


def _fold(start: Any, op: Callable[[Any, Any], Any]) -> Callable[[Fn, Fn, int], Fn]:
    def build(get: Fn, body: Fn, slot: int) -> Fn:
        def run(frame: list[Any]) -> Any:
            target = get(frame)
            if isinstance(target, CELEvalError):
                return target
            result = start
            for item in items(target):  # every element, no short cut: as the interpreter
                frame[slot] = item
                try:
                    value = body(frame)
                except CELEvalError as exc:  # raised by a nested map/filter/exists_one
                    value = exc
                try:
                    result = op(result, value)
                except TypeError:
                    result = error("no such overload")
            return result

        return run

    return build


MACRO_BUILDERS: dict[str, Callable[[Fn, Fn, int], Fn]] = {
    "map": _map,
    "filter": _filter,
    "exists_one": _exists_one,
    "exists": _fold(FALSE, logical_or),
    "all": _fold(TRUE, logical_and),
}
