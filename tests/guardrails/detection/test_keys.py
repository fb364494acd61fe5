"""secret_key_entity: which field/variable names hold a secret, and which entity."""

from __future__ import annotations

import pytest

from guardrails.detection import secret_key_entity


@pytest.mark.parametrize(
    ("key", "entity"),
    [
        ("password", "PASSWORD"),  # plain
        ("DB_PASSWORD", "PASSWORD"),  # env var
        ("PGPASSWORD", "PASSWORD"),  # glued word
        ("passwd", "PASSWORD"),  # unix spelling
        ("pwd", "PASSWORD"),  # ADO.NET
        ("userPassword", "PASSWORD"),  # camelCase
        ("smtp.pass", "PASSWORD"),  # dotted
        ("passphrase", "PASSWORD"),  # key passphrase
        ("secret", "SECRET"),  # plain
        ("client_secret", "SECRET"),  # OAuth
        ("api_key", "SECRET"),  # snake
        ("apiKey", "SECRET"),  # camel
        ("X-Api-Key", "SECRET"),  # HTTP header
        ("access_token", "SECRET"),  # token
        ("refresh-token", "SECRET"),  # kebab
        ("auth", "SECRET"),  # auth word
        ("Authorization", "SECRET"),  # header
        ("credentials", "SECRET"),  # credentials
        ("DATABASE_URL", "SECRET"),  # connection string
        ("dsn", "SECRET"),  # DSN
        ("SESSION_KEY", "SECRET"),  # *_KEY pair
        ("encryption_key", "SECRET"),  # *_KEY pair
        ("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"),  # specific
        ("aws_access_key_id", "AWS_ACCESS_KEY_ID"),  # specific
        ("GITHUB_TOKEN", "GITHUB_TOKEN"),  # specific
        ("GITLAB_PAT", "GITLAB_TOKEN"),  # specific
        ("OPENAI_API_KEY", "OPENAI_API_KEY"),  # specific
        ("ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY"),  # specific
        ("SLACK_BOT_TOKEN", "SLACK_TOKEN"),  # specific
        ("SLACK_WEBHOOK_URL", "SLACK_TOKEN"),  # webhook URL
        ("stripeSecretKey", "STRIPE_KEY"),  # camel, specific
        ("GOOGLE_API_KEY", "GOOGLE_API_KEY"),  # specific
        ("private_key", "PRIVATE_KEY"),  # PEM
        ("jwt", "JWT"),  # JWT
    ],
)
def test_secret_names(key: str, entity: str) -> None:
    """Names of secrets map to PASSWORD, SECRET or the specific secret entity."""
    assert secret_key_entity(key) == entity


@pytest.mark.parametrize(
    "key",
    [
        "author",  # not "auth"
        "max_tokens",  # a count
        "token_count",  # a count
        "token_type",  # metadata
        "password_policy",  # metadata
        "password_min_length",  # metadata
        "secret_name",  # a name, not the secret
        "auth_url",  # an endpoint
        "tokenizer",  # not a token
        "passport",  # not a password
        "bypass",  # not a password
        "compass",  # not a password
        "public_key",  # not secret
        "primary_key",  # database term
        "keyboard",  # not a key
        "name",  # ordinary field
        "",  # empty
    ],
)
def test_ordinary_names(key: str) -> None:
    """Names that merely contain a secret word, or describe a secret, are not secret names."""
    assert secret_key_entity(key) is None
