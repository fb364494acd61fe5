"""Who is acting: principals and the directory that maps channel identities to them.

A :class:`Principal` is a human, an agent or a service. Channels authenticate a caller in their own
terms (a Slack user id from a verified request, a Teams AAD object id from a validated token, a token
subject) and ask a :class:`Directory` which principal that is. The same human reached through two
channels resolves to one principal id, which is what quorum counting relies on.

Example:
    >>> alice = Principal(id="alice", groups=frozenset({"finance"}))
    >>> directory = StaticDirectory([alice], identities={("slack", "U123"): "alice"})
    >>> directory.resolve("slack", "U123") == alice
    True
    >>> directory.resolve("slack", "U999") is None
    True
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from guardrails._confusables import fold_lookalikes
from guardrails._errors import ConfigurationError, InputError

__all__ = [
    "CallableDirectory",
    "Directory",
    "Principal",
    "PrincipalKind",
    "StaticDirectory",
    "identity_key",
]

PrincipalKind = Literal["human", "agent", "service"]
_KINDS: frozenset[str] = frozenset({"human", "agent", "service"})


# Characters that render as nothing (Unicode's Default_Ignorable_Code_Point, outside the format
# category that _visible() drops by category): "ali\u200bce" must be "alice" to every check.
_IGNORABLE: frozenset[int] = frozenset(
    {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0}
    | set(range(0x180B, 0x1810))  # Mongolian free variation selectors and vowel separator
    | set(range(0xFE00, 0xFE10))  # variation selectors
    | set(range(0xE0100, 0xE01F0))  # variation selectors supplement
)


def _visible(text: str) -> str:
    """``text`` without the characters that render as nothing (zero-width space and joiners,
    soft hyphen, word joiner, BOM, tag characters: category ``Cf``; variation selectors)."""
    if text.isascii():
        return text
    return "".join(
        ch for ch in text if ord(ch) not in _IGNORABLE and unicodedata.category(ch) != "Cf"
    )


@functools.lru_cache(maxsize=4096)  # a pure function of the id; every decision asks 3 times
def identity_key(principal_id: str) -> str:
    """Canonical form of a principal id for "same human" checks: NFKC, case-folded, trimmed,
    characters that render as nothing dropped (``ali\u200bce`` is ``alice``), and
    Cyrillic/Greek look-alikes of Latin letters folded onto them (``аlice`` is ``alice``)."""
    folded = unicodedata.normalize("NFKC", _visible(principal_id)).casefold()
    return fold_lookalikes(_visible(unicodedata.normalize("NFKC", folded)).strip())


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """A human, agent or service with groups and roles.

    ``email`` is personal data: it is kept out of ``repr`` and never written to audit events (events
    carry ``id`` only).

    Example:
        >>> p = Principal(id="bob", display_name="Bob", roles=frozenset({"dba"}), email="b@x.io")
        >>> p.is_human, "b@x.io" in repr(p)
        (True, False)
        >>> Principal.from_dict(p.to_dict()) == p
        True
    """

    id: str
    kind: PrincipalKind = "human"
    display_name: str = ""
    groups: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    email: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise ConfigurationError("a principal needs a non-empty string id")
        if self.kind not in _KINDS:
            raise ConfigurationError(f"principal kind must be one of {sorted(_KINDS)}")
        # Accept any iterable of strings but store frozensets so principals stay hashable.
        object.__setattr__(self, "groups", frozenset(self.groups))
        object.__setattr__(self, "roles", frozenset(self.roles))

    @property
    def is_human(self) -> bool:
        """True for human principals, the only kind that may approve."""
        return self.kind == "human"

    @property
    def identity_key(self) -> str:
        """The id as compared for "same human": NFKC, case-folded, trimmed, look-alikes folded.

        Channels and IdPs disagree on case, width and stray whitespace ("bob", "Bob ", "ｂｏｂ"),
        and a Cyrillic "а" renders like a Latin "a", so self-approval and quorum checks compare
        this key, never the raw id.

        Example:
            >>> Principal(id=" Bob").identity_key == Principal(id="ｂｏｂ").identity_key
            True
        """
        return identity_key(self.id)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (sorted groups/roles, so it hashes the same everywhere)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "display_name": self.display_name,
            "groups": sorted(self.groups),
            "roles": sorted(self.roles),
            "email": self.email,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Principal:
        """Rebuild a principal from :meth:`to_dict` output.

        Raises:
            InputError: ``data`` is not a mapping with a string ``id``.
        """
        if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
            raise InputError("a principal must be a mapping with a string 'id'")
        return cls(
            id=data["id"],
            kind=data.get("kind", "human"),
            display_name=data.get("display_name", "") or "",
            groups=frozenset(data.get("groups", ()) or ()),
            roles=frozenset(data.get("roles", ()) or ()),
            email=data.get("email"),
        )


@runtime_checkable
class Directory(Protocol):
    """Maps a channel identity to a principal. One method; plug in your IdP.

    ``channel`` is e.g. ``"slack"``, ``"teams"``, ``"email"``, ``"token"``, ``"principal"``;
    ``subject`` is the id the channel authenticated. Returns ``None`` for unknown identities, which
    the approval service refuses as unauthenticated.

    Example:
        >>> class Everyone:
        ...     def resolve(self, channel: str, subject: str) -> Principal | None:
        ...         return Principal(id=subject)
        >>> isinstance(Everyone(), Directory)
        True
    """

    def resolve(self, channel: str, subject: str, /) -> Principal | None:
        """Return the principal behind ``(channel, subject)`` or ``None``."""
        ...


class StaticDirectory:
    """A directory listed in full: principals plus ``(channel, subject) -> principal id``.

    ``("principal", id)`` always resolves a listed principal by its own id.

    Example:
        >>> d = StaticDirectory([Principal(id="carol")], identities={("email", "c@x.io"): "carol"})
        >>> d.resolve("email", "c@x.io").id, d.resolve("principal", "carol").id
        ('carol', 'carol')
    """

    def __init__(
        self,
        principals: Iterable[Principal] = (),
        *,
        identities: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        by_id: dict[str, Principal] = {}
        for p in principals:
            if p.id in by_id:
                raise ConfigurationError(f"principal id {p.id!r} is listed twice")
            by_id[p.id] = p
        links: dict[tuple[str, str], str] = {}
        for (channel, subject), pid in (identities or {}).items():
            if pid not in by_id:
                raise ConfigurationError(
                    f"identity ({channel!r}, ...) points at unknown principal {pid!r}"
                )
            links[(channel, subject)] = pid
        self._principals = by_id
        self._identities = links

    @property
    def principals(self) -> Mapping[str, Principal]:
        """Every listed principal by id."""
        return dict(self._principals)

    def get(self, principal_id: str) -> Principal | None:
        """The principal with this id, or ``None``."""
        return self._principals.get(principal_id)

    def resolve(self, channel: str, subject: str, /) -> Principal | None:
        """Return the principal behind ``(channel, subject)`` or ``None``."""
        if channel == "principal":
            return self._principals.get(subject)
        pid = self._identities.get((channel, subject))
        return self._principals.get(pid) if pid is not None else None

    def humans_matching(
        self, *, users: Iterable[str], groups: Iterable[str], roles: Iterable[str]
    ) -> frozenset[str]:
        """Ids of listed humans named in ``users`` or belonging to one of ``groups``/``roles``."""
        users_, groups_, roles_ = set(users), set(groups), set(roles)
        return frozenset(
            p.id
            for p in self._principals.values()
            if p.is_human and (p.id in users_ or p.groups & groups_ or p.roles & roles_)
        )


class CallableDirectory:
    """Wraps a user function ``(channel, subject) -> Principal | None``.

    A return value that is not a :class:`Principal` (or ``None``) is a usage mistake and raises.

    Example:
        >>> d = CallableDirectory(lambda ch, sub: Principal(id=sub) if ch == "token" else None)
        >>> d.resolve("token", "svc-1").id
        'svc-1'
    """

    def __init__(self, resolve: Callable[[str, str], Principal | None]) -> None:
        if not callable(resolve):
            raise ConfigurationError("CallableDirectory needs a callable")
        self._resolve = resolve

    def resolve(self, channel: str, subject: str, /) -> Principal | None:
        """Return the principal behind ``(channel, subject)`` or ``None``."""
        principal = self._resolve(channel, subject)
        if principal is not None and not isinstance(principal, Principal):
            raise ConfigurationError("a directory callable must return a Principal or None")
        return principal
