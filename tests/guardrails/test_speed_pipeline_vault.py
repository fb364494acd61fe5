"""The vault's hot paths: batched placeholders and the lazily digested record of produced texts."""

from __future__ import annotations

from guardrails import Redactor, Vault
from guardrails._types import Span
from guardrails.vault._matcher import LiteralMatcher
from tests.guardrails._redaction_fakes import RegexDetector


class CountingDetector(RegexDetector):
    """Counts how often detection runs."""

    def __init__(self) -> None:
        super().__init__("counting", "EMAIL_ADDRESS", r"[a-z]+@[a-z]+\.io")
        self.calls = 0

    def detect(self, text: str) -> list[Span]:
        self.calls += 1
        return super().detect(text)


def test_batched_placeholders_match_one_by_one() -> None:
    """``_placeholders`` numbers, reuses and records values exactly like ``placeholder_for``."""
    items = [("EMAIL_ADDRESS", "a@x.io"), ("PERSON", "Jo Ann"), ("EMAIL_ADDRESS", "a@x.io")]
    items += [("LOCATION", "Jo Ann"), ("PERSON", "J"), ("EMAIL_ADDRESS", "b@x.io")]
    batched, single = Vault(), Vault()
    assert batched._placeholders(items) == [single.placeholder_for(*i) for i in items]
    assert batched.placeholders() == single.placeholders()
    assert batched.known_values() == single.known_values()
    text = "Jo Ann wrote to a@x.io"
    assert [(s.start, s.end, s.entity_type) for s in batched.find_known(text)] == [
        (s.start, s.end, s.entity_type) for s in single.find_known(text)
    ]


def test_batched_placeholders_skip_numbers_taken_by_a_loaded_entry() -> None:
    """After a hand-edited load, a new value never takes a placeholder that is in use."""
    vault = Vault()
    vault._add("EMAIL_ADDRESS", "old@x.io", "<EMAIL_ADDRESS_1>")
    assert vault._placeholders([("EMAIL_ADDRESS", "new@x.io")]) == ["<EMAIL_ADDRESS_2>"]


def test_every_produced_text_is_remembered_not_only_the_last() -> None:
    """Two outputs in a row, then both re-sent: neither is detected again."""
    det = CountingDetector()
    r, v = Redactor(detectors=[det]), Vault()
    first = r.redact("mail a@x.io", vault=v).text
    second = r.redact("mail b@x.io", vault=v).text
    r.redact(first, vault=v)
    r.redact(second, vault=v)
    assert det.calls == 2


def test_another_redactor_does_not_skip_what_this_one_produced() -> None:
    """The record is keyed per redactor: another configuration detects the text itself."""
    det = CountingDetector()
    v = Vault()
    out = Redactor(detectors=[CountingDetector()]).redact("mail a@x.io and c@x.io", vault=v).text
    Redactor(detectors=[det]).redact(out, vault=v)
    assert det.calls == 1


def test_values_are_indexed_on_first_need_in_the_order_made() -> None:
    """Entries made before a lookup are all known to it, under their first entity type."""
    vault = Vault()
    vault._placeholders([("LOCATION", "Jo Ann"), ("PERSON", "Jo Ann"), ("PERSON", "Al Bo")])
    assert vault.known_values() == {"Jo Ann", "Al Bo"}
    vault.placeholder_for("PERSON", "Cy Di")
    found = vault.find_known("Jo Ann, Al Bo and Cy Di")
    assert [(s.entity_type, s.value) for s in found] == [
        ("LOCATION", "Jo Ann"),
        ("PERSON", "Al Bo"),
        ("PERSON", "Cy Di"),
    ]
    assert [s.entity_type for s in vault.find_known("Jo Ann", frozenset({"PERSON"}))] == ["PERSON"]
    loaded = Vault.from_bytes(vault.to_bytes(key := Vault.generate_key()), key)
    assert [s.value for s in loaded.find_known("Cy Di")] == ["Cy Di"]


def _hits(matcher: LiteralMatcher, text: str) -> list[tuple[int, int, str]]:
    return [(s, e, matcher._values[i]) for s, e, i in matcher.find(text)]


def test_loose_and_compiled_values_are_found_alike() -> None:
    """The same leftmost-longest, whole-word matches before and after compilation."""
    values = ["Jo Ann", "Jo", "Ann Lee", "Zoë SStraße", "4111 1111", "11 1111", "Al"]
    text = "Jo Ann Lee met Zoë SStraße (card 4111 1111 1111); Also Al, Jo."
    loose, compiled = LiteralMatcher(), LiteralMatcher()
    loose.extend(values)
    compiled.extend(values)
    with compiled._lock:
        compiled._compile_loose()
    assert loose._loose
    assert not compiled._loose
    assert _hits(loose, text) == _hits(compiled, text)
    assert _hits(loose, text)  # the example finds something


def test_values_are_compiled_once_searching_them_costs_as_much() -> None:
    """A few searches keep values loose; a matcher that keeps scanning compiles them."""
    matcher = LiteralMatcher()
    matcher.extend([f"Person{i} Name" for i in range(100)])
    text = "a tool output naming Person7 Name and nobody else " * 10
    matcher.find(text)
    assert matcher._loose
    for _ in range(500):
        found = matcher.find(text)
    assert not matcher._loose
    assert {matcher._values[i] for _, _, i in found} == {"Person7 Name"}
