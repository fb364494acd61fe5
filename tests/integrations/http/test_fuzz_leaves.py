"""Hostile JSON for the channel fuzzers (HTTP, Slack, Teams), and the checks they share.

A payload is built in the shape an endpoint expects with its leaves drawn from :func:`leaves`:
wrong types, huge strings, NUL, lone surrogates, bidi and zero-width controls, raw PII, ids of
real requests, and deep nesting (written by :func:`dumps` as text, since ``json.dumps`` itself
gives up past ~1,000 levels). Every PII leaf is one of :data:`PII`, so a check can look for it
in response bodies, the audit trail and log records.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PII = ("jane.roe@example.com", "4111 1111 1111 1111", "+44 20 7946 0958")

# A few hundred examples per property (FUZZ_EXAMPLES=5000 for a longer search), no
# per-example deadline (CI machines are shared).
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_DEEP = re.compile(r'"@@deep:(\d+)@@"')
_ODD = "\x00\ud800\udfff\u202e\u2066\u200b\ufeff\u00ad\U000e0041"  # NUL, lone surrogates, bidi, invisibles


def deep(levels: int) -> str:
    """A leaf that :func:`dumps` writes as ``levels`` nested arrays."""
    return f"@@deep:{levels}@@"


def dumps(value: Any) -> str:
    """JSON text for ``value``; lone surrogates escaped, :func:`deep` leaves expanded."""
    text = json.dumps(value)  # ensure_ascii: a lone surrogate becomes \\ud800, as a client sends
    return _DEEP.sub(lambda m: "[" * int(m.group(1)) + "]" * int(m.group(1)), text)


@functools.cache
def texts() -> st.SearchStrategy[str]:
    """Any text: surrogates and controls included, PII inside, now and then huge."""
    any_char = st.characters(codec=None, exclude_categories=())
    plain = st.one_of(
        st.text(any_char, max_size=40),
        st.text(st.sampled_from(_ODD + "ab@. 4"), max_size=40),
        st.sampled_from(PII),
        st.tuples(st.text(any_char, max_size=8), st.sampled_from(PII)).map("".join),
    )
    huge = st.builds(
        lambda c, n: c * n, st.sampled_from("x\x00\u202e\ud800"), st.integers(1, 70_000)
    )
    return st.one_of(plain, plain, plain, huge)


def leaves(ids: Iterable[str] = ()) -> st.SearchStrategy[Any]:
    """A JSON value that does not belong where it is put (or, for ids, one that names another)."""
    return _leaves(tuple(ids))


@functools.cache  # building the strategy costs more than drawing from it
def _leaves(ids: tuple[str, ...]) -> st.SearchStrategy[Any]:
    common = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        texts(),
    )
    scalars = st.one_of(common, common, common, st.integers(1, 5_000).map(deep))
    if ids:
        scalars = st.one_of(scalars, st.sampled_from(ids))
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(texts(), inner, max_size=4)
        ),
        max_leaves=8,
    )


def maybe(valid: Any, ids: Iterable[str] = ()) -> st.SearchStrategy[Any]:
    """Mostly (4 in 5) the valid value, else a hostile leaf in its place."""
    return st.integers(0, 4).flatmap(lambda n: leaves(ids) if n == 4 else st.just(valid))


def no_pii(*texts_: str) -> None:
    """Fail (naming where, never the value) if any PII leaf appears in the texts, raw or escaped."""
    for where, text in enumerate(texts_):
        for value in PII:
            forms = (value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1])
            assert not any(f in text for f in forms), f"PII #{PII.index(value)} in text #{where}"


def store_state(service: Any, ids: Iterable[str] | None = None) -> dict[str, Any]:
    """Status and votes of the pending requests (or of ``ids``), and ``#pending``: how many."""
    ids = [p.id for p in service.pending()] if ids is None else [i for i in ids if i[0] != "#"]
    rows = {
        i: (r.status, tuple((v.approver.id, v.verdict) for v in r.votes))
        for i, r in service.store.get_many(ids).items()
    }
    return {**rows, "#pending": len(service.pending())}


def trail_since(audit: Any, seen: int) -> str:
    """The audit events added after the first ``seen`` (earlier examples answer for theirs)."""
    return "\n".join(r.body for r in audit.sink.rows[seen:])


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def captured_logs() -> Iterator[list[str]]:
    """Every log record (any logger, DEBUG and up, with tracebacks) formatted, while open."""
    handler = _Collect()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(old)


@FUZZ
@given(leaves())
def test_dumps_writes_json_python_reads_back_or_refuses_as_valueerror(value: Any) -> None:
    """The generator's own contract: text the endpoints parse (or refuse with deep nesting)."""
    text = dumps(value)
    try:
        json.loads(text)
    except RecursionError:
        assert "[" * 900 in text


def test_no_pii_sees_escaped_forms() -> None:
    """The check catches a PII value written raw and JSON-escaped, and passes clean text."""
    no_pii("nothing here", '{"a": "<EMAIL_ADDRESS>"}')
    for text in (PII[0], json.dumps({"x": PII[1]}), json.dumps(PII[2], ensure_ascii=True)):
        try:
            no_pii(text)
        except AssertionError:
            continue
        raise AssertionError("no_pii missed a PII value")
