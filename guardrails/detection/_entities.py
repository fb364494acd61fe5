"""The catalogue of built-in entity types: one name each, shared by detection, policy and reports.

Policies and masking configuration name entities by these strings; ``GROUPS`` gives the aliases a
policy may use instead (``"secrets"`` = every secret type).
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["ENTITIES", "GROUPS", "PII_ENTITIES", "SECRET_ENTITIES"]

PII_ENTITIES: MappingProxyType[str, str] = MappingProxyType(
    {
        "EMAIL_ADDRESS": "e-mail address",
        "PHONE_NUMBER": "phone number, international (phonenumbers)",
        "US_SSN": "US social security number, valid ranges only",
        "CREDIT_CARD": "payment card number, 12-19 digits, Luhn-valid (python-stdnum)",
        "IBAN_CODE": "IBAN, checksum-valid (python-stdnum)",
        "IP_ADDRESS": "IPv4 or IPv6 address",
        "MAC_ADDRESS": "MAC address",
        "PERSON": "person name",
        "LOCATION": "city, region or country",
        "ADDRESS": "street address",
    }
)

SECRET_ENTITIES: MappingProxyType[str, str] = MappingProxyType(
    {
        "URL_CREDENTIALS": "user:password inside a URL (scheme://user:pass@host)",
        "PASSWORD": "password in a connection string or a password-named field",
        "AWS_ACCESS_KEY_ID": "AWS access key id (AKIA/ASIA…)",
        "AWS_SECRET_ACCESS_KEY": "AWS secret access key",
        "GITHUB_TOKEN": "GitHub token (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)",
        "GITLAB_TOKEN": "GitLab token (glpat-, …)",
        "OPENAI_API_KEY": "OpenAI API key (sk-, sk-proj-)",
        "ANTHROPIC_API_KEY": "Anthropic API key (sk-ant-)",
        "SLACK_TOKEN": "Slack token (xoxb-, xoxp-, …) or webhook URL",
        "STRIPE_KEY": "Stripe key (sk_live_, rk_live_, …)",
        "GOOGLE_API_KEY": "Google API key (AIza…)",
        "JWT": "JSON Web Token",
        "PRIVATE_KEY": "PEM private-key block",
        "BEARER_TOKEN": "token after an Authorization: Bearer",
        "SECRET": "value of a secret-named key (token, api_key, secret, …) or high-entropy value beside one",
    }
)

ENTITIES: frozenset[str] = frozenset(PII_ENTITIES) | frozenset(SECRET_ENTITIES)

GROUPS: MappingProxyType[str, frozenset[str]] = MappingProxyType(
    {
        "all": ENTITIES,
        "pii": frozenset(PII_ENTITIES),
        "secrets": frozenset(SECRET_ENTITIES),
        "contact": frozenset({"EMAIL_ADDRESS", "PHONE_NUMBER", "ADDRESS"}),
        "financial": frozenset({"CREDIT_CARD", "IBAN_CODE"}),
        "network": frozenset({"IP_ADDRESS", "MAC_ADDRESS"}),
        "identity": frozenset({"PERSON", "US_SSN"}),
    }
)
