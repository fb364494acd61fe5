"""``guardrails redact`` and ``guardrails scan``: streaming redaction and summary counts.

Text is read in 256 KB blocks. Each block is redacted with the text after it in view (an 8 KB
overlap), and only the part before a cut point that no span crosses is written; the rest is
carried into the next block. So a value straddling a block boundary (a PEM key, a spaced card
number) is seen whole, and memory stays flat whatever the stream's size. One vault covers the
whole stream, so placeholders are stable across it (it grows with *distinct* values only). Blocks
are not matched against the vault's known values (a dense stream adds thousands of values per MB
and recompiling that matcher would dominate); repeats inside a block are still found.
JSON Lines are redacted record by record; ``--format json`` loads one document.
"""

from __future__ import annotations

import argparse
import codecs
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from typing import IO, Any

from guardrails._errors import InputError
from guardrails._types import Span
from guardrails.masking import Mask, Placeholder, Redact
from guardrails.masking._base import Operator
from guardrails.redactor import Redactor
from guardrails.vault import Vault

__all__ = ["register"]

CHUNK = 256 << 10
OVERLAP = 8 << 10
_BIG = 1 << 20  # show a progress bar from this size (when stderr is a terminal)
_OPERATORS: dict[str, Operator] = {"placeholder": Placeholder(), "redact": Redact(), "mask": Mask()}


def register(subparsers: Any) -> None:
    """Add the ``redact`` and ``scan`` subcommands."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--entities", help="comma-separated entity types or groups (default: all built-ins)"
    )
    common.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: on for large inputs when stderr is a terminal)",
    )
    p = subparsers.add_parser(
        "redact", parents=[common], help="mask PII and secrets in a file or stdin"
    )
    p.add_argument("file", nargs="?", default="-", help="input file, or - for stdin (default)")
    p.add_argument("--format", choices=("text", "json", "jsonl"), default="text")
    p.add_argument("--operator", choices=sorted(_OPERATORS), default="placeholder")
    p.set_defaults(func=_redact_command)
    s = subparsers.add_parser(
        "scan", parents=[common], help="count PII and secrets per entity type (no values shown)"
    )
    s.add_argument("files", nargs="+", metavar="FILE")
    s.add_argument(
        "--format",
        choices=("auto", "text", "json", "jsonl"),
        default="auto",
        help="auto: by extension (.json, .jsonl/.ndjson, else text)",
    )
    s.add_argument("--check", action="store_true", help="exit 1 when anything is found")
    s.set_defaults(func=_scan_command)


def _redactor(args: argparse.Namespace, operator: Operator | None = None) -> Redactor:
    entities = [e.strip() for e in args.entities.split(",") if e.strip()] if args.entities else None
    ops = {"default": operator} if operator is not None else None
    return Redactor(entities=entities, operators=ops)


# -- input -----------------------------------------------------------------------------------
def _open(path: str) -> tuple[IO[bytes], int | None]:
    if path == "-":
        return sys.stdin.buffer, None
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed by the caller
        size = os.fstat(fh.fileno()).st_size
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return fh, size


def _progress(args: argparse.Namespace, size: int | None, label: str) -> Any:
    show = args.progress
    if show is None:
        show = sys.stderr.isatty() and (size is None or size >= _BIG)
    if not show:
        return None
    from tqdm import tqdm

    return tqdm(total=size, unit="B", unit_scale=True, desc=label, file=sys.stderr, leave=False)


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


def _records(
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


def _document(redactor: Redactor, fh: IO[bytes], vault: Vault, counts: Counter[str]) -> str:
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
def _redact_command(args: argparse.Namespace) -> int:
    redactor = _redactor(args, _OPERATORS[args.operator])
    fh, size = _open(args.file)
    vault = Vault()
    counts: Counter[str] = Counter()
    bar = _progress(args, size, "redact")
    try:
        if args.format == "text":
            chunks: Iterator[str] = TextStream(redactor, vault).run(fh, bar)
        elif args.format == "jsonl":
            chunks = _records(redactor, fh, vault, counts, bar)
        else:
            chunks = iter([_document(redactor, fh, vault, counts)])
        _write(chunks)
    finally:
        if bar is not None:
            bar.close()
        if fh is not sys.stdin.buffer:
            fh.close()
    return 0


def _write(chunks: Iterator[str]) -> None:
    """Write to stdout as UTF-8; undecodable input bytes go back out unchanged."""
    sys.stdout.flush()
    out = getattr(sys.stdout, "buffer", None)
    for chunk in chunks:
        data = chunk.encode("utf-8", "surrogateescape")
        if out is not None:
            out.write(data)
        else:  # a text-only stdout (e.g. redirected in an embedding application)
            sys.stdout.write(data.decode("utf-8", "replace"))
    if out is not None:
        out.flush()


def _scan_format(path: str, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    lower = path.lower()
    if lower.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    return "json" if lower.endswith(".json") else "text"


def _scan_command(args: argparse.Namespace) -> int:
    redactor = _redactor(args)
    table: dict[str, Counter[str]] = {}
    for path in args.files:
        fh, size = _open(path)
        counts: Counter[str] = Counter()
        vault = Vault()
        bar = _progress(args, size, path)
        try:
            fmt = _scan_format(path, args.format)
            if fmt == "text":
                stream = TextStream(redactor, vault, mask=False)
                for _ in stream.run(fh, bar):
                    pass
                counts.update(stream.counts)
            elif fmt == "jsonl":
                for _ in _records(redactor, fh, vault, counts, bar):
                    pass
            else:
                _document(redactor, fh, vault, counts)
        finally:
            if bar is not None:
                bar.close()
            if fh is not sys.stdin.buffer:
                fh.close()
        table[path] = counts
    sys.stdout.write(format_table(table))
    found = any(sum(c.values()) for c in table.values())
    return 1 if args.check and found else 0


def format_table(table: dict[str, Counter[str]]) -> str:
    """Entity rows × file columns of counts, with totals; no values."""
    files = list(table)
    entities = sorted({e for c in table.values() for e in c})
    header = ["ENTITY", *files, "TOTAL"] if len(files) > 1 else ["ENTITY", files[0]]
    rows = []
    for entity in entities:
        cells = [table[f][entity] for f in files]
        rows.append([entity, *map(str, cells), *([str(sum(cells))] if len(files) > 1 else [])])
    totals = [sum(table[f].values()) for f in files]
    rows.append(["TOTAL", *map(str, totals), *([str(sum(totals))] if len(files) > 1 else [])])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        return "  ".join([first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))])

    return "\n".join([line(header), *(line(r) for r in rows)]) + "\n"
