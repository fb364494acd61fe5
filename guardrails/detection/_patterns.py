"""The built-in candidate patterns: one rule per shape, each paired with the check that validates it.

Patterns are written in the syntax hyperscan and RE2 share, ASCII only (explicit classes, no
``\\w``/``\\s``/``\\d`` whose meaning differs between engines), no look-around, no back-references.
They are deliberately loose prefilters: the check decides. Patterns end on ``\\b`` or a fixed
length where possible so hyperscan reports few intermediate match ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from guardrails.detection import _keyvalue as kv
from guardrails.detection import _phone as ph
from guardrails.detection import _secrets as s
from guardrails.detection import _validators as v

__all__ = ["PLACEHOLDER_RULE", "RULES", "Check", "Rule"]

Check = Callable[[str, int, int, frozenset[str]], list[v.Found]]


@dataclass(frozen=True, slots=True)
class Rule:
    """A candidate pattern, the entities its check may emit, and the check."""

    name: str
    entities: frozenset[str]
    regex: str
    check: Check
    som: bool = True  # False: the check finds the start itself (see _scanner.PatternSpec)


def _r(name: str, entities: str, regex: str, check: Check, *, som: bool = True) -> Rule:
    return Rule(name=name, entities=frozenset(entities.split()), regex=regex, check=check, som=som)


_SECRETS_KV = (
    "PASSWORD SECRET AWS_SECRET_ACCESS_KEY AWS_ACCESS_KEY_ID GITHUB_TOKEN GITLAB_TOKEN "
    "OPENAI_API_KEY ANTHROPIC_API_KEY SLACK_TOKEN STRIPE_KEY GOOGLE_API_KEY PRIVATE_KEY JWT "
    "BEARER_TOKEN"
)
_SEP = r"[ .\-]"
_EXT = r"(?:[ ,]{0,2}(?:x|ext\.?|extension) ?[0-9]{1,6})?\b"  # "555-0132 x12", "… ext. 4"
_KEYWORDS = (
    r"pass|pwd|secret|token|api[_.\-]?key|access[_.\-]?key|private[_.\-]?key|auth|credential"
    r"|creds|database[_.\-]?url|db[_.\-]?url|dsn|conn(?:ection)?[_.\-]?str|[_.\-]key|bearer"
    r"|session|cookie|signature|(?-i:[a-z]Key)"  # camelCase "signingKey", "stripeKey"
)

RULES: tuple[Rule, ...] = (
    _r(
        "email",
        "EMAIL_ADDRESS",
        # "@" or its URL encoding "%40" (?email=jane%40example.com)
        r"[A-Za-z0-9._%+\-](?:@|%40)[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}\b",
        v.check_email,
        som=False,
    ),
    # phone: international "+CC …" / "00CC …", North American, national with a trunk 0
    _r("phone_intl", "PHONE_NUMBER", r"\+[1-9](?:[ .\-]?\(?[0-9]\)?){6,16}" + _EXT, ph.check_phone),
    _r("phone_00", "PHONE_NUMBER", r"\b00[1-9](?:[ .\-]?\(?[0-9]\)?){6,15}\b", ph.check_phone),
    _r(
        "phone_nanp",
        "PHONE_NUMBER",
        r"(?:\b1"
        + _SEP
        + r"?)?(?:\([2-9][0-9]{2}\)[ .\-]?|\b[2-9][0-9]{2}"
        + _SEP
        + r"?)[2-9][0-9]{2}"
        + _SEP
        + r"?[0-9]{4}"
        + _EXT,
        ph.check_phone,
    ),
    _r(
        "phone_trunk",
        "PHONE_NUMBER",
        r"(?:\b0[1-9][0-9]{0,4}|\(0[1-9][0-9]{0,4}\))(?:[ .\-]?[0-9]{2,8}){1,4}\b",
        ph.check_phone,
    ),
    _r(
        "phone_cue",
        "PHONE_NUMBER",
        r"(?i)\b(?:phone|tel|call|mobile|cell|fax|whatsapp|sms)[A-Za-z .:#=\t\r\n\"'\-]{0,24}"
        r"[+(]?[0-9][0-9 ().\-]{5,20}[0-9]" + _EXT,
        ph.check_phone_cue,
    ),
    _r("ssn_dash", "US_SSN", r"\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b", v.check_ssn),
    _r("ssn_space", "US_SSN", r"\b[0-9]{3} [0-9]{2} [0-9]{4}\b", v.check_ssn),
    _r("ssn_bare", "US_SSN", r"\b[0-9]{9}\b", v.check_ssn),
    _r(
        "card",
        "CREDIT_CARD",
        # 12-19 digits in one run, or written in groups: 4-4-4-4(-3), 4-6-5, 4-6-4, 4-4-5 …
        r"\b[0-9]{12,19}\b"
        r"|\b[0-9]{4}[ \-][0-9]{4,6}[ \-][0-9]{4,6}(?:[ \-][0-9]{4})?(?:[ \-][0-9]{1,3})?\b",
        v.check_card,
    ),
    _r(
        "iban",
        "IBAN_CODE",
        # upper case, grouped or not; or lower case written compact ("gb42nawi0445…")
        r"\b[A-Z]{2}[0-9]{2} ?[A-Z0-9]{4}(?: ?[A-Z0-9]{1,4}){1,7}\b|\b[a-z]{2}[0-9]{2}[a-z0-9]{11,30}\b",
        v.check_iban,
    ),
    _r("ipv4", "IP_ADDRESS", r"\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b", v.check_ipv4),
    _r(
        "ipv6",
        "IP_ADDRESS",
        # eight groups, or a "::" somewhere (so "10:30:45" is never a candidate)
        r"(?i)[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){7}\b"
        r"|(?:(?:[0-9a-f]{1,4}:){1,6}|:):(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6})?"
        r"(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3})?\b",
        v.check_ipv6,
    ),
    _r("mac_colon", "MAC_ADDRESS", r"(?i)\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b", v.check_mac),
    _r("mac_dash", "MAC_ADDRESS", r"(?i)\b[0-9a-f]{2}(?:-[0-9a-f]{2}){5}\b", v.check_mac),
    _r("mac_dot", "MAC_ADDRESS", r"(?i)\b[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}\b", v.check_mac),
    _r(
        "url_credentials",
        "URL_CREDENTIALS PASSWORD SECRET",
        r"(?i)[a-z][a-z0-9+.\-]*://[A-Za-z0-9._~%!$&'()*+,;=\-]*:"
        r"[A-Za-z0-9._~%!$&()*+,;=:?#\[\]^{|}\-]*@",
        s.check_url_credentials,
    ),
    # vendor tokens with a fixed prefix
    _r(
        "aws_key_id",
        "AWS_ACCESS_KEY_ID SECRET",
        r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z2-7]{16}",
        s.check_aws_key_id,
    ),
    _r(
        "aws_secret",
        "AWS_SECRET_ACCESS_KEY SECRET",
        # 40 base64 characters within a short distance after "aws"/"secret"
        r"(?i)(?:aws|secret)[A-Za-z0-9_ .\-\"':=\t]{0,60}[A-Za-z0-9/+]{40}(?:[^A-Za-z0-9/+=]|$)",
        s.check_aws_secret,
        som=False,
    ),
    _r(
        "github",
        "GITHUB_TOKEN SECRET",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{30}|github_pat_[A-Za-z0-9_]{30})",
        s.token_check("GITHUB_TOKEN", 36),
    ),
    _r(
        "gitlab",
        "GITLAB_TOKEN SECRET",
        r"\b(?:glpat|gldt|glrt|glptt|glcbt|glimt|glagent|gloas|glsoat|glffct)-[A-Za-z0-9_\-]{20}",
        s.token_check("GITLAB_TOKEN", 26),
    ),
    _r(
        "anthropic",
        "ANTHROPIC_API_KEY SECRET",
        r"\bsk-ant-[A-Za-z0-9_\-]{20}",
        s.token_check("ANTHROPIC_API_KEY", 40),
    ),
    _r(
        "openai",
        "OPENAI_API_KEY SECRET",
        r"\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20}",
        s.token_check("OPENAI_API_KEY", 23, exclude="sk-ant-"),
    ),
    _r(
        "slack",
        "SLACK_TOKEN SECRET",
        r"\b(?:xox[abposre]|xapp)-[0-9A-Za-z\-]{10}",
        s.token_check("SLACK_TOKEN", 15),
    ),
    _r(
        "slack_webhook",
        "SLACK_TOKEN SECRET",
        r"(?i)https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/\-]{8}",
        s.token_check("SLACK_TOKEN", 40, chars=s.URL_PATH_RUN),
    ),
    _r(
        "stripe",
        "STRIPE_KEY SECRET",
        r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10}|\bwhsec_[A-Za-z0-9]{20}",
        s.token_check("STRIPE_KEY", 18),
    ),
    _r(
        "google_api_key",
        "GOOGLE_API_KEY SECRET",
        r"\bAIza[0-9A-Za-z_\-]{35}",
        s.token_check("GOOGLE_API_KEY", 39),
    ),
    _r(
        "jwt",
        "JWT SECRET",
        r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.",
        s.check_jwt,
    ),
    _r(
        "pem",
        "PRIVATE_KEY SECRET",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[A-Za-z0-9+/=\r\n\t :,.\\\-]*"
        r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
        s.check_pem,
    ),
    _r(
        "pem_open",
        "PRIVATE_KEY SECRET",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:\\[nr]|[\r\n\t ])*"
        r"[A-Za-z0-9+/=]{64}",
        s.check_pem_open,
    ),
    _r("bearer", "BEARER_TOKEN SECRET", r"(?i)\bbearer[ \t]+", s.check_bearer),
    _r(
        "basic_auth",
        "PASSWORD SECRET",
        r"(?i)\bauthorization[\"']?[ \t]*[:=][ \t]*[\"']?basic[ \t]+",
        s.check_basic_auth,
    ),
    _r(
        "kv",
        _SECRETS_KV,
        r"(?i)(?:" + _KEYWORDS + r")[A-Za-z0-9_.\-]*(?:\\?[\"'])?[ \t]*(?::=|=>|=|:)",
        kv.check_kv,
        som=False,
    ),
    _r(
        "password_phrase",
        "PASSWORD SECRET",
        r"(?i)\bpass(?:word|code|phrase)?[ \t]+(?:is|was)[ \t]*:?[ \t]+",
        kv.check_password_phrase,
    ),
    _r(
        "xml",
        _SECRETS_KV,
        r"(?i)<[A-Za-z0-9_.:\-]*(?:" + _KEYWORDS + r")[A-Za-z0-9_.:\-]*>",
        kv.check_xml,
    ),
    # command lines: curl -u user:pass, mysql -pPASS
    _r("cli_user", "PASSWORD SECRET", r"(?:^|[ \t])(?:-u|--user)[ =]", kv.check_cli_user),
    _r(
        "mysql_p",
        "PASSWORD SECRET",
        r"\bmysql[a-z]*\b[A-Za-z0-9_ \t.=:/\-]{0,120}[ \t]-p",
        kv.check_cli_glued_password,
        som=False,
    ),
    # other vendors' tokens with a recognisable prefix: reported as SECRET
    _r(
        "vendor_token",
        "SECRET",
        r"\b(?:npm_[A-Za-z0-9]{36}|hf_[A-Za-z]{34}|pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50}"
        r"|SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}|dop_v1_[a-f0-9]{64}|dapi[a-f0-9]{32}"
        r"|shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}|glc_[A-Za-z0-9+/]{32}|key-[0-9a-f]{32}"
        r"|xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}|sq0(?:atp|csp)-[A-Za-z0-9_\-]{22})",
        s.token_check("SECRET", 20),
    ),
)

# our own placeholders (<EMAIL_ADDRESS_1>): spans touching one are dropped, whatever matched.
PLACEHOLDER_RULE = r"<[A-Z][A-Z0-9_]*_[0-9]+>"
