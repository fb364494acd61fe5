"""A loopback OpenAI-compatible HTTP server for tests: records every request, answers from a script.

It speaks the wire formats the real ``openai`` client parses: chat completions (text, tool calls,
SSE chunks with tool-call argument deltas), the Responses API (message and ``function_call`` output
items, the streaming event sequence ``responses.stream`` accumulates) and embeddings (float lists,
or base64 float32 when the client asks for it, which it does by default).

Replies are *shapes*, not bytes: a :class:`ChatReply` is rendered as one JSON object or as an SSE
stream depending on the request's ``"stream"`` field, so one script serves both modes.

Example:
    >>> from openai import OpenAI
    >>> with OpenAIServer() as server:
    ...     server.script(ChatReply(text="hi there"))
    ...     client = OpenAI(base_url=server.base_url, api_key="sk-test")
    ...     out = client.chat.completions.create(
    ...         model="m", messages=[{"role": "user", "content": "hello"}]
    ...     )
    ...     (out.choices[0].message.content, server.requests[0].path)
    ('hi there', '/v1/chat/completions')
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "ChatReply",
    "EmbeddingsReply",
    "OpenAIServer",
    "RawReply",
    "RecordedRequest",
    "Reply",
    "ResponsesReply",
    "ToolCall",
    "error_reply",
]


@dataclass(frozen=True, kw_only=True)
class RecordedRequest:
    """One request as it arrived on the wire."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (with replacement, so it never raises)."""
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True, kw_only=True)
class ToolCall:
    """A function call the scripted model makes. ``arguments`` is a dict (JSON-encoded) or raw text."""

    name: str
    arguments: dict[str, Any] | str
    id: str = ""

    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments)


@dataclass(frozen=True, kw_only=True)
class RawReply:
    """Exact bytes to answer with (errors, non-JSON bodies, hand-written streams)."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"

    def render(self, request: RecordedRequest) -> tuple[int, str, bytes]:
        del request
        return self.status, self.content_type, self.body


def error_reply(status: int, message: str, *, code: str = "test_error") -> RawReply:
    """An OpenAI-style error body with the given HTTP status."""
    body = {"error": {"message": message, "type": "invalid_request_error", "code": code}}
    return RawReply(status=status, body=json.dumps(body).encode())


def _chunks(text: str, size: int | None) -> list[str]:
    if not text:
        return []
    if not size or size <= 0:
        return [text]
    return [text[i : i + size] for i in range(0, len(text), size)]


def _sse(events: Sequence[tuple[str | None, Any]], *, done: bool) -> bytes:
    out: list[str] = []
    for name, data in events:
        if name:
            out.append(f"event: {name}\n")
        out.append(f"data: {json.dumps(data)}\n\n")
    if done:
        out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def _wants_stream(request: RecordedRequest) -> bool:
    try:
        body = request.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("stream") is True


@dataclass(frozen=True, kw_only=True)
class ChatReply:
    """A chat completion: text and/or tool calls; streamed in ``chunk_size`` pieces when asked."""

    text: str | None = None
    tool_calls: Sequence[ToolCall] = ()
    model: str = "gpt-test"
    chunk_size: int | None = 4

    def _calls(self) -> list[tuple[str, ToolCall]]:
        return [(c.id or f"call_{i + 1}", c) for i, c in enumerate(self.tool_calls)]

    def render(self, request: RecordedRequest) -> tuple[int, str, bytes]:
        finish = "tool_calls" if self.tool_calls else "stop"
        base = {"id": "chatcmpl-test", "created": 0, "model": self.model}
        usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        if not _wants_stream(request):
            message: dict[str, Any] = {"role": "assistant", "content": self.text, "refusal": None}
            if self.tool_calls:
                message["tool_calls"] = [
                    {
                        "id": cid,
                        "type": "function",
                        "function": {"name": c.name, "arguments": c.arguments_json()},
                    }
                    for cid, c in self._calls()
                ]
            choice = {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
            body = {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
            return 200, "application/json", json.dumps(body).encode()
        chunk = {**base, "object": "chat.completion.chunk"}

        def delta(d: dict[str, Any], finish_reason: str | None = None) -> tuple[None, Any]:
            choice = {"index": 0, "delta": d, "finish_reason": finish_reason, "logprobs": None}
            return None, {**chunk, "choices": [choice]}

        events = [delta({"role": "assistant", "content": ""})]
        events += [delta({"content": piece}) for piece in _chunks(self.text or "", self.chunk_size)]
        for index, (cid, call) in enumerate(self._calls()):
            head = {"index": index, "id": cid, "type": "function"}
            events.append(delta({"tool_calls": [{**head, "function": {"name": call.name}}]}))
            for piece in _chunks(call.arguments_json(), self.chunk_size):
                args = {"index": index, "function": {"arguments": piece}}
                events.append(delta({"tool_calls": [args]}))
        events.append(delta({}, finish))
        return 200, "text/event-stream", _sse(events, done=True)


@dataclass(frozen=True, kw_only=True)
class ResponsesReply:
    """A Responses API result: a message and/or function calls; streamed as the real event sequence."""

    text: str | None = None
    function_calls: Sequence[ToolCall] = ()
    model: str = "gpt-test"
    chunk_size: int | None = 4

    def _items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        if self.text is not None:
            part = {"type": "output_text", "text": self.text, "annotations": [], "logprobs": []}
            items.append(
                {
                    "type": "message",
                    "id": "msg_1",
                    "status": "completed",
                    "role": "assistant",
                    "content": [part],
                }
            )
        for i, call in enumerate(self.function_calls):
            items.append(
                {
                    "type": "function_call",
                    "id": f"fc_{i + 1}",
                    "call_id": call.id or f"call_{i + 1}",
                    "name": call.name,
                    "arguments": call.arguments_json(),
                    "status": "completed",
                }
            )
        return items

    def _response(self, output: list[dict[str, Any]], status: str) -> dict[str, Any]:
        return {
            "id": "resp_test",
            "object": "response",
            "created_at": 0,
            "status": status,
            "model": self.model,
            "output": output,
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "error": None,
            "incomplete_details": None,
            "instructions": None,
            "metadata": {},
            "temperature": 1.0,
            "top_p": 1.0,
            "text": {"format": {"type": "text"}},
            "usage": {
                "input_tokens": 1,
                "output_tokens": 1,
                "total_tokens": 2,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens_details": {"reasoning_tokens": 0},
            },
        }

    def render(self, request: RecordedRequest) -> tuple[int, str, bytes]:
        items = self._items()
        if not _wants_stream(request):
            body = self._response(items, "completed")
            return 200, "application/json", json.dumps(body).encode()
        seq = iter(range(1_000_000))
        events: list[tuple[str | None, Any]] = []

        def emit(kind: str, **data: Any) -> None:
            events.append((kind, {"type": kind, "sequence_number": next(seq), **data}))

        emit("response.created", response=self._response([], "in_progress"))
        emit("response.in_progress", response=self._response([], "in_progress"))
        for index, item in enumerate(items):
            if item["type"] == "message":
                text = item["content"][0]["text"]
                empty = {**item, "status": "in_progress", "content": []}
                emit("response.output_item.added", output_index=index, item=empty)
                part = {"type": "output_text", "text": "", "annotations": []}
                where = {"item_id": item["id"], "output_index": index, "content_index": 0}
                emit("response.content_part.added", **where, part=part)
                for piece in _chunks(text, self.chunk_size):
                    emit("response.output_text.delta", **where, delta=piece, logprobs=[])
                emit("response.output_text.done", **where, text=text, logprobs=[])
                emit("response.content_part.done", **where, part=item["content"][0])
            else:
                empty = {**item, "status": "in_progress", "arguments": ""}
                emit("response.output_item.added", output_index=index, item=empty)
                where = {"item_id": item["id"], "output_index": index}
                for piece in _chunks(item["arguments"], self.chunk_size):
                    emit("response.function_call_arguments.delta", **where, delta=piece)
                emit("response.function_call_arguments.done", **where, arguments=item["arguments"])
            emit("response.output_item.done", output_index=index, item=item)
        emit("response.completed", response=self._response(items, "completed"))
        return 200, "text/event-stream", _sse(events, done=False)


@dataclass(frozen=True, kw_only=True)
class EmbeddingsReply:
    """One deterministic vector per input (base64 float32 when the request asks for base64)."""

    dimensions: int = 4
    model: str = "text-embedding-test"

    def render(self, request: RecordedRequest) -> tuple[int, str, bytes]:
        body = request.json()
        inputs = body.get("input")
        count = len(inputs) if isinstance(inputs, list) and inputs else 1
        if isinstance(inputs, list) and inputs and isinstance(inputs[0], int):
            count = 1  # a single token array
        as_b64 = body.get("encoding_format") == "base64"
        data = []
        for i in range(count):
            vector = [float(i) + k / 10 for k in range(self.dimensions)]
            packed: Any = vector
            if as_b64:
                packed = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"object": "embedding", "index": i, "embedding": packed})
        out = {
            "object": "list",
            "data": data,
            "model": self.model,
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
        }
        return 200, "application/json", json.dumps(out).encode()


Reply = ChatReply | ResponsesReply | EmbeddingsReply | RawReply
Handler = Callable[[RecordedRequest], Reply]


def default_reply(request: RecordedRequest) -> Reply:
    """What the server answers when nothing is scripted: a plain "ok" in the endpoint's shape."""
    path = request.path.split("?", 1)[0]
    if path.endswith("/chat/completions"):
        return ChatReply(text="ok")
    if path.endswith("/responses"):
        return ResponsesReply(text="ok")
    if path.endswith("/embeddings"):
        return EmbeddingsReply()
    return error_reply(404, f"no route for {path}", code="not_found")


@dataclass(eq=False)
class OpenAIServer:
    """The server. Use as a context manager, or ``start()`` / ``stop()``.

    Attributes:
        requests: every request received, in order.
        handler: optional ``callable(request) -> reply`` used when the script queue is empty.
    """

    handler: Handler | None = None
    requests: list[RecordedRequest] = field(default_factory=list)
    _queue: deque[Reply] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _conns: set[socket.socket] = field(default_factory=set)

    # -- scripting -----------------------------------------------------------------------------
    def script(self, *replies: Reply) -> None:
        """Queue replies; each request takes the next one (then ``handler``, then the default)."""
        with self._lock:
            self._queue.extend(replies)

    def bodies(self) -> list[str]:
        """Every recorded body as text."""
        with self._lock:
            return [r.text for r in self.requests]

    def wire_text(self) -> str:
        """All recorded bodies, paths and header values joined: the haystack for leak assertions."""
        with self._lock:
            parts = []
            for r in self.requests:
                parts += [r.path, *r.headers.values(), r.text]
                # JSON escapes non-ASCII; search the decoded form as well.
                with contextlib.suppress(ValueError):
                    parts.append(json.dumps(r.json(), ensure_ascii=False))
            return "\n".join(parts)

    def clear(self) -> None:
        """Forget recorded requests and queued replies."""
        with self._lock:
            self.requests.clear()
            self._queue.clear()

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            scripted = self._queue.popleft() if self._queue else None
        if scripted is not None:
            return scripted
        if self.handler is not None:
            return self.handler(request)
        return default_reply(request)

    # -- lifecycle -----------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """The ``base_url`` to give the ``openai`` client (ends in ``/v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> OpenAIServer:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like a real API
            timeout = 30

            def setup(self) -> None:
                super().setup()
                # Headers and body are separate writes: without NODELAY, Nagle + delayed ACK
                # add ~40 ms to every keep-alive response on loopback.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with server._lock:
                    server._conns.add(self.connection)

            def finish(self) -> None:
                with server._lock:
                    server._conns.discard(self.connection)
                super().finish()

            def _handle(self) -> None:
                body = self._read_body()
                request = RecordedRequest(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                try:
                    status, ctype, payload = server._next_reply(request).render(request)
                except Exception as exc:  # a broken script must show up in the test, not hang it
                    status, ctype = 500, "application/json"
                    payload = json.dumps({"error": {"message": f"script error: {exc!r}"}}).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                self.wfile.flush()

            def _read_body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    out = bytearray()
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            self.rfile.readline()
                            return bytes(out)
                        out += self.rfile.read(size)
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            do_POST = do_GET = do_PUT = do_DELETE = do_PATCH = _handle

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                del format, args

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close kept-alive connections, and join the server thread."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(*replies: Reply, handler: Handler | None = None) -> Iterator[OpenAIServer]:
    """Generator for fixtures: yields a started server with ``replies`` queued, stops it after."""
    with OpenAIServer(handler=handler) as server:
        server.script(*replies)
        yield server
