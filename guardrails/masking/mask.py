"""Partial masking with a character (presidio-anonymizer ``Mask``): ``************1111``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from presidio_anonymizer.operators import Mask as _PresidioMask

from guardrails._errors import ConfigurationError

if TYPE_CHECKING:
    from guardrails.vault import Vault

__all__ = ["Mask"]

_MASK = _PresidioMask()


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
            visible = min(self.keep_last, len(value) // 2)
            params: dict[str, object] = {
                "chars_to_mask": len(value) - visible,
                "from_end": False,
            }
        elif self.chars_to_mask is not None:
            params = {"chars_to_mask": self.chars_to_mask, "from_end": self.from_end}
        else:
            params = {"chars_to_mask": len(value), "from_end": False}
        params["masking_char"] = self.masking_char
        return str(_MASK.operate(value, params))
