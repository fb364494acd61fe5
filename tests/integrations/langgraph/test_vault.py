"""VaultKeeper: the thread's vault in state, and the cached encrypted dump of it."""

from __future__ import annotations

import threading

import pytest

from guardrails import Vault
from guardrails.redactor import Redactor
from integrations.langgraph._vault import VAULT_KEY, VaultKeeper

KEY = b"k" * 32


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor()


def _fresh_restore(redactor: Redactor, dump: dict, thread: str, text: str) -> str:
    """What a new process holding only ``dump`` restores (e.g. after a restart)."""
    other = VaultKeeper(redactor=redactor, key=KEY)
    return str(other.restore(text, {VAULT_KEY: dump}, thread))


def test_unchanged_vault_reuses_its_ciphertext(redactor: Redactor) -> None:
    """A second dump without new values returns the same blob instead of sealing again."""
    keeper = VaultKeeper(redactor=redactor, key=KEY)
    s = keeper.session("t1", None)
    s.redact_text("mail jane.doe@example.com")
    first, second = keeper.dump(s), keeper.dump(s)
    assert first == second
    assert first is not second
    assert _fresh_restore(redactor, second, "t1", "<EMAIL_ADDRESS_1>") == "jane.doe@example.com"


def test_grown_vault_is_dumped_again(redactor: Redactor) -> None:
    """A value learned after a dump is in the next dump (the cache follows the vault size)."""
    keeper = VaultKeeper(redactor=redactor, key=KEY)
    s = keeper.session("t1", None)
    s.redact_text("mail jane.doe@example.com")
    before = keeper.dump(s)
    s.redact_text("and john.roe@example.org")
    after = keeper.dump(s)
    assert (before["n"], after["n"]) == (1, 2)
    assert before["blob"] != after["blob"]
    assert _fresh_restore(redactor, after, "t1", "<EMAIL_ADDRESS_2>") == "john.roe@example.org"


def test_replaced_vault_is_dumped_again(redactor: Redactor) -> None:
    """A session given another vault of the same size does not get the old vault's blob."""
    keeper = VaultKeeper(redactor=redactor, key=KEY)
    s = keeper.session("t1", None)
    s.redact_text("mail jane.doe@example.com")
    old = keeper.dump(s)
    other = Vault()
    other.placeholder_for("EMAIL_ADDRESS", "other@example.net")
    s.vault = other
    new = keeper.dump(s)
    assert new["n"] == old["n"] == 1
    assert new["blob"] != old["blob"]
    assert _fresh_restore(redactor, new, "t1", "<EMAIL_ADDRESS_1>") == "other@example.net"


def test_threads_never_get_each_others_dump(redactor: Redactor) -> None:
    """Sessions dumped concurrently from many threads each get a blob of their own vault."""
    keeper = VaultKeeper(redactor=redactor, key=KEY)
    dumps: dict[str, dict] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            s = keeper.session(f"t{i}", None)
            s.redact_text(f"mail user{i}@example.com")
            for _ in range(20):
                dumps[f"t{i}"] = keeper.dump(s)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors
    for i in range(8):
        restored = _fresh_restore(redactor, dumps[f"t{i}"], f"t{i}", "<EMAIL_ADDRESS_1>")
        assert restored == f"user{i}@example.com"
