"""Signed permits: a decision that travels through untrusted hands (a resume payload, a browser).

A permit is ``gp1.<payload>.<signature>``: the payload is base64url canonical JSON of the decision —
request id, args digest, approver (as the issuing server authenticated them), verdict, expiry,
nonce, plus the edit if any — and the signature is HMAC-SHA256 with the server key over
``gp1.<payload>``. Verification compares in constant time and accepts a list of keys for rotation.
Binding to the request and its digest, and single use, are checked by the approval service.

Example:
    >>> from datetime import timedelta
    >>> key = b"k" * 32
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> d = Decision(verdict="approve", approver=Principal(id="bob"), args_digest="sha256:aa")
    >>> token = issue_permit(key, request_id="apr_1", decision=d, expires_at=t + timedelta(minutes=5))
    >>> verify_permit(key, token, now=t).request_id
    'apr_1'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from guardrails._errors import ConfigurationError, DecisionRefused
from guardrails.approvals._models import Decision, new_id
from guardrails.identity import Principal
from guardrails.policy import Verdict, canonical_json

__all__ = ["MIN_PERMIT_KEY_BYTES", "Permit", "issue_permit", "verify_permit"]

MIN_PERMIT_KEY_BYTES = 32
_PREFIX = "gp1"
_MAX_TOKEN = 64 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Permit:
    """The verified contents of a permit.

    Example:
        >>> p = Permit(request_id="apr_1", args_digest="sha256:aa", approver=Principal(id="bob"),
        ...            verdict="approve", expires_at=datetime(2026, 1, 1, tzinfo=UTC), nonce="dec_1")
        >>> p.to_decision().provenance
        'permit'
    """

    request_id: str
    args_digest: str
    approver: Principal
    verdict: Verdict
    expires_at: datetime
    nonce: str
    reason: str = ""
    channel: str = "permit"
    edited_tool: str | None = None
    edited_args: Mapping[str, Any] | None = field(default=None, repr=False)

    def to_decision(self) -> Decision:
        """The decision this permit carries (provenance ``permit``; id = the nonce)."""
        return Decision(
            verdict=self.verdict,
            approver=self.approver,
            args_digest=self.args_digest,
            reason=self.reason,
            edited_tool=self.edited_tool,
            edited_args=self.edited_args,
            channel=self.channel,
            provenance="permit",
            id=self.nonce,
        )


def _check_key(key: bytes) -> bytes:
    if not isinstance(key, bytes | bytearray) or len(key) < MIN_PERMIT_KEY_BYTES:
        raise ConfigurationError(f"a permit key must be at least {MIN_PERMIT_KEY_BYTES} bytes")
    return bytes(key)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, signed: str) -> str:
    return _b64(hmac.new(key, signed.encode("ascii"), hashlib.sha256).digest())


def issue_permit(
    key: bytes,
    *,
    request_id: str,
    decision: Decision,
    expires_at: datetime,
) -> str:
    """Sign ``decision`` for ``request_id``, valid until ``expires_at``.

    Only the server that authenticated ``decision.approver`` should hold ``key``.

    Raises:
        ConfigurationError: the key is shorter than 32 bytes, or the decision has no approver.
    """
    key = _check_key(key)
    if decision.approver is None:
        raise ConfigurationError("a permit needs an authenticated approver")
    if expires_at.tzinfo is None:
        raise ConfigurationError("permit expiry must be timezone-aware")
    claims = {
        "rid": request_id,
        "dig": decision.args_digest,
        "apr": decision.approver.to_dict(),
        "vd": decision.verdict,
        "exp": expires_at.astimezone(UTC).timestamp(),
        "nonce": decision.id or new_id("dec"),
        "rsn": decision.reason,
        "ch": decision.channel if decision.channel != "in_process" else "permit",
        "et": decision.edited_tool,
        "ea": dict(decision.edited_args) if decision.edited_args is not None else None,
    }
    payload = _b64(canonical_json(claims).encode("utf-8"))
    signed = f"{_PREFIX}.{payload}"
    return f"{signed}.{_sign(key, signed)}"


def verify_permit(key: bytes | Sequence[bytes], token: str, *, now: datetime) -> Permit:
    """Check the signature (constant time, any of ``key``) and expiry; return the contents.

    Raises:
        DecisionRefused: ``bad_signature`` (malformed, altered, or another key) or
            ``permit_expired``.
    """
    keys = [_check_key(key)] if isinstance(key, bytes | bytearray) else [_check_key(k) for k in key]
    if not keys:
        raise ConfigurationError("verify_permit needs at least one key")
    refused = DecisionRefused(
        "the permit is malformed or its signature does not verify", code="bad_signature"
    )
    if (
        not isinstance(token, str)
        or len(token) > _MAX_TOKEN
        or not token.isascii()  # the signature covers ASCII bytes; anything else is forged
        or token.count(".") != 2
    ):
        raise refused
    prefix, payload, signature = token.split(".")
    if prefix != _PREFIX:
        raise refused
    signed = f"{prefix}.{payload}"
    # Compare against every key without short-circuiting on the first mismatch.
    ok = False
    for k in keys:
        ok |= hmac.compare_digest(_sign(k, signed), signature)
    if not ok:
        raise refused
    try:
        claims = json.loads(_unb64(payload))
        permit = Permit(
            request_id=str(claims["rid"]),
            args_digest=str(claims["dig"]),
            approver=Principal.from_dict(claims["apr"]),
            verdict=claims["vd"],
            expires_at=datetime.fromtimestamp(float(claims["exp"]), tz=UTC),
            nonce=str(claims["nonce"]),
            reason=str(claims.get("rsn", "")),
            channel=str(claims.get("ch", "permit")),
            edited_tool=claims.get("et"),
            edited_args=claims.get("ea"),
        )
    except (
        ValueError,
        KeyError,
        TypeError,
        RecursionError,
        binascii.Error,
        ConfigurationError,
    ) as exc:
        raise refused from exc
    if now >= permit.expires_at:
        raise DecisionRefused(
            "the permit has expired", code="permit_expired", request_id=permit.request_id
        )
    return permit
