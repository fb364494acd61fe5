"""A persisted vault opens only for its own conversation."""

from __future__ import annotations

import pytest

from guardrails import VaultDecryptionError
from guardrails.redactor import Redactor
from guardrails.session import InMemorySessionPersistence, SessionStore
from guardrails.vault import Vault

EMAIL = "jane.doe@example.com"


def test_a_vault_copied_to_another_conversation_does_not_open() -> None:
    """Conversation b's slot holding a's blob fails closed instead of restoring a's values."""
    key, backend, redactor = Vault.generate_key(), InMemorySessionPersistence(), Redactor()
    store = SessionStore(redactor, persistence=backend, key=key)
    store.get("a").redact_text(f"mail {EMAIL}")
    store.save("a")
    backend.blobs["b"] = backend.blobs["a"]
    other = SessionStore(redactor, persistence=backend, key=key)
    assert other.get("a").restore_text("<EMAIL_ADDRESS_1>") == EMAIL
    with pytest.raises(VaultDecryptionError):
        other.get("b")


def test_a_vault_saved_under_the_store_key_opens_only_when_migrating() -> None:
    """Blobs written before the binding (store key) are refused by default; with
    accept_unbound_vaults=True they are read, and saved bound from then on."""
    key, backend, redactor = Vault.generate_key(), InMemorySessionPersistence(), Redactor()
    store = SessionStore(redactor, persistence=backend, key=key)
    session = store.get("a")
    session.redact_text(f"mail {EMAIL}")
    backend.blobs["a"] = session.to_bytes(key)  # the previous format
    with pytest.raises(VaultDecryptionError):
        SessionStore(redactor, persistence=backend, key=key).get("a")
    migrating = SessionStore(redactor, persistence=backend, key=key, accept_unbound_vaults=True)
    assert migrating.get("a").restore_text("<EMAIL_ADDRESS_1>") == EMAIL
    migrating.save("a")
    reloaded = SessionStore(redactor, persistence=backend, key=key).get("a")
    assert reloaded.restore_text("<EMAIL_ADDRESS_1>") == EMAIL
