"""Masking operators: how a detected value is replaced, configurable per entity type.

Built-ins (one module each; presidio-anonymizer's semantics where it has the operator):
:class:`Placeholder` (reversible through the vault; the default), :class:`Redact`,
:class:`Mask`, :class:`KeyedHash` (HMAC-SHA256) and :class:`Encrypt` (AES-GCM). Write your own
by implementing the one-method :class:`Operator` protocol.

Example:
    >>> from guardrails import Redactor
    >>> from guardrails.masking import Mask
    >>> r = Redactor(operators={"CREDIT_CARD": Mask(keep_last=4)})
"""

from __future__ import annotations

from guardrails.masking._base import Operator
from guardrails.masking._registry import OPERATORS, operator_from_name
from guardrails.masking._tokens import PLACEHOLDER_RE, TOKEN_RE, token_name
from guardrails.masking.encrypt import Encrypt
from guardrails.masking.keyed_hash import KeyedHash
from guardrails.masking.mask import Mask
from guardrails.masking.placeholder import Placeholder
from guardrails.masking.redact import Redact

__all__ = [
    "OPERATORS",
    "PLACEHOLDER_RE",
    "TOKEN_RE",
    "Encrypt",
    "KeyedHash",
    "Mask",
    "Operator",
    "Placeholder",
    "Redact",
    "operator_from_name",
    "token_name",
]
