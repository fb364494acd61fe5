"""RedactionSession.redact_text remembers short texts that come back unchanged (headers, paths,
model names): served without a scan, and never once the vault learns a value they hold."""

from __future__ import annotations

from typing import Any

from guardrails import Redactor, Span, Vault
from guardrails.session import RedactionSession

BADGE = "BDG-1234"
HEADER = f"door code {BADGE}"  # no "badge" cue: detection misses the value here


class _Badge:
    """Detects BDG-#### only where the text says "badge"; counts its calls."""

    name = "badge"
    entities = frozenset({"SECRET"})

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, text: str) -> list[Span]:
        self.calls += 1
        i = text.find("BDG-")
        if i < 0 or "badge" not in text:
            return []
        return [Span(start=i, end=i + 8, entity_type="SECRET", score=1.0, value=text[i : i + 8])]


def _session(**kw: Any) -> tuple[RedactionSession, _Badge]:
    badge = _Badge()
    return RedactionSession(Redactor(extra_detectors=[badge]), **kw), badge


def test_an_unchanged_text_is_served_without_a_scan() -> None:
    """A text that redacted to itself is not scanned again."""
    session, badge = _session()
    assert session.redact_text("OpenAI/Python 3.54.0") == "OpenAI/Python 3.54.0"
    calls = badge.calls
    for _ in range(3):
        assert session.redact_text("OpenAI/Python 3.54.0") == "OpenAI/Python 3.54.0"
    assert badge.calls == calls
    assert session.stats.hits == 3


def test_a_value_learned_later_is_masked_in_a_remembered_text() -> None:
    """The vault learning a value that the remembered text holds: it is scanned and masked."""
    session, _ = _session()
    assert session.redact_text(HEADER) == HEADER
    assert session.redact_text(HEADER) == HEADER
    session.redact_text(f"my badge is {BADGE}")
    assert session.redact_text(HEADER) == "door code <SECRET_1>"
    assert session.redact_text(HEADER) == "door code <SECRET_1>"


def test_vault_growth_without_the_value_keeps_it_remembered() -> None:
    """New vault values absent from the text keep it served without a scan."""
    session, badge = _session()
    session.redact_text(HEADER)
    session.redact_text("mail jane.doe@example.com")
    calls = badge.calls
    assert session.redact_text(HEADER) == HEADER
    assert badge.calls == calls


def test_a_value_learned_during_the_scan_is_not_trusted() -> None:
    """Another thread teaching the vault a value while the text is scanned: rechecked next time."""

    class LearnsDuringScan(Redactor):
        armed = False

        def redact(self, text: str, **kw: Any) -> Any:
            result = super().redact(text, **kw)
            if self.armed:
                self.armed = False
                kw["vault"].placeholder_for("SECRET", BADGE)
            return result

    redactor = LearnsDuringScan(extra_detectors=[_Badge()])
    session = RedactionSession(redactor)
    redactor.armed = True
    assert session.redact_text(HEADER) == HEADER  # the race: raw this once
    assert session.redact_text(HEADER) == "door code <SECRET_1>"


def test_a_replaced_vault_forgets_remembered_texts() -> None:
    """Setting another vault (one that knows the value) drops what was remembered."""
    session, _ = _session()
    session.redact_text(HEADER)
    vault = Vault()
    vault.placeholder_for("SECRET", BADGE)
    session.vault = vault
    assert session.redact_text(HEADER) == "door code <SECRET_1>"


def test_nothing_is_remembered_without_a_cache() -> None:
    """cache_size=0: no text is remembered (every call goes to the redactor)."""
    session, _ = _session(cache_size=0)
    session.redact_text("OpenAI/Python 3.54.0")
    session.redact_text("OpenAI/Python 3.54.0")
    assert session._clean == {}
    assert session.stats.hits == 0


def test_only_unchanged_short_texts_are_remembered() -> None:
    """Masked texts and long texts are not kept as they are (the cache keeps redacted forms)."""
    session, _ = _session()
    session.redact_text("mail jane.doe@example.com")
    session.redact_text("word " * 100)
    session.redact_text("short")
    assert list(session._clean) == ["short"]


def test_first_changed_names_the_first_text_redaction_changes() -> None:
    """first_changed: None when all come back unchanged, else the index of the first changed."""
    session, _ = _session()
    texts = ["application/json", "OpenAI/Python 3.54.0", HEADER]
    assert session.first_changed(texts) is None
    assert session.first_changed([]) is None
    assert session.first_changed(["ok", "mail jane.doe@example.com", "x"]) == 1


def test_first_changed_sees_a_value_learned_after_the_texts_were_remembered() -> None:
    """All texts remembered as unchanged, then the vault learns a value one of them holds."""
    session, badge = _session()
    texts = ["application/json", "OpenAI/Python 3.54.0", HEADER]
    session.first_changed(texts)
    calls = badge.calls
    assert session.first_changed(texts) is None
    assert badge.calls == calls  # served from what was remembered
    session.redact_text("mail jane.doe@example.com")  # the vault grows without the value
    assert session.first_changed(texts) is None
    session.redact_text(f"my badge is {BADGE}")
    assert session.first_changed(texts) == 2
