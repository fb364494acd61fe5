"""The small named registry of built-in operators (as presidio's ``OperatorsFactory``)."""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from guardrails._errors import ConfigurationError
from guardrails.masking._base import Operator
from guardrails.masking.encrypt import Encrypt
from guardrails.masking.keyed_hash import KeyedHash
from guardrails.masking.mask import Mask
from guardrails.masking.placeholder import Placeholder
from guardrails.masking.redact import Redact

__all__ = ["OPERATORS", "operator_from_name"]

OPERATORS: MappingProxyType[str, Callable[..., Operator]] = MappingProxyType(
    {
        "placeholder": Placeholder,
        "redact": Redact,
        "mask": Mask,
        "hash": KeyedHash,
        "encrypt": Encrypt,
    }
)


def operator_from_name(name: str, **params: Any) -> Operator:
    """Build a built-in operator by name, e.g. from a policy file.

    Example:
        >>> operator_from_name("mask", keep_last=4)
        Mask(chars_to_mask=None, from_end=False, masking_char='*', keep_last=4)
    """
    factory = OPERATORS.get(name)
    if factory is None:
        raise ConfigurationError(
            f"unknown operator {name!r}; built-ins are: {', '.join(sorted(OPERATORS))}"
        )
    try:
        return factory(**params)
    except TypeError as exc:
        raise ConfigurationError(f"operator {name!r}: {exc}") from None
