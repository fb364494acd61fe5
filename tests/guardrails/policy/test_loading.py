"""Policy files: valid documents load identically from YAML/TOML/dict; bad ones raise a PolicyError
that names the file, the line or path and the field, and nothing is loaded."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import PolicyError
from guardrails.policy import Policy

YAML = """\
version: 1
name: payments
default: allow
lists:
  allowed_domains: [example.com]
approval:
  approvers: {groups: [finance]}
  expires_in: 30m
tools:
  send_email: {restore: [EMAIL_ADDRESS]}
  "db_*": {redact_output: true}
rules:
  - name: big-refunds
    tools: ["refund*"]
    when: args.amount > 1000
    effect: require_approval
    reason: refunds over 1000 need finance
    approval: {quorum: 2, escalation: {after: 10m, to: {groups: [cfo]}}}
principals:
  - id: bob
    groups: [finance]
    identities: {slack: U123, teams: aad-1}
  - id: carol
    groups: [finance]
"""

TOML = """\
version = 1
name = "payments"
default = "allow"

[lists]
allowed_domains = ["example.com"]

[approval]
approvers = { groups = ["finance"] }
expires_in = "30m"

[tools.send_email]
restore = ["EMAIL_ADDRESS"]

[tools."db_*"]
redact_output = true

[[rules]]
name = "big-refunds"
tools = ["refund*"]
when = "args.amount > 1000"
effect = "require_approval"
reason = "refunds over 1000 need finance"
approval = { quorum = 2, escalation = { after = "10m", to = { groups = ["cfo"] } } }

[[principals]]
id = "bob"
groups = ["finance"]
identities = { slack = "U123", teams = "aad-1" }

[[principals]]
id = "carol"
groups = ["finance"]
"""


def test_yaml_and_toml_load_the_same_policy() -> None:
    """The same document in YAML and TOML has the same content hash."""
    a = Policy.from_yaml(YAML, source="p.yaml")
    b = Policy.from_toml(TOML, source="p.toml")
    assert a.hash == b.hash
    assert a.hash.startswith("sha256:")


def test_loaded_values() -> None:
    """Durations, inherited approval fields, tools and the directory are built as written."""
    p = Policy.from_yaml(YAML)
    rule = p.rules[0]
    assert rule.approval is not None
    assert (rule.approval.quorum, rule.approval.expires_in) == (2, timedelta(minutes=30))
    assert rule.approval.approvers.groups == {"finance"}
    assert p.tool_settings("send_email").restore_entities == {"EMAIL_ADDRESS"}
    assert p.tool_settings("db_query").redact_output is True
    assert p.directory is not None
    bob = p.directory.resolve("teams", "aad-1")
    assert bob is not None
    assert bob.id == "bob"


def test_hash_ignores_key_order_but_not_content() -> None:
    """Reordered keys hash the same; a changed threshold hashes differently."""
    doc = {"rules": [{"name": "r", "effect": "deny", "tools": ["x"], "when": "args.a > 1"}]}
    reordered = {"rules": [{"when": "args.a > 1", "tools": ["x"], "effect": "deny", "name": "r"}]}
    changed = {"rules": [{"name": "r", "effect": "deny", "tools": ["x"], "when": "args.a > 2"}]}
    assert Policy.from_dict(doc).hash == Policy.from_dict(reordered).hash
    assert Policy.from_dict(doc).hash != Policy.from_dict(changed).hash


def test_load_from_file_by_extension(tmp_path: Path) -> None:
    """load() picks the parser from the extension; errors name the file path."""
    (tmp_path / "p.yaml").write_text(YAML)
    (tmp_path / "p.toml").write_text(TOML)
    assert Policy.load(tmp_path / "p.yaml").hash == Policy.load(tmp_path / "p.toml").hash
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - name: a\n    efect: deny\n")
    with pytest.raises(PolicyError) as info:
        Policy.load(bad)
    assert info.value.source == str(bad)
    assert str(bad) in str(info.value)


BAD_YAML = [
    # YAML syntax error: an unclosed flow list
    ("rules:\n  - name: a\n    effect: [allow\n", "line 4", None, "syntax"),
    # a misspelled field inside a rule
    (
        "rules:\n  - name: a\n    effect: allow\n    efect: deny\n",
        "line 4",
        "efect",
        "unknown field",
    ),
    # an unknown top-level field
    ("name: x\nrulez: []\n", "line 2", "rulez", "unknown field"),
    # an unknown field inside approval
    ("approval:\n  quorom: 2\n", "line 2", "quorom", "unknown field"),
    # an effect that does not exist
    ("rules:\n  - name: a\n    effect: maybe\n", "line 3", "effect", "allow"),
    # a CEL condition with a syntax error
    ("rules:\n  - name: a\n    effect: deny\n    when: 'args.amount >'\n", "line 4", "when", "CEL"),
    # quorum 2 when only one listed principal is in the approver group
    (
        "principals:\n  - id: bob\n    groups: [fin]\nrules:\n  - name: a\n    effect: require_approval\n"
        "    approval:\n      approvers: {groups: [fin]}\n      quorum: 2\n",
        "line 9",
        "quorum",
        "impossible",
    ),
    # quorum 3 with two named users
    ("approval:\n  approvers: {users: [a, b]}\n  quorum: 3\n", "line 3", "quorum", "impossible"),
    # quorum 0
    ("approval:\n  quorum: 0\n", "approval", None, "quorum"),
    # an entity type that does not exist
    ("tools:\n  send: {restore: [EMAIL]}\n", "line 2", "restore", "EMAIL"),
    # a duration that does not parse
    ("approval:\n  expires_in: 5x\n", "line 2", "expires_in", "duration"),
    # a repeated key would silently drop a rule
    ("name: a\nname: b\n", "line 2", None, "duplicate key"),
    # an approval block on an allow rule
    (
        "rules:\n  - name: a\n    effect: allow\n    approval: {quorum: 1}\n",
        "line 4",
        "approval",
        "only valid",
    ),
    # two rules with the same name
    ("rules:\n  - {name: a, effect: allow}\n  - {name: a, effect: deny}\n", None, None, "unique"),
    # escalation after expiry is useless
    (
        "approval:\n  expires_in: 10m\n  escalation: {after: 1h, to: {groups: [x]}}\n",
        "approval",
        None,
        "escalation",
    ),
    # one Slack user mapped to two principals
    (
        "principals:\n  - {id: a, identities: {slack: U1}}\n  - {id: b, identities: {slack: U1}}\n",
        "principals[1]",
        "identities",
        "two principals",
    ),
    # a string where a list of groups is expected
    ("approval:\n  approvers: {groups: finance}\n", "line 2", "groups", "list"),
    # an approver set naming nobody
    ("approval:\n  approvers: {}\n", "approval", None, "names nobody"),
]


@pytest.mark.parametrize(("text", "where", "field", "message"), BAD_YAML)
def test_bad_yaml_is_a_clear_policy_error(
    text: str, where: str | None, field: str | None, message: str
) -> None:
    """The error names file, location and field; the message says what is wrong."""
    with pytest.raises(PolicyError) as info:
        Policy.from_yaml(text, source="policy.yaml")
    err = info.value
    assert err.source == "policy.yaml"
    assert str(err).startswith("policy.yaml")
    if where is not None:
        assert err.location is not None
        assert where in err.location
    if field is not None:
        assert err.field == field
    assert message.lower() in str(err).lower()


@pytest.mark.parametrize(
    ("text", "location", "field"),
    [
        (
            "[[rules]]\nname = 'a'\neffect = 'allow'\nbogus = 1\n",
            "rules[0].bogus",
            "bogus",
        ),  # unknown field
        ("[[rules]\n", "line 1", None),  # TOML syntax error
        ("[approval]\nquorum = '2'\n", "approval.quorum", "quorum"),  # a string is not a number
    ],
)
def test_bad_toml_is_a_clear_policy_error(text: str, location: str, field: str | None) -> None:
    """TOML errors name the path (TOML parsers keep no line numbers) or the syntax line."""
    with pytest.raises(PolicyError) as info:
        Policy.from_toml(text, source="p.toml")
    assert info.value.location is not None
    assert location in info.value.location
    assert info.value.field == field


def test_top_level_must_be_a_mapping() -> None:
    """A YAML list at the top level is refused."""
    with pytest.raises(PolicyError):
        Policy.from_yaml("- a\n- b\n")


def test_lists_must_be_plain_json() -> None:
    """Policy lists are CEL constants: non-JSON values are refused at load."""
    with pytest.raises(PolicyError):
        Policy.from_dict({"lists": {"when": {1, 2}}})


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=8,
)
_keys = st.sampled_from(
    ["rules", "approval", "tools", "lists", "principals", "default", "name", "version", "x"]
)
_rule = st.fixed_dictionaries(
    {"name": st.text(max_size=5), "effect": st.sampled_from(["allow", "deny", "maybe"])},
    optional={
        "tools": _json,
        "when": st.text(max_size=12),
        "approval": st.dictionaries(
            st.sampled_from(["quorum", "expires_in", "approvers", "decisions"]), _json, max_size=2
        ),
    },
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_keys, _json | st.lists(_rule, max_size=3), max_size=4))
def test_any_document_loads_or_raises_policy_error(doc: dict[str, object]) -> None:
    """Whatever the document, loading either succeeds or raises PolicyError — nothing else."""
    outcome: object
    try:
        outcome = Policy.from_dict(doc)
    except PolicyError as err:
        outcome = err
    if isinstance(outcome, PolicyError):
        assert outcome.source == "<dict>"
    else:
        assert isinstance(outcome, Policy)
        assert outcome.hash.startswith("sha256:")


@pytest.mark.parametrize(
    ("loader", "text"),
    [
        (Policy.from_yaml, "[" * 5000 + "]" * 5000),  # YAML flow lists 5000 deep
        (Policy.from_toml, "a = " + "[" * 5000 + "]" * 5000),  # TOML arrays 5000 deep
        (Policy.from_yaml, "lists:\n  a: &x [*x]\n"),  # a YAML alias that contains itself
    ],
)
def test_hostile_nesting_is_a_policy_error(loader: object, text: str) -> None:
    """Deep or self-referencing documents are refused as PolicyError, not RecursionError."""
    with pytest.raises(PolicyError):
        loader(text)  # type: ignore[operator]
