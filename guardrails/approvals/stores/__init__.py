"""Approval stores: in-memory (tests), SQLite (embedded default), PostgreSQL (replicas).

Example:
    >>> from guardrails.approvals.stores import ApprovalStore, InMemoryApprovalStore
    >>> isinstance(InMemoryApprovalStore(), ApprovalStore)
    True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from guardrails.approvals.stores._protocol import (
    ApprovalStore,
    Change,
    Journal,
    JournalingStore,
)
from guardrails.approvals.stores.memory import InMemoryApprovalStore
from guardrails.approvals.stores.sqlite import SQLiteApprovalStore

if TYPE_CHECKING:
    from guardrails.approvals.stores.postgres import PostgresApprovalStore

__all__ = [
    "ApprovalStore",
    "Change",
    "InMemoryApprovalStore",
    "Journal",
    "JournalingStore",
    "PostgresApprovalStore",
    "SQLiteApprovalStore",
]


def __getattr__(name: str) -> Any:
    if name == "PostgresApprovalStore":  # psycopg is an optional extra
        return importlib.import_module("guardrails.approvals.stores.postgres").PostgresApprovalStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
