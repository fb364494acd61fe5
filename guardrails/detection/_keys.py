"""Which field, key or variable names name a secret (``DB_PASSWORD``, ``apiKey``, ``client_secret``).

Used by the text detector for ``KEY=value`` / ``"key": "value"`` and by the structured-data walker
for dict keys. Names are split into lower-case words (snake, kebab, dotted, camelCase), so
``author`` is not ``auth`` and ``max_tokens`` is a count, not a token.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

__all__ = ["secret_key_entity", "strong_secret_key"]

_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")

_PASSWORD_WORDS = frozenset(
    {"password", "passwd", "pwd", "pass", "passphrase", "passcode", "pword", "pw", "pswd"}
)
# words that make any name a secret name on their own
_SECRET_WORDS = frozenset(
    {
        "secret",
        "secrets",
        "token",
        "apikey",
        "credential",
        "credentials",
        "creds",
        "dsn",
        "privatekey",
        "accesskey",
        "secretkey",
        "authtoken",
        "bearer",
        "cookie",
        "passkey",
        "authorization",
        "auth",
        "sessionid",
        "sid",
        "signature",
        "hmac",
        "otp",
        "totp",
        "pin",
    }
)
# two-word names that are secret names ("api key", "client secret", "database url", ...)
_SECRET_PAIRS = frozenset(
    {
        ("api", "key"),
        ("access", "key"),
        ("private", "key"),
        ("secret", "key"),
        ("signing", "key"),
        ("encryption", "key"),
        ("master", "key"),
        ("session", "key"),
        ("session", "token"),
        ("refresh", "token"),
        ("client", "secret"),
        ("database", "url"),
        ("db", "url"),
        ("connection", "string"),
        ("conn", "str"),
        ("conn", "string"),
        ("service", "key"),
        ("license", "key"),
        ("account", "key"),
        ("app", "key"),
        ("admin", "key"),
        ("root", "key"),
        ("webhook", "url"),
        ("ssh", "key"),
        ("jwt", "key"),
        ("auth", "key"),
        ("hmac", "key"),
        ("shared", "key"),
        ("storage", "key"),
    }
)
# a last word that turns the name into metadata about a secret, not the secret itself
_META_SUFFIX = frozenset(
    {
        "count",
        "counts",
        "limit",
        "limits",
        "length",
        "len",
        "size",
        "max",
        "min",
        "type",
        "types",
        "kind",
        "name",
        "names",
        "endpoint",
        "path",
        "file",
        "filename",
        "policy",
        "hint",
        "required",
        "enabled",
        "enable",
        "disabled",
        "expiry",
        "expires",
        "expiration",
        "ttl",
        "version",
        "arn",
        "ref",
        "mode",
        "method",
        "methods",
        "provider",
        "format",
        "algorithm",
        "alg",
        "header",
        "field",
        "label",
        "at",
        "in",
        "strength",
        "rotation",
        "rotated",
        "changed",
        "reset",
        "prompt",
        "manager",
        "store",
        "id",
        "ids",
        "uri",
        "url",
        "usage",
        "used",
        "index",
        "prefix",
        "scope",
        "scopes",
        "status",
        "valid",
        "validity",
        "location",
        "env",
        "var",
        "source",
        "hash",
        "hashed",
        "digest",
        "salt",
        "error",
        "errors",
        "message",
        "timeout",
        "retries",
        "attempts",
        "tokens",
        "issuer",
        "audience",
    }
)
# specific entity by words appearing anywhere in the name
_SPECIFIC: tuple[tuple[frozenset[str], frozenset[str], str], ...] = (
    # (all of these words, plus any one of these, -> entity)
    (frozenset({"aws"}), frozenset({"secret"}), "AWS_SECRET_ACCESS_KEY"),
    (frozenset({"secret", "access"}), frozenset({"key"}), "AWS_SECRET_ACCESS_KEY"),
    (frozenset({"aws"}), frozenset({"access", "key"}), "AWS_ACCESS_KEY_ID"),
    (frozenset({"access", "key"}), frozenset({"id"}), "AWS_ACCESS_KEY_ID"),
    (frozenset({"github"}), frozenset({"token", "pat", "key"}), "GITHUB_TOKEN"),
    (frozenset({"gh"}), frozenset({"token", "pat"}), "GITHUB_TOKEN"),
    (frozenset({"gitlab"}), frozenset({"token", "pat", "key"}), "GITLAB_TOKEN"),
    (frozenset({"openai"}), frozenset({"key", "apikey", "token"}), "OPENAI_API_KEY"),
    (frozenset({"anthropic"}), frozenset({"key", "apikey", "token"}), "ANTHROPIC_API_KEY"),
    (frozenset({"slack"}), frozenset({"token", "webhook", "key", "secret"}), "SLACK_TOKEN"),
    (frozenset({"stripe"}), frozenset({"key", "secret", "token", "apikey"}), "STRIPE_KEY"),
    (frozenset({"google"}), frozenset({"key", "apikey"}), "GOOGLE_API_KEY"),
    (frozenset({"gemini"}), frozenset({"key", "apikey"}), "GOOGLE_API_KEY"),
    (frozenset({"private"}), frozenset({"key"}), "PRIVATE_KEY"),
    (frozenset({"privatekey"}), frozenset({"privatekey"}), "PRIVATE_KEY"),
    (frozenset({"jwt"}), frozenset({"jwt", "token"}), "JWT"),
    (frozenset({"bearer"}), frozenset({"bearer", "token"}), "BEARER_TOKEN"),
)


def _words(key: str) -> list[str]:
    words: list[str] = []
    for part in _SPLIT.split(key):
        words.extend(w.lower() for w in _CAMEL.findall(part))
    return words


@lru_cache(maxsize=4096)
def secret_key_entity(key: str) -> str | None:
    """The entity a value under ``key`` holds when the key names a secret, else ``None``.

    Example:
        >>> secret_key_entity("DB_PASSWORD"), secret_key_entity("apiKey")
        ('PASSWORD', 'SECRET')
        >>> secret_key_entity("AWS_SECRET_ACCESS_KEY"), secret_key_entity("max_tokens")
        ('AWS_SECRET_ACCESS_KEY', None)
    """
    if not isinstance(key, str) or len(key) > 200:
        return None
    words = _words(key)
    if not words:
        return None
    last = words[-1]
    ws = set(words)
    # names whose value is a secret even though they end in a metadata word
    if {"database", "url"} <= ws or {"db", "url"} <= ws or {"webhook", "url"} <= ws:
        if "slack" in ws:
            return "SLACK_TOKEN"
        return "SECRET" if last == "url" else None
    if {"access", "key", "id"} <= ws:
        return "AWS_ACCESS_KEY_ID"
    if last in _META_SUFFIX:
        return None
    for needs, any_of, entity in _SPECIFIC:
        if needs <= ws and ws & any_of:
            return entity
    if ws & _PASSWORD_WORDS or any(w.endswith(("password", "passwd")) for w in words):
        return "PASSWORD"
    if any(w.startswith("pass") and w[4:] in ("wd", "word", "phrase") for w in words):
        return "PASSWORD"
    if ws & _SECRET_WORDS or any(pair in _SECRET_PAIRS for pair in itertools.pairwise(words)):
        return "SECRET"
    if any(w.endswith(("secret", "token", "apikey", "privatekey")) for w in words):
        return "SECRET"  # "clientsecret", "authtoken", "myapikey": glued words
    return None


@lru_cache(maxsize=4096)
def strong_secret_key(key: str) -> bool:
    """Whether the name alone says "this is a secret" (not just ``auth``/``cookie``/``*_key``)."""
    words = set(_words(key))
    weak = {
        "auth", "authorization", "cookie", "sid", "sessionid", "signature", "hmac", "pin", "otp",
        "totp",
    }  # fmt: skip
    return bool(words - weak & (_SECRET_WORDS | {"key", "secret", "url", "string", "str"}))
