"""Streams for the CLI: text in blocks with overlap, JSON Lines by record, one JSON document.

Text is read in 256 KB blocks. Each block is redacted with the text after it in view (an 8 KB
overlap), and only the part before a cut point that no span crosses is written; the rest is
carried into the next block. So a value straddling a block boundary (a PEM key, a spaced card
number) is seen whole, and memory stays flat whatever the stream's size. One vault covers the
whole stream, so placeholders are stable across it (it grows with *distinct* values only). Blocks
are not matched against the vault's known values (a dense stream adds thousands of values per MB
and recompiling that matcher would dominate); repeats inside a block are still found.
"""

from __future__ import annotations

import codecs
import json
from collections import Counter
from collections.abc import Iterator
from typing import IO, Any

from guardrails._errors import InputError
from guardrails._types import Span
from guardrails.redactor import Redactor
from guardrails.vault import Vault

__all__ = ["CHUNK", "OVERLAP", "TextStream", "json_document", "json_records"]

CHUNK = 256 << 10
OVERLAP = 8 << 10


def _blocks(fh: IO[bytes], bar: Any) -> Iterator[str]:
    """Decoded blocks; undecodable bytes survive as surrogate escapes and are written back."""
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    while True:
        raw = fh.read(CHUNK)
        if bar is not None:
            bar.update(len(raw))
        if not raw:
            tail = decoder.decode(b"", final=True)
            if tail:
                yield tail
            return
        yield decoder.decode(raw)


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

    def __init__(self, redactor: Redactor, vault: Vault, *, mask: bool = True) -> None:
        self.redactor = redactor
        self.vault = vault
        self.mask = mask
        self.counts: Counter[str] = Counter()

    def run(self, fh: IO[bytes], bar: Any = None) -> Iterator[str]:
        """Yield the redacted text in pieces, in order."""
        buf = ""
        for block in _blocks(fh, bar):
            buf += block
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
        if buf:
            yield self._apply(buf, self.redactor._spans(buf, None, None), len(buf))

    def _apply(self, text: str, spans: list[Span], end: int) -> str:
        for span in spans:
            self.counts[span.entity_type] += 1
        if not self.mask:
            return ""
        pieces: list[str] = []
        pos = 0
        for span in spans:
            pieces.append(text[pos : span.start])
            pieces.append(
                self.redactor._mask(text[span.start : span.end], span.entity_type, self.vault)
            )
            pos = span.end
        pieces.append(text[pos:end])
        return "".join(pieces)


def json_records(
    redactor: Redactor, fh: IO[bytes], vault: Vault, counts: Counter[str], bar: Any
) -> Iterator[str]:
    for n, raw in enumerate(fh, start=1):
        if bar is not None:
            bar.update(len(raw))
        line = raw.decode("utf-8", "surrogateescape")
        body = line.rstrip("\r\n")
        if not body.strip():
            yield line
            continue
        try:
            record = json.loads(body)
        except (ValueError, RecursionError):
            raise InputError(f"line {n} is not valid JSON (nothing after it was written)") from None
        report = redactor.redact_data_with_report(record, vault=vault)
        counts.update(report.counts)
        yield json.dumps(report.data, ensure_ascii=False) + line[len(body) :]


def json_document(redactor: Redactor, fh: IO[bytes], vault: Vault, counts: Counter[str]) -> str:
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


# -- commands --------------------------------------------------------------------------------
