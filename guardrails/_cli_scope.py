"""How far placeholders stay stable on a CLI stream, with memory that stays flat.

A vault remembers every distinct value it masked, so one vault for a whole stream grows with the
input (about 4.6 MB of memory per MB of fresh agent records). A :class:`Scope` therefore works in
windows of N input bytes (``--scope N``, in MB; default 1): at the end of a window a fresh vault
takes over, carrying only the entries *used* during that window. So a value keeps its placeholder
as long as it recurs at least once per window (a customer's name all through a log), a value not
seen for a whole window is forgotten (it gets a new number if it comes back), and a vault never
holds more than two windows' worth of distinct values. Placeholder numbers keep counting across
vaults: one placeholder never names two different values in one output. Carried values are also
the ones the redactor matches as known values (JSON Lines), so recall from earlier context lasts
as long as the value keeps recurring.

``--scope stream`` keeps one vault for everything (memory grows with distinct values);
``--scope record`` isolates each JSON Lines record (each text block), carrying nothing.
A CLI output has no restore (the vault is discarded at exit), so nothing else depends on it.
"""

from __future__ import annotations

from guardrails._errors import InputError
from guardrails.vault import Vault

__all__ = ["DEFAULT_WINDOW", "Scope", "parse_scope"]

DEFAULT_WINDOW = 1 << 20  # input bytes per window (``--scope 1``)


def parse_scope(value: str) -> int | None:
    """``stream`` → None (one vault), ``record`` → 0, ``N`` (MB, > 0) → a window in bytes.

    Raises:
        InputError: anything else.
    """
    word = value.strip().lower()
    if word == "stream":
        return None
    if word == "record":
        return 0
    try:
        mb = float(word)
    except ValueError:
        mb = -1.0
    if not mb > 0 or mb == float("inf"):
        raise InputError("--scope takes stream, record or a positive number of MB")
    return max(1, int(mb * (1 << 20)))


class _WindowVault(Vault):
    """A vault that notes which entries were used since it was opened (to carry them over)."""

    def __init__(self) -> None:
        super().__init__()
        self.used: dict[tuple[str, str], None] = {}  # ordered set of (entity type, value)

    def placeholder_for(self, entity_type: str, value: str) -> str:
        placeholder = super().placeholder_for(entity_type, value)
        self.used[(entity_type, value)] = None
        return placeholder


class Scope:
    """The vault in use for the current window of a stream.

    Args:
        window: None = one vault for the whole stream; 0 = a fresh, empty vault after every
            record; ``n`` = a fresh vault once ``n`` input bytes went by, carrying the entries
            used in the window that ended.

    Example:
        >>> scope = Scope(window=10)
        >>> scope.vault.placeholder_for("EMAIL_ADDRESS", "a@example.com")
        '<EMAIL_ADDRESS_1>'
        >>> scope.consumed(10)  # a@ was used: carried into the next window
        >>> scope.vault.placeholder_for("EMAIL_ADDRESS", "b@example.com")
        '<EMAIL_ADDRESS_2>'
        >>> scope.consumed(10)  # a@ was not used in that window: forgotten
        >>> scope.vault.placeholder_for("EMAIL_ADDRESS", "a@example.com")
        '<EMAIL_ADDRESS_3>'
    """

    def __init__(self, window: int | None = DEFAULT_WINDOW) -> None:
        self.window = window
        self.vault: Vault = _WindowVault() if window else Vault()
        self.peak_entries = 0  # the most entries one vault held (for tests and benchmarks)
        self._used = 0

    def consumed(self, nbytes: int) -> None:
        """Count input bytes whose output was produced; rotate the vault when the window is full."""
        if self.window is None:
            return
        self._used += nbytes
        if self._used < self.window:
            return
        old = self.vault
        self.peak_entries = max(self.peak_entries, len(old))
        fresh = _WindowVault() if self.window else Vault()
        # Vault internals (same package): the counters move over so numbers keep counting, and
        # the entries used in this window keep their placeholders. Nothing else is copied.
        fresh._counters = dict(old._counters)
        if isinstance(old, _WindowVault):
            for key in old.used:
                fresh._add(key[0], key[1], old._by_key[key])
        self.vault = fresh
        self._used = 0

    def entries(self) -> int:
        """The most entries any vault of this scope has held so far."""
        return max(self.peak_entries, len(self.vault))
