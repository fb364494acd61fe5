"""HTTP payloads (pydantic at the edge): what a reviewer sends and what the API returns."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DecisionIn", "DecisionOut", "ErrorOut", "MeOut"]

MAX_REASON = 2000


class DecisionIn(BaseModel):
    """A reviewer's decision on one request."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    verdict: Literal["approve", "edit", "reject"]
    reason: str = Field(default="", max_length=MAX_REASON)
    args_digest: str | None = Field(
        default=None,
        max_length=200,
        description="The digest on the card you decided (refused if the request's args differ).",
    )
    edited_args: dict[str, Any] | None = Field(
        default=None, description="For verdict 'edit': the arguments the tool should receive."
    )
    edited_tool: str | None = Field(default=None, max_length=200)
    decision_id: str | None = Field(
        default=None,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Your id for this decision: a retry with the same id is not counted twice.",
    )


class DecisionOut(BaseModel):
    """What a decision did."""

    status: str
    card: dict[str, Any]
    follow_up: str | None = None


class ErrorOut(BaseModel):
    """Every 4xx: a stable ``error`` code and a message safe to show."""

    error: str
    message: str


class MeOut(BaseModel):
    """The authenticated reviewer."""

    id: str
    display_name: str
    kind: str
    groups: list[str]
    roles: list[str]
