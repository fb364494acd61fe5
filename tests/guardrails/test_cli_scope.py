"""``guardrails redact --scope``: bounded vaults keep memory flat, outputs stay masked."""

from __future__ import annotations

import doctest
import io
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails import Redactor
from guardrails import _cli_redact as cli_redact
from guardrails import _cli_scope as cli_scope
from guardrails import _cli_stream as cli_stream
from guardrails._cli_scope import DEFAULT_WINDOW, Scope, parse_scope
from guardrails._cli_stream import TextStream, json_records
from guardrails._errors import InputError
from guardrails.cli import main

REDACTOR = Redactor()
PLACEHOLDER = re.compile(r"<EMAIL_ADDRESS_\d+>")


def emails(n: int) -> list[str]:
    return [f"user{i}.fresh@corp{i}.example" for i in range(n)]


def text_stream(lines: list[str], scope: Scope) -> str:
    data = "".join(lines).encode()
    return "".join(TextStream(REDACTOR, scope).run(io.BytesIO(data)))


def jsonl_stream(records: list[Any], scope: Scope) -> str:
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    return "".join(json_records(REDACTOR, io.BytesIO(data), scope, Counter(), None))


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks and batches of a few hundred bytes, so a short input spans many windows."""
    monkeypatch.setattr(cli_stream, "CHUNK", 256)
    monkeypatch.setattr(cli_stream, "OVERLAP", 64)
    monkeypatch.setattr(cli_stream, "BATCH", 256)


@pytest.mark.parametrize(
    ("value", "window"),
    [
        ("stream", None),  # one vault for the whole input
        ("record", 0),  # a vault per record
        ("RECORD", 0),  # case-insensitive
        ("1", DEFAULT_WINDOW),  # the default: 1 MB
        ("0.5", 512 << 10),  # fractions of a MB
    ],
)
def test_parse_scope(value: str, window: int | None) -> None:
    """Scope words and sizes map to windows in bytes."""
    assert parse_scope(value) == window


@pytest.mark.parametrize(
    "value",
    [
        "0",  # an empty window would never rotate sensibly
        "-3",  # negative
        "inf",  # unbounded is spelled "stream"
        "nan",  # not a size
        "lots",  # not a word we know
    ],
)
def test_parse_scope_rejects(value: str) -> None:
    """Anything else is an InputError."""
    with pytest.raises(InputError, match="--scope"):
        parse_scope(value)


def test_bad_scope_exits_2(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """A bad --scope on the command line exits 2 and writes nothing."""
    src = tmp_path / "in.txt"
    src.write_text("a@example.com")
    code = main(["redact", str(src), "--scope", "nope"])
    out, err = capsysbinary.readouterr()
    assert (code, out) == (2, b"")
    assert b"--scope" in err


def test_default_scope_is_a_bounded_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """Without --scope the CLI uses a 1 MB window, not one vault for the stream."""
    windows: list[int | None] = []

    class Recording(Scope):
        def __init__(self, window: int | None = DEFAULT_WINDOW) -> None:
            windows.append(window)
            super().__init__(window)

    monkeypatch.setattr(cli_redact, "Scope", Recording)
    src = tmp_path / "in.txt"
    src.write_text("a@example.com")
    assert main(["redact", str(src)]) == 0
    assert windows == [DEFAULT_WINDOW]


@pytest.mark.usefixtures("small_blocks")
def test_text_vault_stays_bounded() -> None:
    """A text stream of fresh values never holds more than a window's worth in one vault."""
    values = emails(300)
    scope = Scope(window=1024)
    out = text_stream([f"row {i}: mail {v}\n" for i, v in enumerate(values)], scope)
    assert all(v not in out for v in values)
    assert len(PLACEHOLDER.findall(out)) == 300
    # At most two ~1 KB windows (the one that ended carries what it used) of ~40-byte lines.
    assert 0 < scope.entries() <= 80


@pytest.mark.usefixtures("small_blocks")
def test_recurring_value_keeps_its_placeholder_across_windows() -> None:
    """A value seen in every window is carried over: one placeholder all through the stream."""
    values = emails(300)
    lines = [f"row {i}: {v} cc boss@corp.example\n" for i, v in enumerate(values)]
    scope = Scope(window=1024)
    out = text_stream(lines, scope)
    bosses = {line.split()[-2] for line in out.splitlines()}
    assert len(bosses) == 1
    assert scope.entries() <= 80


def test_scope_doctest() -> None:
    """The Scope docstring example runs."""
    assert doctest.testmod(cli_scope).failed == 0


@pytest.mark.usefixtures("small_blocks")
def test_stream_scope_grows_with_the_input() -> None:
    """The contrast: --scope stream keeps every distinct value (what the window avoids)."""
    scope = Scope(window=None)
    text_stream([f"mail {v}\n" for v in emails(300)], scope)
    assert scope.entries() == 300


@pytest.mark.usefixtures("small_blocks")
def test_jsonl_vault_stays_bounded() -> None:
    """A JSON Lines stream of fresh values keeps each vault to a window's worth."""
    values = emails(300)
    scope = Scope(window=1024)
    out = jsonl_stream([{"id": i, "email": v} for i, v in enumerate(values)], scope)
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == list(range(300))
    assert all(PLACEHOLDER.fullmatch(r["email"]) for r in rows)
    assert all(v not in out for v in values)
    assert scope.entries() <= 80  # two ~1 KB windows of ~45-byte records at most


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("stream", [1, 2, 1]),  # the same value keeps its placeholder across records
        ("record", [1, 2, 3]),  # a new vault per record: numbers keep counting, never reused
    ],
)
def test_placeholders_never_name_two_values(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], scope: str, expected: list[int]
) -> None:
    """Across scopes a value may get a new number, but a number never gets another value."""
    a, b = emails(2)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"to": v}) + "\n" for v in (a, b, a)))
    code = main(["redact", str(src), "--format", "jsonl", "--scope", scope])
    out, _ = capsysbinary.readouterr()
    assert code == 0
    numbers = [int(json.loads(line)["to"][15:-1]) for line in out.decode().splitlines()]
    assert numbers == expected


@pytest.mark.usefixtures("small_blocks")
def test_jsonl_batches_keep_lines_and_endings() -> None:
    """Blank lines and CRLF endings survive batching, in order, across many batches."""
    values = emails(60)
    data = "".join(
        f'{{"e": "{v}"}}\r\n' + ("\n" if i % 7 == 0 else "") for i, v in enumerate(values)
    )
    out = "".join(
        json_records(REDACTOR, io.BytesIO(data.encode()), Scope(window=None), Counter(), None)
    )
    expected = "".join(
        f'{{"e": "<EMAIL_ADDRESS_{i + 1}>"}}\r\n' + ("\n" if i % 7 == 0 else "") for i in range(60)
    )
    assert out == expected


def test_jsonl_error_writes_the_masked_records_before_it(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """A broken line in a batch: earlier records come out masked, then exit 2 naming the line."""
    a, b = emails(2)
    src = tmp_path / "in.jsonl"
    src.write_text(f'{{"to": "{a}"}}\n{{"to": "{a}"}}\n{{"to": "{b}"\n{{"to": "{b}"}}\n')
    code = main(["redact", str(src), "--format", "jsonl"])
    out, err = capsysbinary.readouterr()
    assert code == 2
    assert out.decode() == '{"to": "<EMAIL_ADDRESS_1>"}\n' * 2
    assert b"line 3" in err
    assert b not in err.decode()
    assert b not in out.decode()


def test_scan_counts_with_a_window(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """scan counts every record of a JSON Lines file (batched) per entity."""
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"to": v}) + "\n" for v in emails(25)))
    assert main(["scan", str(src)]) == 0
    rows = {
        ln.split()[0]: ln.split()[1] for ln in capsysbinary.readouterr()[0].decode().splitlines()
    }
    assert rows["EMAIL_ADDRESS"] == "25"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(st.integers(min_value=0, max_value=15), min_size=1, max_size=40),
    window=st.integers(min_value=1, max_value=600),
)
def test_any_window_masks_everything_and_keeps_numbers_unique(
    small_blocks: None, picks: list[int], window: int
) -> None:
    """Property: whatever the window, no value survives and each placeholder names one value."""
    pool = emails(16)
    lines = [f"n{i} {pool[p]}\n" for i, p in enumerate(picks)]
    out = text_stream(lines, Scope(window=window))
    assert all(v not in out for v in pool)
    named: dict[str, str] = {}
    for line, got in zip(lines, out.splitlines(), strict=True):
        placeholder, value = got.split(" ")[1], line.split(" ")[1].strip()
        assert PLACEHOLDER.fullmatch(placeholder)
        assert named.setdefault(placeholder, value) == value
