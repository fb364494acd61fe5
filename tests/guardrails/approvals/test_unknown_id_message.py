"""An unknown request id is not echoed in the error: callers pass URL text through it."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrails._errors import UnknownRequestError
from guardrails.approvals import InMemoryApprovalStore, SQLiteApprovalStore

CALLER_TEXT = "jane.roe@example.com"


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_an_unknown_id_is_not_in_the_message(kind: str, tmp_path: Path) -> None:
    store = InMemoryApprovalStore() if kind == "memory" else SQLiteApprovalStore(tmp_path / "a.db")
    with pytest.raises(UnknownRequestError) as err:
        store.update(CALLER_TEXT, lambda r: r)
    assert CALLER_TEXT not in str(err.value)
    assert CALLER_TEXT not in repr(err.value)
