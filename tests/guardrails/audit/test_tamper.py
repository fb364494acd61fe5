"""Tampering with a stored trail: verify catches it and names the first bad sequence number."""

from __future__ import annotations

import pytest

from guardrails._errors import AuditIntegrityError
from guardrails.audit import AuditLog, Chain, canonical_json
from tests.guardrails.audit.conftest import ALL, KEY, Backend, fill

N = 8


def forged_body(seq: int, prev_hash: str) -> str:
    """An event an attacker writes: well-formed, chained to the real previous hash."""
    return canonical_json(
        {
            "v": 1,
            "seq": seq,
            "kind": "approval.decided",
            "time": "2026-01-01T12:00:00.000000Z",
            "principal": "u:mallory",
            "thread_id": "t1",
            "run_id": None,
            "policy_hash": None,
            "request_id": "r-forged",
            "tool_call_id": None,
            "data": {"verdict": "approve"},
            "prev_hash": prev_hash,
        }
    )


def tamper(backend: Backend, op: str) -> None:
    if op == "edit":  # one byte: the digit of data.n in event 3
        backend.edit(3, '"n":3', '"n":4')
    elif op == "delete":
        backend.delete(3)
    elif op == "swap":
        backend.swap(3, 6)
    elif op == "insert":  # forger has no key: plain SHA-256 over a body chained to event 2
        prev = backend.rows()[1][1]
        body = forged_body(3, prev)
        backend.insert(3, body, Chain().seal(body))


CASES = [
    ("edit", "edited"),  # a byte of event 3 changed
    ("delete", "deleted"),  # event 3 removed
    ("swap", "reordered"),  # events 3 and 6 swapped
    ("insert", "inserted"),  # a forged event 3 slipped in before the real one
]


@pytest.mark.parametrize("backend", ALL, indirect=True)
@pytest.mark.parametrize("keyed", [False, True], ids=["sha256", "hmac"])
@pytest.mark.parametrize(("op", "problem"), CASES)
def test_verify_names_first_bad_seq(backend: Backend, keyed: bool, op: str, problem: str) -> None:
    """Each tamper is detected at seq 3 with the right problem, keyed or not."""
    log = AuditLog(backend.sink, key=KEY if keyed else None)
    fill(log, N)
    assert log.verify().ok
    tamper(backend, op)
    report = log.verify()
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 3, problem)
    assert report.message.startswith(f"seq 3: {problem}")
    assert report.count == 2


@pytest.mark.parametrize("backend", ALL, indirect=True)
def test_untampered_trail_verifies(backend: Backend) -> None:
    """A trail nobody touched verifies with its count and head."""
    log = AuditLog(backend.sink)
    fill(log, N)
    report = log.verify()
    assert (report.ok, report.count, report.head_seq) == (True, N, N)
    assert report.head_hash == backend.rows()[-1][1]


@pytest.mark.parametrize("backend", ALL, indirect=True)
def test_empty_trail_verifies(backend: Backend) -> None:
    """An empty trail is valid with count 0."""
    report = AuditLog(backend.sink).verify()
    assert (report.ok, report.count, report.first_bad_seq) == (True, 0, None)


def test_rehashed_edit_is_caught_by_the_next_link(tmp_path: object) -> None:
    """Without a key, an edit re-hashed by the attacker still breaks the next event's link."""
    log = AuditLog()
    fill(log, 5)
    rows = log.sink.rows  # type: ignore[attr-defined]
    body = rows[2].body.replace('"n":3', '"n":9')
    rows[2] = rows[2]._replace(body=body, hash=Chain().seal(body))
    report = log.verify()
    assert (report.first_bad_seq, report.problem) == (3, "edited")


def test_rewritten_chain_passes_without_key_but_fails_with_it() -> None:
    """Re-chaining everything after an edit defeats plain SHA-256, not HMAC: why the key matters."""
    log = AuditLog(key=KEY)
    fill(log, 4)
    rows = log.sink.rows  # type: ignore[attr-defined]
    prev = "0" * 64
    for i, rec in enumerate(rows):  # attacker recomputes every hash with plain SHA-256
        body = rec.body.replace('"n":2', '"n":5')
        body = (
            body[: body.index('"prev_hash":')]
            + f'"prev_hash":"{prev}"'
            + body[body.index(',"principal"') :]
        )
        prev = Chain().seal(body)
        rows[i] = rec._replace(body=body, hash=prev)
    assert AuditLog(log.sink).verify().ok  # unkeyed verification is fooled
    report = log.verify()
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 1, "edited")


def test_keyed_trail_fails_under_another_key() -> None:
    """Events sealed with one key do not verify with another."""
    log = AuditLog(key=KEY)
    fill(log, 2)
    report = AuditLog(log.sink, key=b"x" * 32).verify()
    assert (report.ok, report.first_bad_seq) == (False, 1)


def test_keyed_trail_without_key_hints_at_the_key() -> None:
    """Verifying a keyed trail without the key says a key may be needed."""
    log = AuditLog(key=KEY)
    fill(log, 2)
    report = AuditLog(log.sink).verify()
    assert report.first_bad_seq == 1
    assert "key" in report.message


def test_truncated_end_is_caught_with_an_anchor() -> None:
    """Deleting the last events leaves a valid chain; a head kept elsewhere catches it."""
    log = AuditLog()
    fill(log, 5)
    anchor = (log.verify().head_seq, log.verify().head_hash)
    del log.sink.rows[3:]  # type: ignore[attr-defined]
    assert log.verify().ok
    report = log.verify(expect_head=anchor)
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 4, "truncated")


def test_forged_append_with_wrong_key_is_caught() -> None:
    """An event appended by someone without the key fails at its seq."""
    log = AuditLog(key=KEY)
    fill(log, 3)
    AuditLog(log.sink).record("approval.decided", verdict="approve")
    report = log.verify()
    assert (report.first_bad_seq, report.problem) == (4, "edited")


def test_malformed_record_is_named() -> None:
    """A record that is not an event at all is reported as malformed at its position."""
    log = AuditLog()
    fill(log, 3)
    rows = log.sink.rows  # type: ignore[attr-defined]
    rows[1] = rows[1]._replace(body='{"seq":2')
    report = log.verify()
    assert (report.first_bad_seq, report.problem) == (2, "malformed")


def test_raise_for_problem_raises_integrity_error() -> None:
    """raise_for_problem turns a bad report into AuditIntegrityError carrying seq and problem."""
    log = AuditLog()
    fill(log, 3)
    del log.sink.rows[0]  # type: ignore[attr-defined]
    with pytest.raises(AuditIntegrityError) as info:
        log.verify().raise_for_problem()
    assert (info.value.first_bad_seq, info.value.problem) == (1, "deleted")


def test_anchor_still_holds_after_the_trail_grows() -> None:
    """A head recorded earlier stays valid while new events are appended after it."""
    log = AuditLog()
    fill(log, 3)
    report = log.verify()
    anchor = (report.head_seq, report.head_hash)
    fill(log, 2)
    assert log.verify(expect_head=anchor).ok


def test_anchor_catches_a_fully_rewritten_chain() -> None:
    """Without a key a rewritten chain verifies by itself, but not against an earlier head."""
    log = AuditLog()
    fill(log, 3)
    report = log.verify()
    anchor = (report.head_seq, report.head_hash)
    rewritten = AuditLog()
    for i in range(1, 4):
        rewritten.record("tool.executed", thread_id="t1", tool="send", n=i * 10)
    log.sink.rows[:] = rewritten.sink.rows  # type: ignore[attr-defined]
    assert log.verify().ok
    bad = log.verify(expect_head=anchor)
    assert (bad.ok, bad.first_bad_seq, bad.problem) == (False, 3, "edited")
