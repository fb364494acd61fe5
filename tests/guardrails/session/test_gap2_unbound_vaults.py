"""A persisted vault in the unbound format (store key) opens only with the migration switch."""

from __future__ import annotations

import pytest

from guardrails import VaultDecryptionError, VaultError
from guardrails.redactor import Redactor
from guardrails.session import InMemorySessionPersistence, SessionStore
from guardrails.vault import Vault

EMAIL = "jane.doe@example.com"


def _legacy(redactor: Redactor) -> tuple[bytes, InMemorySessionPersistence]:
    """Conversation a's vault saved in the previous format, and copied to b's slot."""
    key, backend = Vault.generate_key(), InMemorySessionPersistence()
    session = SessionStore(redactor).get("a")
    session.redact_text(f"mail {EMAIL}")
    backend.blobs["a"] = backend.blobs["b"] = session.to_bytes(key)  # under the store key
    return key, backend


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor()


def test_an_unbound_vault_copied_to_another_conversation_is_refused(redactor) -> None:
    """b's slot holding a's old-format blob fails closed, naming the switch, not the value."""
    key, backend = _legacy(redactor)
    store = SessionStore(redactor, persistence=backend, key=key)
    with pytest.raises(VaultDecryptionError) as err:
        store.get("b")
    assert isinstance(err.value, VaultError)
    assert "accept_unbound_vaults" in str(err.value)
    assert EMAIL not in str(err.value)


def test_an_unbound_vault_is_refused_in_its_own_conversation_by_default(redactor) -> None:
    """The format does not say whose it is: without the switch a's own blob is refused too."""
    key, backend = _legacy(redactor)
    with pytest.raises(VaultDecryptionError):
        SessionStore(redactor, persistence=backend, key=key).get("a")


def test_a_blob_under_neither_key_is_not_called_unbound(redactor) -> None:
    """Another key's blob gets the plain refusal (the switch would not open it)."""
    _key, backend = _legacy(redactor)
    store = SessionStore(redactor, persistence=backend, key=Vault.generate_key())
    with pytest.raises(VaultDecryptionError) as err:
        store.get("a")
    assert "accept_unbound_vaults" not in str(err.value)


def test_with_the_switch_it_opens_and_the_next_save_binds_it(redactor) -> None:
    """accept_unbound_vaults=True: a opens, save() rewrites it bound though it did not grow."""
    key, backend = _legacy(redactor)
    migrating = SessionStore(redactor, persistence=backend, key=key, accept_unbound_vaults=True)
    assert migrating.get("a").restore_text("<EMAIL_ADDRESS_1>") == EMAIL
    old = backend.blobs["a"]
    assert migrating.save("a") is True
    assert backend.blobs["a"] != old
    assert migrating.save("a") is False  # written once
    plain = SessionStore(redactor, persistence=backend, key=key)
    assert plain.get("a").restore_text("<EMAIL_ADDRESS_1>") == EMAIL
    backend.blobs["c"] = backend.blobs["a"]  # the bound blob does not open in another slot
    with pytest.raises(VaultDecryptionError):
        plain.get("c")


def test_with_the_switch_an_evicted_unbound_vault_is_rewritten_bound(redactor) -> None:
    """Eviction saves it like a changed session: the old format does not survive the LRU."""
    key, backend = _legacy(redactor)
    migrating = SessionStore(
        redactor, persistence=backend, key=key, max_sessions=1, accept_unbound_vaults=True
    )
    migrating.get("a")
    migrating.get("z")  # evicts a
    plain = SessionStore(redactor, persistence=backend, key=key)
    assert plain.get("a").restore_text("<EMAIL_ADDRESS_1>") == EMAIL
