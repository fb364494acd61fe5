"""Verify's sliced link check agrees with a full parse, even when ``data`` mimics the link fields."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.audit import AuditLog, Chain
from guardrails.audit._events import GENESIS_HASH
from guardrails.audit._verify import verify_pairs

KEY = b"verify-fast-key-0123456789abcdef"


def parsed_prefix(pairs: list[tuple[str, str]], key: bytes | None = None) -> int:
    """How many leading events pass the checks done with a full JSON parse (the reference)."""
    prev, seal = GENESIS_HASH, Chain(key).seal
    for i, (body, digest) in enumerate(pairs, 1):
        obj = json.loads(body)
        if obj["seq"] != i or obj["prev_hash"] != prev or seal(body) != digest:
            return i - 1
        prev = digest
    return len(pairs)


def mimic(seq: int, prev: str) -> dict[str, object]:
    """A ``data`` value carrying a fake link, laid out like the top-level tail of a body."""
    return {"prev_hash": prev, "principal": None, "seq": seq, "thread_id": "t", "v": 1}


_text = st.text(alphabet='ab{}[]",:\\é', max_size=12)
_data = st.one_of(
    st.builds(mimic, st.integers(1, 9), st.sampled_from([GENESIS_HASH, "f" * 64])),
    st.dictionaries(st.sampled_from(["prev_hash", "seq", "v", "x"]), _text, max_size=3),
)


def build(
    datas: list[dict[str, object]], principals: list[str], key: bytes | None = None
) -> list[tuple[str, str]]:
    log = AuditLog(key=key)
    for data, principal in zip(datas, principals, strict=False):
        log.record("tool.executed", principal=principal or None, thread_id="t", data=data)
    return [(r.body, r.hash) for r in log.records()]


@settings(max_examples=150, deadline=None)
@given(
    datas=st.lists(_data, min_size=2, max_size=8),
    principals=st.lists(_text, min_size=8, max_size=8),
    op=st.sampled_from(["none", "swap", "delete", "dup"]),
    i=st.integers(0, 7),
    j=st.integers(0, 7),
    key=st.sampled_from([None, KEY]),
)
def test_sliced_check_matches_full_parse(
    datas: list[dict[str, object]],
    principals: list[str],
    op: str,
    i: int,
    j: int,
    key: bytes | None,
) -> None:
    """Over random chains and tamperings, verify accepts exactly the prefix a full parse accepts."""
    pairs = build(datas, principals, key)
    i, j = i % len(pairs), j % len(pairs)
    if op == "swap":
        pairs[i], pairs[j] = pairs[j], pairs[i]
    elif op == "delete":
        del pairs[i]
    elif op == "dup":
        pairs.insert(j, pairs[i])
    good = parsed_prefix(pairs, key)
    report = verify_pairs(pairs, Chain(key))
    assert report.ok == (good == len(pairs))
    if not report.ok:
        assert report.first_bad_seq in {good, good + 1}


def test_fake_link_in_data_does_not_hide_a_deleted_event() -> None:
    """An event whose data spells the expected link is still caught when it sits at the wrong seq."""
    log = AuditLog()
    first = log.record("tool.executed", data={"n": 1})
    log.record("tool.executed", data={"n": 2})
    log.record("tool.executed", data=mimic(2, first.hash))
    pairs = [(r.body, r.hash) for r in log.records()]
    del pairs[1]
    report = verify_pairs(pairs, Chain())
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 2, "deleted")


def test_keyed_verify_refuses_an_event_sealed_with_another_key() -> None:
    """The inlined HMAC of the fast path still tells one key from another."""
    pairs = build([{"n": 1}, {"n": 2}], ["a", "b"], KEY)
    assert verify_pairs(pairs, Chain(KEY)).ok
    report = verify_pairs(pairs, Chain(b"another-key-0123456789abcdef"))
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 1, "edited")
