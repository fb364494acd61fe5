"""Irreversible replacement by a fixed text (presidio-anonymizer ``Replace`` / ``Redact``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from presidio_anonymizer.operators import Redact as _PresidioRedact
from presidio_anonymizer.operators import Replace as _PresidioReplace

from guardrails._errors import ConfigurationError
from guardrails.masking._tokens import token_name

if TYPE_CHECKING:
    from guardrails.vault import Vault

__all__ = ["Redact"]

_REPLACE = _PresidioReplace()
_REDACT = _PresidioRedact()


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
        if self.replacement == "":
            return str(_REDACT.operate(value, {}))
        new_value = self.replacement or f"<{token_name(entity_type)}>"
        return str(_REPLACE.operate(value, {"new_value": new_value}))
