"""``guardrails audit verify | tail | export``: read-only commands over a trail.

Sources: ``--db PATH`` (SQLite), ``--jsonl PATH`` or ``--postgres DSN`` (with ``--schema``); when none
is given, ``$GUARDRAILS_AUDIT`` (a path or a ``postgresql://`` URL). Trails are opened read-only:
these commands never create or alter the evidence they look at.

Exit codes: 0 ok; 1 the chain does not verify (the message names the first bad seq); 2 usage or
I/O error.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson

from guardrails._errors import AuditError, ConfigurationError
from guardrails.audit._chain import Chain
from guardrails.audit._events import Record
from guardrails.audit._export import export_records
from guardrails.audit._lines import to_line
from guardrails.audit._sink import AuditSink
from guardrails.audit._verify import verify_pairs

__all__ = ["register"]

ENV_VAR = "GUARDRAILS_AUDIT"


def register(subparsers: Any) -> None:
    """Add ``audit`` and its subcommands to the top-level parser."""
    audit = subparsers.add_parser("audit", help="verify, tail or export the audit trail")
    sub = audit.add_subparsers(dest="audit_command", required=True)

    verify = sub.add_parser("verify", help="check the hash chain; exit 1 naming the first bad seq")
    _add_source(verify)
    verify.add_argument(
        "--key-file", type=Path, help="HMAC key the trail was written with (raw bytes, as is)"
    )
    verify.add_argument(
        "--expect-head",
        metavar="SEQ:HASH",
        help="head recorded elsewhere earlier; catches a truncated end",
    )
    verify.set_defaults(func=_verify)

    tail = sub.add_parser("tail", help="print the last events")
    _add_source(tail)
    tail.add_argument("-n", type=int, default=10, help="how many events (default 10)")
    tail.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    tail.add_argument("--json", action="store_true", help="print JSONL lines instead of text")
    tail.add_argument("--interval", type=float, default=0.5, help=argparse.SUPPRESS)
    tail.set_defaults(func=_tail)

    export = sub.add_parser("export", help="write the trail as JSONL (verifiable) or CSV")
    _add_source(export)
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    export.set_defaults(func=_export)


def _add_source(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--db", type=Path, help="SQLite trail")
    group.add_argument("--jsonl", type=Path, help="JSONL trail")
    group.add_argument("--postgres", metavar="DSN", help="PostgreSQL conninfo or URL")
    parser.add_argument("--schema", default="guardrails_audit", help="PostgreSQL schema")


def _open(args: argparse.Namespace) -> AuditSink:
    db, jsonl, dsn = args.db, args.jsonl, args.postgres
    if db is None and jsonl is None and dsn is None:
        env = os.environ.get(ENV_VAR)
        if not env:
            raise ConfigurationError(f"no trail given: use --db, --jsonl, --postgres or ${ENV_VAR}")
        if env.startswith(("postgresql://", "postgres://")):
            dsn = env
        elif env.endswith(".jsonl"):
            jsonl = Path(env)
        else:
            db = Path(env)
    if dsn is not None:
        from guardrails.audit._postgres import PostgresSink

        return PostgresSink(dsn, schema=args.schema, create=False)
    if jsonl is not None:
        from guardrails.audit._jsonl import JsonlSink

        if not jsonl.is_file():
            raise AuditError(f"no audit file at {jsonl}")
        return JsonlSink(jsonl, readonly=True)
    from guardrails.audit._sqlite import SQLiteSink

    return SQLiteSink(db, readonly=True)


def _key(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        # Byte for byte, like AuditLog(key=...): stripping whitespace would corrupt binary keys.
        return path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read the key file: {exc.strerror}") from exc


def _parse_head(text: str | None) -> tuple[int, str] | None:
    if text is None:
        return None
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise ConfigurationError("--expect-head takes SEQ:HASH (a number and 64 hex digits)")
    return int(seq), digest


def _verify(args: argparse.Namespace) -> int:
    chain = Chain(_key(args.key_file))
    expect = _parse_head(args.expect_head)
    sink = _open(args)
    try:
        report = verify_pairs(map(itemgetter(1, 2), sink.records(1)), chain, expect_head=expect)
    finally:
        sink.close()
    if report.ok:
        print(f"{report.message}; head {report.head_seq}:{report.head_hash}")
        return 0
    print(f"audit trail does NOT verify: {report.message}", file=sys.stderr)
    if chain.keyed and report.first_bad_seq == 1 and args.key_file.read_bytes().endswith(b"\n"):
        print(
            "note: the key file ends with a newline; keys are used byte for byte", file=sys.stderr
        )
    print(f"last good head {report.head_seq}:{report.head_hash}", file=sys.stderr)
    return 1


def _format(rec: Record, as_json: bool) -> str:
    if as_json:
        return to_line(rec.body, rec.hash)
    try:
        obj = orjson.loads(rec.body)
        ids = " ".join(
            f"{k}={obj[k]}"
            for k in ("principal", "thread_id", "request_id", "tool_call_id")
            if obj.get(k)
        )
        data = orjson.dumps(obj.get("data"), option=orjson.OPT_SORT_KEYS).decode()
        return f"#{obj['seq']} {obj['time']} {obj['kind']} {ids} {data}".replace("  ", " ")
    except (ValueError, KeyError, TypeError):
        return f"#{rec.seq} <malformed record>"


def _tail(args: argparse.Namespace) -> int:
    sink = _open(args)
    try:
        last, _ = sink.head()
        start = max(1, last - max(args.n, 0) + 1)
        for rec in sink.records(start):
            print(_format(rec, args.json), flush=True)
            start = rec.seq + 1
        while args.follow:
            time.sleep(args.interval)
            for rec in sink.records(start):
                print(_format(rec, args.json), flush=True)
                start = rec.seq + 1
    except KeyboardInterrupt:
        return 0
    finally:
        sink.close()
    return 0


def _export(args: argparse.Namespace) -> int:
    sink = _open(args)
    try:
        if args.output is None:
            n = export_records(sink.records(1), sys.stdout, args.format)
        else:
            with args.output.open("w", encoding="utf-8", newline="") as fp:
                n = export_records(sink.records(1), fp, args.format)
    finally:
        sink.close()
    print(f"exported {n} events", file=sys.stderr)
    return 0
