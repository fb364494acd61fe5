"""RedactionSession: cached incremental redaction, restore, stream restore, persistence, store."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails import InputError, Redactor, Span, Vault, VaultDecryptionError
from guardrails.session import (
    InMemorySessionPersistence,
    RedactionSession,
    SessionStore,
    StreamRestorer,
)

EMAIL = "jane.doe@example.com"
SSN = "536-22-1234"
OTHER_EMAIL = "bob.roe@example.org"


class CountingDetector:
    """Counts how often detection runs (to prove re-sent text is not re-scanned)."""

    name = "counting"
    entities = frozenset({"EMAIL_ADDRESS"})

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, text: str) -> list[Span]:
        self.calls += 1
        return []


class BadgeDetector:
    """Detects BDG-#### only in texts that say "badge", so the same value can go unnoticed."""

    name = "badge"
    entities = frozenset({"SECRET"})

    def detect(self, text: str) -> list[Span]:
        i = text.find("BDG-")
        if i < 0 or "badge" not in text:
            return []
        return [Span(start=i, end=i + 8, entity_type="SECRET", score=1.0, value=text[i : i + 8])]


@pytest.fixture
def counter() -> CountingDetector:
    return CountingDetector()


def make_redactor(*extra: object) -> Redactor:
    """The built-in detectors plus the test's own (a counter, a context-dependent badge)."""
    return Redactor(extra_detectors=[BadgeDetector(), *extra])


@pytest.fixture
def redactor(counter: CountingDetector) -> Redactor:
    return make_redactor(counter)


@pytest.fixture
def session(redactor: Redactor) -> RedactionSession:
    return RedactionSession(redactor, conversation_id="c1")


def test_redacts_text_with_stable_placeholders(session: RedactionSession) -> None:
    """The same value gets the same placeholder across items of one conversation."""
    first = session.redact_text(f"mail {EMAIL}")
    second = session.redact_text(f"again {EMAIL}, ssn {SSN}")
    assert first == "mail <EMAIL_ADDRESS_1>"
    assert second == "again <EMAIL_ADDRESS_1>, ssn <US_SSN_1>"


def test_resent_text_is_not_rescanned(session: RedactionSession, counter: CountingDetector) -> None:
    """A history item seen before is served from the cache without running detectors."""
    history = [f"mail {EMAIL}", "plan B-42 for order 1234", f"ssn {SSN}"]
    first = [session.redact_text(t) for t in history]
    calls = counter.calls
    again = [session.redact_text(t) for t in history]
    assert again == first
    assert counter.calls == calls
    assert session.stats.hits == len(history)


def test_resent_data_is_not_rescanned(session: RedactionSession, counter: CountingDetector) -> None:
    """A structured item seen before is served from the cache without running detectors."""
    item = {"role": "tool", "content": f'{{"email": "{EMAIL}", "plan": "gold"}}'}
    first = session.redact_data(item)
    calls = counter.calls
    assert session.redact_data(item) == first
    assert counter.calls == calls


def test_masked_text_sent_back_is_not_rescanned(session: RedactionSession) -> None:
    """What the session masked, sent back (a tool output in the next model call), is a cache hit."""
    masked = session.redact_text(f"mail {EMAIL}, ssn {SSN}")
    assert session.redact_text(masked) == masked
    assert (session.stats.misses, session.stats.hits) == (1, 1)


def test_masked_text_sent_back_is_rechecked_when_the_vault_learns_a_value_in_it(
    session: RedactionSession,
) -> None:
    """The masked form's cache entry is checked against vault growth like any other."""
    masked = session.redact_text(f"mail {EMAIL}, door code BDG-1234")  # no "badge" cue: missed
    assert masked == "mail <EMAIL_ADDRESS_1>, door code BDG-1234"
    session.redact_text("my badge is BDG-1234")
    assert session.redact_text(masked) == "mail <EMAIL_ADDRESS_1>, door code <SECRET_1>"


def test_value_learned_later_is_masked_in_older_cached_item(session: RedactionSession) -> None:
    """A value the vault learns after an item was cached is masked when that item is re-sent."""
    older = "door code BDG-1234 works"  # no "badge" cue: detection misses it
    assert session.redact_text(older) == older
    session.redact_text("my badge is BDG-1234")  # now the vault knows the value
    assert session.redact_text(older) == "door code <SECRET_1> works"
    assert session.stats.rechecks == 1


def test_vault_growth_without_the_value_keeps_the_cache(session: RedactionSession) -> None:
    """New vault values absent from a cached item leave it cached (no re-scan)."""
    session.redact_text("plan B-42")
    session.redact_text(f"mail {EMAIL}")
    hits = session.stats.hits
    assert session.redact_text("plan B-42") == "plan B-42"
    assert session.stats.hits == hits + 1
    assert session.stats.rechecks == 0


def test_returned_data_can_be_mutated_safely(session: RedactionSession) -> None:
    """Mutating a returned structure does not change what the cache returns next time."""
    item = {"to": EMAIL, "tags": ["a"]}
    out = session.redact_data(item)
    out["tags"].append("poison")
    assert session.redact_data(item) == {"to": "<EMAIL_ADDRESS_1>", "tags": ["a"]}


def test_non_json_data_is_redacted_uncached(session: RedactionSession) -> None:
    """Tuples and other non-JSON shapes keep their type (they are not cached)."""
    out = session.redact_data((EMAIL, 3))
    assert out == ("<EMAIL_ADDRESS_1>", 3)
    assert session.stats.misses == 0


def test_cache_is_bounded(redactor: Redactor) -> None:
    """The least recently used entries are dropped beyond ``cache_size``."""
    session = RedactionSession(redactor, cache_size=2)
    for text in ("a one", "b two", "c three"):
        session.redact_text(text)
    session.redact_text("a one")
    assert session.stats.hits == 0
    assert session.stats.misses == 4


@pytest.mark.parametrize(
    "bad",
    [
        b"bytes",  # bytes must be decoded first
        None,  # nothing to redact is a caller bug
        42,  # not text
    ],
)
def test_redact_text_rejects_non_str(session: RedactionSession, bad: object) -> None:
    """Non-text input raises InputError."""
    with pytest.raises(InputError):
        session.redact_text(bad)  # type: ignore[arg-type]


def test_restore_leaves_unknown_placeholders(session: RedactionSession) -> None:
    """Known placeholders are restored; an invented one passes through untouched."""
    session.redact_text(f"mail {EMAIL}")
    out = session.restore_text("to <EMAIL_ADDRESS_1> and <EMAIL_ADDRESS_7>")
    assert out == f"to {EMAIL} and <EMAIL_ADDRESS_7>"


def test_restore_only_allowed_entities(session: RedactionSession) -> None:
    """With ``entities`` only those types are restored."""
    masked = session.redact_text(f"mail {EMAIL} ssn {SSN}")
    out = session.restore_data({"t": masked}, entities=["EMAIL_ADDRESS"])
    assert out == {"t": f"mail {EMAIL} ssn <US_SSN_1>"}


def test_restore_accepts_groups(session: RedactionSession) -> None:
    """Group names such as ``contact`` expand to their entity types."""
    masked = session.redact_text(f"mail {EMAIL} ssn {SSN}")
    assert session.restore_text(masked, entities=["contact"]) == f"mail {EMAIL} ssn <US_SSN_1>"


def test_stream_restorer_joins_split_placeholder(session: RedactionSession) -> None:
    """A placeholder split across two deltas is restored whole, and nothing else is held."""
    session.redact_text(f"mail {EMAIL}")
    r = session.stream_restorer()
    out = [r.feed("Send to <EMAIL_ADD"), r.feed("RESS_1"), r.feed("> today"), r.flush()]
    assert out == ["Send to ", "", f"{EMAIL} today", ""]


def test_stream_restorer_releases_non_placeholder_angle(session: RedactionSession) -> None:
    """A '<' that cannot start a placeholder is emitted at once."""
    r = session.stream_restorer()
    assert r.feed("a < b and <html>") == "a < b and <html>"
    assert r.feed("x <") == "x "
    assert r.feed("3") == "<3"


def test_stream_restorer_respects_entities(session: RedactionSession) -> None:
    """A restorer limited to some entity types leaves the others masked."""
    session.redact_text(f"{EMAIL} {SSN}")
    r = session.stream_restorer(entities=["US_SSN"])
    out = r.feed("<EMAIL_ADDRESS_1> <US_S") + r.feed("SN_1>") + r.flush()
    assert out == f"<EMAIL_ADDRESS_1> {SSN}"


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=0, max_value=80), max_size=8))
def test_stream_restorer_any_split_equals_restore(
    session: RedactionSession, cuts: list[int]
) -> None:
    """However the text is cut into deltas, the joined output equals restoring it whole."""
    session.redact_text(f"{EMAIL} {SSN}")
    text = "Hi <EMAIL_ADDRESS_1>, ssn <US_SSN_1>; keep <X_9> and a < b <EMAIL_ADDRESS_1>"
    bounds = sorted({min(c, len(text)) for c in cuts})
    pieces = [text[a:b] for a, b in zip([0, *bounds], [*bounds, len(text)], strict=True)]
    r = StreamRestorer(session)
    assert "".join(r.feed(p) for p in pieces) + r.flush() == session.restore_text(text)


POOL = [
    f"mail {EMAIL}",
    f"ssn {SSN} and {EMAIL}",
    "door code BDG-1234",
    "my badge BDG-1234",
    "badge BDG-9999 for room BDG-1234",
    f"write {OTHER_EMAIL}",
    "plan B-42",
    '{"email": "' + OTHER_EMAIL + '", "n": 1}',
]


@settings(max_examples=40, deadline=None)
@given(order=st.lists(st.sampled_from(range(len(POOL))), min_size=1, max_size=12))
def test_cache_hit_equals_fresh_redaction(order: list[int]) -> None:
    """Property: at every step the cached session returns what an uncached one returns."""
    redactor = make_redactor()
    cached = RedactionSession(redactor)
    fresh = RedactionSession(redactor, cache_size=0)
    for i in order:
        assert cached.redact_text(POOL[i]) == fresh.redact_text(POOL[i])
        assert cached.redact_data({"m": POOL[i]}) == fresh.redact_data({"m": POOL[i]})


def test_to_bytes_round_trip(session: RedactionSession) -> None:
    """An encrypted session restores the same placeholders after reloading."""
    session.redact_text(f"mail {EMAIL}")
    key = Vault.generate_key()
    blob = session.to_bytes(key)
    assert EMAIL.encode() not in blob
    loaded = RedactionSession.from_bytes(blob, key, redactor=session.redactor)
    assert loaded.restore_text("<EMAIL_ADDRESS_1>") == EMAIL
    assert loaded.redact_text(EMAIL) == "<EMAIL_ADDRESS_1>"


def test_from_bytes_wrong_key(session: RedactionSession) -> None:
    """Another key raises VaultDecryptionError."""
    blob = session.to_bytes(Vault.generate_key())
    with pytest.raises(VaultDecryptionError):
        RedactionSession.from_bytes(blob, Vault.generate_key(), redactor=session.redactor)


def test_replacing_vault_clears_cache(session: RedactionSession) -> None:
    """Entries stamped against one vault are not served against another."""
    session.redact_text(f"mail {EMAIL}")
    session.vault = Vault()
    assert session.redact_text(f"mail {EMAIL}") == "mail <EMAIL_ADDRESS_1>"
    assert session.stats.hits == 0


def test_repr_has_no_values(session: RedactionSession) -> None:
    """Neither the session nor the store shows raw values."""
    session.redact_text(f"mail {EMAIL}")
    assert EMAIL not in repr(session)
    assert "jane" not in repr(SessionStore(session.redactor))


def test_store_returns_same_session(redactor: Redactor) -> None:
    """One conversation id, one session; another id, another vault."""
    store = SessionStore(redactor)
    assert store.get("a") is store.get("a")
    assert store.get("a").vault is not store.get("b").vault


def test_store_persists_and_reloads(redactor: Redactor) -> None:
    """A saved session is rebuilt by another store with the same key and persistence."""
    key = Vault.generate_key()
    backend = InMemorySessionPersistence()
    store = SessionStore(redactor, persistence=backend, key=key)
    store.get("c1").redact_text(f"mail {EMAIL}")
    assert store.save("c1") is True
    assert store.save("c1") is False  # unchanged since
    assert EMAIL.encode() not in backend.blobs["c1"]
    other = SessionStore(redactor, persistence=backend, key=key)
    assert other.get("c1").restore_text("<EMAIL_ADDRESS_1>") == EMAIL


def test_store_saves_changed_session_on_eviction(redactor: Redactor) -> None:
    """An evicted session that grew is written before it leaves memory."""
    backend = InMemorySessionPersistence()
    store = SessionStore(redactor, persistence=backend, key=Vault.generate_key(), max_sessions=1)
    store.get("c1").redact_text(f"mail {EMAIL}")
    store.get("c2")
    assert "c1" in backend.blobs


@pytest.mark.parametrize(
    "kwargs",
    [
        {"persistence": InMemorySessionPersistence()},  # persistence without a key
        {"max_sessions": 0},  # nothing could be kept
    ],
)
def test_store_rejects_bad_configuration(redactor: Redactor, kwargs: dict) -> None:
    """Impossible store settings raise ConfigurationError at construction."""
    from guardrails import ConfigurationError

    with pytest.raises(ConfigurationError):
        SessionStore(redactor, **kwargs)


@pytest.mark.parametrize("bad", ["", None, 3])
def test_store_rejects_bad_conversation_id(redactor: Redactor, bad: object) -> None:
    """An empty or non-string conversation id raises InputError."""
    with pytest.raises(InputError):
        SessionStore(redactor).get(bad)  # type: ignore[arg-type]


def test_stats_count_entities_once(session: RedactionSession) -> None:
    """Entity counts grow with scans, not with cache hits (audit summaries stay honest)."""
    session.redact_text(f"mail {EMAIL} ssn {SSN}")
    session.redact_text(f"mail {EMAIL} ssn {SSN}")
    assert session.stats.entities == {"EMAIL_ADDRESS": 1, "US_SSN": 1}


def _walk(session: RedactionSession):
    """A schema walk as an adapter writes it: each message's content through redact_data."""
    return lambda i, m: {**m, "content": session.redact_data(m["content"])}


def test_history_resent_reuses_positions(
    session: RedactionSession, counter: CountingDetector
) -> None:
    """A history re-sent with one more message scans only the new one."""
    history = [{"role": "user", "content": f"mail {EMAIL} #{i}"} for i in range(5)]
    first = session.redact_history(history, _walk(session), kind="chat")
    calls = counter.calls
    again = session.redact_history(
        [*history, {"role": "user", "content": "new"}], _walk(session), kind="chat"
    )
    assert again[:5] == first
    assert counter.calls == calls + 1


def test_history_value_learned_later_masked_in_old_position(session: RedactionSession) -> None:
    """An old message holding a value the vault learned since is redacted again."""
    history = [{"content": "door code BDG-1234 works"}]
    assert session.redact_history(history, _walk(session), kind="chat") == history
    history.append({"content": "my badge is BDG-1234"})
    out = session.redact_history(history, _walk(session), kind="chat")
    assert out[1] == {"content": "my badge is <SECRET_1>"}
    again = session.redact_history(history, _walk(session), kind="chat")
    assert again[0] == {"content": "door code <SECRET_1> works"}


@settings(max_examples=30, deadline=None)
@given(
    turns=st.lists(
        st.lists(st.sampled_from(range(len(POOL))), min_size=1, max_size=3), min_size=1, max_size=5
    )
)
def test_history_equals_uncached(turns: list[list[int]]) -> None:
    """Property: turn after turn, redact_history returns what an uncached session returns."""
    redactor = make_redactor()
    cached = RedactionSession(redactor)
    fresh = RedactionSession(redactor, cache_size=0)
    history: list[dict] = []
    for new in turns:
        history = history + [{"content": POOL[i]} for i in new]
        assert cached.redact_history(history, _walk(cached), kind="k") == fresh.redact_history(
            history, _walk(fresh), kind="k"
        )


def test_history_fixes_earlier_item_in_same_call(session: RedactionSession) -> None:
    """A value taught by a later item is masked in an earlier item of the same call."""
    history = [{"content": "door code BDG-1234 works"}, {"content": "my badge is BDG-1234"}]
    out = session.redact_history(history, _walk(session), kind="chat")
    assert out == [{"content": "door code <SECRET_1> works"}, {"content": "my badge is <SECRET_1>"}]


def test_learned_since(session: RedactionSession) -> None:
    """learned_since tells whether data holds a value the vault learned after a given size."""
    size = session.vault_size
    session.redact_text(f"mail {EMAIL}")
    assert session.learned_since(size, f'{{"to": "{EMAIL}"}}')
    assert not session.learned_since(size, "nothing here")
    assert not session.learned_since(session.vault_size, EMAIL)


def test_the_cache_is_bounded_in_bytes_as_well_as_in_items() -> None:
    """Many large tool outputs: the cache keeps the most recent that fit in ``cache_bytes``; an
    output larger than the whole bound is redacted every time, never cached."""
    from guardrails import ConfigurationError
    from guardrails.session import RedactionSession

    session = RedactionSession(cache_bytes=20_000)
    texts = [f"row {i}: " + "lorem ipsum dolor " * 60 for i in range(50)]  # ~1.1 KB each
    for text in texts:
        session.redact_text(text)
    assert session._cache_used <= 20_000
    assert 0 < len(session._cache) < 50
    assert session._cache_used == sum(len(e.redacted) + 200 for e in session._cache.values())
    hits = session.stats.hits
    session.redact_text(texts[-1])  # the most recent is still there
    assert session.stats.hits == hits + 1
    session.redact_text(texts[0])  # the oldest was dropped
    assert session.stats.hits == hits + 1
    huge = "x " * 20_000
    session.redact_text(huge)
    session.redact_text(huge)
    assert session.stats.hits == hits + 1
    assert all(len(e.redacted) < 20_000 for e in session._cache.values())
    with pytest.raises(ConfigurationError):
        RedactionSession(cache_bytes=-1)
