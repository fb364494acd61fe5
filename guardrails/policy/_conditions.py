"""Rule conditions in CEL (Common Expression Language), via cel-python's tree-walking interpreter.

Why CEL: it is a standard, side-effect-free, non-Turing-complete expression language used for exactly
this job in Kubernetes admission policies, Envoy RBAC and Google IAM conditions; expressions cannot
loop forever, import, or call anything we did not register. Why the interpreted runner: cel-python's
``CompiledRunner`` transpiles the expression to Python source and ``exec``-s it (about 4x faster),
which reintroduces the code-generation surface we chose CEL to avoid; a tool call already costs
milliseconds, so the interpreter's cost (see ``benchmarks/policy.py``) is acceptable.

Variables visible to a condition: ``args`` (the raw, restored arguments — never shown to anyone),
``tool`` (``name``, ``tags``, ``metadata``), ``requester`` (``id``, ``kind``, ``groups``, ``roles``),
``context`` (thread/run ids and whatever the integration adds) and ``lists`` (the policy's named
constants, e.g. an allowlist).

Helper functions (plain Python, pure, registered per program): ``email_domain(s)`` (the lower-cased
part after the last ``@``, or ``""``) and ``url_host(s)`` (the lower-cased host of a URL, or ``""``).
``!(email_domain(args.to) in lists.allowed_domains)`` costs a fraction of the equivalent
``exists`` macro, which cel-python's interpreter evaluates element by element.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import celpy
import lark
from celpy import celtypes
from celpy.adapter import json_to_cel
from celpy.celparser import CELParseError

from guardrails._errors import ConfigurationError, PolicyError

__all__ = [
    "FUNCTIONS",
    "VARIABLES",
    "Condition",
    "ConditionError",
    "LazyActivation",
    "cel_value",
    "to_activation",
]

VARIABLES = ("args", "tool", "requester", "context", "lists")
_MAX_DEPTH = 200  # deeper input is refused before cel-python's recursive conversion sees it

# cel-python logs evaluation errors and traces *with the argument values in them* (DEBUG for the
# interpreter, ERROR for the transpiler). Conditions see raw restored values, so those records must
# never reach the host's handlers: the "celpy" logger tree is cut off here. This is the one logger
# we touch, and only to keep sensitive values out of logs; our own errors carry class names only.
_celpy_log = logging.getLogger("celpy")
_celpy_log.addHandler(logging.NullHandler())
_celpy_log.propagate = False
_celpy_log.setLevel(logging.CRITICAL + 1)


class _SharedActivationRunner(celpy.InterpretedRunner):
    """The interpreted runner, with its base activation (built-in annotations) built once.

    cel-python rebuilds that activation — every well-known protobuf type name — on each
    evaluation, about a quarter of the cost of a simple condition. Evaluation only layers the
    call's variables on top of it and never writes to it, so one per program is shared.
    """

    _base: Any = None

    def new_activation(self) -> Any:
        if self._base is None:
            self._base = super().new_activation()
        return self._base


_ENV = celpy.Environment(runner_class=_SharedActivationRunner)


def _email_domain(value: Any) -> celtypes.StringType:
    if not isinstance(value, str):
        raise TypeError("email_domain() needs a string")
    return celtypes.StringType(value.rpartition("@")[2].lower() if "@" in value else "")


def _url_host(value: Any) -> celtypes.StringType:
    if not isinstance(value, str):
        raise TypeError("url_host() needs a string")
    try:
        host = urlsplit(value).hostname or ""
    except ValueError:  # e.g. an invalid IPv6 literal: no host rather than an error
        host = ""
    return celtypes.StringType(host.lower())


FUNCTIONS: dict[str, Any] = {"email_domain": _email_domain, "url_host": _url_host}


class ConditionError(Exception):
    """A condition failed at evaluation time; the message names the error class only (no values)."""


class Condition:
    """One compiled CEL condition. Compiled once at load; :meth:`evaluate` per call.

    Example:
        >>> c = Condition("args.amount > 1000 && !(args.to in lists.allowed)")
        >>> c.evaluate(to_activation(args={"amount": 5000, "to": "x"}, lists={"allowed": ["y"]}))
        True
    """

    __slots__ = ("_program", "source", "variables")

    def __init__(self, source: str, *, where: str = "<condition>", origin: str = "<dict>") -> None:
        if not isinstance(source, str) or not source.strip():
            raise PolicyError("a condition must be a non-empty CEL string", source=origin)
        self.source = source
        try:
            ast = _ENV.compile(source)
            self._program = _ENV.program(ast, functions=FUNCTIONS)
            # Which of args/tool/requester/context/lists the expression names: converting the
            # others to CEL values would be wasted work (conversion costs as much as evaluation).
            self.variables = frozenset(
                t.value
                for t in ast.scan_values(lambda t: isinstance(t, lark.Token) and t.type == "IDENT")
                if t.value in VARIABLES
            )
        except CELParseError as exc:
            line = getattr(exc, "line", None)
            col = getattr(exc, "column", None)
            pos = f" (expression line {line}, column {col})" if line is not None else ""
            raise PolicyError(
                f"condition is not valid CEL{pos}", source=origin, location=where, field="when"
            ) from exc
        except Exception as exc:  # lark internals: still a policy problem, not a crash
            raise PolicyError(
                f"condition could not be compiled ({type(exc).__name__})",
                source=origin,
                location=where,
                field="when",
            ) from exc

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"

    def evaluate(self, activation: Mapping[str, Any]) -> bool:
        """Evaluate against an activation built by :func:`to_activation`.

        Raises:
            ConditionError: the expression errored (missing field, type mismatch, ...) or did not
                return a boolean. Callers fail closed.
        """
        try:
            result = self._program.evaluate(dict(activation))
        except Exception as exc:
            # CEL error texts can quote argument values; keep only the class name.
            raise ConditionError(f"condition failed: {type(exc).__name__}") from None
        if isinstance(result, celtypes.BoolType | bool):
            return bool(result)
        raise ConditionError(f"condition returned {type(result).__name__}, not a boolean")


def cel_value(value: Any) -> Any:
    """A JSON-like value converted to CEL types (for constants converted once).

    Raises:
        ConfigurationError: a number outside CEL's 64-bit range (a policy error, not a crash).
    """
    try:
        return json_to_cel(value)
    except (ValueError, OverflowError):
        raise ConfigurationError("a constant is outside CEL's 64-bit number range") from None


def _refuse_non_finite(value: Any, depth: int) -> None:
    # NaN compares false with everything, so ``args.amount > 1000`` would quietly not match and a
    # guarded call would fall through to a laxer rule. Such values are not JSON either: refuse.
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConditionError("condition input holds NaN or Infinity")
    elif isinstance(value, Mapping):
        if depth > _MAX_DEPTH:
            raise ConditionError("condition input is nested too deeply")
        for item in value.values():
            _refuse_non_finite(item, depth + 1)
    elif isinstance(value, list | tuple):
        if depth > _MAX_DEPTH:
            raise ConditionError("condition input is nested too deeply")
        for item in value:
            _refuse_non_finite(item, depth + 1)


class LazyActivation:
    """The activation of one call, converting each variable to CEL only when a condition names it.

    Example:
        >>> act = LazyActivation({"args": lambda: {"amount": 5}})
        >>> Condition("args.amount > 1").evaluate(act.for_condition(Condition("args.amount > 1")))
        True
    """

    __slots__ = ("_done", "_sources")

    def __init__(self, sources: Mapping[str, Any]) -> None:
        self._sources = sources
        self._done: dict[str, Any] = {}

    def for_condition(self, condition: Condition) -> dict[str, Any]:
        """The activation with (at least) every variable ``condition`` uses."""
        for name in condition.variables:
            if name not in self._done:
                source = self._sources.get(name)
                value = source() if source is not None else {}
                if name != "lists":
                    _refuse_non_finite(value, 0)
                self._done[name] = value if name == "lists" else json_to_cel(value)
        return self._done


def to_activation(
    *,
    args: Mapping[str, Any] | None = None,
    tool: Mapping[str, Any] | None = None,
    requester: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
    lists: Mapping[str, Any] | None = None,
    cel_lists: Any = None,
) -> dict[str, Any]:
    """Convert plain JSON-like values into the CEL activation every condition of a call shares.

    ``cel_lists`` is ``lists`` already converted (a policy converts its constants once).
    """
    return {
        "args": json_to_cel(dict(args or {})),
        "tool": json_to_cel(dict(tool or {"name": "", "tags": [], "metadata": {}})),
        "requester": json_to_cel(
            dict(requester or {"id": "", "kind": "anonymous", "groups": [], "roles": []})
        ),
        "context": json_to_cel(dict(context or {})),
        "lists": cel_lists if cel_lists is not None else json_to_cel(dict(lists or {})),
    }
