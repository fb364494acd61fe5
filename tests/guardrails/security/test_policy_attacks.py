"""Adversarial review of policy loading and CEL conditions: hostile input denies, never allows."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from guardrails import PolicyError
from guardrails.policy import Policy, ToolCall

GUARDED = """
name: guarded
default: allow
rules:
  - name: big-wire
    tools: [wire]
    when: args.amount > 1000
    effect: require_approval
  - name: outside
    tools: [send]
    when: "!(email_domain(args.to) in lists.ok)"
    effect: deny
lists:
  ok: [example.com]
"""


@pytest.fixture
def policy() -> Policy:
    return Policy.from_yaml(GUARDED, source="guarded.yaml")


def _deep_list(depth: int) -> list[Any]:
    root: list[Any] = []
    cur = root
    for _ in range(depth):
        nxt: list[Any] = []
        cur.append(nxt)
        cur = nxt
    return root


class _Explodes:
    """An argument whose comparison raises with a raw value in the message."""

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("jane.doe@corp-secret.com")

    __hash__ = object.__hash__


@pytest.mark.parametrize(
    "amount",
    [
        float("nan"),  # every comparison with NaN is false: the rule would silently not match
        float("-nan"),  # same, other sign bit
        float("inf"),  # not JSON; the approval digest could not be computed either
        _Explodes(),  # an object whose comparison raises
        b"\xff\xfe",  # bytes, not JSON
        "5000",  # a string where a number is compared: CEL type error
    ],
)
def test_hostile_amount_never_allows_a_guarded_call(policy: Policy, amount: object) -> None:
    """A value the condition cannot compare honestly makes the call denied, not allowed."""
    decision = policy.evaluate(ToolCall(name="wire", args={"amount": amount}))
    assert decision.effect == "deny"
    assert decision.error is not None


def test_deeply_nested_arguments_deny_without_crashing(policy: Policy) -> None:
    """100k-deep nested lists in the arguments fail closed instead of raising RecursionError."""
    decision = policy.evaluate(ToolCall(name="wire", args={"amount": 5, "x": _deep_list(100_000)}))
    assert decision.effect in {"deny", "require_approval"}


def test_condition_error_carries_no_argument_value(policy: Policy) -> None:
    """A condition that throws on a raw value keeps that value out of reason, why and error."""
    raw = "jane.doe@corp-secret.com"
    decision = policy.evaluate(ToolCall(name="send", args={"to": {"addr": raw}}))
    assert decision.effect == "deny"
    assert raw not in f"{decision.reason} {decision.why} {decision.error} {decision!r}"


def _bomb(levels: int, fan: int = 10) -> str:
    lines = ["name: bomb", "lists:", '  l0: &l0 ["lol"]']
    for i in range(1, levels):
        refs = ", ".join([f"*l{i - 1}"] * fan)
        lines.append(f"  l{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_yaml_alias_bomb_is_refused_quickly() -> None:
    """A billion-laughs document (10^7 leaves from 70 aliases) is refused, not expanded."""
    started = time.perf_counter()
    with pytest.raises(PolicyError) as info:
        Policy.from_yaml(_bomb(8), source="bomb.yaml")
    assert "bomb.yaml" in str(info.value)
    # Not a benchmark: expanding the bomb takes minutes; refusing it takes milliseconds.
    assert time.perf_counter() - started < 30


def test_yaml_anchors_for_small_shared_blocks_still_load() -> None:
    """Anchors and aliases used normally (a shared approval block) are accepted."""
    text = """
name: shared
approval: &fin {approvers: {groups: [finance]}, expires_in: 10m}
rules:
  - {name: a, tools: [a], effect: require_approval, approval: *fin}
  - {name: b, tools: [b], effect: require_approval, approval: *fin}
"""
    assert len(Policy.from_yaml(text, source="shared.yaml").rules) == 2


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("latin1.yaml", "name: caf\u00e9\n".encode("latin-1")),  # not UTF-8
        ("binary.toml", b"\x00\xff\xfe\x80garbage"),  # binary junk
        ("bom16.json", '{"name": "x"}'.encode("utf-16")),  # UTF-16 with BOM
    ],
)
def test_non_utf8_policy_file_is_a_policy_error(tmp_path: Path, name: str, content: bytes) -> None:
    """A policy file that is not UTF-8 raises PolicyError naming the file, not UnicodeDecodeError."""
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(PolicyError) as info:
        Policy.load(path)
    assert name in str(info.value)


def test_recursive_yaml_alias_is_a_policy_error() -> None:
    """A self-referencing alias (``&a [*a]``) is refused with PolicyError, never a hang."""
    with pytest.raises(PolicyError):
        Policy.from_yaml("name: loop\nlists:\n  l: &a [*a]\n", source="loop.yaml")
