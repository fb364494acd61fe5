"""What the guard does with each endpoint and parameter: settings plus the OpenAI wire vocabulary.

Endpoints are recognised by the *end* of the URL path, so the same rules serve api.openai.com
(``/v1/chat/completions``), Azure (``/openai/deployments/{name}/chat/completions``) and any
OpenAI-compatible server mounted under a prefix (vLLM, Ollama, LiteLLM).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from guardrails import ConfigurationError

__all__ = ["Endpoint", "GuardSettings", "classify"]

Endpoint = Literal["chat", "responses", "embeddings"]

# Path suffix -> endpoint, longest first (chat/completions before a bare /completions).
_SUFFIXES: tuple[tuple[str, Endpoint], ...] = (
    ("/chat/completions", "chat"),
    ("/responses/input_tokens", "responses"),
    ("/responses", "responses"),
    ("/embeddings", "embeddings"),
)


def classify(path: str) -> Endpoint | None:
    """The endpoint a POST to ``path`` creates, or None when we do not understand it.

    Example:
        >>> classify("/openai/deployments/gpt4o/chat/completions"), classify("/v1/files")
        ('chat', None)
    """
    path = path.rstrip("/")
    for suffix, kind in _SUFFIXES:
        if path.endswith(suffix):
            return kind
    return None


@dataclass(frozen=True, kw_only=True)
class GuardSettings:
    """How strict the guard is about what it does not understand. Validated once.

    Attributes:
        on_unknown: ``"block"`` (default) refuses an endpoint, parameter, message field or input
            item we have no rule for, naming it; ``"redact"`` redacts every string in it instead.
        binary: ``"block"`` (default) refuses inline images, audio and files (base64 ``data:``
            content we cannot inspect); ``"allow"`` sends them unchanged.
        max_body_bytes: larger request bodies are refused before anything is parsed.
        pass_params: extra top-level parameters sent unchanged (e.g. vLLM's ``top_k``).
        pass_paths: path suffixes sent without inspection (e.g. ``"/files"`` if your uploads are
            vetted elsewhere). Bodyless requests (GET/DELETE) always pass.

    Example:
        >>> GuardSettings(on_unknown="redact").on_unknown
        'redact'
    """

    on_unknown: Literal["block", "redact"] = "block"
    binary: Literal["block", "allow"] = "block"
    max_body_bytes: int = 8 * 1024 * 1024
    pass_params: frozenset[str] = field(default_factory=frozenset)
    pass_paths: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.on_unknown not in ("block", "redact"):
            raise ConfigurationError("on_unknown must be 'block' or 'redact'")
        if self.binary not in ("block", "allow"):
            raise ConfigurationError("binary must be 'block' or 'allow'")
        if isinstance(self.max_body_bytes, bool) or not isinstance(self.max_body_bytes, int):
            raise ConfigurationError("max_body_bytes must be an int")
        if self.max_body_bytes < 1:
            raise ConfigurationError("max_body_bytes must be positive")
        if isinstance(self.pass_params, str) or isinstance(self.pass_paths, str):
            raise ConfigurationError("pass_params and pass_paths take collections, not one string")
        object.__setattr__(self, "pass_params", frozenset(self.pass_params))
        object.__setattr__(self, "pass_paths", tuple(self.pass_paths))


# -- the wire vocabulary ----------------------------------------------------------------------
# Top-level parameters that carry configuration, not user content: sent unchanged. Everything
# the SDK knows beyond these and the content fields below is redacted generically; anything the
# SDK does not know follows ``on_unknown``.
PASS_PARAMS: dict[Endpoint, frozenset[str]] = {
    "chat": frozenset(
        {
            "model", "audio", "frequency_penalty", "function_call", "logit_bias",
            "logprobs", "max_completion_tokens", "max_tokens", "modalities", "n",
            "parallel_tool_calls", "presence_penalty", "prompt_cache_retention",
            "prompt_cache_options", "reasoning_effort", "seed",
            "service_tier", "store", "stream", "stream_options", "temperature", "tool_choice",
            "top_logprobs", "top_p", "verbosity",
        }
    ),
    "responses": frozenset(
        {
            "model", "tool_choice", "reasoning", "include", "max_output_tokens",
            "max_tool_calls", "parallel_tool_calls", "previous_response_id", "conversation",
            "store", "stream", "stream_options", "temperature", "top_p", "top_logprobs",
            "truncation", "background", "service_tier", "prompt_cache_retention",
            "prompt_cache_options",
        }
    ),
    "embeddings": frozenset({"model", "dimensions", "encoding_format"}),
}  # fmt: skip
# Not here on purpose: ``tools``/``functions`` (descriptions, enums, defaults), ``response_format``
# and Responses ``text`` (JSON-schema descriptions and examples) are built from application data
# often enough to hold a customer's e-mail; their schemas are redacted keyword by keyword
# (:func:`integrations._schema.redact_schema`: structure kept, text and example values masked).

# Short free-text identifiers that can hold an e-mail or a name.
TEXT_PARAMS = frozenset({"user", "safety_identifier", "prompt_cache_key", "instructions"})

# Keys inside items and parts that are structure (ids, enums), never user content.
STRUCTURAL_KEYS = frozenset(
    {
        "type", "id", "call_id", "tool_call_id", "status", "role", "index", "format", "detail",
        "file_id", "encrypted_content", "namespace", "server_label", "approval_request_id",
        "phase", "action_type",
    }
)  # fmt: skip

# Responses input items that echo what a built-in tool did: every string in them is redacted.
ECHO_ITEMS = frozenset(
    {
        "web_search_call", "file_search_call", "computer_call", "computer_call_output",
        "code_interpreter_call", "local_shell_call", "local_shell_call_output", "shell_call",
        "shell_call_output", "apply_patch_call", "apply_patch_call_output", "mcp_list_tools",
        "mcp_approval_request", "mcp_approval_response", "mcp_call", "image_generation_call",
        "tool_search_call", "tool_search_output", "compaction",
    }
)  # fmt: skip


def sdk_params(kind: Endpoint) -> frozenset[str]:
    """Every top-level parameter the installed ``openai`` SDK knows for ``kind`` (plus stream)."""
    from openai.types import embedding_create_params
    from openai.types.chat import completion_create_params
    from openai.types.responses import response_create_params

    typed = {
        "chat": completion_create_params.CompletionCreateParamsBase,
        "responses": response_create_params.ResponseCreateParamsBase,
        "embeddings": embedding_create_params.EmbeddingCreateParams,
    }[kind]
    return frozenset(typed.__annotations__) | {"stream"}
