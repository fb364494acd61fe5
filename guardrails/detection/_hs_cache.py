"""A disk cache for hyperscan databases compiled from patterns shipped with the package.

Compiling the built-in pattern set costs 0.2-0.3 s in every new process (a CLI run, a worker, a
test); loading the serialized database costs about 0.1 ms. Only *built-in* pattern sets go
through here: never user values (a vault's known values) or user patterns, which must not be
written to disk.

Where: ``$GUARDRAILS_CACHE_DIR`` if set (set it to an empty string to turn the cache off), else
``$XDG_CACHE_HOME/action-guardrails``, else ``~/.cache/action-guardrails``. A file's name is a
SHA-256 of everything the compiled database depends on: the hyperscan binding's version, the
machine and CPU features (hyperscan compiles for the host), the mode, the expressions, their ids
and flags. Hyperscan itself rejects a damaged or foreign database (magic, version, platform and
CRC checks in ``hs_deserialize_database``).

Failing safe: any error reading, loading or writing means compiling in memory, as if there were
no cache. A file not owned by this user, or writable by group or others, is ignored: someone
else could have swapped in a database that misses values. Files are written to a temporary name
and renamed, so a concurrent reader sees the old file or the new one, never half of one; beyond
64 files the oldest are deleted.
"""

from __future__ import annotations

import hashlib
import os
import platform
import stat
import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["cache_dir", "compile_database"]

_FORMAT = b"guardrails-hs-cache-1"
_MAX_FILES = 64  # about 30 MB at most: the full pattern set is ~0.8 MB


def cache_dir() -> Path | None:
    """The cache directory, or None when turned off (``GUARDRAILS_CACHE_DIR=""``)."""
    configured = os.environ.get("GUARDRAILS_CACHE_DIR")
    if configured is not None:
        return Path(configured).expanduser() if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "action-guardrails"


@cache
def _host() -> bytes:
    """Machine and CPU feature flags: a database compiled for one host may not run on another."""
    flags = ""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith(("flags", "Features")):
                    flags = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.machine()}|{platform.system()}|{flags}".encode()


def _key(
    hs: Any, mode: int, expressions: Sequence[bytes], ids: Sequence[int], flags: Sequence[int]
) -> str:
    h = hashlib.sha256(_FORMAT)
    version = str(getattr(hs, "__version__", "?")).encode()
    for part in (version, _host(), str(mode).encode()):
        h.update(len(part).to_bytes(4, "big") + part)
    for expr, i, f in zip(expressions, ids, flags, strict=True):
        h.update(len(expr).to_bytes(4, "big") + expr + i.to_bytes(4, "big") + f.to_bytes(4, "big"))
    return h.hexdigest()


def _safe(path: Path) -> bool:
    """Owned by us and not writable by anyone else (POSIX; elsewhere the OS's ACLs decide)."""
    if not hasattr(os, "getuid"):
        return True
    st = path.stat()
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _load(hs: Any, path: Path, mode: int) -> Any:
    try:
        if not path.is_file() or not _safe(path.parent) or not _safe(path):
            return None
        db = hs.loadb(path.read_bytes(), mode)
        db.scratch = hs.Scratch(db)  # compile() makes one; a loaded database has none yet
        return db
    except Exception:  # a damaged, foreign or unreadable file: compile instead
        return None


def _store(hs: Any, path: Path, db: Any) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _safe(path.parent):
            return
        data = hs.dumpb(db)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _prune(path.parent, keep=path)
    except Exception:  # read-only home, full disk, …: the in-memory database is enough
        return


def _prune(directory: Path, keep: Path) -> None:
    """Delete the oldest databases beyond ``_MAX_FILES`` (new versions and entity selections
    each add one; nothing else ever removes them)."""
    files = sorted(directory.glob("*.hsdb"), key=lambda p: p.stat().st_mtime)
    for old in files[: max(0, len(files) - _MAX_FILES)]:
        if old != keep:
            old.unlink(missing_ok=True)


def compile_database(
    expressions: Sequence[bytes],
    ids: Sequence[int],
    flags: Sequence[int],
    *,
    mode: int | None = None,
    use_cache: bool = True,
) -> Any:
    """A hyperscan ``Database`` for these built-in patterns: loaded from the cache or compiled.

    Raises:
        hyperscan.error: the patterns do not compile (the cache is not involved then).
    """
    import hyperscan

    mode = hyperscan.HS_MODE_BLOCK if mode is None else mode
    directory = cache_dir() if use_cache else None
    path = (
        directory / f"{_key(hyperscan, mode, expressions, ids, flags)}.hsdb" if directory else None
    )
    if path is not None:
        db = _load(hyperscan, path, mode)
        if db is not None:
            return db
    db = hyperscan.Database(mode=mode)
    db.compile(
        expressions=list(expressions), ids=list(ids), elements=len(expressions), flags=list(flags)
    )
    if path is not None:
        _store(hyperscan, path, db)
    return db
