"""Rate limits for the approvals API (the ``limits`` library: moving windows, pluggable storage).

Three checks, in this order, on every ``/api`` route that takes a bearer token:

1. ``per_ip`` — every request from a client address, counted *before* the token is checked, so
   a flood of guessed keys or forged JWTs is refused without verifying each one;
2. ``auth_failures_per_ip`` — failed tokens from one address; once spent, that address's further
   failures get 429 and stop filling the audit trail until the window moves on, while valid tokens
   from it still work (an address is often shared: one client's bad tokens must not shut out every
   reviewer behind the same NAT or proxy);
3. ``decisions_per_principal`` / ``reads_per_principal`` — after authentication, per reviewer.

A refused request gets ``429`` with ``Retry-After`` and ``{"error": "rate_limited", ...}``; it is
refused before the body is read, so it changes nothing, and it is not an audit event.

Counters live in this process by default (``storage="memory://"``): with several replicas each
has its own, so the effective limit is N times the setting — point ``storage`` at a shared Redis
(``"redis://host:6379"``, needs ``redis`` installed) for one set of counters.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.requests import Request

from guardrails import ConfigurationError

__all__ = ["RateLimiter", "RateLimits"]

_LIMITS = ("per_ip", "auth_failures_per_ip", "decisions_per_principal", "reads_per_principal")


def _peer(request: Request) -> str:
    # Behind a reverse proxy, run uvicorn with --proxy-headers/--forwarded-allow-ips so this is
    # the real client, or pass RateLimits(client_ip=...).
    return request.client.host if request.client else "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimits:
    """How much each client address and each reviewer may ask (``None`` turns a limit off).

    Limits are ``limits`` strings: ``"600/minute"``, ``"10 per second"``, ``"1000/hour"``.
    :meth:`off` turns them all off.

    Attributes:
        per_ip: requests per client address to the token-checked routes, before authentication.
        auth_failures_per_ip: failed tokens per client address before its further failures are
            refused (429) unaudited; valid tokens from it are still accepted.
        decisions_per_principal: decision POSTs per authenticated reviewer.
        reads_per_principal: listing / reading requests per authenticated reviewer (the inbox
            page polls two listings every 2 s: 60 per minute per open tab).
        storage: where counters live (``"memory://"``, ``"redis://host:6379"``, …).
        client_ip: the client address of a request (default: the connection's peer).
        ipv6_prefix: IPv6 clients are counted per network of this prefix length (default /64,
            what one host or line is given: its 2**64 addresses are one client, not 2**64).

    Example:
        >>> RateLimits(decisions_per_principal="5/minute").decisions_per_principal
        '5/minute'
        >>> RateLimits.off().per_ip is None
        True
    """

    per_ip: str | None = "1200/minute"
    auth_failures_per_ip: str | None = "30/minute"
    decisions_per_principal: str | None = "60/minute"
    reads_per_principal: str | None = "300/minute"
    storage: str = "memory://"
    client_ip: Callable[[Request], str] = field(default=_peer, repr=False)
    ipv6_prefix: int = 64

    def __post_init__(self) -> None:
        for name in _LIMITS:
            _item(name, getattr(self, name))
        if not 1 <= self.ipv6_prefix <= 128:
            raise ConfigurationError("RateLimits.ipv6_prefix must be between 1 and 128")

    @classmethod
    def off(cls) -> RateLimits:
        """No limits at all (a benchmark, or a deployment that limits at its proxy)."""
        return cls(
            per_ip=None,
            auth_failures_per_ip=None,
            decisions_per_principal=None,
            reads_per_principal=None,
        )


def _item(name: str, text: str | None) -> RateLimitItem | None:
    if text is None:
        return None
    try:
        return parse(text)
    except ValueError:
        raise ConfigurationError(
            f"RateLimits.{name}: {text!r} is not a rate such as '600/minute'"
        ) from None


class RateLimiter:
    """The counters behind :class:`RateLimits`; ``hit``/``blocked`` return seconds to wait or None.

    Example:
        >>> limiter = RateLimiter(RateLimits(per_ip="1/minute"))
        >>> limiter.hit("per_ip", "10.0.0.1") is None, limiter.hit("per_ip", "10.0.0.1") > 0
        (True, True)
    """

    def __init__(self, config: RateLimits) -> None:
        self.config = config
        try:
            storage = storage_from_string(config.storage)
        except Exception as exc:  # a bad URI or a missing driver: fail when the app is built
            raise ConfigurationError(
                f"RateLimits.storage: cannot use {config.storage.split(':', 1)[0]!r} "
                f"({type(exc).__name__})"
            ) from None
        self._window = MovingWindowRateLimiter(storage)
        self._items = {name: _item(name, getattr(config, name)) for name in _LIMITS}

    def client(self, request: Request) -> str:
        """The request's client as the limits see it: an IPv4 address, or an IPv6 network.

        An IPv4 address seen as IPv6 (``::ffff:192.0.2.7``) counts as itself; other IPv6
        addresses count per ``ipv6_prefix`` network; anything else (a name) as given.
        """
        address = self.config.client_ip(request)
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return address
        if isinstance(ip, ipaddress.IPv6Address):
            if ip.ipv4_mapped is not None:
                return str(ip.ipv4_mapped)
            return str(ipaddress.IPv6Network((ip, self.config.ipv6_prefix), strict=False))
        return str(ip)

    def hit(self, limit: str, key: str) -> float | None:
        """Count one request against ``limit`` for ``key``; seconds to wait if it is refused."""
        item = self._items[limit]
        if item is None:
            return None
        ident = _key(key)
        if self._window.hit(item, limit, ident):
            return None
        return self._retry_after(item, limit, ident)

    def blocked(self, limit: str, key: str) -> float | None:
        """Seconds to wait if ``limit`` is already spent for ``key`` (counts nothing)."""
        item = self._items[limit]
        if item is None:
            return None
        ident = _key(key)
        if self._window.test(item, limit, ident):
            return None
        return self._retry_after(item, limit, ident)

    def _retry_after(self, item: RateLimitItem, *ident: str) -> float:
        reset = self._window.get_window_stats(item, *ident).reset_time
        return float(max(1, math.ceil(reset - time.time())))


def _key(value: str) -> str:
    # Counter keys may sit in a shared Redis: addresses and subjects go there hashed.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
