"""``guardrails redact`` and ``guardrails scan``: streaming redaction and summary counts.

The reading and redacting of streams lives in :mod:`guardrails._cli_stream`; this module holds
the argument parsing, the commands and the summary table. ``--scope`` sets how far placeholders
stay stable (see :mod:`guardrails._cli_scope`): by default within 1 MB windows whose recurring
values carry over, so memory stays flat on streams of any size while a placeholder still never
names two different values. Errors are raised as our exceptions;
``guardrails.cli.main`` turns them into exit code 2 with the message (never a value).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Iterator
from typing import IO, Any

from guardrails._cli_scope import Scope, parse_scope
from guardrails._cli_stream import TextStream, json_document, json_records
from guardrails._errors import InputError
from guardrails.masking import Mask, Placeholder, Redact
from guardrails.masking._base import Operator
from guardrails.redactor import Redactor

__all__ = ["register"]

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
    p.add_argument(
        "--format",
        choices=("text", "json", "jsonl"),
        default="text",
        help="text and jsonl stream in constant memory; json reads one document whole",
    )
    p.add_argument("--operator", choices=sorted(_OPERATORS), default="placeholder")
    p.add_argument(
        "--scope",
        default="1",
        metavar="stream|record|N",
        help="how long a value keeps its placeholder. N (MB, default 1): while it recurs at "
        "least once every N MB of input; memory stays flat. record: within one JSON Lines "
        "record (text: one 256 KB block). stream: the whole input (memory grows with the "
        "distinct values). A placeholder never names two different values.",
    )
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


def _redact_command(args: argparse.Namespace) -> int:
    redactor = _redactor(args, _OPERATORS[args.operator])
    scope = Scope(parse_scope(args.scope))
    fh, size = _open(args.file)
    counts: Counter[str] = Counter()
    bar = _progress(args, size, "redact")
    try:
        if args.format == "text":
            chunks: Iterator[str] = TextStream(redactor, scope).run(fh, bar)
        elif args.format == "jsonl":
            chunks = json_records(redactor, fh, scope, counts, bar)
        else:
            chunks = iter([json_document(redactor, fh, scope.vault, counts)])
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
        scope = Scope()  # counting only: the default window keeps memory flat
        bar = _progress(args, size, path)
        try:
            fmt = _scan_format(path, args.format)
            if fmt == "text":
                stream = TextStream(redactor, scope, mask=False)
                for _ in stream.run(fh, bar):
                    pass
                counts.update(stream.counts)
            elif fmt == "jsonl":
                for _ in json_records(redactor, fh, scope, counts, bar):
                    pass
            else:
                json_document(redactor, fh, scope.vault, counts)
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
