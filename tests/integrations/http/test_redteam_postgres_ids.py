"""Red team: a request id PostgreSQL cannot store (it holds a NUL) is an unknown id, answered
404 like any other, never a 500 from the database driver."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from guardrails.approvals import ApprovalService
from guardrails.policy import Policy
from integrations.http import ApiKeys, create_app
from tests.guardrails.approvals.conftest import PG_DSN, pg_available
from tests.integrations.http.conftest import DEV_KEYS, POLICY, bearer, open_request

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_service() -> Iterator[ApprovalService]:
    if not pg_available():
        pytest.skip("PostgreSQL is not running at 127.0.0.1:5432")
    import psycopg

    from guardrails.approvals.stores import PostgresApprovalStore

    schema = f"rt_ids_{uuid.uuid4().hex[:10]}"
    store = PostgresApprovalStore(PG_DSN, schema=schema)
    try:
        yield ApprovalService(Policy.from_yaml(POLICY), store=store)
    finally:
        store.close()
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.mark.parametrize(
    "body", [{"verdict": "approve"}, {"verdict": "approve", "args_digest": "x"}]
)
def test_a_nul_in_the_request_id_is_404(pg_service: ApprovalService, body: dict[str, str]) -> None:
    """GET and POST on /api/requests/abc%00def: 404 unknown_request; the real request is untouched."""
    rid = open_request(pg_service)
    app = create_app(pg_service, verifier=ApiKeys(DEV_KEYS))
    headers = bearer("dev-key-bob-0123456789abcdef")
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/api/requests/abc%00def", headers=headers).status_code == 404
        res = client.post("/api/requests/abc%00def/decision", json=body, headers=headers)
        assert (res.status_code, res.json()["error"]) == (404, "unknown_request")
        res = client.post(f"/api/requests/{rid}%00/decision", json=body, headers=headers)
        assert res.status_code == 404
        assert client.get("/api/history", headers=headers).status_code == 200
    assert pg_service.status(rid) == "pending"


def test_a_cursor_naming_an_id_with_a_nul_is_a_400(pg_service: ApprovalService) -> None:
    """A forged page cursor whose id holds a NUL: 400 bad_cursor, not a 500 from the driver."""
    open_request(pg_service)
    raw = json.dumps(["2026-01-01T00:00:00+00:00", "apr_\u0000x"]).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    app = create_app(pg_service, verifier=ApiKeys(DEV_KEYS))
    with TestClient(app, raise_server_exceptions=False) as client:
        res = client.get(
            "/api/requests",
            params={"cursor": cursor},
            headers=bearer("dev-key-bob-0123456789abcdef"),
        )
    assert (res.status_code, res.json()["error"]) == (400, "bad_cursor")
