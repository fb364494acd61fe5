"""An append-only JSON Lines file: one event per line, ``flock`` for several writers.

Each append takes an exclusive ``flock`` (other processes) and a thread lock (this process), reads
the last line to find the head (skipped when the file has not grown since our own last write),
writes one line with ``O_APPEND`` and fsyncs before returning. A crash mid-write can leave a
partial last line: verify reports it as ``malformed`` and further appends are refused until an
operator looks at it (fail closed rather than chain onto a torn record). POSIX only (``fcntl``).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator

from guardrails._errors import AuditError
from guardrails._group import GroupCommit
from guardrails.audit._events import GENESIS_HASH, Record
from guardrails.audit._lines import split_line, to_line
from guardrails.audit._sink import Builder

__all__ = ["JsonlSink"]

_TAIL_CHUNK = 8192


class JsonlSink:
    """Audit records in a JSONL file (the same format ``export`` writes).

    Example:
        >>> import tempfile, os
        >>> from guardrails.audit import AuditLog, verify_events
        >>> path = os.path.join(tempfile.mkdtemp(), "audit.jsonl")
        >>> with AuditLog(JsonlSink(path)) as log:
        ...     _ = log.record("tool.executed", tool="search", outcome="ok")
        >>> with open(path) as f:
        ...     verify_events(f).ok
        True
    """

    def __init__(
        self, path: str | os.PathLike[str], *, fsync: bool = True, readonly: bool = False
    ) -> None:
        self.path = os.fspath(path)
        self.readonly = readonly
        self._fsync = fsync
        self._lock = threading.Lock()
        self._group: GroupCommit[Builder, Record] = GroupCommit(self._write_batch)
        self._cached: tuple[int, int, str] | None = None  # (file size, seq, hash) after our write
        try:
            flags = os.O_RDONLY if readonly else os.O_RDWR | os.O_APPEND | os.O_CREAT
            self._fd = os.open(self.path, flags, 0o600)
        except OSError as exc:
            raise AuditError(f"cannot open the JSONL audit trail: {exc.strerror}") from exc

    def __repr__(self) -> str:
        return f"JsonlSink({self.path!r})"

    def append(self, build: Builder) -> Record:
        """Under ``flock``: read head, write the line(s), fsync (group commit)."""
        if self.readonly:
            raise AuditError("this audit trail was opened read-only")
        return self._group.submit(build)

    def _write_batch(self, builds: list[Builder]) -> list[Record | Exception]:
        with self._lock:
            fd = self._fd
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    size = os.fstat(fd).st_size
                    cached = self._cached
                    if cached is not None and cached[0] == size:
                        seq, prev = cached[1], cached[2]
                    else:
                        seq, prev = self._tail(size)
                    out: list[Record | Exception] = []
                    lines: list[str] = []
                    for build in builds:
                        try:
                            body, digest = build(seq + 1, prev)
                        except Exception as exc:  # that caller's error; the others go on
                            out.append(exc)
                            continue
                        lines.append(to_line(body, digest) + "\n")
                        seq, prev = seq + 1, digest
                        out.append(Record(seq, body, digest))
                    data = "".join(lines).encode("utf-8")
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view) :]
                    if self._fsync:
                        os.fsync(fd)
                    self._cached = (size + len(data), seq, prev)
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            except OSError as exc:
                self._cached = None
                raise AuditError(f"JSONL audit append failed: {exc.strerror}") from exc
            return out

    def _tail(self, size: int) -> tuple[int, str]:
        if size == 0:
            return 0, GENESIS_HASH
        buf = b""
        pos = size
        while pos > 0:
            step = min(_TAIL_CHUNK, pos)
            pos -= step
            buf = os.pread(self._fd, step, pos) + buf
            if buf.count(b"\n") >= 2 or pos == 0:
                break
        if not buf.endswith(b"\n"):
            raise AuditError(
                "the JSONL audit trail ends with a partial record; run `guardrails audit verify`"
            )
        last = buf[:-1].rsplit(b"\n", 1)[-1].decode("utf-8", errors="replace")
        body, digest = split_line(last)
        try:
            seq = json.loads(body)["seq"]
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            raise AuditError("the last JSONL audit record is malformed") from exc
        if type(seq) is not int or len(digest) != 64:
            raise AuditError("the last JSONL audit record is malformed")
        return seq, digest

    def records(self, start: int = 1) -> Iterator[Record]:
        """Lines in file order; a record's ``seq`` is its line number (verify checks the body's)."""
        try:
            with open(self.path, "rb") as f:
                fcntl.flock(f.fileno(), fcntl.LOCK_SH)  # a size that ends on a whole line
                try:
                    size = os.fstat(f.fileno()).st_size
                finally:
                    fcntl.flock(f.fileno(), fcntl.LOCK_UN)
                for position, raw in enumerate(f, 1):
                    size -= len(raw)
                    if size < 0:
                        break
                    if position >= start and raw.strip():
                        body, digest = split_line(raw.decode("utf-8", errors="replace"))
                        yield Record(position, body, digest)
        except OSError as exc:
            raise AuditError(f"JSONL audit read failed: {exc.strerror}") from exc

    def head(self) -> tuple[int, str]:
        """Last ``(seq, hash)`` as written in the file."""
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_SH)
            try:
                return self._tail(os.fstat(self._fd).st_size)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the file descriptor."""
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
