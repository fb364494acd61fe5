"""Verify a chain: every hash matches its body, seqs run 1, 2, 3 ... and each event links to the last.

The walk is a tight loop over stored ``(body, hash)`` pairs: one hash per event, and the link
(``seq``, ``prev_hash``) read by slicing the canonical bytes instead of parsing them. Keys are
sorted, so the top-level ``prev_hash`` and ``seq`` come after ``data`` and only scalar fields
follow; the slice is trusted only when no ``}`` sits between ``,"prev_hash":"`` and the final
brace (nothing in between can close a nested object, and ``,"`` never occurs inside a JSON string,
so those keys are members of the top-level object). Any other body goes through ``orjson.loads``, as before. Only when something
is wrong does it look further ahead, to say *what* is wrong:

* ``edited``: an event's bytes no longer match its hash (or it was re-hashed and the next event
  no longer links to it);
* ``deleted``: a sequence number is missing;
* ``reordered``: a sequence number appears later than its place;
* ``inserted``: two events claim the same sequence number (one of them forged);
* ``malformed``: a record that is not an event at all (torn write, hand-edited JSON).

Truncating the *end* of a trail leaves a valid, shorter chain: compare ``head_seq``/``head_hash``
with a copy kept elsewhere (``expect_head``) to detect it.

Example:
    >>> from guardrails.audit import AuditLog
    >>> log = AuditLog()
    >>> for i in range(3):
    ...     _ = log.record("tool.executed", n=i)
    >>> log.sink.rows[1] = log.sink.rows[1]._replace(body=log.sink.rows[1].body.replace('"n":1', '"n":7'))
    >>> r = log.verify()
    >>> r.ok, r.first_bad_seq, r.problem
    (False, 2, 'edited')
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from guardrails._errors import AuditIntegrityError
from guardrails.audit._chain import Chain
from guardrails.audit._events import GENESIS_HASH, AuditEvent, Record, canonical_json
from guardrails.audit._lines import split_line

__all__ = ["VerifyReport", "verify_events", "verify_pairs"]

_PREV_KEY = ',"prev_hash":"'


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyReport:
    """The outcome of verifying a trail.

    Attributes:
        ok: the whole chain verifies.
        count: events that verified before the first problem (all of them when ``ok``).
        first_bad_seq: the sequence number of the first bad event, or ``None``.
        problem: ``"edited"``, ``"deleted"``, ``"reordered"``, ``"inserted"``, ``"malformed"``,
            ``"truncated"`` (``expect_head`` not reached) or ``None``.
        message: one line for people.
        head_seq: last good sequence number; keep it with ``head_hash`` elsewhere as an anchor.
        head_hash: hash of the last good event (``GENESIS_HASH`` for an empty trail).

    Example:
        >>> VerifyReport(ok=True, count=0, message="ok").ok
        True
    """

    ok: bool
    count: int
    message: str
    first_bad_seq: int | None = None
    problem: str | None = None
    head_seq: int = 0
    head_hash: str = GENESIS_HASH

    def raise_for_problem(self) -> None:
        """Raise :class:`~guardrails.AuditIntegrityError` unless the trail verified."""
        if not self.ok:
            raise AuditIntegrityError(
                self.message, first_bad_seq=self.first_bad_seq or 0, problem=self.problem or ""
            )


def verify_pairs(
    pairs: Iterable[tuple[str, str]],
    chain: Chain,
    *,
    expect_head: tuple[int, str] | None = None,
) -> VerifyReport:
    """Verify ``(body, hash)`` pairs in storage order (see the module docstring).

    ``expect_head=(seq, hash)`` is a head recorded earlier: the event at that seq must still be
    there with that hash (the trail may have grown since).
    """
    seal = chain.seal
    loads = orjson.loads  # parsing only: hashed bytes are never re-serialized
    sha256 = hashlib.sha256
    # HMAC inlined from the two precomputed key-block states (see Chain): no call per event.
    inner, outer = (chain.pads[0].copy, chain.pads[1].copy) if chain.pads else (None, None)
    anchor_seq = expect_head[0] if expect_head is not None else 0
    anchor_hash = None
    expected = 1
    prev = GENESIS_HASH
    it = iter(pairs)
    try:
        for body, digest in it:
            # Fast path: the exact link bytes at the top-level offsets (see the module docstring).
            at = body.rfind(_PREV_KEY)
            if (
                at > 0
                and body.startswith(f'{_PREV_KEY}{prev}","principal":', at)
                and body.startswith(f',"seq":{expected},"thread_id":', body.rfind(',"seq":', at))
                and body.find("}", at) == len(body) - 1  # a nested object would close before it
            ):
                if inner is None:
                    sealed = sha256(body.encode()).hexdigest()
                else:
                    mac = inner()
                    mac.update(body.encode())
                    out = outer()  # type: ignore[misc]  # set together with inner
                    out.update(mac.digest())
                    sealed = out.hexdigest()
                if sealed == digest:
                    if expected == anchor_seq:
                        anchor_hash = digest
                    prev = digest
                    expected += 1
                    continue
            try:
                obj = loads(body)
                seq = obj["seq"]
                linked = obj["prev_hash"]
            except (ValueError, KeyError, TypeError):
                seq = None
            if type(seq) is not int:
                return _bad(
                    expected,
                    "malformed",
                    f"record at position {expected} is not an audit event",
                    prev,
                )
            if seq != expected or linked != prev or seal(body) != digest:
                return _classify(expected, prev, body, digest, seq, it, chain)
            if expected == anchor_seq:
                anchor_hash = digest
            prev = digest
            expected += 1
    except (TypeError, AttributeError):
        # A stored body or hash that is not text (SQLite keeps a BLOB written into a TEXT
        # column as bytes): a tampered record, reported at its position instead of raising.
        return _bad(expected, "malformed", f"record at position {expected} is not text", prev)
    count = expected - 1
    if expect_head is not None:
        want_seq, want_hash = expect_head
        if count < want_seq:
            return _bad(
                count + 1,
                "truncated",
                f"trail ends at seq {count} but seq {want_seq} was recorded earlier:"
                f" events {count + 1}..{want_seq} are missing",
                prev,
            )
        if anchor_hash != want_hash:
            return _bad(
                want_seq,
                "edited",
                f"event {want_seq} does not have the head hash recorded earlier (rewritten chain)",
                GENESIS_HASH,
            )
    return VerifyReport(
        ok=True, count=count, message=f"ok: {count} events verify", head_seq=count, head_hash=prev
    )


def _bad(seq: int, problem: str, message: str, prev: str) -> VerifyReport:
    return VerifyReport(
        ok=False,
        count=seq - 1,
        first_bad_seq=seq,
        problem=problem,
        message=f"seq {seq}: {problem}: {message}",
        head_seq=seq - 1,
        head_hash=prev,
    )


def _seq_of(body: str) -> int | None:
    try:
        seq = orjson.loads(body)["seq"]
    except (ValueError, KeyError, TypeError):
        return None
    return seq if type(seq) is int else None


def _classify(  # noqa: PLR0917 - private helper of one caller
    expected: int,
    prev: str,
    body: str,
    digest: str,
    seq: int,
    rest: Iterator[tuple[str, str]],
    chain: Chain,
) -> VerifyReport:
    """Name the first problem; reads ahead (only on this failure path) to tell the kinds apart."""
    later = [_seq_of(b) for b, _ in rest]
    if seq == expected and later and later[0] == seq:
        return _bad(seq, "inserted", f"two events claim seq {seq}; one of them was inserted", prev)
    if chain.seal(body) != digest:
        hint = (
            "" if chain.keyed or expected > 1 else " (if the trail was written with a key, pass it)"
        )
        claims = "" if seq == expected else f" (it claims seq {seq})"
        return _bad(expected, "edited", f"event bytes do not match its hash{claims}{hint}", prev)
    if seq == expected:  # intact itself, but not linked: the one before was altered and re-hashed
        if expected == 1:
            return _bad(1, "edited", "the first event does not start from the genesis hash", prev)
        return _bad(
            expected - 1,
            "edited",
            f"event {expected} does not link to event {expected - 1}: it was altered and re-hashed",
            prev,
        )
    if seq > expected:
        if expected in later:
            return _bad(expected, "reordered", f"event {expected} appears after event {seq}", prev)
        gap = f"{expected}" if seq == expected + 1 else f"{expected}..{seq - 1}"
        return _bad(expected, "deleted", f"event(s) {gap} are missing", prev)
    if seq == expected - 1:
        return _bad(seq, "inserted", f"two events claim seq {seq}; one of them was inserted", prev)
    return _bad(
        expected, "inserted", f"a copy of event {seq} appears after event {expected - 1}", prev
    )


def _pair_of(item: AuditEvent | Record | Mapping[str, Any] | str | bytes) -> tuple[str, str]:
    if isinstance(item, Record):
        return item.body, item.hash
    if isinstance(item, AuditEvent):
        return canonical_json(item.body_dict()), item.hash
    if isinstance(item, bytes):
        item = item.decode("utf-8", errors="replace")
    if isinstance(item, str):
        return split_line(item)
    obj = dict(item)
    digest = obj.pop("hash", "")
    try:
        return canonical_json(obj), str(digest)
    except (TypeError, ValueError):
        return "", ""


def verify_events(
    events: Iterable[AuditEvent | Record | Mapping[str, Any] | str | bytes],
    key: bytes | None = None,
    *,
    expect_head: tuple[int, str] | None = None,
) -> VerifyReport:
    """Verify events from anywhere: an exported JSONL file (its lines), dicts, or :class:`AuditEvent`.

    Example:
        >>> import io
        >>> from guardrails.audit import AuditLog
        >>> log, buf = AuditLog(), io.StringIO()
        >>> _ = log.record("redaction", entities={"EMAIL_ADDRESS": 1})
        >>> log.export(buf)
        1
        >>> verify_events(io.StringIO(buf.getvalue())).ok
        True
    """
    return verify_pairs(_pairs_of(events), Chain(key), expect_head=expect_head)


def _pairs_of(
    events: Iterable[AuditEvent | Record | Mapping[str, Any] | str | bytes],
) -> Iterator[tuple[str, str]]:
    # Lines of an exported file are the common case: split them without the type dispatch.
    for e in events:
        if type(e) is str:
            if e.strip():
                yield split_line(e)
        elif not (isinstance(e, str | bytes) and not e.strip()):
            yield _pair_of(e)
