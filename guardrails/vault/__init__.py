"""Reversible placeholders: the :class:`Vault` and :func:`restore`.

Example:
    >>> from guardrails import Vault, restore
    >>> vault = Vault()
    >>> p = vault.placeholder_for("PHONE_NUMBER", "+1 415 555 0100")
    >>> restore(f"call {p}", vault)
    'call +1 415 555 0100'
"""

from __future__ import annotations

from guardrails.vault._restore import restore
from guardrails.vault._vault import Vault

__all__ = ["Vault", "restore"]
