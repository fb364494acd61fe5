"""Held-out document templates: formats and cues the main corpus never uses.

The detection engineers tune against the main corpus; these templates (SQL dumps, calendar
invites, YAML user lists, HTML tables, free-text CRM notes, Markdown tables) are scored separately
so the README can show how much of the main corpus's recall carries over to unseen shapes.
"""

from __future__ import annotations

import random

from benchmarks import _values as v
from benchmarks._templates import Doc


def sql_dump(rng: random.Random, d: Doc) -> None:
    d.t(
        "-- pg_dump excerpt\nINSERT INTO customers (id, full_name, email, phone, city, card, created) VALUES\n"
    )
    rows = rng.randint(2, 5)
    for i in range(rows):
        first, last, full = v.person(rng)
        d.t(f"  ({rng.randint(1000, 99999)}, '").pii("PERSON", full).t("', '").pii(
            "EMAIL_ADDRESS", v.email(rng, first, last)
        )
        d.t("', '").pii("PHONE_NUMBER", v.phone(rng)).t("', '").pii(
            "LOCATION", rng.choice(v.CITIES)[0]
        ).t("', '")
        d.pii("CREDIT_CARD", v.card(rng)).t("', '").look("timestamp", rng=rng).t(
            "')" + (";\n" if i == rows - 1 else ",\n")
        )


def calendar_invite(rng: random.Random, d: Doc) -> None:
    f1, l1, organizer = v.person(rng)
    f2, l2, attendee = v.person(rng)
    d.t("BEGIN:VEVENT\nUID:").look("uuid", rng=rng).t(
        "\nDTSTART:20250312T150000Z\nSUMMARY:Renewal call "
    )
    d.look("order_id", rng=rng).t("\nORGANIZER;CN=").pii("PERSON", organizer).t(":mailto:").pii(
        "EMAIL_ADDRESS", v.email(rng, f1, l1)
    )
    d.t("\nATTENDEE;CN=").pii("PERSON", attendee).t(";ROLE=REQ-PARTICIPANT:mailto:").pii(
        "EMAIL_ADDRESS", v.email(rng, f2, l2)
    )
    d.t("\nLOCATION:").pii("ADDRESS", v.street_address(rng)[2]).t("\nDESCRIPTION:Dial-in ").pii(
        "PHONE_NUMBER", v.phone(rng)
    )
    d.t("\nEND:VEVENT\n")


def yaml_users(rng: random.Random, d: Doc) -> None:
    d.t("users:\n")
    for _ in range(rng.randint(2, 4)):
        first, last, full = v.person(rng)
        d.t("  - display: ").pii("PERSON", full).t("\n    contact: ").pii(
            "EMAIL_ADDRESS", v.email(rng, first, last)
        )
        d.t("\n    office: ").pii("LOCATION", rng.choice(v.CITIES)[0]).t("\n    last_ip: ").pii(
            "IP_ADDRESS", v.ip(rng)
        )
        d.t("\n    api_token: ").pii("SECRET", v.secret(rng, "SECRET")).t("\n    client: ").look(
            "version", rng=rng
        ).t("\n")


def html_table(rng: random.Random, d: Doc) -> None:
    d.t("<table>\n<tr><th>Member</th><th>Mail</th><th>Account</th><th>Since</th></tr>\n")
    for _ in range(rng.randint(2, 4)):
        first, last, full = v.person(rng)
        d.t("<tr><td>").pii("PERSON", full).t("</td><td>").pii(
            "EMAIL_ADDRESS", v.email(rng, first, last)
        )
        d.t("</td><td>").pii("IBAN_CODE", v.iban_code(rng)).t("</td><td>").look("date", rng=rng).t(
            "</td></tr>\n"
        )
    d.t("</table>\n")


def crm_note(rng: random.Random, d: Doc) -> None:
    full = v.person(rng)[2]
    colleague = v.person(rng)[2]
    d.t("Spoke with ").pii("PERSON", full).t(" about the renewal of the ").look("product", rng=rng)
    d.t(" licence. She relocated to ").pii("LOCATION", rng.choice(v.CITIES)[0]).t(
        " and asked us to use "
    )
    d.pii("PHONE_NUMBER", v.phone(rng)).t(" from now on. Escalated to ").pii("PERSON", colleague)
    d.t(f"; ticket {v.lookalike(rng, 'invoice')} stays open. Her SSN on file: ").pii(
        "US_SSN", v.ssn(rng)
    )
    d.t(". Billing moves to ").pii("IBAN_CODE", v.iban_code(rng)).t(" next cycle.\n")


def markdown_table(rng: random.Random, d: Doc) -> None:
    d.t("| Owner | Host | MAC | Key |\n|---|---|---|---|\n")
    for _ in range(rng.randint(2, 4)):
        d.t("| ").pii("PERSON", v.person(rng)[2]).t(" | ").pii("IP_ADDRESS", v.ip(rng)).t(" | ")
        d.pii("MAC_ADDRESS", v.mac(rng)).t(" | ").pii(
            "AWS_ACCESS_KEY_ID", v.secret(rng, "AWS_ACCESS_KEY_ID")
        ).t(" |\n")


KINDS = {
    "sql_dump": sql_dump,
    "calendar_invite": calendar_invite,
    "yaml_users": yaml_users,
    "html_table": html_table,
    "crm_note": crm_note,
    "markdown_table": markdown_table,
}
