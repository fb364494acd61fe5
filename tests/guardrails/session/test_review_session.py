"""Review of the masked-text cache (911b00f): a cached entry never serves a raw value later."""

from __future__ import annotations

import threading
from typing import Any

from guardrails import Redactor, Span
from guardrails.session import RedactionSession

EMAIL = "jane.doe@example.com"
BADGE = "BDG-1234"


class _Badge:
    """Detects BDG-#### only where the text says "badge" (so the same value can go unnoticed)."""

    name = "badge"
    entities = frozenset({"SECRET"})

    def detect(self, text: str) -> list[Span]:
        i = text.find("BDG-")
        if i < 0 or "badge" not in text:
            return []
        return [Span(start=i, end=i + 8, entity_type="SECRET", score=1.0, value=text[i : i + 8])]


class _LearnsDuringScan(Redactor):
    """A redactor whose scan overlaps another thread teaching the vault ``BADGE``."""

    armed = False

    def redact(self, text: str, **kw: Any) -> Any:
        result = super().redact(text, **kw)
        if self.armed:  # the other thread's value lands after this scan matched known values
            self.armed = False
            kw["vault"].placeholder_for("SECRET", BADGE)
        return result


def _redactor() -> _LearnsDuringScan:
    return _LearnsDuringScan(extra_detectors=[_Badge()])


def test_masked_text_cached_after_another_thread_taught_a_value_is_rechecked() -> None:
    """The masked form is stamped with the vault its scan saw, not a later one (thread race)."""
    redactor = _redactor()
    session = RedactionSession(redactor)
    redactor.armed = True
    masked = session.redact_text(f"mail {EMAIL}, door code {BADGE}")
    assert masked == f"mail <EMAIL_ADDRESS_1>, door code {BADGE}"  # the race: raw this once
    assert session.redact_text(masked) == "mail <EMAIL_ADDRESS_1>, door code <SECRET_1>"


def test_value_learned_by_another_thread_during_the_scan_is_rechecked() -> None:
    """A text whose scan overlapped another thread learning a value in it is not trusted later."""
    redactor = _redactor()
    session = RedactionSession(redactor)
    text = f"mail {EMAIL}, door code {BADGE}"
    redactor.armed = True
    first = session.redact_text(text)
    assert first == f"mail <EMAIL_ADDRESS_1>, door code {BADGE}"  # the race: raw this once
    assert session.redact_text(text) == "mail <EMAIL_ADDRESS_1>, door code <SECRET_1>"
    assert session.redact_text(first) == "mail <EMAIL_ADDRESS_1>, door code <SECRET_1>"


def test_typed_placeholders_are_text_and_restore_only_what_the_vault_issued() -> None:
    """A literal "<EMAIL_ADDRESS_1>" typed before the vault issued it stays text, cached or not."""
    session = RedactionSession(Redactor())
    typed = "please write to <EMAIL_ADDRESS_1> and <EMAIL_ADDRESS_7>"
    assert session.redact_text(typed) == typed
    masked = session.redact_text(f"mine is {EMAIL}")
    assert masked == "mine is <EMAIL_ADDRESS_1>"
    assert session.redact_text(typed) == typed  # a hit: still the same text
    # what restore does with it is the vault's (issued placeholders only); never another value
    assert session.restore_text(typed) == f"please write to {EMAIL} and <EMAIL_ADDRESS_7>"


def test_cache_is_bounded_and_never_serialized() -> None:
    """Entries stay within cache_size (input and masked form both count) and no raw text leaves."""
    session = RedactionSession(Redactor(), cache_size=8)
    for i in range(50):
        session.redact_text(f"user{i}.name@example.com wrote {i}")
    assert len(session._cache) <= 8
    assert all(type(k) is bytes and len(k) == 16 for k in session._cache)  # digests, not text
    key = b"k" * 32
    blob = session.to_bytes(key)
    assert b"example.com" not in blob
    assert "example.com" not in repr(session)


def test_concurrent_sessions_users_get_masked_text() -> None:
    """Threads redacting in one session (parallel tool calls) never get a raw known value back."""
    session = RedactionSession(Redactor(extra_detectors=[_Badge()]))
    texts = [f"mail {EMAIL}, door code {BADGE}", f"my badge is {BADGE}", f"cc {EMAIL}"] * 20
    out: list[str] = []
    lock = threading.Lock()

    def work(t: str) -> None:
        r = session.redact_text(t)
        with lock:
            out.append(r)

    threads = [threading.Thread(target=work, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    again = [session.redact_text(t) for t in texts] + [session.redact_text(o) for o in out]
    assert not any(EMAIL in r or BADGE in r for r in again)
