"""A call's raw values as CEL sees them, converted to CEL types only where a condition looks.

cel-python's interpreter needs every variable converted up front (``json_to_cel`` over all the
arguments, which cost about as much as evaluating a condition). A compiled condition instead
navigates the raw JSON — ``args.amount`` reads one dict entry — and converts only the leaf it
reaches; a container it needs whole (``size``, ``in``, a comparison, a function argument) is
converted with ``json_to_cel`` itself, so every value it computes with is the interpreter's value.

Only *plain* input is left raw: exactly dict (string keys) / list / tuple / str / int in CEL's
int64 range / finite float / bool / None, nested less than :data:`MAX_DEPTH` deep — inputs on
which ``json_to_cel`` succeeds and our NaN/depth refusal passes. Anything else is refused or
converted eagerly exactly as before, so every error and denial stays what it was.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from celpy.adapter import json_to_cel
from celpy.celtypes import BoolType, DoubleType, IntType, StringType

__all__ = [
    "MAX_DEPTH",
    "ConditionError",
    "Lazy",
    "force",
    "items",
    "prepare",
    "refuse_non_finite",
    "wrap",
]

MAX_DEPTH = 200  # deeper input is refused before cel-python's recursive conversion sees it
_INT_MIN, _INT_END = -(2**63), 2**63
_UNSET: Any = object()


class ConditionError(Exception):
    """A condition failed at evaluation time; the message names the error class only (no values)."""


class Lazy:
    """A plain, already validated dict or list (or tuple) not yet converted to CEL types."""

    __slots__ = ("_cel", "raw")

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self._cel = _UNSET

    def cel(self) -> Any:
        """The ``json_to_cel`` conversion, computed once."""
        value = self._cel
        if value is _UNSET:
            value = self._cel = json_to_cel(self.raw)
        return value

    def __repr__(self) -> str:  # never the values: conditions see raw arguments
        return f"Lazy(<{type(self.raw).__name__} of {len(self.raw)}>)"


def wrap(raw: Any) -> Any:
    """One raw (plain) value reached by navigation: a scalar converted, a container deferred.

    Equal to ``json_to_cel(raw)`` for plain input (the constructors below are what it calls).
    """
    kind = type(raw)
    if kind is str:
        return str.__new__(StringType, raw)
    if kind is int:
        return int.__new__(IntType, raw)
    if kind is dict or kind is list or kind is tuple:
        return Lazy(raw)
    if kind is float:
        return float.__new__(DoubleType, raw)
    if kind is bool:
        return int.__new__(BoolType, raw)
    return json_to_cel(raw)  # None (and nothing else: plain input was checked)


def force(value: Any) -> Any:
    """The CEL value (converting a :class:`Lazy`)."""
    return value.cel() if type(value) is Lazy else value


def items(value: Any) -> Iterable[Any]:
    """What a macro iterates: a map's keys or a list's elements, as the interpreter sees them."""
    if type(value) is Lazy:
        raw = value.raw
        if type(raw) is dict:
            return [str.__new__(StringType, key) for key in raw]
        return [wrap(item) for item in raw]
    return value  # type: ignore[no-any-return]


def _plain(value: Any, depth: int) -> bool:
    """True when ``value`` is plain JSON as defined above (one pass, scalars checked inline)."""
    kind = type(value)
    if kind is dict:
        if depth >= MAX_DEPTH:
            return False
        for key in value:
            if type(key) is not str:
                return False
        children: Iterable[Any] = value.values()
    elif kind is list or kind is tuple:
        if depth >= MAX_DEPTH:
            return False
        children = value
    else:
        return _plain_scalar(value)
    for item in children:
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if _INT_MIN <= item < _INT_END:
                continue
            return False
        if kind is float:
            if item - item == 0.0:  # false for NaN and the infinities
                continue
            return False
        if not _plain(item, depth + 1):
            return False
    return True


def _plain_scalar(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(_INT_MIN <= value < _INT_END)
    if kind is float:
        return math.isfinite(value)
    return False


def refuse_non_finite(value: Any, depth: int = 0) -> None:
    """Raise ``ConditionError`` for NaN/Infinity anywhere, or for nesting deeper than the limit.

    NaN compares false with everything, so ``args.amount > 1000`` would quietly not match and a
    guarded call would fall through to a laxer rule. Such values are not JSON either: refuse.
    """
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConditionError("condition input holds NaN or Infinity")
    elif isinstance(value, Mapping):
        if depth > MAX_DEPTH:
            raise ConditionError("condition input is nested too deeply")
        for item in value.values():
            refuse_non_finite(item, depth + 1)
    elif isinstance(value, list | tuple):
        if depth > MAX_DEPTH:
            raise ConditionError("condition input is nested too deeply")
        for item in value:
            refuse_non_finite(item, depth + 1)


def prepare(value: Any) -> Any:
    """A variable's value for conditions: left raw (:class:`Lazy`) when plain, else converted.

    Raises:
        ConditionError: NaN/Infinity or too-deep nesting (callers fail closed).
        ValueError: a value ``json_to_cel`` cannot convert (an int outside int64, an object).
    """
    if type(value) is dict and _plain(value, 0):
        return Lazy(value)
    refuse_non_finite(value)
    return json_to_cel(value)
