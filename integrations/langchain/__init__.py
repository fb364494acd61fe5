"""LangChain v1 integration: ``GuardrailsMiddleware`` for ``create_agent`` and ``guard_tools``.

Example:
    >>> from integrations.langchain import GuardrailsMiddleware
    >>> GuardrailsMiddleware().interrupt_mode
    'per_call'
"""

from integrations._deps import require

require("langchain", extra="langchain")
require("langgraph", extra="langgraph")

from integrations.langchain._middleware import (  # noqa: E402
    GuardrailsMiddleware,
    GuardrailsState,
    InputRedactingGraph,
)
from integrations.langchain._tools import GuardedTool, guard_tools  # noqa: E402

__all__ = [
    "GuardedTool",
    "GuardrailsMiddleware",
    "GuardrailsState",
    "InputRedactingGraph",
    "guard_tools",
]
