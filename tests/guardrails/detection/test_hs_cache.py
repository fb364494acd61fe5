"""The hyperscan database cache: reused across processes, never trusted blindly, never required."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from guardrails.detection import _hs_cache
from guardrails.detection._scanner import PatternSpec, available_backends, build_scanner

pytestmark = pytest.mark.skipif(
    "hyperscan" not in available_backends(), reason="hyperscan not available on this platform"
)

SPECS = [PatternSpec(r"\bcat\b"), PatternSpec(r"[0-9]{3}-[0-9]{4}")]
TEXT = b"a cat and 555-0100"
EXPECTED = [(0, 2, 5), (1, 10, 18)]


def _files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.hsdb"))


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("GUARDRAILS_CACHE_DIR", str(directory))
    return directory


def test_first_build_writes_a_private_file_second_build_loads_it(cache_dir: Path) -> None:
    """The database is written once (owner-only) and a later build scans the same from it."""
    first = build_scanner(SPECS, "hyperscan", cache=True)
    (path,) = _files(cache_dir)
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    before = path.stat().st_mtime_ns
    second = build_scanner(SPECS, "hyperscan", cache=True)
    assert path.stat().st_mtime_ns == before
    assert sorted(first.scan(TEXT)) == sorted(second.scan(TEXT)) == EXPECTED


def test_uncached_build_writes_nothing(cache_dir: Path) -> None:
    """``cache=False`` (user patterns) never touches the disk."""
    build_scanner(SPECS, "hyperscan")
    assert not cache_dir.exists()


def test_empty_setting_turns_the_cache_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """``GUARDRAILS_CACHE_DIR=""`` disables it."""
    monkeypatch.setenv("GUARDRAILS_CACHE_DIR", "")
    assert _hs_cache.cache_dir() is None
    assert sorted(build_scanner(SPECS, "hyperscan", cache=True).scan(TEXT)) == EXPECTED


def test_damaged_file_is_replaced_by_a_fresh_compile(cache_dir: Path) -> None:
    """A truncated or garbage file is ignored: the patterns are compiled and still match."""
    build_scanner(SPECS, "hyperscan", cache=True)
    (path,) = _files(cache_dir)
    path.write_bytes(path.read_bytes()[:100])
    assert sorted(build_scanner(SPECS, "hyperscan", cache=True).scan(TEXT)) == EXPECTED


def _plant_other_database(path: Path, mode: int) -> None:
    """Put a valid database for *other* patterns where ours is expected."""
    import hyperscan

    other = _hs_cache.compile_database([rb"zzz"], [0], [0], use_cache=False)
    path.write_bytes(hyperscan.dumpb(other))
    path.chmod(mode)


def test_file_writable_by_others_is_not_loaded(cache_dir: Path) -> None:
    """A database anyone could have swapped in is not used (it might miss values)."""
    build_scanner(SPECS, "hyperscan", cache=True)
    (path,) = _files(cache_dir)
    _plant_other_database(path, 0o666)
    assert sorted(build_scanner(SPECS, "hyperscan", cache=True).scan(TEXT)) == EXPECTED


def test_directory_writable_by_others_is_not_used(cache_dir: Path) -> None:
    """Same for a file in a directory others can write to."""
    build_scanner(SPECS, "hyperscan", cache=True)
    (path,) = _files(cache_dir)
    _plant_other_database(path, 0o600)
    cache_dir.chmod(0o777)
    assert sorted(build_scanner(SPECS, "hyperscan", cache=True).scan(TEXT)) == EXPECTED


def test_private_file_is_trusted(cache_dir: Path) -> None:
    """Control for the two tests above: with owner-only permissions the planted file is loaded."""
    build_scanner(SPECS, "hyperscan", cache=True)
    (path,) = _files(cache_dir)
    _plant_other_database(path, 0o600)
    assert build_scanner(SPECS, "hyperscan", cache=True).scan(TEXT) == []


def test_unwritable_cache_directory_still_compiles(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only cache location costs the compile time, nothing else.

    Writing is refused the way a read-only directory refuses it (root ignores mode bits, so the
    refusal is injected where the cache creates its file).
    """

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    cache_dir.mkdir(mode=0o700)
    monkeypatch.setattr(_hs_cache.tempfile, "mkstemp", refuse)
    assert sorted(build_scanner(SPECS, "hyperscan", cache=True).scan(TEXT)) == EXPECTED
    assert _files(cache_dir) == []


def test_cache_file_under_a_path_that_is_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache path that cannot be a directory (here: a regular file) is ignored."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("GUARDRAILS_CACHE_DIR", str(blocker))
    assert sorted(build_scanner(SPECS, "hyperscan", cache=True).scan(TEXT)) == EXPECTED


def test_key_changes_with_patterns_flags_and_ids() -> None:
    """Any change to what is compiled names a different file."""
    import hyperscan

    base = _hs_cache._key(hyperscan, 1, [b"a", b"b"], [0, 1], [0, 0])
    assert base != _hs_cache._key(hyperscan, 1, [b"a", b"c"], [0, 1], [0, 0])
    assert base != _hs_cache._key(hyperscan, 1, [b"a", b"b"], [0, 2], [0, 0])
    assert base != _hs_cache._key(hyperscan, 1, [b"a", b"b"], [0, 1], [0, 8])
    assert base != _hs_cache._key(hyperscan, 4, [b"a", b"b"], [0, 1], [0, 0])
    assert base != _hs_cache._key(hyperscan, 1, [b"ab"], [0], [0])


def test_old_files_are_pruned(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond the limit the oldest databases go; the one just written stays."""
    monkeypatch.setattr(_hs_cache, "_MAX_FILES", 3)
    for i in range(5):
        build_scanner([PatternSpec(f"word{i}")], "hyperscan", cache=True)
        newest = max(_files(cache_dir), key=lambda p: p.stat().st_mtime_ns)
        os.utime(newest, ns=(i * 10**9, i * 10**9))  # distinct, increasing ages
    assert len(_files(cache_dir)) == 3
    assert sorted(build_scanner([PatternSpec("word4")], "hyperscan", cache=True).scan(b"word4"))
