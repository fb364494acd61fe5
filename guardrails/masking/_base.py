"""The :class:`Operator` extension point: how one detected value is replaced."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from guardrails.vault import Vault

__all__ = ["Operator"]


@runtime_checkable
class Operator(Protocol):
    """Replaces one sensitive value. One method; the built-ins live in :mod:`guardrails.masking`.

    ``vault`` is the scope of the current redaction: reversible operators record the value there,
    the others ignore it. The return value must not contain the raw value.

    Example:
        >>> from guardrails import Vault
        >>> class Stars:
        ...     def mask(self, value: str, /, *, entity_type: str, vault: Vault) -> str:
        ...         return "*" * len(value)
        >>> Stars().mask("4111", entity_type="CREDIT_CARD", vault=Vault())
        '****'
        >>> isinstance(Stars(), Operator)
        True
    """

    def mask(self, value: str, /, *, entity_type: str, vault: Vault) -> str:
        """Return the replacement for ``value`` of type ``entity_type``."""
        ...
