"""Vault: stable placeholders, restore, encrypted serialization, known-value matching."""

from __future__ import annotations

import copy
import json
import pickle
import threading

import pytest

from guardrails import InputError, Vault, VaultDecryptionError, VaultError, restore
from guardrails._errors import ConfigurationError

EMAIL = "jane.doe@example.com"


def test_same_value_same_placeholder() -> None:
    """A value seen twice in one vault gets the same placeholder."""
    v = Vault()
    assert v.placeholder_for("EMAIL_ADDRESS", EMAIL) == v.placeholder_for("EMAIL_ADDRESS", EMAIL)


def test_counters_per_entity_type() -> None:
    """Numbers count per entity type, from 1."""
    v = Vault()
    assert v.placeholder_for("EMAIL_ADDRESS", "a@x.io") == "<EMAIL_ADDRESS_1>"
    assert v.placeholder_for("EMAIL_ADDRESS", "b@x.io") == "<EMAIL_ADDRESS_2>"
    assert v.placeholder_for("US_SSN", "123-45-6789") == "<US_SSN_1>"


def test_custom_entity_name_is_normalized_in_the_placeholder() -> None:
    """An entity name with other characters still yields a restorable placeholder."""
    v = Vault()
    p = v.placeholder_for("badge-id", "B-1")
    assert p == "<BADGE_ID_1>"
    assert v.restore(p) == "B-1"
    assert v.entity_of(p) == "badge-id"


def test_restore_text_leaves_unknown_placeholders() -> None:
    """A placeholder the model invented passes through untouched."""
    v = Vault()
    p = v.placeholder_for("EMAIL_ADDRESS", EMAIL)
    assert v.restore(f"to {p}, cc <EMAIL_ADDRESS_99>") == f"to {EMAIL}, cc <EMAIL_ADDRESS_99>"


def test_restore_only_allowed_entities() -> None:
    """With ``entities``, other placeholders stay masked."""
    v = Vault()
    e = v.placeholder_for("EMAIL_ADDRESS", EMAIL)
    s = v.placeholder_for("US_SSN", "123-45-6789")
    assert v.restore(f"{e} {s}", entities=["EMAIL_ADDRESS"]) == f"{EMAIL} {s}"


def test_restore_accepts_groups() -> None:
    """A group name ("contact") restores every entity type in the group."""
    v = Vault()
    e = v.placeholder_for("EMAIL_ADDRESS", EMAIL)
    s = v.placeholder_for("US_SSN", "123-45-6789")
    assert v.restore(f"{e} {s}", entities=["contact"]) == f"{EMAIL} {s}"


def test_restore_structured_data_keeps_shape() -> None:
    """Dicts, lists, tuples, keys and non-strings come back in the same shape."""
    v = Vault()
    p = v.placeholder_for("EMAIL_ADDRESS", EMAIL)
    data = {"to": [p, 3, None], "pair": (p, True), p: 1.5}
    assert v.restore(data) == {"to": [EMAIL, 3, None], "pair": (EMAIL, True), EMAIL: 1.5}


def test_restore_inside_json_string_stays_valid_json() -> None:
    """A restored value with quotes and backslashes is escaped inside a JSON string."""
    v = Vault()
    p = v.placeholder_for("PASSWORD", 'pa"ss\\word')
    doc = json.dumps({"password": p, "n": 1})
    assert json.loads(v.restore(doc)) == {"password": 'pa"ss\\word', "n": 1}


def test_top_level_restore_function() -> None:
    """guardrails.restore(obj, vault) is the same as vault.restore(obj)."""
    v = Vault()
    p = v.placeholder_for("EMAIL_ADDRESS", EMAIL)
    assert restore([p], v) == [EMAIL]


def test_top_level_restore_rejects_a_non_vault() -> None:
    """Passing something else as the vault is an InputError."""
    with pytest.raises(InputError):
        restore("x", {"<EMAIL_ADDRESS_1>": EMAIL})  # type: ignore[arg-type]


def test_round_trip_through_encrypted_bytes() -> None:
    """to_bytes/from_bytes keeps entries and counters."""
    v = Vault()
    p = v.placeholder_for("EMAIL_ADDRESS", EMAIL)
    key = Vault.generate_key()
    loaded = Vault.from_bytes(v.to_bytes(key), key)
    assert loaded.restore(p) == EMAIL
    assert loaded.placeholder_for("EMAIL_ADDRESS", "new@x.io") == "<EMAIL_ADDRESS_2>"


def test_serialized_vault_holds_no_clear_value() -> None:
    """The blob does not contain the value, in UTF-8 or in JSON escaping."""
    v = Vault()
    v.placeholder_for("EMAIL_ADDRESS", EMAIL)
    blob = v.to_bytes(Vault.generate_key())
    assert EMAIL.encode() not in blob
    assert b"jane" not in blob


def test_wrong_key_raises_decryption_error() -> None:
    """A vault encrypted with another key does not load."""
    blob = Vault().to_bytes(Vault.generate_key())
    with pytest.raises(VaultDecryptionError):
        Vault.from_bytes(blob, Vault.generate_key())


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b[:-1] + bytes([b[-1] ^ 1]),  # flipped bit in the tag
        lambda b: b[:20] + bytes([b[20] ^ 1]) + b[21:],  # flipped bit in the nonce
        lambda b: b[:30],  # truncated
        lambda b: b"NOTAVAULT" + b[9:],  # foreign header
        lambda b: b"",  # empty
    ],
)
def test_altered_blob_raises_decryption_error(mutate: object) -> None:
    """Any alteration of the blob is detected."""
    key = Vault.generate_key()
    v = Vault()
    v.placeholder_for("EMAIL_ADDRESS", EMAIL)
    with pytest.raises(VaultDecryptionError):
        Vault.from_bytes(mutate(v.to_bytes(key)), key)  # type: ignore[operator]


@pytest.mark.parametrize("key", [b"short", "a" * 32, None, b"x" * 33])
def test_bad_key_is_a_configuration_error(key: object) -> None:
    """A key of the wrong type or size is a usage mistake."""
    with pytest.raises(ConfigurationError):
        Vault().to_bytes(key)  # type: ignore[arg-type]


def test_from_bytes_rejects_non_bytes() -> None:
    """A str blob is refused with VaultDecryptionError."""
    with pytest.raises(VaultDecryptionError):
        Vault.from_bytes("AGVAULT1...", Vault.generate_key())  # type: ignore[arg-type]


def test_repr_and_str_hide_values() -> None:
    """repr/str show the size only."""
    v = Vault()
    v.placeholder_for("EMAIL_ADDRESS", EMAIL)
    assert repr(v) == str(v) == "Vault(entries=1)"


def test_pickle_is_refused() -> None:
    """Pickling would write values in the clear: it raises VaultError."""
    v = Vault()
    v.placeholder_for("EMAIL_ADDRESS", EMAIL)
    with pytest.raises(VaultError):
        pickle.dumps(v)


def test_deepcopy_is_independent() -> None:
    """A deep copy has the same entries and grows on its own."""
    v = Vault()
    p = v.placeholder_for("EMAIL_ADDRESS", EMAIL)
    c = copy.deepcopy({"vault": v})["vault"]
    c.placeholder_for("EMAIL_ADDRESS", "other@x.io")
    assert c.restore(p) == EMAIL
    assert (len(v), len(c)) == (1, 2)


def test_concurrent_writers_agree() -> None:
    """Many threads asking for the same values get one placeholder per value."""
    v = Vault()
    results: list[list[str]] = []

    def work() -> None:
        results.append([v.placeholder_for("EMAIL_ADDRESS", f"u{i}@x.io") for i in range(200)])

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == results[0] for r in results)
    assert len(v) == 200


def test_find_known_respects_word_boundaries() -> None:
    """A known short name is not found inside a longer word."""
    v = Vault()
    v.placeholder_for("PERSON", "Al")
    assert [(s.start, s.end) for s in v.find_known("Also, Al said")] == [(6, 8)]


def test_find_known_reports_character_offsets_in_non_ascii_text() -> None:
    """Offsets are str offsets even after multi-byte characters and lone surrogates."""
    v = Vault()
    v.placeholder_for("PERSON", "José Núñez")
    text = "\ud800 héllo 👋 José Núñez!"
    (span,) = v.find_known(text)
    assert text[span.start : span.end] == "José Núñez"


def test_find_known_after_many_small_additions() -> None:
    """Values added a few at a time (tiers merged behind the scenes) are all found."""
    v = Vault()
    values = [f"user{i:03d}@corp.example" for i in range(300)]
    for i, value in enumerate(values):
        v.placeholder_for("EMAIL_ADDRESS", value)
        if i % 7 == 0:
            v.find_known("warm-up")  # forces a tier to be built now
    text = " ".join(values)
    assert {text[s.start : s.end] for s in v.find_known(text)} == set(values)


def test_find_known_filters_by_entity() -> None:
    """Only values held under the requested entity types are returned."""
    v = Vault()
    v.placeholder_for("PERSON", "Jane Doe")
    assert v.find_known("Jane Doe", frozenset({"EMAIL_ADDRESS"})) == []
    assert len(v.find_known("Jane Doe", frozenset({"PERSON"}))) == 1


def test_placeholders_listing_has_no_values() -> None:
    """placeholders() maps placeholder -> entity type in creation order."""
    v = Vault()
    v.placeholder_for("EMAIL_ADDRESS", EMAIL)
    v.placeholder_for("US_SSN", "123-45-6789")
    assert v.placeholders() == {"<EMAIL_ADDRESS_1>": "EMAIL_ADDRESS", "<US_SSN_1>": "US_SSN"}
