"""Walk nested data without recursion: dicts, lists, tuples, sets, dataclasses, pydantic models.

The walk is iterative (an explicit stack), so a 10,000-deep structure cannot hit Python's
recursion limit, and it rebuilds every container bottom-up so the result has the input's shape:
a tuple stays a tuple, a pydantic model comes back as a ``model_copy``, a dataclass through
``dataclasses.replace``. Cycles raise :class:`InputError`; shared (acyclic) references are fine.

Field names drive whole-value rules: ``DEFAULT_FIELD_RULES`` maps normalized names (lower case,
letters and digits only, so ``cardNumber`` = ``card_number`` = ``card-number``) to entity types.
A rule applies to the field's whole subtree, unless a field inside has a rule of its own;
PERSON and LOCATION rules carry into lists but not into nested named fields. The redactor adds the
field names the name, location and address detectors know (``cardholder_name``, ``postcode``…).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from guardrails._errors import InputError, RedactionError

__all__ = ["DEFAULT_FIELD_RULES", "NOT_INHERITED", "check", "normalize_field", "transform"]

DEFAULT_FIELD_RULES: MappingProxyType[str, str] = MappingProxyType(
    {
        "ssn": "US_SSN",
        "socialsecuritynumber": "US_SSN",
        "cardnumber": "CREDIT_CARD",
        "creditcard": "CREDIT_CARD",
        "creditcardnumber": "CREDIT_CARD",
        "pan": "CREDIT_CARD",
        "iban": "IBAN_CODE",
        "password": "PASSWORD",
        "passwd": "PASSWORD",
        "pwd": "PASSWORD",
        "name": "PERSON",
        "fullname": "PERSON",
        "firstname": "PERSON",
        "lastname": "PERSON",
        "surname": "PERSON",
        "customername": "PERSON",
        "username": "PERSON",
        "contactname": "PERSON",
        "address": "ADDRESS",
        "street": "ADDRESS",
        "streetaddress": "ADDRESS",
        "addressline1": "ADDRESS",
        "addressline2": "ADDRESS",
        "billingaddress": "ADDRESS",
        "shippingaddress": "ADDRESS",
        "city": "LOCATION",
        "phone": "PHONE_NUMBER",
        "phonenumber": "PHONE_NUMBER",
        "mobile": "PHONE_NUMBER",
        "telephone": "PHONE_NUMBER",
        "email": "EMAIL_ADDRESS",
        "emailaddress": "EMAIL_ADDRESS",
        "ip": "IP_ADDRESS",
        "ipaddress": "IP_ADDRESS",
        "macaddress": "MAC_ADDRESS",
    }
)

NOT_INHERITED = frozenset({"PERSON", "LOCATION"})

_NON_ALNUM = re.compile(r"[\W_]+")


def normalize_field(name: str) -> str:
    """The form field rules are keyed by.

    Example:
        >>> normalize_field("Card-Number"), normalize_field("cardNumber")
        ('cardnumber', 'cardnumber')
    """
    return _NON_ALNUM.sub("", name).lower()


Leaf = Callable[[Any, str | None], Any]
"""Called with every non-container value and the entity of the rule covering it (or None)."""


class _Frame:
    __slots__ = ("children", "default", "keys", "kind", "out", "pos", "rules", "src")

    def __init__(
        self,
        kind: str,
        src: Any,
        keys: list[Any],
        children: list[Any],
        *,
        rules: list[str | None] | None,
        default: str | None,
    ) -> None:
        self.kind = kind
        self.src = src
        self.keys = keys
        self.children = children
        self.rules = rules  # per child, or None: every child is covered by ``default``
        self.default = default
        self.out: list[Any] = []
        self.pos = 0  # next child (``check``; ``transform`` uses ``len(out)``)

    def rule(self, i: int) -> str | None:
        return self.default if self.rules is None else self.rules[i]


def _open(obj: Any, rule: str | None, rule_for: Callable[[str], str | None]) -> _Frame | None:
    """A frame for a container, or None for a leaf."""
    kind = _FAST_KINDS.get(type(obj))  # exact built-in types first: the common case, cheaply
    if kind == "leaf" or (kind is None and isinstance(obj, _TEXT_TYPES)):
        return None
    if kind == "dict" or (kind is None and isinstance(obj, Mapping)):
        keys = list(obj.keys())
        return _named("dict", obj, keys, [obj[k] for k in keys], rule=rule, rule_for=rule_for)
    if kind is not None or isinstance(obj, list | tuple | set | frozenset):
        return _Frame(kind or _seq_kind(obj), obj, [], list(obj), rules=None, default=rule)
    model_fields = getattr(type(obj), "model_fields", None)
    if isinstance(model_fields, dict) and hasattr(obj, "model_copy"):  # pydantic v2 model
        names = list(model_fields)
        return _named(
            "model", obj, names, [getattr(obj, n) for n in names], rule=rule, rule_for=rule_for
        )
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        names = [f.name for f in dataclasses.fields(obj) if f.init]
        return _named(
            "dataclass", obj, names, [getattr(obj, n) for n in names], rule=rule, rule_for=rule_for
        )
    return None


_TEXT_TYPES = (str, bytes, bytearray)
# exact types whose kind needs no isinstance/ABC check (subclasses take the general path)
_FAST_KINDS: dict[type, str] = {
    str: "leaf",
    int: "leaf",
    float: "leaf",
    bool: "leaf",
    type(None): "leaf",
    dict: "dict",
    list: "list",
    tuple: "tuple",
    set: "set",
    frozenset: "frozenset",
}


def _named(
    kind: str,
    obj: Any,
    keys: list[Any],
    children: list[Any],
    *,
    rule: str | None,
    rule_for: Callable[[str], str | None],
) -> _Frame:
    """A frame for named children (mapping keys, fields), each covered by its own rule if any.

    A field's own rule wins ("city" inside "address" is a LOCATION). Into named fields, PERSON
    and LOCATION rules do not carry on: "customer": {"plan": "Gold"} is not a name (lists do
    carry them: "names": ["Jane Doe", "Ann Lee"]).
    """
    inherited = None if rule in NOT_INHERITED else rule
    rules: list[str | None] | None = None
    for i, k in enumerate(keys):
        own = rule_for(k) if isinstance(k, str) else None
        if own is not None:
            if rules is None:
                rules = [inherited] * len(keys)
            rules[i] = own
    return _Frame(kind, obj, keys, children, rules=rules, default=inherited)


def _seq_kind(obj: Any) -> str:
    if isinstance(obj, tuple):
        return "namedtuple" if hasattr(obj, "_fields") else "tuple"
    if isinstance(obj, list):
        return "list"
    return "frozenset" if isinstance(obj, frozenset) else "set"


def _close(frame: _Frame, key: Callable[[Any], Any] | None) -> Any:
    src, out = frame.src, frame.out
    kind = frame.kind
    if kind == "dict":
        new_keys = [key(k) for k in frame.keys] if key is not None else frame.keys
        pairs = dict(zip(new_keys, out, strict=True))
        if len(pairs) != len(out):
            raise RedactionError("two mapping keys became equal after masking")
        if type(src) is dict or not isinstance(src, dict):
            return pairs
        clone = src.copy()  # dict subclasses (OrderedDict, defaultdict) keep their type
        clone.clear()
        clone.update(pairs)
        return clone
    if kind == "list":
        return out
    if kind == "tuple":
        return tuple(out)
    if kind == "namedtuple":
        return type(src)._make(out)
    if kind in ("set", "frozenset"):
        return frozenset(out) if kind == "frozenset" else set(out)
    changes = {
        n: v for n, v, old in zip(frame.keys, out, frame.children, strict=True) if v is not old
    }
    if not changes:
        return src
    failure = ""
    try:
        if kind == "model":
            return src.model_copy(update=changes)
        return dataclasses.replace(src, **changes)
    except Exception as exc:  # e.g. a __post_init__ that rejects the masked value
        failure = type(exc).__name__
    # Raised outside the handler so the original error (it may quote a value) is not chained.
    raise RedactionError(f"cannot rebuild a {type(src).__name__} with masked fields ({failure})")


def transform(
    obj: Any,
    leaf: Leaf,
    *,
    key: Callable[[Any], Any] | None = None,
    rule_for: Callable[[str], str | None] | None = None,
) -> Any:
    """Rebuild ``obj`` with ``leaf`` applied to every non-container value.

    Args:
        obj: the data.
        leaf: called as ``leaf(value, rule_entity)``.
        key: applied to mapping keys (e.g. to mask an e-mail used as a key).
        rule_for: field name -> entity type or None; a rule covers the field's whole subtree.

    Raises:
        InputError: the data contains a cycle.

    Example:
        >>> transform({"a": [1, "x"], "b": ("y",)}, lambda v, rule: v.upper() if isinstance(v, str) else v)
        {'a': [1, 'X'], 'b': ('Y',)}
    """
    resolve: Callable[[str], str | None] = rule_for or (lambda _name: None)
    root = _open(obj, None, resolve)
    if root is None:
        return leaf(obj, None)
    stack = [root]
    active = {id(obj)}
    while True:
        frame = stack[-1]
        i = len(frame.out)
        if i < len(frame.children):
            child, rule = frame.children[i], frame.rule(i)
            sub = _open(child, rule, resolve)
            if sub is None:
                frame.out.append(leaf(child, rule))
                continue
            if id(child) in active:
                raise InputError(f"the data contains a cycle (at depth {len(stack)})")
            active.add(id(child))
            stack.append(sub)
            continue
        result = _close(frame, key)
        stack.pop()
        active.discard(id(frame.src))
        if not stack:
            return result
        stack[-1].out.append(result)


def check(
    obj: Any,
    leaf: Callable[[Any, str | None], None],
    *,
    key: Callable[[Any], None] | None = None,
    rule_for: Callable[[str], str | None] | None = None,
) -> None:
    """Visit ``obj`` without rebuilding it, in the order :func:`transform` visits its leaves.

    ``leaf(value, rule)`` may raise for a bad value; ``key`` sees every mapping key; cycles raise
    :class:`InputError`. Used before masking so that bad input fails before anything was written
    to a vault, and to collect the strings to redact in one batch.
    """
    resolve: Callable[[str], str | None] = rule_for or (lambda _name: None)
    root = _open(obj, None, resolve)
    if root is None:
        leaf(obj, None)
        return
    # frames on the current path; ids on the current path detect cycles.
    stack: list[_Frame] = [root]
    active = {id(obj)}
    if key is not None and root.kind == "dict":
        for k in root.keys:
            key(k)
    while stack:
        frame = stack[-1]
        i = frame.pos
        if i == len(frame.children):
            stack.pop()
            active.discard(id(frame.src))
            continue
        frame.pos = i + 1
        child, rule = frame.children[i], frame.rule(i)
        sub = _open(child, rule, resolve)
        if sub is None:
            leaf(child, rule)
        elif id(child) in active:
            raise InputError(f"the data contains a cycle (at depth {len(stack)})")
        else:
            active.add(id(child))
            stack.append(sub)
            if key is not None and sub.kind == "dict":
                for k in sub.keys:
                    key(k)
