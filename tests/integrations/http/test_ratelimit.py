"""Rate limits: per client address before authentication, per reviewer after; 429s change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from guardrails import ConfigurationError
from guardrails.approvals import ApprovalService
from guardrails.testing import AuditCapture
from integrations.http import ApiKeys, RateLimits, create_app
from tests.integrations.http.conftest import DEV_KEYS, bearer, open_request

BOB = bearer("dev-key-bob-0123456789abcdef")
CAROL = bearer("dev-key-carol-0123456789abcd")


def _by_header(request: Request) -> str:
    # the tests' stand-in for distinct client addresses (TestClient has one)
    return request.headers.get("x-client", "one")


class CountingKeys:
    """The real ApiKeys verifier, counting how often a token reaches it."""

    def __init__(self) -> None:
        self.inner = ApiKeys(DEV_KEYS)
        self.calls = 0

    def verify(self, token: str) -> str:
        self.calls += 1
        return self.inner.verify(token)


def _client(
    service: ApprovalService, limits: RateLimits | None, verifier: Any = None
) -> TestClient:
    return TestClient(
        create_app(service, verifier=verifier or ApiKeys(DEV_KEYS), rate_limits=limits)
    )


def _decision(client: TestClient, rid: str, headers: dict[str, str]) -> Any:
    digest = client.get(f"/api/requests/{rid}", headers=headers).json()["args_digest"]
    return client.post(
        f"/api/requests/{rid}/decision",
        json={"verdict": "reject", "reason": "no", "args_digest": digest},
        headers=headers,
    )


def _assert_limited(response: Any) -> None:
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert int(response.headers["Retry-After"]) >= 1


def test_a_reviewer_over_the_decision_limit_gets_429_and_changes_nothing(
    service: ApprovalService, audit: AuditCapture
) -> None:
    """Past decisions_per_principal the POST is refused before its body is read: still pending."""
    limits = RateLimits(decisions_per_principal="1/minute", client_ip=_by_header)
    rid, other = open_request(service), open_request(service, "wire")
    with _client(service, limits) as client:
        first = _decision(client, other, BOB)
        assert first.status_code == 200
        before = len(audit.all())
        refused = _decision(client, rid, BOB)
        _assert_limited(refused)
        assert "retry in" in refused.json()["message"]
        assert service.get(rid).status == "pending"
        assert not service.get(rid).votes
        assert len(audit.all()) == before  # not an audit event, and nothing else happened
        # another reviewer has a budget of their own
        assert _decision(client, rid, CAROL).status_code == 200


def test_listing_over_the_read_limit_gets_429_for_that_reviewer_only(
    service: ApprovalService,
) -> None:
    """reads_per_principal covers the pending list and the history, per reviewer."""
    limits = RateLimits(reads_per_principal="2/minute")
    with _client(service, limits) as client:
        assert client.get("/api/requests", headers=BOB).status_code == 200
        assert client.get("/api/history", headers=BOB).status_code == 200
        _assert_limited(client.get("/api/requests", headers=BOB))
        _assert_limited(client.get("/api/history", headers=BOB))
        assert client.get("/api/requests", headers=CAROL).status_code == 200


def test_per_ip_limit_applies_before_the_token_is_verified(service: ApprovalService) -> None:
    """A flood of forged tokens from one address stops reaching the verifier after per_ip."""
    keys = CountingKeys()
    limits = RateLimits(per_ip="5/minute", auth_failures_per_ip=None, client_ip=_by_header)
    with _client(service, limits, keys) as client:
        codes = [
            client.get("/api/requests", headers=bearer(f"forged-{i:020d}")).status_code
            for i in range(20)
        ]
        assert codes == [401] * 5 + [429] * 15
        assert keys.calls == 5
        # another address is not affected
        assert client.get("/api/requests", headers={**BOB, "x-client": "two"}).status_code == 200


def test_failed_tokens_are_refused_unaudited_past_the_limit(
    service: ApprovalService, audit: AuditCapture
) -> None:
    """After auth_failures_per_ip, the address's failed tokens get 429 and stop being audited."""
    keys = CountingKeys()
    limits = RateLimits(auth_failures_per_ip="3/minute", client_ip=_by_header)
    with _client(service, limits, keys) as client:
        for i in range(3):
            assert client.get("/api/me", headers=bearer(f"guess-{i:020d}")).status_code == 401
        assert audit.kinds().count("http.auth_failed") == 3
        for i in range(3, 10):
            refused = client.get("/api/me", headers=bearer(f"guess-{i:020d}"))
            _assert_limited(refused)
        assert "this address" in refused.json()["message"]
        assert audit.kinds().count("http.auth_failed") == 3
        # without any token at all, the same
        _assert_limited(client.get("/api/me"))
        assert audit.kinds().count("http.auth_failed") == 3


def test_one_client_s_bad_tokens_do_not_lock_out_reviewers_sharing_its_address(
    service: ApprovalService, audit: AuditCapture
) -> None:
    """An office NAT or a proxy puts many reviewers behind one address: someone sending bad
    tokens from it must not shut them all out. Valid tokens from a spent address still work."""
    limits = RateLimits(auth_failures_per_ip="3/minute", client_ip=_by_header)
    rid = open_request(service)
    with _client(service, limits) as client:
        for i in range(10):  # the attacker, behind the shared address
            client.get("/api/me", headers=bearer(f"guess-{i:020d}"))
        assert client.get("/api/me", headers=CAROL).status_code == 200  # a colleague reads
        decided = _decision(client, rid, BOB)  # and another decides
        assert decided.status_code == 200
    assert service.get(rid).status == "rejected"


@pytest.mark.parametrize("limits", [None, RateLimits.off()], ids=["none", "off"])
def test_limits_can_be_turned_off(service: ApprovalService, limits: RateLimits | None) -> None:
    """rate_limits=None or RateLimits.off(): no 429 however many requests."""
    with _client(service, limits) as client:
        codes = {client.get("/api/requests", headers=BOB).status_code for _ in range(400)}
        assert codes == {200}


def test_the_defaults_let_an_inbox_tab_poll() -> None:
    """The default read limit covers one open inbox page (two listings every 2 s) several times."""
    defaults = RateLimits()
    assert defaults.reads_per_principal == "300/minute"  # 5 tabs of 60/minute
    assert defaults.per_ip is not None
    assert defaults.auth_failures_per_ip is not None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("per_ip", "lots"),  # not a rate
        ("decisions_per_principal", "5/fortnight"),  # not a unit
    ],
)
def test_a_bad_limit_fails_when_configured(field: str, value: str) -> None:
    """A limit that does not parse raises ConfigurationError naming the field, not at request time."""
    with pytest.raises(ConfigurationError, match=field):
        RateLimits(**{field: value})


def test_an_unusable_storage_fails_when_the_app_is_built(service: ApprovalService) -> None:
    """A storage URI the limits library cannot use is a ConfigurationError from create_app."""
    with pytest.raises(ConfigurationError, match="storage"):
        create_app(
            service, verifier=ApiKeys(DEV_KEYS), rate_limits=RateLimits(storage="nosuch://x")
        )


def test_the_429_is_in_the_openapi_document(service: ApprovalService) -> None:
    """Clients can see the 429 error shape in the published schema."""
    with _client(service, RateLimits()) as client:
        spec = client.get("/openapi.json").json()
    assert "429" in spec["paths"]["/api/requests/{request_id}/decision"]["post"]["responses"]


@pytest.mark.parametrize(
    ("addresses", "limited"),
    [
        # one IPv6 /64 (what one host, VM or home line is given): one client to the limits
        (["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::9", "2001:db8:1:2::1"], True),
        # an IPv4 client seen through a dual-stack socket is the same client as itself
        (["192.0.2.7", "::ffff:192.0.2.7", "192.0.2.7", "::ffff:192.0.2.7"], True),
        # distinct /64s and distinct IPv4 addresses stay distinct clients
        (["2001:db8:1:2::1", "2001:db8:1:3::1", "192.0.2.7", "192.0.2.8"], False),
    ],
)
def test_ipv6_addresses_of_one_network_share_the_per_address_limits(
    service: ApprovalService, addresses: list[str], limited: bool
) -> None:
    """Rotating through the 2**64 addresses of one IPv6 /64 does not escape the lockout."""
    limits = RateLimits(auth_failures_per_ip="3/minute", client_ip=_by_header)
    with _client(service, limits) as client:
        codes = [
            client.get("/api/me", headers={**bearer(f"guess-{i:020d}"), "x-client": a}).status_code
            for i, a in enumerate(addresses)
        ]
    assert codes == ([401] * 3 + [429] if limited else [401] * 4)
