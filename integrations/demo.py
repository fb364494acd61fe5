"""``make demo``: redact a realistic agent sample and show what was found, before and after.

Three inputs an agent really handles — a JSON tool output (a CRM lookup), a chat turn and a
``.env`` file pasted into a support ticket — go through one :class:`~guardrails.Redactor` and one
:class:`~guardrails.Vault`, as in one conversation thread. Placeholders are therefore shared (the
customer's e-mail is ``<EMAIL_ADDRESS_1>`` everywhere) and the vault restores what a tool may see.

Run: ``python -m integrations.demo`` (``--no-color`` for plain output). The sample data is fake.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence

from guardrails import Redactor, Span, Vault

TOOL_OUTPUT = {
    "customer": {
        "id": "cus_8f2a91",
        "full_name": "Maria Garcia",
        "email": "maria.garcia@example.com",
        "phone": "+44 20 7946 0958",
        "ssn": 219099999,
        "address": {"street": "221B Baker Street", "city": "London", "postcode": "NW1 6XE"},
    },
    "payment": {
        "card_number": "4111 1111 1111 1111",
        "iban": "GB33BUKB20201555555555",
        "last_charge": {"amount": 129.9, "currency": "GBP", "at": "2024-05-01T10:00:00Z"},
    },
    "notes": '{"agent_note": "Customer called from 81.2.69.160, asked to mail maria.garcia@example.com"}',
    "app_version": "v2.14.3",
    "request_id": "550e8400-e29b-41d4-a716-446655440000",
}

CHAT_TURN = (
    "Hi, this is Maria Garcia again (maria.garcia@example.com). The refund still hasn't arrived "
    "on my card 4111 1111 1111 1111. You can call me on +44 20 7946 0958 or write to my "
    "colleague john.smith@example.org. Order ORD-2024-000123, app v2.14.3."
)

DOTENV = """# pasted by the customer into ticket #4411
DATABASE_URL=postgres://app:Sup3rS3cret!@db.internal:5432/shop
AWS_ACCESS_KEY_ID=AKIAZ3MSJV4WWNKWW5FG
AWS_SECRET_ACCESS_KEY=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
GITHUB_TOKEN=ghp_R4nd0mT0k3nV4lu3F0rD3m0Purp0s3s0nly1
STRIPE_SECRET_KEY=sk_live_51Hx2eR4ndomValu3Only4Demo00aBcDeFgH
OPENAI_API_KEY=sk-proj-Zx81kLmN0pQrStUvWxYz0123456789AbCdEfGhIjKlMn
LOG_LEVEL=info
MAX_TOKENS=4096
"""


class _Style:
    def __init__(self, color: bool) -> None:
        self.color = color

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color else text

    def head(self, text: str) -> str:
        return self._wrap("1;36", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def mark(self, text: str) -> str:
        return self._wrap("1;33", text)


def _span_table(spans: Sequence[Span]) -> str:
    if not spans:
        return "  (nothing found)"
    rows = [("entity", "offsets", "score", "detector")]
    rows += [(s.entity_type, f"{s.start}-{s.end}", f"{s.score:.2f}", s.detector) for s in spans]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _highlight(text: str, style: _Style) -> str:
    """Placeholders in bold yellow so the change is visible at a glance."""
    from guardrails.masking import TOKEN_RE

    return TOKEN_RE.sub(lambda m: style.mark(m.group()), text)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _text_case(title: str, text: str, redactor: Redactor, vault: Vault, style: _Style) -> None:
    t0 = time.perf_counter()
    result = redactor.redact(text, vault=vault)
    ms = (time.perf_counter() - t0) * 1000
    print(style.head(f"\n== {title} =="))
    print(style.dim("before:"))
    print(_indent(text))
    print(style.dim("after:"))
    print(_indent(_highlight(result.text, style)))
    print(style.dim(f"spans found ({len(result.spans)}, {ms:.1f} ms):"))
    print(_span_table(result.spans))


def _json_case(redactor: Redactor, vault: Vault, style: _Style) -> None:
    raw = json.dumps(TOOL_OUTPUT, indent=2)
    t0 = time.perf_counter()
    report = redactor.redact_data_with_report(raw, vault=vault)
    ms = (time.perf_counter() - t0) * 1000
    print(style.head("\n== 1. JSON tool output (crm.lookup_customer) =="))
    print(style.dim("before:"))
    print(_indent(raw))
    print(style.dim("after (still valid JSON; field rules mask whole values, e.g. the int SSN):"))
    after = json.dumps(json.loads(report.data), indent=2)
    print(_indent(_highlight(after, style)))
    counts = ", ".join(f"{k}={v}" for k, v in sorted(report.counts.items()))
    print(style.dim(f"masked per entity ({ms:.1f} ms): ") + counts)
    print(style.dim("text spans detection alone finds in the raw JSON:"))
    print(_span_table(redactor.detect(raw)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m integrations.demo", description=__doc__)
    parser.add_argument("--no-color", action="store_true", help="plain output")
    args = parser.parse_args(argv)
    style = _Style(color=sys.stdout.isatty() and not args.no_color)

    t0 = time.perf_counter()
    redactor = Redactor()  # every built-in entity, reversible placeholders
    redactor.redact("Warm-up: Jane Doe, 1 Main St, Paris")  # detectors load lexicons lazily
    print(style.dim(f"Redactor() ready in {time.perf_counter() - t0:.2f} s: {redactor}"))
    vault = Vault()  # one per conversation thread

    _json_case(redactor, vault, style)
    _text_case("2. Chat turn (user message)", CHAT_TURN, redactor, vault, style)
    _text_case("3. .env pasted into a ticket", DOTENV, redactor, vault, style)

    print(style.head("\n== Vault =="))
    print(f"  {vault!r} — placeholders stable across all three inputs; repr shows no values.")
    key = Vault.generate_key()
    blob = vault.to_bytes(key)
    print(f"  encrypted for the checkpoint: {len(blob)} bytes (AES-256-GCM)")
    call = {
        "tool": "send_email",
        "args": {"to": "<EMAIL_ADDRESS_1>", "body": "Refund for <PERSON_1>"},
    }
    restored = Vault.from_bytes(blob, key).restore(call, entities=["EMAIL_ADDRESS"])
    print("  a tool allowed EMAIL_ADDRESS only gets:", json.dumps(restored))
    return 0


if __name__ == "__main__":
    sys.exit(main())
