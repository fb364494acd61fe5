"""Reversible placeholders: ``<EMAIL_ADDRESS_1>``, stable within a vault."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from guardrails.vault import Vault

__all__ = ["Placeholder"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Placeholder:
    """Replace a value with a numbered placeholder the vault can restore (the default operator).

    The same value of the same entity type gets the same placeholder everywhere in one vault.

    Example:
        >>> from guardrails import Vault
        >>> vault = Vault()
        >>> op = Placeholder()
        >>> op.mask("jane@example.com", entity_type="EMAIL_ADDRESS", vault=vault)
        '<EMAIL_ADDRESS_1>'
        >>> op.mask("jane@example.com", entity_type="EMAIL_ADDRESS", vault=vault)
        '<EMAIL_ADDRESS_1>'
        >>> vault.restore("<EMAIL_ADDRESS_1>")
        'jane@example.com'
    """

    def mask(self, value: str, /, *, entity_type: str, vault: Vault) -> str:
        """Return the vault's placeholder for ``value``, creating it on first sight."""
        return vault.placeholder_for(entity_type, value)
