"""RedactionSession.redact_history's prefix shortcut: a re-sent history is recognised as one block,
and anything that is not the same history, or no longer valid for the vault, is done item by item."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import Redactor, Span
from guardrails.session import RedactionSession, SessionStore

BADGE = "BDG-1234"
OLD = f"door code {BADGE} works"  # no "badge" cue: detection misses the value here
TEACHES = f"my badge is {BADGE}"  # the cue: the vault learns the value


class _Badge:
    """Detects BDG-#### only where the text says "badge" (so the same value can go unnoticed)."""

    name = "badge"
    entities = frozenset({"SECRET"})

    def detect(self, text: str) -> list[Span]:
        i = text.find("BDG-")
        if i < 0 or "badge" not in text:
            return []
        return [Span(start=i, end=i + 8, entity_type="SECRET", score=1.0, value=text[i : i + 8])]


REDACTOR = Redactor(extra_detectors=[_Badge()])


class _Walk:
    """An adapter's schema walk (content through redact_data) that records which items it did."""

    def __init__(self, session: RedactionSession) -> None:
        self.session = session
        self.done: list[int] = []

    def __call__(self, i: int, msg: dict[str, Any]) -> dict[str, Any]:
        self.done.append(i)
        return {**msg, "content": self.session.redact_data(msg["content"])}


def _msgs(*texts: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": t} for t in texts]


def _history(n: int) -> list[dict[str, Any]]:
    return _msgs(*(f"note {i}: mail user{i}@example.com about plan B-{i}" for i in range(n)))


def _fresh(items: list[Any], vault_of: RedactionSession) -> list[Any]:
    """What an uncached session with the vault of ``vault_of`` returns."""
    fresh = RedactionSession(REDACTOR, vault=vault_of.vault, cache_size=0)
    return fresh.redact_history(items, _Walk(fresh), kind="chat")


class _Twin:
    """A cached and an uncached session sent the same calls; each call's results must agree."""

    def __init__(self) -> None:
        self.cached = RedactionSession(REDACTOR)
        self.fresh = RedactionSession(REDACTOR, cache_size=0)

    def send(self, items: list[Any]) -> list[Any]:
        got = self.cached.redact_history(items, _Walk(self.cached), kind="chat")
        assert got == self.fresh.redact_history(items, _Walk(self.fresh), kind="chat")
        return got


@pytest.fixture
def session() -> RedactionSession:
    return RedactionSession(REDACTOR)


def test_resent_history_is_one_block_and_only_the_new_item_is_walked(
    session: RedactionSession,
) -> None:
    """A history re-sent with one more message walks only the new message."""
    history = _history(20)
    first = session.redact_history(history, _Walk(session), kind="chat")
    walk = _Walk(session)
    hits = session.stats.hits
    out = session.redact_history([*history, *_msgs("new")], walk, kind="chat")
    assert walk.done == [20]
    assert out[:20] == first
    assert session.stats.hits == hits + 20


def test_replaced_last_message_serves_the_rest(session: RedactionSession) -> None:
    """The last message replaced (a retry, an edit): the others are served, the new one walked."""
    history = _history(10)
    session.redact_history([*history, *_msgs("first try")], _Walk(session), kind="chat")
    walk = _Walk(session)
    out = session.redact_history([*history, *_msgs("second try me@example.com")], walk, kind="chat")
    assert walk.done == [10]
    assert out == _fresh([*history, *_msgs("second try me@example.com")], session)


@pytest.mark.parametrize(
    "edit",
    [
        # an old message changed in place (same length of list)
        lambda h: [*h[:3], {"role": "user", "content": "changed jane.doe@example.com"}, *h[4:]],
        # one character of the first message changed
        lambda h: [{**h[0], "content": h[0]["content"] + "!"}, *h[1:]],
        # two old messages swapped
        lambda h: [h[1], h[0], *h[2:]],
        # a message inserted in the middle
        lambda h: [*h[:5], *_msgs("inserted bob.roe@example.org"), *h[5:]],
        # the oldest message dropped (a sliding window)
        lambda h: h[1:],
        # the newest message dropped
        lambda h: h[:-1],
        # the last two dropped and one added
        lambda h: [*h[:-2], *_msgs("other end")],
        # a key added to an old message
        lambda h: [*h[:2], {**h[2], "name": "x"}, *h[3:]],
        # the same list, nothing changed
        lambda h: h,
        # an empty list
        lambda h: [],
    ],
)
def test_edited_history_equals_uncached(edit: Callable) -> None:
    """Whatever happened to the old messages, the result is what an uncached session gives."""
    twin = _Twin()
    history = _history(12)
    twin.send(history)
    twin.send([*history, *_msgs("one more")])
    edited = edit(history)
    twin.send(edited)
    twin.send([*edited, *_msgs("next")])


def test_a_changed_old_message_is_walked_again(session: RedactionSession) -> None:
    """An old message whose content changed is walked, not served from the block."""
    history = _history(8)
    session.redact_history(history, _Walk(session), kind="chat")
    changed = [*history[:3], *_msgs("note 3 changed: mail zed@example.com"), *history[4:]]
    walk = _Walk(session)
    out = session.redact_history(changed, walk, kind="chat")
    assert 3 in walk.done
    assert out[3] == {"role": "user", "content": "note 3 changed: mail <EMAIL_ADDRESS_9>"}


def test_value_learned_in_the_new_message_is_masked_in_the_served_block(
    session: RedactionSession,
) -> None:
    """A new message that teaches the vault a value held by an old (served) message: redone."""
    history = [*_history(5), *_msgs(OLD), *_history(3)]
    assert session.redact_history(history, _Walk(session), kind="chat")[5]["content"] == OLD
    out = session.redact_history([*history, *_msgs(TEACHES)], _Walk(session), kind="chat")
    assert out[5]["content"] == "door code <SECRET_1> works"
    assert out[-1]["content"] == "my badge is <SECRET_1>"
    again = session.redact_history([*history, *_msgs(TEACHES, "ok")], _Walk(session), kind="chat")
    assert again[5]["content"] == "door code <SECRET_1> works"


def test_value_learned_elsewhere_between_calls_is_masked_in_the_block(
    session: RedactionSession,
) -> None:
    """A value the vault learned from another field between two calls: the old message is redone."""
    history = [*_history(4), *_msgs(OLD)]
    session.redact_history(history, _Walk(session), kind="chat")
    session.redact_text(TEACHES)  # e.g. the instructions of the next request
    walk = _Walk(session)
    out = session.redact_history([*history, *_msgs("next")], walk, kind="chat")
    assert out[4]["content"] == "door code <SECRET_1> works"
    assert 4 in walk.done


def test_value_learned_later_in_a_json_escaped_form_is_found(session: RedactionSession) -> None:
    """A value that JSON escapes (a quote in it) is found in the old messages' JSON too."""
    old = 'door code BDG-1"34 works'  # in the message's JSON: BDG-1\\"34
    history = _msgs(old)
    session.redact_history(history, _Walk(session), kind="chat")
    session.redact_text('my badge is BDG-1"34')
    out = session.redact_history([*history, *_msgs("next")], _Walk(session), kind="chat")
    assert out[0]["content"] == "door code <SECRET_1> works"


def test_vault_growth_without_the_value_keeps_the_block(session: RedactionSession) -> None:
    """The vault learning values that are not in the old messages keeps them served."""
    history = _history(10)
    session.redact_history(history, _Walk(session), kind="chat")
    for i in range(3):
        history = [*history, *_msgs(f"new {i}: write to new{i}@example.com")]
        walk = _Walk(session)
        session.redact_history(history, walk, kind="chat")
        assert walk.done == [len(history) - 1]


def test_an_item_boundary_must_follow_the_prefix(session: RedactionSession) -> None:
    """``[1]`` then ``[12]``: the JSON ``[1`` is a prefix of both, but the item is not the same."""

    def same(i: int, item: Any) -> Any:
        return item

    assert session.redact_history([1], same, kind="n") == [1]
    assert session.redact_history([12], same, kind="n") == [12]
    assert session.redact_history(["a"], same, kind="n") == ["a"]
    assert session.redact_history(["a", "b"], same, kind="n") == ["a", "b"]
    assert session.redact_history([["a"]], same, kind="n") == [["a"]]
    assert session.redact_history([["a", "b"]], same, kind="n") == [["a", "b"]]


def test_kinds_do_not_share_histories(session: RedactionSession) -> None:
    """Two kinds (two walks) over the same list each get their own results."""
    history = _history(6)
    session.redact_history(history, lambda i, m: {**m, "content": "A"}, kind="a")
    out = session.redact_history(history, lambda i, m: {**m, "content": "B"}, kind="b")
    assert {m["content"] for m in out} == {"B"}
    again = session.redact_history([*history, *_msgs("x")], _Walk(session), kind="a")
    assert {m["content"] for m in again[:6]} == {"A"}


def test_conversations_do_not_share_blocks() -> None:
    """The same history in another conversation of one store is walked there, with its vault."""
    store = SessionStore(REDACTOR)
    alice, bob = store.get("alice"), store.get("bob")
    history = [*_history(3), *_msgs(OLD)]
    alice.redact_text(TEACHES)  # alice's vault knows the badge, bob's does not
    assert alice.redact_history(history, _Walk(alice), kind="chat")[3]["content"] == (
        "door code <SECRET_1> works"
    )
    walk = _Walk(bob)
    out = bob.redact_history(history, walk, kind="chat")
    assert walk.done == [0, 1, 2, 3]
    assert out[3]["content"] == OLD  # bob's vault does not know the value, alice's placeholders
    assert "<SECRET" not in str(out)  # are not bob's


def test_a_non_json_item_disables_the_block_but_not_the_result(session: RedactionSession) -> None:
    """An item orjson refuses (a huge int) is redacted uncached and the rest stays exact."""
    history: list[Any] = [*_history(3), {"role": "user", "content": "n", "big": 2**70}]
    walk = lambda i, m: {**m, "content": session.redact_data(m["content"])}  # noqa: E731
    out = session.redact_history(history, walk, kind="chat")
    assert out[3]["big"] == 2**70
    out = session.redact_history([*history, *_msgs("x")], walk, kind="chat")
    assert out[:3] == _fresh(history[:3], session)
    assert out[3]["big"] == 2**70


def test_concurrent_conversations_each_equal_uncached() -> None:
    """Threads, one conversation each in one store, sending growing and edited histories."""
    store = SessionStore(REDACTOR)
    errors: list[str] = []

    def run(n: int) -> None:
        session = store.get(f"c{n}")
        fresh = RedactionSession(REDACTOR, cache_size=0)
        history = _history(5 + n)
        for turn in range(12):
            if turn % 4 == 3:
                history = [*history[:2], *_msgs(f"edited {turn} {BADGE}"), *history[3:]]
            history = [*history, *_msgs(OLD if turn % 3 else TEACHES, f"t{n}.{turn}")]
            got = session.redact_history(history, _Walk(session), kind="chat")
            if got != fresh.redact_history(history, _Walk(fresh), kind="chat"):
                errors.append(f"thread {n} turn {turn}")

    threads = [threading.Thread(target=run, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_one_session_shared_by_threads_ends_exact() -> None:
    """Threads of one conversation sending their histories at once: a last re-send of each equals
    an uncached redaction with the conversation's final vault."""
    session = RedactionSession(REDACTOR)
    finals: dict[int, list[Any]] = {}

    def run(n: int) -> None:
        history = _history(4)
        for turn in range(10):
            text = TEACHES if (n, turn) == (1, 6) else f"thread {n} turn {turn} {OLD}"
            history = [*history, *_msgs(text)]
            session.redact_history(history, _Walk(session), kind=f"k{n % 2}")
        finals[n] = history

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n, history in finals.items():
        got = session.redact_history(history, _Walk(session), kind=f"k{n % 2}")
        assert got == _fresh(history, vault_of=session)
        assert all(BADGE not in m["content"] for m in got)


_POOL = [
    "plain note about plan B-7",
    OLD,
    TEACHES,
    "mail jane.doe@example.com",
    'json {"to": "bob.roe@example.org", "code": "BDG-1234"}',
    "call +1 415 555 0100",
    "door BDG-9999 and badge BDG-9999",
    "BDG-9999 again, no cue",
]

_edits = st.one_of(
    st.tuples(st.just("append"), st.lists(st.sampled_from(range(len(_POOL))), max_size=3)),
    st.tuples(st.just("replace_last"), st.sampled_from(range(len(_POOL)))),
    st.tuples(st.just("mutate"), st.integers(0, 30), st.sampled_from(range(len(_POOL)))),
    st.tuples(st.just("insert"), st.integers(0, 30), st.sampled_from(range(len(_POOL)))),
    st.tuples(st.just("delete"), st.integers(0, 30)),
    st.tuples(st.just("swap"), st.integers(0, 30), st.integers(0, 30)),
    st.tuples(st.just("truncate"), st.integers(0, 30)),
    st.tuples(st.just("learn"), st.sampled_from([2, 3, 6])),
)


def _apply(history: list[Any], edit: tuple[Any, ...], session: RedactionSession) -> list[Any]:
    op, *args = edit
    h = list(history)
    if op == "append":
        h += _msgs(*(_POOL[i] for i in args[0]))
    elif op == "replace_last" and h:
        h[-1] = {"role": "user", "content": _POOL[args[0]]}
    elif op == "mutate" and h:
        h[args[0] % len(h)] = {"role": "user", "content": _POOL[args[1]] + f" #{args[0]}"}
    elif op == "insert":
        h.insert(args[0] % (len(h) + 1), {"role": "user", "content": _POOL[args[1]]})
    elif op == "delete" and h:
        del h[args[0] % len(h)]
    elif op == "swap" and h:
        a, b = args[0] % len(h), args[1] % len(h)
        h[a], h[b] = h[b], h[a]
    elif op == "truncate":
        h = h[: args[0] % (len(h) + 1)]
    elif op == "learn":  # the vault learns a value from another field of the request
        session.redact_text(_POOL[args[0]])
    return h


@settings(max_examples=60, deadline=None)
@given(edits=st.lists(_edits, min_size=1, max_size=12))
def test_property_edited_histories_equal_uncached(edits: list[tuple[Any, ...]]) -> None:
    """Property: after any edits between calls, the cached result is the uncached one."""
    cached = RedactionSession(REDACTOR)
    fresh = RedactionSession(REDACTOR, cache_size=0)
    history: list[Any] = _msgs(_POOL[0], _POOL[1])
    for edit in edits:
        history = _apply(history, edit, cached)
        if edit[0] == "learn":
            fresh.redact_text(_POOL[edit[1]])
        got = cached.redact_history(history, _Walk(cached), kind="k")
        assert got == fresh.redact_history(history, _Walk(fresh), kind="k")


def test_history_module_examples() -> None:
    """The examples in guardrails.session._history's docstrings produce the output shown."""
    import doctest

    from guardrails.session import _history

    result = doctest.testmod(_history)
    assert result.attempted > 0
    assert result.failed == 0
