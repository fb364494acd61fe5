"""The SQL of the PostgreSQL approval store, built once per schema (identifiers quoted by psycopg)."""

from __future__ import annotations

from typing import Any

__all__ = ["statements"]


def statements(schema: str) -> tuple[dict[str, Any], list[Any]]:
    """``(queries by name, DDL statements)`` for the tables in ``schema``."""
    from psycopg import sql

    table = sql.Identifier(schema, "guardrails_approvals")
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
        "secret_put": sql.SQL(
            "INSERT INTO {} (name, value) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING"
        ).format(sql.Identifier(schema, "guardrails_secrets")),
        "secret_get": sql.SQL("SELECT value FROM {} WHERE name = %s").format(
            sql.Identifier(schema, "guardrails_secrets")
        ),
        "pending": sql.SQL(
            "SELECT data FROM {} WHERE status = 'pending' ORDER BY created_at, id LIMIT %s"
        ).format(table),
        "due": sql.SQL(
            "SELECT data FROM {} WHERE status = 'pending' AND next_due <= %s "
            "ORDER BY next_due, id LIMIT %s"
        ).format(table),
    }
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
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (status, next_due)").format(
            sql.Identifier("guardrails_approvals_due"), table
        ),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (status, created_at)").format(
            sql.Identifier("guardrails_approvals_created"), table
        ),
    ]
    return q, ddl
