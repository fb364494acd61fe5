"""Streams for the CLI: text in blocks with overlap, JSON Lines in batches, one JSON document.

Text is read in 256 KB blocks. Each block is redacted with the text after it in view (an 8 KB
overlap), and only the part before a cut point that no span crosses is written; the rest is
carried into the next block. So a value straddling a block boundary (a PEM key, a spaced card
number) is seen whole. Blocks are not matched against the vault's known values (a dense stream
adds thousands of values per MB and recompiling that matcher would dominate); repeats inside a
block are still found.

JSON Lines are parsed line by line and redacted in batches of about 256 KB of records with one
``redact_data`` call: the engine then joins the batch's strings into one detector pass instead of
one pass per record (several times faster on small records), and values found through context in
one record are also masked where they repeat in the others.

Placeholders are stable within a :class:`Scope`, not across the whole stream: a vault remembers
every distinct value it saw, so one vault per stream grows with the input (about 4.6 MB of memory
per MB of fresh agent records). By default a fresh vault is opened after every 1 MB of input, so
memory stays flat whatever the stream's size; placeholder numbers keep counting across vaults, so
one placeholder never names two different values in one output. A CLI output has no restore (the
vault is discarded at exit), so nothing is lost but cross-window stability. ``--scope stream``
restores one vault for everything (memory grows with distinct values); ``--scope record`` opens one
per JSON Lines record (per block for text).
"""

from __future__ import annotations

import codecs
import json
from collections import Counter
from collections.abc import Iterator
from typing import IO, Any

from guardrails._errors import InputError, RedactionError
from guardrails._types import Span
from guardrails.redactor import Redactor
from guardrails.vault import Vault

__all__ = [
    "BATCH",
    "CHUNK",
    "DEFAULT_WINDOW",
    "OVERLAP",
    "Scope",
    "TextStream",
    "json_document",
    "json_records",
    "parse_scope",
]

CHUNK = 256 << 10
OVERLAP = 8 << 10
BATCH = 256 << 10  # bytes of JSON Lines records redacted by one redact_data call
DEFAULT_WINDOW = 1 << 20  # input bytes per vault (``--scope 1``)
_BLANK = object()  # a blank JSON Lines line: written back as it was


def parse_scope(value: str) -> int | None:
    """``stream`` → None (one vault), ``record`` → 0, ``N`` (MB, > 0) → a window in bytes.

    Raises:
        InputError: anything else.
    """
    word = value.strip().lower()
    if word == "stream":
        return None
    if word == "record":
        return 0
    try:
        mb = float(word)
    except ValueError:
        mb = -1.0
    if not mb > 0 or mb == float("inf"):
        raise InputError("--scope takes stream, record or a positive number of MB")
    return max(1, int(mb * (1 << 20)))


class Scope:
    """The vault in use for the current window of a stream.

    Args:
        window: None = one vault for the whole stream; 0 = a fresh vault after every record
            (JSON Lines line, text block); ``n`` = a fresh vault once ``n`` input bytes went by.

    Example:
        >>> scope = Scope(window=10)
        >>> scope.vault.placeholder_for("EMAIL_ADDRESS", "a@example.com")
        '<EMAIL_ADDRESS_1>'
        >>> scope.consumed(10)
        >>> len(scope.vault), scope.vault.placeholder_for("EMAIL_ADDRESS", "b@example.com")
        (0, '<EMAIL_ADDRESS_2>')
    """

    def __init__(self, window: int | None = DEFAULT_WINDOW) -> None:
        self.window = window
        self.vault = Vault()
        self.peak_entries = 0  # the most entries one vault held (for tests and benchmarks)
        self._used = 0

    def consumed(self, nbytes: int) -> None:
        """Count input bytes whose output was produced; rotate the vault when the window is full."""
        if self.window is None:
            return
        self._used += nbytes
        if self._used < self.window:
            return
        self.peak_entries = max(self.peak_entries, len(self.vault))
        fresh = Vault()
        # Numbers keep counting across vaults: one placeholder never names two values in one
        # output. Only the counters move over (a few ints), never the values.
        fresh._counters = dict(self.vault._counters)
        self.vault = fresh
        self._used = 0

    def entries(self) -> int:
        """The most entries any vault of this scope has held so far."""
        return max(self.peak_entries, len(self.vault))


def _blocks(fh: IO[bytes], bar: Any) -> Iterator[tuple[str, int]]:
    """Decoded blocks and their size in bytes; undecodable bytes survive as surrogate escapes."""
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    while True:
        raw = fh.read(CHUNK)
        if bar is not None:
            bar.update(len(raw))
        if not raw:
            tail = decoder.decode(b"", final=True)
            if tail:
                yield tail, 0
            return
        yield decoder.decode(raw), len(raw)


def _cut(buf: str) -> int:
    """Where to end this block's output: a newline (else a space) before the overlap."""
    limit = len(buf) - OVERLAP
    for sep in ("\n", " "):
        i = buf.rfind(sep, 0, limit)
        if i > 0:
            return i + 1
    return limit


class TextStream:
    """Redacts (or, with ``mask=False``, only counts) a byte stream block by block."""

    def __init__(self, redactor: Redactor, scope: Scope, *, mask: bool = True) -> None:
        self.redactor = redactor
        self.scope = scope
        self.mask = mask
        self.counts: Counter[str] = Counter()

    def run(self, fh: IO[bytes], bar: Any = None) -> Iterator[str]:
        """Yield the redacted text in pieces, in order."""
        buf = ""
        pending = 0  # input bytes read but not yet written out
        for block, nbytes in _blocks(fh, bar):
            buf += block
            pending += nbytes
            if len(buf) < CHUNK + OVERLAP:
                continue
            cut = _cut(buf)
            spans = self.redactor._spans(buf, None, None)
            for span in spans:  # never cut through a value: stop before it instead
                if span.start < cut < span.end:
                    # Before the value; or after it when it starts the buffer (else no progress).
                    cut = span.start if span.start > 0 else span.end
                    break
            yield self._apply(buf, [s for s in spans if s.end <= cut], cut)
            buf = buf[cut:]
            # Characters, not bytes, for the written part: close enough for a memory window.
            self.scope.consumed(cut)
        if buf:
            yield self._apply(buf, self.redactor._spans(buf, None, None), len(buf))
            self.scope.consumed(len(buf))

    def _apply(self, text: str, spans: list[Span], end: int) -> str:
        for span in spans:
            self.counts[span.entity_type] += 1
        if not self.mask:
            return ""
        vault = self.scope.vault
        pieces: list[str] = []
        pos = 0
        for span in spans:
            pieces.append(text[pos : span.start])
            pieces.append(self.redactor._mask(text[span.start : span.end], span.entity_type, vault))
            pos = span.end
        pieces.append(text[pos:end])
        return "".join(pieces)


def json_records(
    redactor: Redactor, fh: IO[bytes], scope: Scope, counts: Counter[str], bar: Any
) -> Iterator[str]:
    """Redact JSON Lines in batches; on a broken line, write the records before it, then raise."""
    batch: list[tuple[Any, str]] = []  # (parsed record or _BLANK, the line or its line ending)
    size = 0
    for n, raw in enumerate(fh, start=1):
        if bar is not None:
            bar.update(len(raw))
        line = raw.decode("utf-8", "surrogateescape")
        body = line.rstrip("\r\n")
        if not body.strip():
            batch.append((_BLANK, line))
            continue
        try:
            record = json.loads(body)
        except (ValueError, RecursionError):
            yield _redact_batch(redactor, batch, scope.vault, counts)
            raise InputError(f"line {n} is not valid JSON (nothing after it was written)") from None
        batch.append((record, line[len(body) :]))
        size += len(raw)
        if size >= BATCH or scope.window == 0:
            yield _redact_batch(redactor, batch, scope.vault, counts)
            scope.consumed(size)
            batch, size = [], 0
    if batch:
        yield _redact_batch(redactor, batch, scope.vault, counts)
        scope.consumed(size)


def _redact_batch(
    redactor: Redactor, batch: list[tuple[Any, str]], vault: Vault, counts: Counter[str]
) -> str:
    records = [record for record, _ in batch if record is not _BLANK]
    if not records:
        return "".join(line for _, line in batch)
    report = redactor.redact_data_with_report(records, vault=vault)
    masked = report.data
    if not isinstance(masked, list) or len(masked) != len(records):  # fail closed
        raise RedactionError("a JSON Lines batch came back with another shape; nothing written")
    counts.update(report.counts)
    out: list[str] = []
    it = iter(masked)
    for record, ending in batch:
        if record is _BLANK:
            out.append(ending)
        else:
            out.append(json.dumps(next(it), ensure_ascii=False) + ending)
    return "".join(out)


def json_document(redactor: Redactor, fh: IO[bytes], vault: Vault, counts: Counter[str]) -> str:
    """One JSON document, read whole (not a stream: memory follows the document's size)."""
    text = fh.read().decode("utf-8", "surrogateescape")
    try:
        doc = json.loads(text)
    except RecursionError:
        doc = None  # deeper than the json module allows: redacted as text below
    except ValueError:
        raise InputError("the input is not valid JSON (use --format text)") from None
    if doc is None and text.strip() != "null":
        report = redactor.redact_data_with_report(text, vault=vault)
        counts.update(report.counts)
        return str(report.data)
    report = redactor.redact_data_with_report(doc, vault=vault)
    counts.update(report.counts)
    return json.dumps(report.data, ensure_ascii=False, indent=2) + "\n"
