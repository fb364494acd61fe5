"""Irreversible replacement by a fixed text (presidio-anonymizer ``Replace``/``Redact`` semantics).

Not imported from presidio for the reason given in :mod:`guardrails.masking.mask`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from guardrails._errors import ConfigurationError
from guardrails.masking._tokens import token_name

if TYPE_CHECKING:
    from guardrails.vault import Vault

__all__ = ["Redact"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Redact:
    """Replace a value with ``<ENTITY_TYPE>`` (default) or a fixed ``replacement``; not reversible.

    ``replacement=""`` deletes the value. The default token is recognised by the redactor, so
    redacting the output again changes nothing.

    Example:
        >>> from guardrails import Vault
        >>> Redact().mask("123-45-6789", entity_type="US_SSN", vault=Vault())
        '<US_SSN>'
        >>> Redact(replacement="[REDACTED]").mask("x", entity_type="US_SSN", vault=Vault())
        '[REDACTED]'
    """

    replacement: str | None = None

    def __post_init__(self) -> None:
        if self.replacement is not None and not isinstance(self.replacement, str):
            raise ConfigurationError("Redact(replacement=...) must be a string or None")

    def mask(self, value: str, /, *, entity_type: str, vault: Vault) -> str:
        """Return the fixed replacement; ``value`` is not used."""
        if self.replacement is not None:
            return self.replacement
        return f"<{token_name(entity_type)}>"
