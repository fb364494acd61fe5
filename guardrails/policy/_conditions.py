"""Rule conditions in CEL (Common Expression Language), compiled once into Python closures.

Why CEL: it is a standard, side-effect-free, non-Turing-complete expression language used for exactly
this job in Kubernetes admission policies, Envoy RBAC and Google IAM conditions; expressions cannot
loop forever, import, or call anything we did not register. We parse with cel-python and compile
its parse tree into a tree of Python closures (:mod:`guardrails.policy._cel_compile`): no source is
generated and nothing is ``eval``-ed or ``exec``-ed (cel-python's own ``CompiledRunner`` transpiles
to Python source and ``exec``-s it, the code-generation surface we chose CEL to avoid). The closures
reproduce cel-python's interpreter node by node; an expression outside the covered subset keeps
the interpreter, and a property test holds both to the same answers.

Variables visible to a condition: ``args`` (the raw, restored arguments — never shown to anyone),
``tool`` (``name``, ``tags``, ``metadata``), ``requester`` (``id``, ``kind``, ``groups``, ``roles``),
``context`` (thread/run ids and whatever the integration adds) and ``lists`` (the policy's named
constants, e.g. an allowlist).

Helper functions (plain Python, pure, registered per program): ``email_domain(s)`` (the lower-cased
part after the last ``@``, or ``""``) and ``url_host(s)`` (the lower-cased host of a URL, or ``""``).

Limits, refused at load with a :class:`~guardrails.PolicyError`: :data:`MAX_CONDITION_LENGTH`
characters and a parse tree :data:`MAX_CONDITION_DEPTH` deep (about 20 nested parentheses, or a
chain of about 190 ``||`` terms), which keeps every recursive walk far from Python's recursion limit.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import celpy
import lark
from celpy import celtypes
from celpy.adapter import json_to_cel
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError

from guardrails._errors import ConfigurationError, PolicyError
from guardrails.policy._cel_compile import Fallback, Fn, compile_tree
from guardrails.policy._cel_values import ConditionError, force, prepare

__all__ = [
    "FUNCTIONS",
    "MAX_CONDITION_DEPTH",
    "MAX_CONDITION_LENGTH",
    "VARIABLES",
    "Condition",
    "ConditionError",
    "LazyActivation",
    "cel_value",
    "to_activation",
]

VARIABLES = ("args", "tool", "requester", "context", "lists")  # frame order: see Condition._frame
_VARIABLE_SET = frozenset(VARIABLES)
_NVARS = len(VARIABLES)
_BOOL = celtypes.BoolType
MAX_CONDITION_LENGTH = 4096
MAX_CONDITION_DEPTH = 200
_MISSING: Any = object()

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


# celpy.Environment() sets the process recursion limit to 2,500 (the interpreter recurses a few
# frames per parse-tree level); never lower a limit the host raised further.
_host_limit = sys.getrecursionlimit()
_ENV = celpy.Environment(runner_class=_SharedActivationRunner)
sys.setrecursionlimit(max(_host_limit, sys.getrecursionlimit()))


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


class Condition:
    """One CEL condition, compiled once at load; :meth:`evaluate` per call.

    Compiled to Python closures (:mod:`guardrails.policy._cel_compile`) when the expression stays
    in the covered subset — :attr:`compiled` says so — otherwise run by cel-python's interpreter;
    both give the same results.

    Example:
        >>> c = Condition("args.amount > 1000 && !(args.to in lists.allowed)")
        >>> c.evaluate(to_activation(args={"amount": 5000, "to": "x"}, lists={"allowed": ["y"]}))
        True
        >>> c.compiled
        True
    """

    __slots__ = ("_compiled", "_program", "_slots", "_used", "source", "variables")

    def __init__(self, source: str, *, where: str = "<condition>", origin: str = "<dict>") -> None:
        if not isinstance(source, str) or not source.strip():
            raise PolicyError("a condition must be a non-empty CEL string", source=origin)
        if len(source) > MAX_CONDITION_LENGTH:
            raise PolicyError(
                f"condition is {len(source)} characters long; the limit is "
                f"{MAX_CONDITION_LENGTH} (put long value lists under 'lists')",
                source=origin,
                location=where,
                field="when",
            )
        self.source = source
        try:
            ast = _ENV.compile(source)
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
        depth, names = _shape(ast)
        if depth > MAX_CONDITION_DEPTH:
            raise PolicyError(
                f"condition is nested too deeply (parse tree depth {depth}; the limit is "
                f"{MAX_CONDITION_DEPTH}): split it into several rules",
                source=origin,
                location=where,
                field="when",
            )
        # Which of args/tool/requester/context/lists the expression names: converting the
        # others to CEL values would be wasted work.
        self.variables = frozenset(names & _VARIABLE_SET)
        self._used = tuple(i for i, name in enumerate(VARIABLES) if name in self.variables)
        self._program = _ENV.program(ast, functions=FUNCTIONS)
        try:
            self._compiled: Fn | None
            self._compiled, self._slots = compile_tree(ast, FUNCTIONS, VARIABLES)
        except Exception:  # Unsupported (or a shape the compiler does not expect): interpret
            self._compiled, self._slots = None, 0

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"

    @property
    def compiled(self) -> bool:
        """True when the expression runs as compiled closures, False when interpreted."""
        return self._compiled is not None

    def evaluate(self, activation: Mapping[str, Any]) -> bool:
        """Evaluate against an activation from :func:`to_activation` or :class:`LazyActivation`.

        Raises:
            ConditionError: the expression errored (missing field, type mismatch, ...) or did not
                return a boolean. Callers fail closed.
        """
        try:
            if self._compiled is not None and activation.keys() <= _VARIABLE_SET:
                try:
                    result = self._compiled(self._frame(activation))
                except Fallback:
                    result = self._interpret(activation)
            else:
                result = self._interpret(activation)
        except Exception as exc:
            # CEL error texts can quote argument values; keep only the class name.
            raise ConditionError(f"condition failed: {type(exc).__name__}") from None
        if result.__class__ is _BOOL:
            return bool(result)
        if isinstance(result, CELEvalError):
            raise ConditionError("condition failed: CELEvalError")
        if isinstance(result, celtypes.BoolType | bool):
            return bool(result)
        raise ConditionError(f"condition returned {type(result).__name__}, not a boolean")

    def _frame(self, activation: Mapping[str, Any]) -> list[Any]:
        get = activation.get
        frame = [
            get("args", _MISSING),
            get("tool", _MISSING),
            get("requester", _MISSING),
            get("context", _MISSING),
            get("lists", _MISSING),
        ]
        for i in self._used:
            if frame[i] is _MISSING:  # what the interpreter makes of an unbound name
                frame[i] = CELEvalError("undeclared reference")
        if self._slots > _NVARS:
            frame.extend([None] * (self._slots - _NVARS))
        return frame

    def _interpret(self, activation: Mapping[str, Any]) -> Any:
        return self._program.evaluate({k: force(v) for k, v in activation.items()})


def _shape(ast: lark.Tree[Any]) -> tuple[int, set[str]]:
    """Depth of the parse tree and the identifiers it names, without recursion."""
    depth, names = 0, set()
    stack: list[tuple[Any, int]] = [(ast, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, lark.Tree):
            depth = max(depth, level)
            stack.extend((child, level + 1) for child in node.children)
        elif isinstance(node, lark.Token) and node.type == "IDENT":
            names.add(str(node.value))
    return depth, names


def cel_value(value: Any) -> Any:
    """A JSON-like value converted to CEL types (for constants converted once).

    Raises:
        ConfigurationError: a number outside CEL's 64-bit range (a policy error, not a crash).
    """
    try:
        return json_to_cel(value)
    except (ValueError, OverflowError):
        raise ConfigurationError("a constant is outside CEL's 64-bit number range") from None


class LazyActivation:
    """The activation of one call, preparing each variable only when a condition names it.

    Plain JSON values stay raw (:class:`~guardrails.policy._cel_values.Lazy`) for compiled
    conditions, which convert only what they read; anything else is converted as before.

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
                self._done[name] = value if name == "lists" else prepare(value)
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
