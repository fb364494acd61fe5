"""Policy evaluation: selectors, CEL conditions on raw args and context, strictest-wins,
privileged tags without a rule, defaults, and fail-closed on any evaluation error."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardrails.identity import Principal
from guardrails.policy import Policy, Rule, ToolCall, default_policy

POLICY = Policy.from_yaml(
    """
lists:
  allowed_domains: ["example.com", "partner.io"]
  sensitive_tables: ["salaries", "ssn_registry"]
rules:
  - name: big-payments
    tools: ["pay*", "wire"]
    when: args.amount > 1000
    effect: require_approval
    reason: payments over 1000 need approval
  - name: external-mail
    tools: [send_email]
    when: '!lists.allowed_domains.exists(d, args.to.endsWith("@" + d))'
    effect: require_approval
  - name: sensitive-tables
    tools: ["db_*"]
    when: args.table in lists.sensitive_tables
    effect: deny
    reason: that table is off limits
  - name: interns-no-deploys
    tags: [deploy]
    when: '"interns" in requester.groups'
    effect: deny
    reason: interns cannot deploy
  - name: prod-metadata
    metadata: {env: prod}
    effect: require_approval
  - name: payments-allowed
    tools: [pay]
    effect: allow
"""
)

INTERN = Principal(id="ian", groups=frozenset({"interns"}))
ENGINEER = Principal(id="eng", groups=frozenset({"platform"}))


def _call(name: str, args: dict[str, Any] | None = None, **kw: Any) -> ToolCall:
    return ToolCall(name=name, args=args or {}, **kw)


CASES = [
    # amount above the threshold matched by glob
    (_call("pay_invoice", {"amount": 5000}), None, "require_approval", "big-payments"),
    # amount below the threshold: no rule, default allow
    (_call("pay_invoice", {"amount": 10}), None, "allow", "<default>"),
    # a float amount compares with the int threshold
    (_call("wire", {"amount": 1000.5}), None, "require_approval", "big-payments"),
    # an allow rule and a stricter approval rule both match: strictest wins
    (_call("pay", {"amount": 5000}), None, "require_approval", "big-payments"),
    # only the allow rule matches
    (_call("pay", {"amount": 5}), None, "allow", "payments-allowed"),
    # destination outside the allowlist
    (_call("send_email", {"to": "x@evil.com"}), None, "require_approval", "external-mail"),
    # destination inside the allowlist
    (_call("send_email", {"to": "x@partner.io"}), None, "allow", "<default>"),
    # a sensitive table
    (_call("db_query", {"table": "salaries"}), None, "deny", "sensitive-tables"),
    # an ordinary table
    (_call("db_query", {"table": "orders"}), None, "allow", "<default>"),
    # requester's groups decide
    (_call("ship", tags=frozenset({"deploy"})), INTERN, "deny", "interns-no-deploys"),
    # same tool, another requester
    (_call("ship", tags=frozenset({"deploy"})), ENGINEER, "allow", "<default>"),
    # metadata selector
    (_call("restart", metadata={"env": "prod"}), None, "require_approval", "prod-metadata"),
    # privileged tag, no rule names the tool
    (
        _call("rotate_keys", tags=frozenset({"privileged"})),
        None,
        "require_approval",
        "<privileged>",
    ),
    # privileged via metadata (LangChain tools carry metadata dicts)
    (_call("rotate_keys", metadata={"privileged": True}), None, "require_approval", "<privileged>"),
]


@pytest.mark.parametrize(("call", "requester", "effect", "rule"), CASES)
def test_evaluation_table(
    call: ToolCall, requester: Principal | None, effect: str, rule: str
) -> None:
    """Each call gets the expected effect from the expected rule."""
    decision = POLICY.evaluate(call, requester=requester)
    assert (decision.effect, decision.rule) == (effect, rule)
    assert decision.policy_hash == POLICY.hash


def test_deny_reason_is_what_the_model_sees() -> None:
    """A deny carries the rule's reason, safe to show the model."""
    d = POLICY.evaluate(_call("db_query", {"table": "salaries"}))
    assert d.reason == "that table is off limits"


SECRET = "4111111111111111"

ERRORS = [
    # the field the condition reads is missing
    _call("pay_invoice", {"amt": 5000}),
    # a string where a number is compared (the value must not leak into the reason)
    _call("pay_invoice", {"amount": SECRET}),
    # a number where the condition calls a string method
    _call("send_email", {"to": int(SECRET)}),
]


@pytest.mark.parametrize("call", ERRORS)
def test_evaluation_error_denies_without_leaking(call: ToolCall) -> None:
    """Any error while evaluating denies the call; reason and why contain no argument value."""
    d = POLICY.evaluate(call)
    assert d.effect == "deny"
    assert d.error
    assert SECRET not in d.reason
    assert SECRET not in d.why


def test_non_boolean_condition_denies() -> None:
    """A condition that returns a number is an error, so the call is denied."""
    p = Policy(rules=(Rule(name="odd", effect="allow", when="args.amount"),))
    d = p.evaluate(_call("x", {"amount": 3}))
    assert (d.effect, d.rule) == ("deny", "odd")


def test_conditions_see_raw_restored_args() -> None:
    """Conditions evaluate the raw values the tool would receive, not placeholders."""
    p = Policy(
        rules=(
            Rule(
                name="internal-only",
                tools=("send_email",),
                when='!args.to.endsWith("@example.com")',
                effect="deny",
            ),
        )
    )
    assert p.evaluate(_call("send_email", {"to": "ann@example.com"})).effect == "allow"
    assert p.evaluate(_call("send_email", {"to": "<EMAIL_ADDRESS_1>"})).effect == "deny"


def test_default_deny_overrides_privileged_approval() -> None:
    """With default deny, an unmatched privileged tool is denied, not sent for approval."""
    p = Policy(default="deny")
    assert p.evaluate(_call("rotate", tags=frozenset({"privileged"}))).effect == "deny"


def test_default_policy() -> None:
    """No-argument default: privileged needs any human's approval, everything else is allowed,
    no tool gets restored values, every output is redacted."""
    p = default_policy()
    priv = p.evaluate(_call("wire", tags=frozenset({"privileged"})))
    assert priv.effect == "require_approval"
    assert priv.approval is not None
    assert priv.approval.approvers.any_human
    assert priv.approval.quorum == 1
    assert p.evaluate(_call("search")).effect == "allow"
    settings = p.tool_settings("anything")
    assert (settings.restore_entities, settings.redact_output) == (frozenset(), True)


@given(
    st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
            max_leaves=10,
        ),
        max_size=5,
    )
)
def test_evaluate_never_raises(args: dict[str, Any]) -> None:
    """Whatever the arguments, evaluate returns a decision (errors deny; it never throws)."""
    for name in ("pay_invoice", "send_email", "db_query"):
        d = POLICY.evaluate(_call(name, args))
        assert d.effect in {"allow", "deny", "require_approval"}


def test_cel_errors_never_reach_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    """cel-python logs evaluation errors with the values in them; none of that reaches handlers."""
    caplog.set_level(logging.DEBUG)
    POLICY.evaluate(_call("pay_invoice", {"amount": "jane.doe@secret.example"}))
    assert "jane.doe@secret.example" not in caplog.text
    assert "policy evaluation failed in big-payments" in caplog.text


def test_concurrent_evaluations_do_not_share_state() -> None:
    """Threads evaluating the same compiled conditions with different args get their own answers."""
    import threading

    wrong: list[int] = []

    def run(offset: int) -> None:
        for i in range(40):
            amount = offset + i * 97
            d = POLICY.evaluate(_call("wire", {"amount": amount}))
            expected = "require_approval" if amount > 1000 else "allow"
            if d.effect != expected:
                wrong.append(amount)

    threads = [threading.Thread(target=run, args=(o,)) for o in (0, 500, 1000, 3000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []


@pytest.mark.parametrize(
    ("expr", "args", "expected"),
    [
        ('email_domain(args.to) == "corp.io"', {"to": "Ann@Corp.IO"}, True),  # lower-cased domain
        ('email_domain(args.to) == ""', {"to": "not-an-address"}, True),  # no '@': empty
        (
            'url_host(args.url) == "api.example.com"',
            {"url": "https://API.example.com:8443/x"},
            True,
        ),
        ('url_host(args.url) == ""', {"url": "http://[::1"}, True),  # invalid URL: no host
    ],
)
def test_helper_functions(expr: str, args: dict[str, Any], expected: bool) -> None:
    """email_domain() and url_host() normalise addresses for allowlist checks."""
    p = Policy(rules=(Rule(name="r", effect="deny", when=expr),))
    assert (p.evaluate(_call("t", args)).effect == "deny") is expected


def test_helper_on_wrong_type_fails_closed() -> None:
    """A helper given a number is an evaluation error: the call is denied."""
    p = Policy(rules=(Rule(name="r", effect="allow", when='email_domain(args.to) == "x"'),))
    d = p.evaluate(_call("t", {"to": 42}))
    assert (d.effect, d.error is not None) == ("deny", True)
