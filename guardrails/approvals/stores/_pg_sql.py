"""The SQL of the PostgreSQL approval store, built once per schema (identifiers quoted by psycopg)."""

from __future__ import annotations

from typing import Any

__all__ = ["statements"]


def statements(schema: str) -> tuple[dict[str, str], list[Any]]:
    """``(queries by name, DDL statements)`` for the tables in ``schema``.

    The queries are rendered to text once here (identifiers quoted): psycopg would otherwise
    compose a ``Composed`` query again on every execution (~10 us of each decision)."""
    from psycopg import sql

    table = sql.Identifier(schema, "guardrails_approvals")
    expect = sql.Identifier(schema, "guardrails_approvals_expect")
    q = {
        "insert": sql.SQL(
            "INSERT INTO {} (id, status, created_at, next_due, data) VALUES (%s, %s, %s, %s, %s)"
        ).format(table),
        "many": sql.SQL("SELECT id, data FROM {} WHERE id = ANY(%s)").format(table),
        "read": sql.SQL("SELECT data, version FROM {} WHERE id = %s").format(table),
        "cas": sql.SQL(
            "UPDATE {} SET status = %s, next_due = %s, data = %s, version = version + 1 "
            "WHERE id = %s AND version = %s"
        ).format(table),
        "lock": sql.SQL(
            "SELECT id, data, version FROM {} WHERE id = ANY(%s) ORDER BY id FOR UPDATE"
        ).format(table),
        "write": sql.SQL(
            "UPDATE {} SET status = %s, next_due = %s, data = %s, version = version + 1 "
            "WHERE id = %s"
        ).format(table),
        # expect(id, version, status, next_due, data): with data, the compare-and-set; without,
        # only the check. Either raises serialization_failure (40001) when the row's version is
        # not the one given: the statement sending it then commits nothing.
        "expect": sql.SQL("SELECT {}(%s, %s, %s, %s, %s)").format(expect),
        # expect as a prepared call on binary parameters; a lone decider's batch (one row, at most
        # one audit record) is this, FROM the trail's append function when it has a record.
        "expect_one": sql.SQL("SELECT {}(%b, %b, %b, %b, %b)").format(expect),
        "secret_put": sql.SQL(
            "INSERT INTO {} (name, value) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING"
        ).format(sql.Identifier(schema, "guardrails_secrets")),
        "secret_get": sql.SQL("SELECT value FROM {} WHERE name = %s").format(
            sql.Identifier(schema, "guardrails_secrets")
        ),
        "pending": sql.SQL(
            "SELECT data FROM {} WHERE status = 'pending' ORDER BY created_at, id LIMIT %s"
        ).format(table),
        "pending_after": sql.SQL(
            "SELECT data FROM {} WHERE status = 'pending' AND (created_at, id) > (%s, %s) "
            "ORDER BY created_at, id LIMIT %s"
        ).format(table),
        "due": sql.SQL(
            "SELECT data FROM {} WHERE status = 'pending' AND next_due <= %s "
            "ORDER BY next_due, id LIMIT %s"
        ).format(table),
    }
    queries = {name: query.as_string(None) for name, query in q.items()}
    ddl = [
        sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)),
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (id text PRIMARY KEY, status text NOT NULL, "
            "created_at timestamptz NOT NULL, next_due timestamptz NOT NULL, data text NOT NULL, "
            "version bigint NOT NULL DEFAULT 0)"
        ).format(table),
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (name text PRIMARY KEY, value bytea NOT NULL)"
        ).format(sql.Identifier(schema, "guardrails_secrets")),
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {}(p_id text, p_version bigint, p_status text, "
            "p_due timestamptz, p_data text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
            "IF p_data IS NULL THEN "
            "PERFORM 1 FROM {} WHERE id = p_id AND version = p_version; "
            "ELSE UPDATE {} SET status = p_status, next_due = p_due, data = p_data, "
            "version = version + 1 WHERE id = p_id AND version = p_version; END IF; "
            "IF NOT FOUND THEN RAISE EXCEPTION 'approval request changed since it was read' "
            "USING ERRCODE = 'serialization_failure'; END IF; END $$"
        ).format(expect, table, table),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (status, next_due)").format(
            sql.Identifier("guardrails_approvals_due"), table
        ),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (status, created_at)").format(
            sql.Identifier("guardrails_approvals_created"), table
        ),
    ]
    return queries, ddl
