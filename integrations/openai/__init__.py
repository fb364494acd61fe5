"""Zero data exposure for applications that call the ``openai`` client directly.

``guard_openai(client)`` returns a copy of an ``OpenAI``, ``AsyncOpenAI`` or ``AzureOpenAI``
client whose every request is redacted before it leaves the process (the whole history, tool-call
arguments, tool results, Responses input items and instructions, embeddings inputs; streaming or
not). The seam is an httpx2 transport under the client's ``http_client``: see
:mod:`integrations.openai._transport` for why.

Example:
    >>> from openai import OpenAI
    >>> from integrations.openai import guard_openai, guard_of
    >>> client = guard_openai(OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1"),
    ...                       conversation_id="ticket-42")
    >>> guard_of(client).conversation_id
    'ticket-42'
"""

from integrations._deps import require

require("openai", extra="openai")
require("httpx2", extra="openai", package="openai")

from integrations.openai._guard import (  # noqa: E402
    CONVERSATION_HEADER,
    OpenAIGuard,
    guard_of,
    guard_openai,
)
from integrations.openai._rules import GuardSettings  # noqa: E402
from integrations.openai._streams import text_delta  # noqa: E402
from integrations.openai._tools import CheckedCall, parse_call  # noqa: E402

__all__ = [
    "CONVERSATION_HEADER",
    "CheckedCall",
    "GuardSettings",
    "OpenAIGuard",
    "guard_of",
    "guard_openai",
    "parse_call",
    "text_delta",
]
