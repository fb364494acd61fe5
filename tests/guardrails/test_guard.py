"""ToolGuard, framework-free: ruling, decisions and their refusals, at-most-once execution."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from guardrails import ActionDenied, DecisionRefused
from guardrails._clock import FixedClock
from guardrails.audit import AuditLog
from guardrails.guard import (
    Answer,
    CallContext,
    ExecutionInFlight,
    MemoryLedger,
    SQLiteLedger,
    ToolGuard,
    ToolInfo,
)
from guardrails.identity import Principal
from guardrails.policy import Policy, Rule
from guardrails.vault import Vault

WIRE = ToolInfo(name="wire", tags=frozenset({"privileged"}))
SEARCH = ToolInfo(name="search")


class _Redactor:
    """A stand-in redactor (the guard's redaction is tested through the real one in integrations)."""

    def redact(self, text: str, vault: object = None) -> object:
        return type("R", (), {"text": text.replace("secret", "<SECRET_1>")})()

    def redact_data(self, obj: object, vault: object = None) -> object:
        return obj


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def guard(clock: FixedClock) -> ToolGuard:
    return ToolGuard(redactor=_Redactor(), audit=AuditLog(clock=clock), clock=clock)


def ctx(user: str | None = "bob", requester: str | None = "alice") -> CallContext:
    return CallContext(thread_id="t1", run_id="r1", requester=requester, approver=user)


@pytest.mark.parametrize(
    ("tool", "outcome"),
    [
        (WIRE, "approval"),  # tagged privileged
        (ToolInfo(name="x", metadata={"privileged": True}), "approval"),  # metadata says privileged
        (SEARCH, "allow"),  # unknown tool: the policy default
    ],
)
def test_default_policy_rulings(guard: ToolGuard, tool: ToolInfo, outcome: str) -> None:
    """The no-argument policy gates privileged tools and allows the rest."""
    assert guard.rule("c1", {}, tool, ctx()).outcome == outcome


def test_request_id_is_deterministic_and_bound_to_args(guard: ToolGuard) -> None:
    """Same call, same id (re-runs find their request); other args, other id."""
    a = guard.rule("c1", {"amount": 5}, WIRE, ctx())
    assert a.request_id == guard.rule("c1", {"amount": 5}, WIRE, ctx()).request_id
    assert a.request_id != guard.rule("c1", {"amount": 6}, WIRE, ctx()).request_id


def test_policy_error_fails_closed(clock: FixedClock) -> None:
    """A rule whose condition cannot evaluate denies the call."""
    policy = Policy(
        rules=(Rule(name="bad", tools=("search",), when="args.missing.deep > 1", effect="allow"),),
        default="allow",
    )
    g = ToolGuard(redactor=_Redactor(), policy=policy, audit=AuditLog(clock=clock), clock=clock)
    assert g.rule("c1", {}, SEARCH, ctx()).outcome == "deny"


def test_deny_is_audited_with_thread_and_run(guard: ToolGuard) -> None:
    """block() returns the model-safe reason and records policy.denied with ids."""
    policy = Policy(rules=(Rule(name="no", tools=("search",), effect="deny", reason="never"),))
    g = ToolGuard(redactor=_Redactor(), policy=policy, audit=guard.backend.audit, clock=guard.clock)
    err = g.block(g.rule("c1", {}, SEARCH, ctx()), ctx())
    assert isinstance(err, ActionDenied)
    (event,) = [e for e in g.backend.audit.events() if e.kind == "policy.denied"]
    assert (event.thread_id, event.run_id) == ("t1", "r1")


def test_only_allowed_entity_types_are_restored(clock: FixedClock) -> None:
    """A tool allowed EMAIL_ADDRESS gets the e-mail back and keeps other placeholders."""
    vault = Vault()
    email = vault.placeholder_for("EMAIL_ADDRESS", "jane@example.com")
    ssn = vault.placeholder_for("US_SSN", "536-22-8714")
    policy = Policy.from_dict({"tools": {"mail": {"restore": ["EMAIL_ADDRESS"]}}})
    g = ToolGuard(redactor=_Redactor(), policy=policy, audit=AuditLog(clock=clock), clock=clock)
    ruling = g.rule("c1", {"to": email, "note": ssn}, ToolInfo(name="mail"), ctx(), vault=vault)
    assert dict(ruling.args) == {"to": "jane@example.com", "note": ssn}
    assert "jane" not in repr(ruling)


@pytest.mark.parametrize(
    ("approver", "requester", "code"),
    [
        ("alice", "alice", "self_approval"),  # the requester approves their own call
        (None, "alice", "unauthenticated"),  # nobody authenticated resumed
        ("agent-1", "alice", "not_human"),  # an agent principal from the directory
    ],
)
def test_refused_decisions_are_recorded(clock: FixedClock, approver, requester, code) -> None:
    """Each refusal raises DecisionRefused with its code and writes approval.refused."""
    policy = Policy(
        principals=(
            Principal(id="agent-1", kind="agent"),
            Principal(id="alice"),
            Principal(id="bob"),
        )
    )
    g = ToolGuard(redactor=_Redactor(), policy=policy, audit=AuditLog(clock=clock), clock=clock)
    c = ctx(approver, requester)
    ruling = g.rule("c1", {}, WIRE, c)
    g.open(ruling, c)
    with pytest.raises(DecisionRefused) as info:
        g.resolve(ruling, c, Answer(verdict="approve"))
    assert info.value.code == code
    assert [e.data["code"] for e in g.backend.audit.events() if e.kind == "approval.refused"] == [
        code
    ]
    assert g.decided(ruling, c) is None


def test_edit_may_not_switch_tools(guard: ToolGuard) -> None:
    """An edit naming another tool is refused (code tool_switch)."""
    ruling = guard.rule("c1", {}, WIRE, ctx())
    guard.open(ruling, ctx())
    with pytest.raises(DecisionRefused) as info:
        guard.resolve(ruling, ctx(), Answer(verdict="edit", tool_name="drop_db", args={}))
    assert info.value.code == "tool_switch"


def test_first_decision_wins_and_revalidation_is_idempotent(guard: ToolGuard) -> None:
    """A re-validated answer returns the recorded decision; a later different one changes nothing."""
    ruling = guard.rule("c1", {}, WIRE, ctx())
    guard.open(ruling, ctx())
    first = guard.resolve(ruling, ctx(), Answer(verdict="approve"))
    again = guard.resolve(ruling, ctx("carol"), Answer(verdict="reject"))
    assert (first.verdict, again.verdict, again.approver) == ("approve", "approve", "bob")


def test_expired_request_resolves_to_a_non_run(guard: ToolGuard, clock: FixedClock) -> None:
    """After expires_in the request resolves as expired (not a rejection), audited once."""
    ruling = guard.rule("c1", {}, WIRE, ctx())
    guard.open(ruling, ctx())
    clock.advance(timedelta(hours=2))
    res = guard.decided(ruling, ctx())
    assert res is not None
    assert res.expired
    assert guard.decided(ruling, ctx()).expired  # type: ignore[union-attr]
    assert [e.kind for e in guard.backend.audit.events()].count("approval.expired") == 1


def test_execute_runs_once_and_replays_the_result(guard: ToolGuard) -> None:
    """A second execute of the same ruling returns the remembered result without running."""
    ran: list[int] = []
    ruling = guard.rule("c1", {"q": 1}, SEARCH, ctx())
    assert guard.execute(ruling, ctx(), lambda a: ran.append(1) or "r") == "r"
    assert guard.execute(ruling, ctx(), lambda a: ran.append(1) or "other") == "r"
    assert ran == [1]


def test_claimed_call_without_result_is_not_run_again() -> None:
    """A claim with no result (crash mid-call) blocks a second run: at most once."""
    ledger = MemoryLedger()
    ledger.claim("apr_x")
    g = ToolGuard(redactor=_Redactor(), ledger=ledger, audit=AuditLog())
    ruling = g.rule("c1", {}, SEARCH, ctx())
    ledger.claim(ruling.ledger_key)
    with pytest.raises(ExecutionInFlight):
        g.execute(ruling, ctx(), lambda a: "never")


def test_sqlite_ledger_has_one_winner_across_threads(tmp_path) -> None:
    """Eight threads claim the same call: exactly one may run it."""
    ledger = SQLiteLedger(tmp_path / "l.sqlite")
    wins: list[object] = []
    barrier = threading.Barrier(8)

    def claim() -> None:
        barrier.wait()
        wins.append(SQLiteLedger(tmp_path / "l.sqlite").claim("k"))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wins.count(None) == 1
    ledger.complete("k", "done")
    assert ledger.claim("k") == "done"


def test_sqlite_decisions_survive_a_new_store_instance(tmp_path, clock: FixedClock) -> None:
    """A decision recorded through one store is found through another on the same file."""
    from guardrails.approvals import SQLiteApprovalStore

    store = SQLiteApprovalStore(tmp_path / "d.sqlite")
    g = ToolGuard(redactor=_Redactor(), store=store, audit=AuditLog(clock=clock), clock=clock)
    ruling = g.rule("c1", {}, WIRE, ctx())
    g.open(ruling, ctx())
    g.resolve(ruling, ctx(), Answer(verdict="approve"))
    g2 = ToolGuard(
        redactor=_Redactor(),
        store=SQLiteApprovalStore(tmp_path / "d.sqlite"),
        audit=AuditLog(clock=clock),
        clock=clock,
    )
    assert g2.decided(ruling, ctx()).verdict == "approve"  # type: ignore[union-attr]


class _CountingVault(Vault):
    """A real vault that counts full restores (the guard restores args lazily for conditions)."""

    def __init__(self) -> None:
        super().__init__()
        self.restores = 0

    def restore(self, obj: object, *, entities: object = None) -> object:
        if entities is None:
            self.restores += 1
        return super().restore(obj, entities=entities)  # type: ignore[arg-type]


def test_conditions_see_restored_values(clock: FixedClock) -> None:
    """A condition comparing an address sees the real value behind the placeholder."""
    vault = _CountingVault()
    email = vault.placeholder_for("EMAIL_ADDRESS", "jane@example.com")
    policy = Policy(
        rules=(
            Rule(name="ok", tools=("mail",), when="args.to == 'jane@example.com'", effect="allow"),
        ),
        default="deny",
    )
    g = ToolGuard(redactor=_Redactor(), policy=policy, audit=AuditLog(clock=clock), clock=clock)
    assert g.rule("c1", {"to": email}, ToolInfo(name="mail"), ctx(), vault=vault).outcome == "allow"
    assert (
        g.rule("c2", {"to": "x@y.z"}, ToolInfo(name="mail"), ctx(), vault=vault).outcome == "deny"
    )
    assert vault.restores == 2


def test_args_are_not_restored_when_no_condition_reads_them(guard: ToolGuard) -> None:
    """Without a conditional rule the policy never reads args: no vault walk for them."""
    vault = _CountingVault()
    email = vault.placeholder_for("EMAIL_ADDRESS", "jane@example.com")
    assert guard.rule("c1", {"to": email}, WIRE, ctx(), vault=vault).outcome == "approval"
    assert vault.restores == 0


def test_a_failing_restore_under_a_condition_denies(clock: FixedClock) -> None:
    """The lazy restore fails inside the policy: the call is denied (fail closed)."""

    class _Broken(Vault):
        def restore(self, obj: object, *, entities: object = None) -> object:
            raise RuntimeError("vault unavailable")

    policy = Policy(
        rules=(Rule(name="ok", tools=("mail",), when="args.to == 'a'", effect="allow"),),
        default="allow",
    )
    g = ToolGuard(redactor=_Redactor(), policy=policy, audit=AuditLog(clock=clock), clock=clock)
    assert (
        g.rule("c1", {"to": "a"}, ToolInfo(name="mail"), ctx(), vault=_Broken()).outcome == "deny"
    )


def test_digest_and_request_id_confirm_no_guess_of_a_hidden_value(guard: ToolGuard) -> None:
    """Reviewers see the digest and request id beside masked args: neither may be recomputable.

    A plain SHA-256 would let a reviewer hash ``{"to": <guess>}`` and compare; the guard's digest
    is keyed by the approval service, and the request id derives from the keyed digest.
    """
    from guardrails.guard._values import request_id_for
    from guardrails.policy import args_digest

    args = {"to": "jane.doe@corp.example", "amount": 5}
    ruling = guard.rule("c1", args, WIRE, ctx())
    plain = args_digest(args)  # what a reviewer could compute from a correct guess
    assert ruling.digest.startswith("hmac-sha256:")
    assert plain.split(":")[1] not in ruling.digest
    assert ruling.request_id != request_id_for("t1", ctx().scope, "c1", plain)
    # still bound to the exact args, and accepted by the service that keyed it
    assert guard.rule("c1", {**args, "amount": 6}, WIRE, ctx()).digest != ruling.digest
    assert ruling.digest == guard.backend.approvals.args_digest(args)
    # the once-only ledger names the call the same way in any process (no per-process key)
    other = ToolGuard(redactor=_Redactor())
    assert other.rule("c1", args, WIRE, ctx()).ledger_key == ruling.ledger_key
    assert other.rule("c1", args, WIRE, ctx()).request_id != ruling.request_id
