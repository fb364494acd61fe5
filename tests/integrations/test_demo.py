"""``make demo`` (interim, redaction only) runs and masks every sample value it shows as "after"."""

from __future__ import annotations

import re

import pytest

from integrations import demo


def test_demo_runs_and_masks(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo exits 0; its "after" blocks hold placeholders, not the sample's secrets."""
    assert demo.main(["--no-color"]) == 0
    out = capsys.readouterr().out
    afters = [
        re.split(r"\n(?:spans found|masked per entity)", b)[0] for b in out.split("\nafter")[1:]
    ]
    assert afters
    for secret in (
        "maria.garcia@example.com",
        "4111 1111 1111 1111",
        "Sup3rS3cret!",
        "AKIAZ3MSJV4WWNKWW5FG",
    ):
        assert all(secret not in block for block in afters), secret
    assert "<EMAIL_ADDRESS_1>" in out
