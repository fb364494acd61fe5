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

Placeholders are stable within a :class:`~guardrails._cli_scope.Scope` (see that module): by
default a window of 1 MB whose recurring values carry over, so memory stays flat on any stream.
"""

from __future__ import annotations

import codecs
import json
from collections import Counter
from collections.abc import Iterator
from typing import IO, Any

from guardrails._cli_scope import Scope
from guardrails._errors import InputError, RedactionError
from guardrails._types import Span
from guardrails.redactor import Redactor
from guardrails.vault import Vault

__all__ = ["BATCH", "CHUNK", "OVERLAP", "TextStream", "json_document", "json_records"]

CHUNK = 256 << 10
OVERLAP = 8 << 10
BATCH = 256 << 10  # bytes of JSON Lines records redacted by one redact_data call
_BLANK = object()  # a blank JSON Lines line: written back as it was


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
