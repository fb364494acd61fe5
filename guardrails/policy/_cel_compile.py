"""CEL conditions compiled once into a tree of Python closures: no generated source, no ``eval``.

Each closure mirrors one node of ``celpy.evaluation.Evaluator`` — the same celtypes values, the
same operator functions, the same errors-as-values (``&&``/``||`` ignore an error the other side
decides, ``a ? b : c`` evaluates one branch) and the same exceptions escaping where the interpreter
lets them escape — so a compiled condition returns what cel-python's interpreter returns. A
differential property test holds the two together (``tests/guardrails/policy/test_compiled.py``).
What it drops is the interpreter's per-call machinery: a lark visitor dispatch per node, a cloned
name-resolution chain per evaluation and per macro element, and converting all arguments first
(closures read raw values, see :mod:`guardrails.policy._cel_values`).

Covered: literals; ``args``/``tool``/``requester``/``context``/``lists`` and macro variables;
field and index access; ``!``, unary ``-``, ``* / % + -``, comparisons, ``in``, ``&&``, ``||``,
``?:``; list literals; ``has()``, ``dyn()``; every function cel-python ships or we register, as a
function or a method (``size``, ``startsWith``, ``endsWith``, ``contains``, ``matches`` — RE2,
linear time —, conversions, ``email_domain``, ``url_host``); the ``all``/``exists``/
``exists_one``/``map``/``filter`` macros. Anything else (map literals, messages, ``type()``,
leading-dot names, unknown functions, cel-python's ``reduce``/``min``) raises :class:`Unsupported`
at compile time and that condition keeps the interpreter. A value the closures do not model at run
time (a protobuf message, a name container) raises :class:`Fallback` and the call is interpreted.
"""

from __future__ import annotations

import operator
from collections import ChainMap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import lark
import re2
from celpy.celtypes import (
    BoolType,
    IntType,
    ListType,
    MapType,
    MessageType,
    logical_and,
    logical_or,
)
from celpy.evaluation import (
    CELEvalError,
    NameContainer,
    base_functions,
    function_matches,
    function_size,
)

from guardrails.policy._cel_runtime import (
    ERROR_LITERAL,
    FALSE,
    MACRO_BUILDERS,
    TRUE,
    Fallback,
    Fn,
    Unsupported,
    call,
    call_checked,
    error,
    literal_value,
    operator_in,
)
from guardrails.policy._cel_values import Lazy, wrap

__all__ = ["Fallback", "Fn", "Unsupported", "compile_tree"]

_MACROS = frozenset({"map", "filter", "all", "exists", "exists_one"})
_OPERATORS = frozenset(name for name in base_functions if name.startswith(("_", "!", "-")))
_COMPARE = {
    "relation_lt": operator.lt,
    "relation_le": operator.le,
    "relation_gt": operator.gt,
    "relation_ge": operator.ge,
    "relation_eq": operator.eq,
    "relation_ne": operator.ne,
}
_ARITH = {
    "addition_add": operator.add,
    "addition_sub": operator.sub,
    "multiplication_mul": operator.mul,
    "multiplication_div": operator.truediv,
    "multiplication_mod": operator.mod,
}
# What each interpreter node turns into an error value (anything else escapes, as there).
_ADD_ERRORS = (TypeError, ValueError, OverflowError)
_MUL_ERRORS = (TypeError, ZeroDivisionError, ValueError, OverflowError)
_INDEX_ERRORS = (TypeError, KeyError, IndexError)


def _constant(value: Any) -> Fn:
    return lambda frame: value


def _value_of(fn: Fn, lazy: bool) -> Fn:
    """``fn`` with a :class:`Lazy` result converted (for every consumer but navigation)."""
    if not lazy:
        return fn

    def forced(frame: list[Any]) -> Any:
        value = fn(frame)
        return value.cel() if type(value) is Lazy else value

    return forced


class _Compiler:
    def __init__(self, functions: Mapping[str, Any], variables: Sequence[str]) -> None:
        if any(name in _OPERATORS for name in functions):
            raise Unsupported("an operator is overridden")
        self._functions: Mapping[str, Any] = ChainMap(dict(functions), base_functions)
        self._scope = {name: i for i, name in enumerate(variables)}
        self.slots = len(variables)

    # -- dispatch -----------------------------------------------------------------------------

    def node(self, tree: Any) -> tuple[Fn, bool]:
        """Compile one node: the closure and whether it may return a :class:`Lazy`."""
        if not isinstance(tree, lark.Tree):
            raise Unsupported("token")
        method = getattr(self, "_n_" + str(tree.data), None)
        if method is None:
            raise Unsupported(str(tree.data))
        result: tuple[Fn, bool] = method(tree)
        return result

    def value(self, tree: Any) -> Fn:
        return _value_of(*self.node(tree))

    def _single(self, tree: lark.Tree[Any]) -> tuple[Fn, bool]:
        if len(tree.children) != 1:
            raise Unsupported(str(tree.data))
        return self.node(tree.children[0])

    # -- logic --------------------------------------------------------------------------------

    def _n_expr(self, tree: lark.Tree[Any]) -> tuple[Fn, bool]:
        if len(tree.children) == 1:
            return self.node(tree.children[0])
        if len(tree.children) != 3:
            raise Unsupported("expr")
        cond, yes, no = (self.value(c) for c in tree.children)

        def ternary(frame: list[Any]) -> Any:
            test = cond(frame)
            left = right = FALSE
            try:  # the interpreter's try covers the chosen branch too
                if test:
                    left = yes(frame)
                else:
                    right = no(frame)
                if not isinstance(test, BoolType):
                    raise TypeError("?: needs a bool")
                return left if test else right
            except TypeError:
                return error("no matching overload for _?_:_")

        return ternary, False

    def _chain(self, tree: lark.Tree[Any]) -> list[Any]:
        # Left-recursive ``a || b || c`` flattened: no Python recursion per operand.
        name, right = tree.data, []
        while len(tree.children) == 2:
            right.append(tree.children[1])
            tree = tree.children[0]
            if not isinstance(tree, lark.Tree) or tree.data != name:
                raise Unsupported(str(name))
        if len(tree.children) != 1:
            raise Unsupported(str(name))
        return [tree.children[0], *reversed(right)]

    def _logic(self, tree: lark.Tree[Any], op: Callable[[Any, Any], Any]) -> tuple[Fn, bool]:
        operands = self._chain(tree)
        if len(operands) == 1:
            return self.node(operands[0])
        first, *rest = (self.value(t) for t in operands)

        def logic(frame: list[Any]) -> Any:
            result = first(frame)
            for fn in rest:
                other = fn(frame)  # both sides always evaluated, as the interpreter does
                try:
                    result = op(result, other)
                except TypeError:
                    result = error("no matching overload for a logical operator")
            return result

        return logic, False

    def _n_conditionalor(self, tree: lark.Tree[Any]) -> tuple[Fn, bool]:
        return self._logic(tree, logical_or)

    def _n_conditionaland(self, tree: lark.Tree[Any]) -> tuple[Fn, bool]:
        return self._logic(tree, logical_and)

    def _n_relation(self, tree: lark.Tree[Any]) -> tuple[Fn, bool]:
        if len(tree.children) == 1:
            return self.node(tree.children[0])
        op_tree, right_tree = tree.children
        if not isinstance(op_tree, lark.Tree) or len(op_tree.children) != 1:
            raise Unsupported("relation")
        left = self.value(op_tree.children[0])
        if op_tree.data == "relation_in":
            return self._in(left, *self.node(right_tree)), False
        right = self.value(right_tree)
        compare = _COMPARE.get(str(op_tree.data))
        if compare is None:
            raise Unsupported(str(op_tree.data))

        def relation(frame: list[Any]) -> Any:
            a, b = left(frame), right(frame)
            try:  # celpy.evaluation.boolean(operator.xx)
                if isinstance(a, CELEvalError):
                    return a
                if isinstance(b, CELEvalError):
                    return b
                result = compare(a, b)
                if result == NotImplemented:
                    return result
                return TRUE if result else FALSE
            except TypeError:
                return error("no matching overload for a comparison")

        return relation, False

    @staticmethod
    def _in(left: Fn, right: Fn, lazy: bool) -> Fn:
        def contains(frame: list[Any]) -> Any:
            item, container = left(frame), right(frame)
            if type(container) is Lazy:
                raw = container.raw
                # A string among plain strings (or map keys, all strings): only str equality
                # can decide, exactly what comparing the converted values does.
                if isinstance(item, str) and (
                    type(raw) is dict or all(type(c) is str for c in raw)
                ):
                    return TRUE if item in raw else FALSE
                container = container.cel()
            try:
                return operator_in(item, container)
            except TypeError:
                return error("no matching overload for in")

        return contains

    # -- arithmetic ---------------------------------------------------------------------------

    def _arith(self, tree: lark.Tree[Any], errors: tuple[type[Exception], ...]) -> tuple[Fn, bool]:
        name, steps = tree.data, []
        while len(tree.children) == 2:
            op_tree, operand = tree.children
            op = _ARITH.get(str(getattr(op_tree, "data", "")))
            if op is None or len(op_tree.children) != 1:
                raise Unsupported(str(name))
            steps.append((op, self.value(operand)))
            tree = op_tree.children[0]
            if not isinstance(tree, lark.Tree) or tree.data != name:
                raise Unsupported(str(name))
        if not steps:
            return self._single(tree)
        first = self.value(tree.children[0]) if len(tree.children) == 1 else None
        if first is None:
            raise Unsupported(str(name))
        steps.reverse()

        def arith(frame: list[Any]) -> Any:
            result = first(frame)
            for op, fn in steps:
                other = fn(frame)
                try:
                    result = op(result, other)
                except errors:
                    result = error("arithmetic error")
            return result

        return arith, False

    def _n_addition(self, tree: lark.Tree[Any]) -> tuple[Fn, bool]:
        return self._arith(tree, _ADD_ERRORS)

    def _n_multiplication(self, tree: lark.Tree[Any]) -> tuple[Fn, bool]:
        return self._arith(tree, _MUL_ERRORS)

    def _n_unary(self, tree: lark.Tree[Any]) -> tuple[Fn, bool]:
        if len(tree.children) == 1:
            return self.node(tree.children[0])
        op_tree, operand_tree = tree.children
        operand = self.value(operand_tree)
        kind = getattr(op_tree, "data", None)
        if kind == "unary_not":

            def negate(frame: list[Any]) -> Any:
                value = operand(frame)  # celtypes.logical_not
                if isinstance(value, Exception):
                    return value
                if isinstance(value, BoolType):
                    return FALSE if value else TRUE
                return error("no matching overload for !")

            return negate, False
        if kind == "unary_neg":

            def minus(frame: list[Any]) -> Any:
                value = operand(frame)
                try:
                    return -value
                except (TypeError, ValueError):
                    return error("no matching overload for -")

            return minus, False
        raise Unsupported("unary")

    # -- members ------------------------------------------------------------------------------

    def _n_member(self, tree: lark.Tree[Any]) -> tuple[Fn, bool]:
        return self._single(tree)

    def _n_member_dot(self, tree: lark.Tree[Any]) -> tuple[Fn, bool]:
        target, name_token = tree.children
        get, _ = self.node(target)
        name = str(name_token)

        def field(frame: list[Any]) -> Any:
            member = get(frame)
            if type(member) is Lazy:
                raw = member.raw
                if type(raw) is dict:
                    try:
                        return wrap(raw[name])
                    except KeyError:
                        return error("no such member in mapping")
                return error("value does not support field selection")
            if isinstance(member, CELEvalError):
                return member
            if isinstance(member, NameContainer | MessageType):
                raise Fallback
            if isinstance(member, MapType):
                try:
                    return member[name]
                except KeyError:
                    return error("no such member in mapping")
            return error("value does not support field selection")

        return field, True

    def _n_member_index(self, tree: lark.Tree[Any]) -> tuple[Fn, bool]:
        target, index_tree = tree.children
        get, _ = self.node(target)
        index = self.value(index_tree)

        def item(frame: list[Any]) -> Any:
            member, key = get(frame), index(frame)
            if type(member) is Lazy:
                raw = member.raw
                try:
                    if type(raw) is dict and not MapType.valid_key_type(key):
                        raise TypeError("unsupported key type")
                    return wrap(raw[key])
                except _INDEX_ERRORS:
                    return error("no such key or index")
            try:
                return member[key]
            except _INDEX_ERRORS:
                return error("no such key or index")

        return item, True

    def _n_member_dot_arg(self, tree: lark.Tree[Any]) -> tuple[Fn, bool]:
        target, name_token, *rest = tree.children
        name = str(name_token)
        if name in _MACROS:
            return self._macro(tree, name)
        function = self._function(name)
        obj_fn, obj_lazy = self.node(target)
        args = [self.value(t) for t in rest[0].children] if rest else []
        if function is function_size and obj_lazy and not args:

            def size_method(frame: list[Any]) -> Any:
                obj = obj_fn(frame)
                if type(obj) is Lazy:  # the converted container has the same length
                    return IntType(len(obj.raw))
                if isinstance(obj, CELEvalError):
                    return obj
                return call(function, [obj])

            return size_method, False
        function = self._matcher(function, rest[0].children[0] if rest else None) or function
        obj = _value_of(obj_fn, obj_lazy)

        def method(frame: list[Any]) -> Any:
            value = obj(frame)
            values = [fn(frame) for fn in args]
            if isinstance(value, CELEvalError):
                return value
            for v in values:
                if isinstance(v, CELEvalError):
                    return v
            return call(function, [value, *values])

        return method, False

    def _function(self, name: str) -> Any:
        function = self._functions.get(name)
        if function is None or name == "type" or name in _OPERATORS:
            raise Unsupported(f"function {name}")
        return function

    def _matcher(self, function: Any, pattern_tree: Any) -> Any:
        """``matches`` with a literal pattern: compile the RE2 program once (same engine)."""
        if function is not function_matches or pattern_tree is None:
            return None
        pattern = _literal_of(pattern_tree)
        if not isinstance(pattern, str):
            return None
        try:
            regex = re2.compile(pattern)
        except re2.error:
            return None  # the call reports it, as the interpreter does

        def matches(text: Any, _pattern: Any) -> Any:  # celpy.evaluation.function_matches
            try:
                found = regex.search(text)
            except re2.error:
                return error("match error")
            return BoolType(found is not None)

        return matches

    # -- macros -------------------------------------------------------------------------------

    def _macro(self, tree: lark.Tree[Any], name: str) -> tuple[Fn, bool]:
        target, _, *rest = tree.children
        if len(rest) != 1 or len(rest[0].children) != 2:
            raise Unsupported(f"macro {name}")
        var_tree, body_tree = rest[0].children
        var = _bare_ident(var_tree)
        get, _ = self.node(target)
        slot = self.slots
        self.slots += 1
        outer = self._scope.get(var)
        self._scope[var] = slot
        try:
            body = self.value(body_tree)
        finally:
            if outer is None:
                del self._scope[var]
            else:
                self._scope[var] = outer
        return MACRO_BUILDERS[name](get, body, slot), False

    # -- primaries ----------------------------------------------------------------------------

    def _n_primary(self, tree: lark.Tree[Any]) -> tuple[Fn, bool]:
        return self._single(tree)

    def _n_paren_expr(self, tree: lark.Tree[Any]) -> tuple[Fn, bool]:
        return self._single(tree)

    def _n_literal(self, tree: lark.Tree[Any]) -> tuple[Fn, bool]:
        if len(tree.children) != 1:
            raise Unsupported("literal")
        value = literal_value(tree.children[0])
        if value is ERROR_LITERAL:
            return (lambda frame: error("invalid literal")), False
        return _constant(value), False

    def _n_list_lit(self, tree: lark.Tree[Any]) -> tuple[Fn, bool]:
        if not tree.children:
            return (lambda frame: ListType()), False
        (exprlist,) = tree.children
        constants = [_literal_of(t) for t in exprlist.children]
        if all(c is not _NOT_LITERAL and c is not ERROR_LITERAL for c in constants):
            shared = ListType(constants)  # never mutated: CEL has no mutation
            return _constant(shared), False
        fns = [self.value(t) for t in exprlist.children]

        def make_list(frame: list[Any]) -> Any:
            values = [fn(frame) for fn in fns]
            for v in values:
                if isinstance(v, CELEvalError):
                    return v
            return ListType(values)

        return make_list, False

    def _n_ident(self, tree: lark.Tree[Any]) -> tuple[Fn, bool]:
        slot = self._scope.get(str(tree.children[0]))
        if slot is None:
            raise Unsupported("identifier")
        return operator.itemgetter(slot), True

    def _n_ident_arg(self, tree: lark.Tree[Any]) -> tuple[Fn, bool]:
        name = str(tree.children[0])
        exprs = tree.children[1].children if len(tree.children) == 2 else []
        if name in ("has", "dyn"):
            if len(exprs) != 1:
                raise Unsupported(name)
            fn, lazy = self.node(exprs[0])
            if name == "dyn":
                return fn, lazy

            def has(frame: list[Any]) -> Any:
                return BoolType(not isinstance(fn(frame), CELEvalError))

            return has, False
        function = self._function(name)
        if function is function_size and len(exprs) == 1:
            arg_fn, arg_lazy = self.node(exprs[0])
            if arg_lazy:

                def size(frame: list[Any]) -> Any:
                    value = arg_fn(frame)
                    if type(value) is Lazy:
                        return IntType(len(value.raw))
                    return call_checked(function, [value])

                return size, False
        function = self._matcher(function, exprs[1] if len(exprs) == 2 else None) or function
        args = [self.value(t) for t in exprs]

        def call(frame: list[Any]) -> Any:
            return call_checked(function, [fn(frame) for fn in args])

        return call, False


_NOT_LITERAL: Any = object()


# Nodes that only pass their one child through. A one-child ``list_lit`` (``[x]``) is not one:
# descending into it read ``[[1]]`` as ``[1]`` and ``s.matches(["^a"])`` as a pattern.
_WRAPPERS = frozenset(
    {
        "expr",
        "conditionalor",
        "conditionaland",
        "relation",
        "addition",
        "multiplication",
        "unary",
        "member",
        "primary",
        "paren_expr",
    }
)


def _literal_of(tree: Any) -> Any:
    """The constant of a bare literal sub-expression (``expr`` → ... → ``literal``), if it is one."""
    while isinstance(tree, lark.Tree) and len(tree.children) == 1 and tree.data in _WRAPPERS:
        tree = tree.children[0]
    if not isinstance(tree, lark.Tree) or tree.data != "literal" or len(tree.children) != 1:
        return _NOT_LITERAL
    try:
        return literal_value(tree.children[0])
    except Unsupported:
        return _NOT_LITERAL


def _bare_ident(tree: Any) -> str:
    while isinstance(tree, lark.Tree) and len(tree.children) == 1 and tree.data != "ident":
        tree = tree.children[0]
    if isinstance(tree, lark.Tree) and tree.data == "ident" and len(tree.children) == 1:
        return str(tree.children[0])
    raise Unsupported("macro variable")


def compile_tree(
    tree: lark.Tree[Any], functions: Mapping[str, Any], variables: Sequence[str]
) -> tuple[Fn, int]:
    """The closure for a parsed expression and the frame size it needs.

    Frame: ``[value of variables[0], ..., value of variables[-1], macro slots...]``.

    Raises:
        Unsupported: the expression needs the interpreter.
    """
    compiler = _Compiler(functions, variables)
    fn = compiler.value(tree)
    return fn, compiler.slots
