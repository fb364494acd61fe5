"""The seam: an httpx2 transport that redacts every request body before it leaves the process.

The ``openai`` client sends every HTTP call through its ``http_client``; a transport there sees the
exact bytes of every method, including ``with_raw_response``, ``with_streaming_response``,
``extra_body`` and retries, and methods added to the SDK later. The guarded client delegates to
the original client's ``http_client`` after redaction, so its connection pool, proxies and
timeouts are kept.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import anyio.to_thread
import httpx2
import orjson

from guardrails import RequestBlocked

if TYPE_CHECKING:
    from integrations.openai._guard import OpenAIGuard

# Bodies above this size are redacted on a worker thread in async clients (a thread hop costs
# ~0.1 ms; scanning a large first turn can take tens of milliseconds).
_OFFLOAD_BYTES = 64 * 1024

__all__ = ["AsyncGuardTransport", "GuardTransport", "decode", "encode", "rebuild"]


def _check_size(guard: OpenAIGuard, request: httpx2.Request) -> None:
    """Refuse an oversized body before reading it when its length is declared."""
    declared = request.headers.get("content-length")
    if (
        declared is not None
        and declared.isdigit()
        and int(declared) > guard.settings.max_body_bytes
    ):
        raise RequestBlocked(
            f"request body of {int(declared)} bytes exceeds max_body_bytes="
            f"{guard.settings.max_body_bytes}; nothing was sent",
            where=request.url.path,
        )


def rebuild(request: httpx2.Request, body: bytes | None, drop: tuple[str, ...]) -> httpx2.Request:
    """A copy of ``request`` with a new body (when given) and some headers removed."""
    headers = request.headers.copy()
    for name in drop:
        headers.pop(name, None)
    if body is None:
        if not drop:
            return request
        return httpx2.Request(
            request.method,
            request.url,
            headers=headers,
            stream=request.stream,
            extensions=request.extensions,
        )
    headers.pop("transfer-encoding", None)
    if "host" not in headers:  # not built by a client: let httpx2 add its automatic headers
        headers.pop("content-length", None)
        return httpx2.Request(
            request.method,
            request.url,
            headers=headers,
            content=body,
            extensions=request.extensions,
        )
    # The same request as ``content=body`` gives (its headers were made by the client), in a
    # third of the time: no header normalisation and encoding pass again (~15 us a request).
    headers["Content-Length"] = str(len(body))
    new = httpx2.Request(
        request.method,
        request.url,
        headers=headers,
        stream=httpx2.ByteStream(body),
        extensions=request.extensions,
    )
    new.read()
    return new


def encode(doc: Any) -> bytes:
    """Compact UTF-8 JSON (orjson; the stdlib for what orjson refuses, e.g. ints over 64 bits)."""
    try:
        return orjson.dumps(doc)
    except orjson.JSONEncodeError:
        pass
    try:
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise RequestBlocked(
            f"the redacted body could not be encoded ({type(exc).__name__})"
        ) from None


def decode(body: bytes) -> Any:
    """Parse a JSON body (orjson; the stdlib for NaN/Infinity or huge ints, which it refuses)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


class GuardTransport(httpx2.BaseTransport):
    """Sync transport: redact, then send through the wrapped client."""

    def __init__(self, guard: OpenAIGuard, inner: httpx2.Client) -> None:
        self._guard = guard
        self._inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        _check_size(self._guard, request)
        body = request.read() if request.method not in ("GET", "HEAD") else b""
        prepared = self._guard.prepare(request, body)
        return self._inner.send(prepared, stream=True)

    def close(self) -> None:
        self._inner.close()


class AsyncGuardTransport(httpx2.AsyncBaseTransport):
    """Async transport: the redaction itself is CPU work done inline (a digest per old item)."""

    def __init__(self, guard: OpenAIGuard, inner: httpx2.AsyncClient) -> None:
        self._guard = guard
        self._inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        _check_size(self._guard, request)
        body = await request.aread() if request.method not in ("GET", "HEAD") else b""
        if len(body) > _OFFLOAD_BYTES:
            # A large body may hold much new text to scan (a first turn over a long history):
            # do it on a worker thread so the event loop keeps serving other conversations.
            prepared = await anyio.to_thread.run_sync(self._guard.prepare, request, body)
        else:
            prepared = self._guard.prepare(request, body)
        return await self._inner.send(prepared, stream=True)

    async def aclose(self) -> None:
        await self._inner.aclose()
