"""Partial masking with a character, with presidio-anonymizer ``Mask`` semantics: ``***1111``.

Not imported from presidio: ``presidio_anonymizer.operators`` imports presidio-analyzer and spaCy
whenever they are installed (its AHDS operator), which costs 5-8 s on every start, for what is
one line of string slicing. The parameters and results are presidio's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from guardrails._errors import ConfigurationError

if TYPE_CHECKING:
    from guardrails.vault import Vault

__all__ = ["Mask"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Mask:
    """Overwrite characters of a value with ``masking_char``; not reversible.

    Either ``keep_last`` (show at most that many trailing characters, and never more than half of
    the value, so a short value is not given away) or ``chars_to_mask`` (+ ``from_end``), as in
    presidio. With neither, every character is masked.

    Example:
        >>> from guardrails import Vault
        >>> Mask(keep_last=4).mask("4111 1111 1111 1111", entity_type="CREDIT_CARD", vault=Vault())
        '***************1111'
        >>> Mask(chars_to_mask=3, from_end=True).mask("secret", entity_type="PASSWORD", vault=Vault())
        'sec***'
    """

    chars_to_mask: int | None = None
    from_end: bool = False
    masking_char: str = "*"
    keep_last: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.masking_char, str) or len(self.masking_char) != 1:
            raise ConfigurationError("Mask(masking_char=...) must be exactly one character")
        if self.masking_char in "<>":
            raise ConfigurationError("Mask(masking_char=...) cannot be '<' or '>'")
        for name in ("chars_to_mask", "keep_last"):
            n = getattr(self, name)
            if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
                raise ConfigurationError(f"Mask({name}=...) must be a non-negative integer")
        if self.chars_to_mask is not None and self.keep_last is not None:
            raise ConfigurationError("Mask: give either chars_to_mask or keep_last, not both")
        if not isinstance(self.from_end, bool):
            raise ConfigurationError("Mask(from_end=...) must be a bool")

    def mask(self, value: str, /, *, entity_type: str, vault: Vault) -> str:
        """Return ``value`` with the configured characters masked."""
        if self.keep_last is not None:
            count, from_end = len(value) - min(self.keep_last, len(value) // 2), False
        elif self.chars_to_mask is not None:
            count, from_end = min(self.chars_to_mask, len(value)), self.from_end
        else:
            count, from_end = len(value), False
        if from_end:
            return value[: len(value) - count] + self.masking_char * count
        return self.masking_char * count + value[count:]
