"""Seeded sensitive values (must never reach the wire) and harmless ones (must)."""

from __future__ import annotations

import json

EMAIL = "jane.doe@example.com"
PHONE = "+1 415 555 0100"
SSN = "536-22-1234"
CARD = "4111 1111 1111 1111"
IBAN = "DE89370400440532013000"
OPENAI_KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz123456"
AWS_KEY = "AKIAZ3MHQ7LXK4PVT2NB"
GITHUB_TOKEN = "ghp_R8x2LkQ9vT3mW7pZ1cY5nB6dF4hJ0sA2eU8i"
DB_PASSWORD = "S3cretPassw0rd"
PERSON = "Maria Garcia"

SENSITIVE = [EMAIL, PHONE, SSN, CARD, IBAN, OPENAI_KEY, AWS_KEY, GITHUB_TOKEN, DB_PASSWORD, PERSON]
# Fragments that would betray a value even if reformatted.
FRAGMENTS = [
    "jane.doe",
    "555 0100",
    "536-22",
    "4111 1111",
    "DE8937",
    "abcdefghijklmnop",
    "Z3MHQ7",
    "R8x2LkQ9",
    "S3cret",
    "Garcia",
]
HARMLESS = ["plan B-42", "order 1234567", "2026-11-22", "ticket T-9001", "v1.2.3"]


def chat_history() -> list[dict]:
    """A multi-turn history: PII in system, user, assistant text, tool-call args and tool results."""
    return [
        {"role": "system", "content": f"You assist {PERSON}. Deploy key {GITHUB_TOKEN}."},
        {"role": "user", "content": f"Dear bot, mail {EMAIL} about plan B-42 (ticket T-9001)."},
        {
            "role": "assistant",
            "content": f"Looking up {EMAIL} now.",
            "tool_calls": [
                {
                    "id": "call_0",
                    "type": "function",
                    "function": {
                        "name": "lookup_customer",
                        "arguments": json.dumps({"email": EMAIL, "phone": PHONE}),
                    },
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "call_0",
            "content": json.dumps(
                {
                    "ssn": SSN,
                    "card_number": CARD,
                    "iban": IBAN,
                    "order": "order 1234567",
                    "date": "2026-11-22",
                    "db": f"postgres://admin:{DB_PASSWORD}@db.internal:5432/app",
                }
            ),
        },
        {
            "role": "user",
            "content": [
                {"type": "text", "text": f"Also rotate {OPENAI_KEY} and {AWS_KEY} (client v1.2.3)."}
            ],
        },
    ]


def assert_clean(wire: str) -> None:
    """No seeded value or telling fragment is on the wire; every harmless value is."""
    leaked = [v for v in SENSITIVE + FRAGMENTS if v in wire]
    assert not leaked, f"leaked {len(leaked)} value(s)"
    missing = [h for h in HARMLESS if h not in wire]
    assert not missing, f"harmless values lost: {missing}"
