"""Document templates for the agent-shaped corpus, built piece by piece so every span is exact.

A :class:`Doc` is a list of pieces; a piece is plain text, a sensitive value (entity type) or a
look-alike (kind). Offsets are computed when the document is built, never by searching the text,
so a value that happens to occur twice is still labelled where it was placed.
"""

from __future__ import annotations

import json
import random
import string

from benchmarks import _values as v

_Piece = tuple[str, str | None, str | None]  # (text, entity, look-alike kind)


class Doc:
    """A document under construction with exact labels."""

    def __init__(self) -> None:
        self.pieces: list[_Piece] = []

    def t(self, text: str) -> Doc:
        self.pieces.append((text, None, None))
        return self

    def pii(self, entity: str, value: str) -> Doc:
        self.pieces.append((value, entity, None))
        return self

    def look(self, kind: str, value: str | None = None, rng: random.Random | None = None) -> Doc:
        if value is None:
            assert rng is not None
            value = v.lookalike(rng, kind)
        self.pieces.append((value, None, kind))
        return self

    def embed_json_string(self, inner: Doc) -> Doc:
        """Append ``inner`` as the body of a JSON string literal (JSON nested in a string)."""
        for text, entity, kind in inner.pieces:
            escaped = json.dumps(text, ensure_ascii=False)[1:-1]
            if entity or kind:
                assert escaped == text, "labelled values must not need JSON escaping"
            self.pieces.append((escaped, entity, kind))
        return self

    def build(self) -> tuple[str, list[tuple[int, int, str]], list[tuple[int, int, str]]]:
        out: list[str] = []
        spans: list[tuple[int, int, str]] = []
        looks: list[tuple[int, int, str]] = []
        pos = 0
        for text, entity, kind in self.pieces:
            if entity:
                spans.append((pos, pos + len(text), entity))
            elif kind:
                looks.append((pos, pos + len(text), kind))
            out.append(text)
            pos += len(text)
        return "".join(out), spans, looks


def _jfield(
    d: Doc,
    key: str,
    value: str,
    *,
    entity: str | None = None,
    look: str | None = None,
    indent: str = "    ",
    last: bool = False,
) -> None:
    d.t(f'{indent}"{key}": "')
    if entity:
        d.pii(entity, value)
    elif look:
        d.look(look, value)
    else:
        d.t(value)
    d.t('"\n' if last else '",\n')


def crm_json(rng: random.Random, d: Doc) -> None:
    first, last, full = v.person(rng)
    street, city, _ = v.street_address(rng)
    country = next(c for name, c in v.CITIES if name == city)
    d.t("{\n  ")
    d.t('"id": "').look("record_id", f"cus_{v._chars(rng, v.ALNUM, 14)}").t('",\n  "customer": {\n')
    _jfield(d, rng.choice(("full_name", "name", "customer_name")), full, entity="PERSON")
    _jfield(d, "email", v.email(rng, first, last), entity="EMAIL_ADDRESS")
    _jfield(d, "phone", v.phone(rng), entity="PHONE_NUMBER")
    d.t('    "address": {\n')
    _jfield(d, "street", street, entity="ADDRESS", indent="      ")
    _jfield(d, "city", city, entity="LOCATION", indent="      ")
    _jfield(d, "country", country, entity="LOCATION", indent="      ", last=True)
    d.t("    },\n")
    if rng.random() < 0.5:
        _jfield(d, "ssn", v.ssn(rng), entity="US_SSN")
    _jfield(d, "created_at", v.lookalike(rng, "timestamp"), look="timestamp")
    _jfield(d, "last_login_ip", v.ip(rng), entity="IP_ADDRESS")
    _jfield(d, "device_mac", v.mac(rng), entity="MAC_ADDRESS", last=True)
    d.t('  },\n  "billing": {\n')
    _jfield(d, "card_number", v.card(rng), entity="CREDIT_CARD")
    _jfield(d, "iban", v.iban_code(rng), entity="IBAN_CODE")
    _jfield(d, "plan", v.lookalike(rng, "product"), look="product")
    _jfield(d, "amount_due", v.lookalike(rng, "amount"), look="amount")
    _jfield(d, "last_order", v.lookalike(rng, "order_id"), look="order_id", last=True)
    d.t('  },\n  "notes": "')
    inner = Doc()
    f2, l2, full2 = v.person(rng)
    inner.t('{"contact": "').pii("PERSON", full2).t('", "email": "').pii(
        "EMAIL_ADDRESS", v.email(rng, f2, l2)
    )
    inner.t('", "backup_card": "').pii("CREDIT_CARD", v.card(rng)).t('", "ref": "').look(
        "uuid", rng=rng
    )
    inner.t('", "rejected_card": "').look("card_luhn_fail", rng=rng).t('"}')
    d.embed_json_string(inner)
    d.t('",\n  "schema_version": "').look("version", rng=rng).t('"\n}')


def csv_export(rng: random.Random, d: Doc) -> None:
    d.t("customer_id,name,email,phone,city,signup_date,last_order,sku,total\n")
    for _ in range(rng.randint(3, 8)):
        first, last, full = v.person(rng)
        d.look("record_id", str(rng.randint(10000, 999999))).t(",")
        d.pii("PERSON", full).t(",").pii("EMAIL_ADDRESS", v.email(rng, first, last)).t(",")
        d.pii("PHONE_NUMBER", v.phone(rng)).t(",").pii("LOCATION", rng.choice(v.CITIES)[0]).t(",")
        d.look("date", rng=rng).t(",").look("order_id", rng=rng).t(",").look("sku", rng=rng).t(",")
        d.look("amount", f"{rng.randint(1, 9999)}.{rng.randint(0, 99):02d}").t("\n")


def app_log(rng: random.Random, d: Doc) -> None:
    for _ in range(rng.randint(4, 9)):
        d.look("timestamp", rng=rng).t(f" {rng.choice(('INFO', 'WARN', 'ERROR', 'DEBUG'))} [req=")
        d.look("request_id", rng=rng).t("] ")
        choice = rng.randrange(8)
        if choice == 0:
            d.t("login ok user=").pii("EMAIL_ADDRESS", v.email(rng)).t(" ip=").pii(
                "IP_ADDRESS", v.ip(rng)
            )
            d.t(" client=").look("version", rng=rng).t("\n")
        elif choice == 1:
            d.t("payment declined card=").pii("CREDIT_CARD", v.card(rng)).t(" amount=").look(
                "amount", rng=rng
            )
            d.t(" order=").look("order_id", rng=rng).t("\n")
        elif choice == 2:
            d.t("outgoing request headers={'Authorization': 'Bearer ")
            d.pii("BEARER_TOKEN", v.secret(rng, "BEARER_TOKEN")).t("', 'X-Trace': '").look(
                "uuid", rng=rng
            ).t("'}\n")
        elif choice == 3:
            user, pw = f"svc_{rng.choice(('app', 'billing', 'etl'))}", v.url_password(rng)
            d.t("db connect failed dsn=postgresql://").pii("URL_CREDENTIALS", f"{user}:{pw}")
            d.t(f"@db-{rng.randint(1, 9)}.internal:").look("port", "5432").t("/orders\n")
        elif choice == 4:
            d.t("deploy sha=").look("git_sha", rng=rng).t(" image digest=sha256:").look(
                "sha256", rng=rng
            ).t("\n")
        elif choice == 5:
            d.t("dhcp lease mac=").pii("MAC_ADDRESS", v.mac(rng)).t(" ip=").pii(
                "IP_ADDRESS", v.ipv4(rng)
            ).t("\n")
        elif choice == 6:
            d.t("sms sent to=").pii("PHONE_NUMBER", v.phone(rng)).t(" template=").look(
                "version", rng=rng
            ).t("\n")
        else:
            d.t("webhook retry attempt=3 invoice=").look("invoice", rng=rng).t(" ts=").look(
                "epoch_ms", rng=rng
            ).t("\n")


def dotenv(rng: random.Random, d: Doc) -> None:
    d.t("# generated by deploy tooling\nNODE_ENV=production\nPORT=").look("port", rng=rng).t("\n")
    d.t("APP_VERSION=").look("version", rng=rng).t("\n")
    user, pw = f"app_{rng.choice(('rw', 'ro'))}", v.url_password(rng)
    d.t("DATABASE_URL=postgres://").pii("URL_CREDENTIALS", f"{user}:{pw}").t(
        "@db.internal:5432/app\n"
    )
    d.t("DB_PASSWORD=").pii("PASSWORD", v.password(rng)).t("\n")
    d.t("DB_PASSWORD_TEMPLATE=").look("placeholder", "${DB_PASSWORD}").t("\n")
    names = {
        "AWS_ACCESS_KEY_ID": "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY": "AWS_SECRET_ACCESS_KEY",
        "GITHUB_TOKEN": "GITHUB_TOKEN",
        "GITLAB_TOKEN": "GITLAB_PRIVATE_TOKEN",
        "OPENAI_API_KEY": "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY": "ANTHROPIC_API_KEY",
        "SLACK_TOKEN": "SLACK_BOT_TOKEN",
        "STRIPE_KEY": "STRIPE_SECRET_KEY",
        "GOOGLE_API_KEY": "GOOGLE_MAPS_API_KEY",
        "SECRET": rng.choice(("SESSION_SECRET", "WEBHOOK_SIGNING_SECRET", "API_TOKEN")),
    }
    for entity in rng.sample(sorted(names), k=rng.randint(4, len(names))):
        d.t(f"{names[entity]}=").pii(entity, v.secret(rng, entity)).t("\n")
    d.t("# docs example, not a real key: AWS_ACCESS_KEY_ID=").look(
        "aws_example_key", v.AWS_EXAMPLE_KEYS[0]
    ).t("\n")
    d.t("#                              AWS_SECRET_ACCESS_KEY=").look(
        "aws_example_key", v.AWS_EXAMPLE_KEYS[1]
    ).t("\n")
    d.t("STRIPE_KEY_FROM_VAULT=").look("placeholder", rng=rng).t("\n")
    if rng.random() < 0.5:
        d.t('TLS_PRIVATE_KEY="').pii("PRIVATE_KEY", v.private_key(rng)).t('"\n')
    d.t("ADMIN_EMAIL=").pii("EMAIL_ADDRESS", v.email(rng)).t("\n")


def config(rng: random.Random, d: Doc) -> None:
    d.t("database:\n  host: db.internal\n  port: ").look("port", rng=rng).t(
        "\n  user: svc_app\n  password: "
    )
    d.pii("PASSWORD", v.password(rng)).t(
        '\n  connection_string: "Server=tcp:sql-prod.example.net,1433;Database=app;User ID=svc;Password='
    )
    d.pii("PASSWORD", v.password(rng).replace(";", "")).t(';Encrypt=true"\n')
    d.t("cache:\n  url: redis://").pii("URL_CREDENTIALS", f":{v.url_password(rng)}").t(
        "@cache.internal:6379/0\n"
    )
    d.t("smtp:\n  username: ").pii("EMAIL_ADDRESS", v.email(rng)).t("\n  password: ").pii(
        "PASSWORD", v.password(rng)
    ).t("\n")
    d.t("integrations:\n  stripe_secret_key: ").pii("STRIPE_KEY", v.secret(rng, "STRIPE_KEY"))
    d.t("\n  maps_api_key: ").pii("GOOGLE_API_KEY", v.secret(rng, "GOOGLE_API_KEY"))
    d.t("\n  webhook_secret: ").pii("SECRET", v.secret(rng, "SECRET"))
    d.t("\n  slack_webhook: https://hooks.slack.com/services/")
    d.pii(
        "SLACK_TOKEN",
        f"T{v._chars(rng, string.ascii_uppercase + string.digits, 8)}/B{v._chars(rng, string.ascii_uppercase + string.digits, 10)}/{v._chars(rng, v.ALNUM, 24)}",
    )
    d.t("\nimage: registry.example.com/app:").look("version", rng=rng).t("\nbuild_sha: ").look(
        "git_sha", rng=rng
    )
    d.t("\nsecrets_ref: ").look("placeholder", "{{ secrets.GITHUB_TOKEN }}").t("\n")


def email_message(rng: random.Random, d: Doc) -> None:
    sf, sl, sender = v.person(rng)
    rf, rl, recipient = v.person(rng)
    company = rng.choice(v.COMPANIES)
    d.t("From: ").pii("PERSON", sender).t(" <").pii("EMAIL_ADDRESS", v.email(rng, sf, sl)).t(
        ">\nTo: "
    )
    d.pii("PERSON", recipient).t(" <").pii("EMAIL_ADDRESS", v.email(rng, rf, rl)).t(">\nDate: ")
    d.look("date", rng=rng).t("\nX-Thread-Ref: ").look("uuid", rng=rng).t("\n")
    d.t("Subject: Re: invoice ").look("invoice", rng=rng).t("\n\n")
    d.t(rng.choice(("Hi ", "Dear ", "Hello ", "Hey "))).pii("PERSON", rf).t(",\n\n")
    d.t("Thanks for the update on order ").look("order_id", rng=rng).t(
        ". Please wire the balance of "
    )
    d.look("amount", rng=rng).t(" to ").pii("IBAN_CODE", v.iban_code(rng)).t(" and ship the ")
    d.look("product", rng=rng).t(" to ").pii("ADDRESS", v.street_address(rng)[2]).t(".\n")
    d.t("Note the old account ").look("iban_bad_checksum", rng=rng).t(" was closed.\n\n")
    d.t(rng.choice(("Best regards,\n", "Kind regards,\n", "Cheers,\n", "Thanks,\n"))).pii(
        "PERSON", sender
    )
    d.t(f"\nAccount Manager, {company}\nMobile: ").pii("PHONE_NUMBER", v.phone(rng)).t("\n")
    _, city, _ = v.street_address(rng)
    d.t("Office: ").pii("LOCATION", city).t("\n")


def ticket(rng: random.Random, d: Doc) -> None:
    first, last, full = v.person(rng)
    d.t("Ticket ").look("order_id", f"#{rng.randint(10000, 99999)}").t(
        " | priority: high | opened "
    )
    d.look("timestamp", rng=rng).t("\nCustomer: ").pii("PERSON", full).t(" (").pii(
        "EMAIL_ADDRESS", v.email(rng, first, last)
    )
    d.t(")\n\nCustomer writes: my card ").pii("CREDIT_CARD", v.card(rng)).t(
        " was charged twice for "
    )
    d.look("product", rng=rng).t(" (").look("sku", rng=rng).t("). I live in ").pii(
        "LOCATION", rng.choice(v.CITIES)[0]
    )
    d.t(", please call me on ").pii("PHONE_NUMBER", v.phone(rng)).t(".\n")
    if rng.random() < 0.6:
        d.t("For verification my SSN is ").pii("US_SSN", v.ssn(rng)).t(" (not ").look(
            "invalid_ssn", rng=rng
        ).t(" as on file).\n")
    d.t("\nAgent note: ").pii("PERSON", v.person(rng)[2]).t(" checked the refund ").look(
        "invoice", rng=rng
    )
    d.t("; app version ").look("version", rng=rng).t(", tracking ").look("tracking", rng=rng).t(
        ".\n"
    )


def chat(rng: random.Random, d: Doc) -> None:
    first, last, full = v.person(rng)
    d.t('[\n  {"role": "user", "content": "Hi, I\'m ').pii("PERSON", full).t(
        ". Please update my phone to "
    )
    d.pii("PHONE_NUMBER", v.phone(rng)).t(" and my address to ").pii(
        "ADDRESS", v.street_address(rng)[2]
    )
    d.t('."},\n  {"role": "assistant", "tool_calls": [{"id": "call_').look(
        "record_id", v._chars(rng, v.ALNUM, 24)
    )
    d.t('", "function": {"name": "update_customer", "arguments": "')
    inner = Doc()
    inner.t('{"email": "').pii("EMAIL_ADDRESS", v.email(rng, first, last)).t('", "iban": "').pii(
        "IBAN_CODE", v.iban_code(rng)
    )
    inner.t('", "order": "').look("order_id", rng=rng).t('"}')
    d.embed_json_string(inner)
    d.t('"}}]},\n  {"role": "tool", "content": "updated customer ').look("uuid", rng=rng).t(" at ")
    d.look("timestamp", rng=rng).t(" from ").pii("IP_ADDRESS", v.ip(rng)).t(
        '"},\n  {"role": "user", "content": "'
    )
    d.t("Thanks! Also my colleague ").pii("PERSON", v.person(rng)[2]).t(" from ").pii(
        "LOCATION", rng.choice(v.CITIES)[0]
    )
    d.t(' will call."}\n]')


def http_request(rng: random.Random, d: Doc) -> None:
    first, last, full = v.person(rng)
    d.t(
        f"POST /v{rng.randint(1, 3)}/charges HTTP/1.1\nHost: api.example.com\nUser-Agent: agent-sdk/"
    ).look("version", rng=rng)
    if rng.random() < 0.5:
        d.t("\nAuthorization: Bearer ").pii("JWT", v.jwt(rng))
    else:
        d.t("\nAuthorization: Bearer ").pii("BEARER_TOKEN", v.secret(rng, "BEARER_TOKEN"))
    d.t("\nX-Api-Key: ").pii("SECRET", v.secret(rng, "SECRET")).t("\nX-Request-Id: ").look(
        "uuid", rng=rng
    )
    d.t("\nX-Forwarded-For: ").pii("IP_ADDRESS", v.ip(rng)).t(
        "\nContent-Type: application/json\n\n"
    )
    d.t('{"customer": {"name": "').pii("PERSON", full).t('", "email": "').pii(
        "EMAIL_ADDRESS", v.email(rng, first, last)
    )
    d.t('"}, "source": {"number": "').pii("CREDIT_CARD", v.card(rng)).t(
        '", "exp": "12/29"}, "amount": '
    )
    d.look("amount", f"{rng.randint(100, 99999)}").t(', "idempotency_key": "').look(
        "uuid", rng=rng
    ).t('"}\n')


def stack_trace(rng: random.Random, d: Doc) -> None:
    if rng.random() < 0.5:
        d.t('Traceback (most recent call last):\n  File "/srv/app/billing/charge.py", line ')
        d.t(
            f"{rng.randint(10, 400)}, in charge\n    resp = client.charges.create(amount=amount, source=token)\n"
        )
        d.t(
            '  File "/srv/app/.venv/lib/python3.11/site-packages/payments/api.py", line 412, in request\n'
        )
        d.t(
            "    raise AuthenticationError(msg)\npayments.errors.AuthenticationError: request "
        ).look("request_id", rng=rng)
        d.t(" failed\nLocals: customer_email='").pii("EMAIL_ADDRESS", v.email(rng)).t("' api_key='")
        d.pii("STRIPE_KEY", v.secret(rng, "STRIPE_KEY")).t("' token='").pii(
            "GITHUB_TOKEN", v.secret(rng, "GITHUB_TOKEN")
        )
        d.t("' build='").look("git_sha", rng=rng).t("'\n")
    else:
        d.t("Exception in thread \"main\" java.sql.SQLException: Access denied for user 'svc'@'")
        d.pii("IP_ADDRESS", v.ipv4(rng)).t(
            "' (using password: YES)\n\tat com.acme.db.Pool.connect(Pool.java:"
        )
        d.t(
            f"{rng.randint(10, 900)})\n\tat com.acme.Main.main(Main.java:42)\nCaused by: config jdbc:mysql://"
        )
        d.pii("URL_CREDENTIALS", f"admin:{v.url_password(rng)}").t("@").pii(
            "IP_ADDRESS", v.ipv4(rng)
        ).t(":")
        d.look("port", "3306")
        d.t("/prod?ssl=true\n\tsession=").look("uuid", rng=rng).t(" anthropic_key=")
        d.pii("ANTHROPIC_API_KEY", v.secret(rng, "ANTHROPIC_API_KEY")).t(" openai_key=")
        d.pii("OPENAI_API_KEY", v.secret(rng, "OPENAI_API_KEY")).t("\n\t... 12 more\n")
