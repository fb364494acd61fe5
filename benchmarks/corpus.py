"""Deterministic generator of an agent-shaped labelled corpus.

Agent tool outputs are not template sentences: they are JSON records, CSV exports, logs, ``.env``
files, e-mails, tickets, chat turns, HTTP requests and stack traces. Every record carries exact
character spans for each sensitive value (``spans``) and for each harmless look-alike that must
survive redaction (``lookalikes``). The same seed always yields the same corpus, so numbers are
reproducible without committing megabytes::

    python -m benchmarks.corpus --records 2000 --seed 7 > corpus.jsonl

Records use the pii-dev JSON-lines shape (``id``, ``text``, ``spans`` with ``start``/``end``/
``label``) plus ``lookalikes`` and ``kind``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from benchmarks import _templates, _templates_heldout, _values

__all__ = ["KINDS", "Label", "Record", "generate", "generate_text", "sparse_log_text"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Label:
    """One labelled span: an entity type (``EMAIL_ADDRESS``) or a look-alike kind (``uuid``)."""

    start: int
    end: int
    label: str
    value: str = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """One generated document with its sensitive spans and its must-survive look-alikes."""

    id: str
    kind: str
    text: str
    spans: tuple[Label, ...]
    lookalikes: tuple[Label, ...]

    def to_json(self) -> dict[str, object]:
        """Return the pii-dev JSON-lines shape (plus ``lookalikes`` and ``kind``)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "text": self.text,
            "spans": [{"start": s.start, "end": s.end, "label": s.label} for s in self.spans],
            "lookalikes": [
                {"start": s.start, "end": s.end, "label": s.label} for s in self.lookalikes
            ],
            "source": "agent_corpus",
        }


KINDS: dict[str, Callable[[random.Random, _templates.Doc], None]] = {
    "crm_json": _templates.crm_json,
    "csv_export": _templates.csv_export,
    "app_log": _templates.app_log,
    "dotenv": _templates.dotenv,
    "config": _templates.config,
    "email": _templates.email_message,
    "ticket": _templates.ticket,
    "chat": _templates.chat,
    "http_request": _templates.http_request,
    "stack_trace": _templates.stack_trace,
}


def _record(rng: random.Random, index: int, kind: str) -> Record:
    doc = _templates.Doc()
    (KINDS.get(kind) or _templates_heldout.KINDS[kind])(rng, doc)
    text, spans, looks = doc.build()
    return Record(
        id=f"agent-{index}",
        kind=kind,
        text=text,
        spans=tuple(Label(start=s, end=e, label=lab, value=text[s:e]) for s, e, lab in spans),
        lookalikes=tuple(Label(start=s, end=e, label=lab, value=text[s:e]) for s, e, lab in looks),
    )


def generate(n_records: int, *, seed: int = 7, heldout: bool = False) -> Iterator[Record]:
    """Yield ``n_records`` records, cycling through every kind; deterministic for a seed.

    Example:
        >>> r = next(generate(1, seed=1))
        >>> all(r.text[s.start : s.end] == s.value for s in r.spans)
        True
    """
    rng = random.Random(seed)
    # Held out: other names and places, and document shapes the main corpus never uses.
    kinds = [*KINDS, *_templates_heldout.KINDS] if heldout else list(KINDS)
    for i in range(n_records):
        with _values.vocabulary(heldout=heldout):  # ``heldout``: names/places of other cultures
            record = _record(rng, i, kinds[i % len(kinds)])
        yield record


def generate_text(n_bytes: int, *, seed: int = 7) -> str:
    """Return roughly ``n_bytes`` of corpus text (records joined by blank lines), for speed runs."""
    parts: list[str] = []
    size = 0
    for record in generate(10**9, seed=seed):
        parts.append(record.text)
        size += len(record.text.encode()) + 2
        if size >= n_bytes:
            break
    return "\n\n".join(parts)


# What real application logs are made of: log levels, logger / class names, HTTP verbs,
# capitalized messages and exception names. Every line of ``sparse_log_text`` has some, so a
# detector cannot skip a chunk because it holds no capitalized word.
_LOG_LEVELS = ("INFO", "INFO", "INFO", "INFO", "DEBUG", "DEBUG", "WARN", "ERROR")
_LOGGERS = (
    "OrderService",
    "PaymentGateway",
    "InventoryClient",
    "AuthController",
    "CacheManager",
    "SessionStore",
    "KafkaConsumer",
    "HikariPool",
    "RetryPolicy",
    "ReportScheduler",
    "c.acme.orders.OrderRepository",
    "o.s.web.servlet.DispatcherServlet",
    "app.billing.Invoices",
)
_THREADS = ("main", "http-nio-8080-exec-3", "worker-2", "scheduling-1", "kafka-consumer-0")


def _harmless_log_message(rng: random.Random) -> str:
    ms = rng.randint(1, 900)
    order = _values.lookalike(rng, "order_id")
    return rng.choice(
        (
            f"GET /api/v2/orders/{order} 200 {ms}ms build={_values.lookalike(rng, 'git_sha')} "
            f"client={_values.lookalike(rng, 'version')}",
            f"POST /api/v2/checkout 201 {ms}ms Content-Type=application/json",
            f"Request completed in {ms} ms (status=200, bytes={rng.randint(100, 99999)})",
            f"Cache miss for ProductCatalog key={_values.lookalike(rng, 'sku')}",
            f"Connection pool stats: active={rng.randint(0, 20)} idle={rng.randint(0, 20)} "
            f"waiting={rng.randint(0, 5)}",
            f"Retrying PaymentIntent {_values.lookalike(rng, 'uuid')} in {ms}ms (attempt 2/5)",
            f"Slow query detected ({ms} ms): SELECT * FROM orders WHERE id = ?",
            f"Health check passed, uptime {rng.randint(1, 9999)} s",
            f"Scheduled job NightlyReport finished in {ms / 100:.1f} s",
            f"java.net.SocketTimeoutException: Read timed out after {ms}ms",
            f"IllegalStateException: Order {order} already shipped",
            f"Invoice {_values.lookalike(rng, 'invoice')} total {_values.lookalike(rng, 'amount')}",
            f"Deployed version {_values.lookalike(rng, 'version')} to region eu-west-1",
        )
    )


def _sensitive_log_message(rng: random.Random) -> str:
    first, last, full = _values.person(rng)
    return rng.choice(
        (
            f"User signed in user={_values.email(rng)} ip={_values.ip(rng)}",
            f"Login ok user={_values.email(rng)} ip={_values.ip(rng)}",
            f"Password reset e-mail sent to {full} <{_values.email(rng, first, last)}>",
        )
    )


def sparse_log_text(n_bytes: int, *, seed: int = 7) -> str:
    """Roughly ``n_bytes`` of application log where one line in 25 holds a sensitive value.

    Most agent tool output is mostly harmless (request logs, listings); this is the sparse
    counterpart of the dense corpus for throughput runs. Like real logs, every line carries
    capitalized words (a level, a logger or class name, a message), so none is trivially skipped.
    """
    rng = random.Random(seed)
    lines: list[str] = []
    size = 0
    while size < n_bytes:
        ts = _values.lookalike(rng, "timestamp")
        req = _values.lookalike(rng, "request_id")
        level, logger, thread = rng.choice(_LOG_LEVELS), rng.choice(_LOGGERS), rng.choice(_THREADS)
        sensitive = rng.random() < 0.04
        message = _sensitive_log_message(rng) if sensitive else _harmless_log_message(rng)
        line = f"{ts} {level:<5} [{thread}] {logger} - [req={req}] {message}"
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines) + "\n"


def main_cli(argv: list[str] | None = None) -> int:
    """Write the corpus as JSON lines to stdout."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.corpus")
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    for record in generate(args.records, seed=args.seed):
        sys.stdout.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main_cli())
