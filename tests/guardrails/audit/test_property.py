"""Properties over random chains and random tampering (in memory: the storage-independent logic)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails.audit import AuditLog, Chain, Record, verify_events
from tests.guardrails.audit.conftest import KEY
from tests.guardrails.audit.test_tamper import forged_body

json_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
events = st.lists(
    st.tuples(
        st.sampled_from(["redaction", "approval.decided", "tool.executed", "x.custom_kind"]),
        st.dictionaries(st.text(min_size=1, max_size=8), json_values, max_size=4),
    ),
    min_size=2,
    max_size=25,
)
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def build(evs: list[tuple[str, dict[str, object]]], keyed: bool) -> AuditLog:
    log = AuditLog(key=KEY if keyed else None)
    for kind, data in evs:
        log.record(kind, data=data, thread_id="t")
    return log


@SETTINGS
@given(evs=events, keyed=st.booleans())
def test_recorded_chains_verify(evs: list[tuple[str, dict[str, object]]], keyed: bool) -> None:
    """Any sequence of valid events verifies, in place and after a JSONL export."""
    log = build(evs, keyed)
    assert log.verify().count == len(evs)
    assert verify_events(log.events(), key=KEY if keyed else None).ok


@SETTINGS
@given(evs=events, keyed=st.booleans(), data=st.data())
def test_one_changed_character_is_caught_at_its_seq(
    evs: list[tuple[str, dict[str, object]]], keyed: bool, data: st.DataObject
) -> None:
    """Changing any one character of an event's body or hash fails at exactly that seq."""
    log = build(evs, keyed)
    rows: list[Record] = log.sink.rows  # type: ignore[attr-defined]
    i = data.draw(st.integers(0, len(rows) - 1))
    rec = rows[i]
    text = rec.body + rec.hash
    pos = data.draw(st.integers(0, len(text) - 1))
    new = data.draw(st.sampled_from('0a{}",:x ').filter(lambda c: c != text[pos]))
    text = text[:pos] + new + text[pos + 1 :]
    split = len(rec.body)
    rows[i] = rec._replace(body=text[:split], hash=text[split:])
    report = log.verify()
    assert not report.ok
    assert report.first_bad_seq == i + 1
    assert report.problem in {"edited", "malformed"}


@SETTINGS
@given(evs=events, keyed=st.booleans(), data=st.data())
def test_deleted_event_is_caught_at_its_seq(
    evs: list[tuple[str, dict[str, object]]], keyed: bool, data: st.DataObject
) -> None:
    """Deleting any event but the last fails at its seq as 'deleted'."""
    log = build(evs, keyed)
    rows = log.sink.rows  # type: ignore[attr-defined]
    i = data.draw(st.integers(0, len(rows) - 2))
    del rows[i]
    report = log.verify()
    assert (report.first_bad_seq, report.problem) == (i + 1, "deleted")


@SETTINGS
@given(evs=events, keyed=st.booleans(), data=st.data())
def test_swapped_events_are_caught_at_the_first(
    evs: list[tuple[str, dict[str, object]]], keyed: bool, data: st.DataObject
) -> None:
    """Swapping any two events fails at the earlier seq as 'reordered'."""
    log = build(evs, keyed)
    rows = log.sink.rows  # type: ignore[attr-defined]
    i = data.draw(st.integers(0, len(rows) - 2))
    j = data.draw(st.integers(i + 1, len(rows) - 1))
    rows[i], rows[j] = rows[j], rows[i]
    report = log.verify()
    assert (report.first_bad_seq, report.problem) == (i + 1, "reordered")


@SETTINGS
@given(evs=events, keyed=st.booleans(), data=st.data())
def test_inserted_forgery_is_caught_at_its_seq(
    evs: list[tuple[str, dict[str, object]]], keyed: bool, data: st.DataObject
) -> None:
    """A forged event chained into any position fails at that seq as 'inserted'."""
    log = build(evs, keyed)
    rows = log.sink.rows  # type: ignore[attr-defined]
    i = data.draw(st.integers(0, len(rows) - 1))
    prev = rows[i - 1].hash if i else "0" * 64
    body = forged_body(i + 1, prev)
    rows.insert(i, Record(i + 1, body, Chain().seal(body)))
    report = log.verify()
    assert (report.first_bad_seq, report.problem) == (i + 1, "inserted")


@SETTINGS
@given(evs=events, data=st.data())
def test_truncation_is_caught_with_the_anchor(
    evs: list[tuple[str, dict[str, object]]], data: st.DataObject
) -> None:
    """Dropping the last k events is caught at the first dropped seq when the head is anchored."""
    log = build(evs, keyed=False)
    report = log.verify()
    anchor = (report.head_seq, report.head_hash)
    k = data.draw(st.integers(1, len(evs)))
    del log.sink.rows[len(evs) - k :]  # type: ignore[attr-defined]
    bad = log.verify(expect_head=anchor)
    assert (bad.first_bad_seq, bad.problem) == (len(evs) - k + 1, "truncated")


# ids include the placeholders themselves: inside JSON strings their quotes are escaped
ids = st.none() | st.text(min_size=1, max_size=12) | st.sampled_from(['"seq":0,', '"prev_hash":"0'])


@SETTINGS
@given(
    data=st.dictionaries(
        st.sampled_from(["seq", "prev_hash", "v", "x", '"seq":0,', "z"]) | st.text(max_size=6),
        json_values | st.just("0" * 64) | st.just('"seq":0,'),
        max_size=5,
    ),
    principal=ids,
    thread_id=ids,
    run_id=ids,
    policy_hash=ids,
    request_id=ids,
    tool_call_id=ids,
    seq=st.integers(1, 10**12),
    prev=st.text("0123456789abcdef", min_size=64, max_size=64),
)
def test_spliced_body_equals_a_full_canonical_dump(
    data: dict[str, object],
    principal: str | None,
    thread_id: str | None,
    run_id: str | None,
    policy_hash: str | None,
    request_id: str | None,
    tool_call_id: str | None,
    seq: int,
    prev: str,
) -> None:
    """The body built by splicing seq/prev_hash into the template is the canonical JSON of the event."""
    from guardrails.audit._events import canonical_json
    from guardrails.audit._log import _builder

    head = {
        "v": 1,
        "kind": "x.y",
        "time": "2026-01-01T12:00:00.000000Z",
        "principal": principal,
        "thread_id": thread_id,
        "run_id": run_id,
        "policy_hash": policy_hash,
        "request_id": request_id,
        "tool_call_id": tool_call_id,
        "data": data,
    }
    template = canonical_json({**head, "seq": 0, "prev_hash": "0" * 64})
    body, _ = _builder(template, lambda b: "")(seq, prev)
    assert body == canonical_json({**head, "seq": seq, "prev_hash": prev})
