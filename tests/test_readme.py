"""The README's Python blocks run, and print what their ``#>`` comments say they print."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


def test_readme_has_python_blocks() -> None:
    """There is code to check (a README without blocks would make the next test vacuous)."""
    assert BLOCKS


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_block_runs_and_prints_what_it_claims(block: str) -> None:
    """Each block executes; each ``#> text`` expectation appears in its output."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md", "exec"), {"__name__": "__readme__"})
    printed = out.getvalue()
    for expected in re.findall(r"#> (.+)$", block, re.M):
        assert expected.strip() in printed
