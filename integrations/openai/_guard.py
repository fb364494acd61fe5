"""``OpenAIGuard`` and ``guard_openai``: the same client, with every request redacted first."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any, Literal, TypeVar
from urllib.parse import unquote

import httpx2

from guardrails import ConfigurationError, InputError, RequestBlocked
from guardrails.session import RedactionSession, SessionStore
from integrations.openai._requests import BodyRedactor
from integrations.openai._rules import GuardSettings, classify
from integrations.openai._streams import StreamRestore
from integrations.openai._tools import ToolCalls
from integrations.openai._transport import (
    AsyncGuardTransport,
    GuardTransport,
    decode,
    encode,
    rebuild,
)

__all__ = ["CONVERSATION_HEADER", "OpenAIGuard", "guard_of", "guard_openai"]

ClientT = TypeVar("ClientT")

#: Per-request conversation id: ``extra_headers={CONVERSATION_HEADER: "c1"}`` (never sent on).
CONVERSATION_HEADER = "x-guardrails-conversation"

# WebSocket APIs (Realtime, Responses over WebSocket) bypass the HTTP client; the guarded copy
# points them at a reserved, never-resolving host so they fail instead of sending raw text.
_BLOCKED_WEBSOCKET = "wss://websocket-apis-are-not-guarded.invalid/v1"

# Redaction passes over one body: the vault rarely grows in a second pass, never in practice in a
# third; the last pass still masks every value known before it started.
_MAX_PASSES = 4
# Headers that carry the server address or the caller's own credentials (an API key looks like a
# secret) or the conversation id we strip; every other header value is checked like a query value.
_CREDENTIAL_HEADERS = frozenset(
    {"authorization", "api-key", "proxy-authorization", "cookie", "host", CONVERSATION_HEADER}
)

_CREDENTIAL_RAW = frozenset(name.encode() for name in _CREDENTIAL_HEADERS)

_current: ContextVar[str | None] = ContextVar("guardrails_openai_conversation", default=None)


class OpenAIGuard(StreamRestore, ToolCalls):
    """Redacts what an ``openai`` client sends; restores what the application asks to see.

    Args:
        redactor: a :class:`~guardrails.Redactor` (default: every built-in entity).
        store: the :class:`~guardrails.SessionStore` holding one vault per conversation
            (pass one with ``persistence`` and ``key`` to keep vaults across processes).
        conversation_id: the conversation used when a request names none (default: a new id,
            so one guarded client = one conversation).
        settings: :class:`GuardSettings` (unknown endpoints/parameters, binary content, limits).
        policy, approvals, audit, tool_guard: the core services for function calls (defaults:
            privileged tools need approval; in-memory approvals and audit trail).

    Example:
        >>> from openai import OpenAI
        >>> guard = OpenAIGuard(conversation_id="c1")
        >>> client = guard.wrap(OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1"))
        >>> guard_of(client) is guard
        True
    """

    def __init__(
        self,
        *,
        redactor: Any = None,
        store: SessionStore | None = None,
        conversation_id: str | None = None,
        settings: GuardSettings | None = None,
        policy: Any = None,
        approvals: Any = None,
        audit: Any = None,
        tool_guard: Any = None,
    ) -> None:
        if store is not None and redactor is not None and store.redactor is not redactor:
            raise ConfigurationError("pass the redactor to the SessionStore, not both")
        self.store = store if store is not None else SessionStore(redactor)
        self.redactor = self.store.redactor
        if conversation_id is not None and (
            not isinstance(conversation_id, str) or not conversation_id
        ):
            raise ConfigurationError("conversation_id must be a non-empty string")
        self.conversation_id = conversation_id or f"conv_{uuid.uuid4().hex}"
        self.settings = settings if settings is not None else GuardSettings()
        self.audit = audit
        self._tool_guard = tool_guard
        self._tool_services = {"policy": policy, "approvals": approvals, "audit": audit}
        # The last path + headers that passed, as read from the raw request, with the texts
        # taken from them: the SDK sends the same ones every request (see _outside_body).
        self._outside: tuple[Any, list[tuple[str, str, str]]] | None = None

    def __repr__(self) -> str:
        return f"OpenAIGuard(conversation_id={self.conversation_id!r}, store={self.store!r})"

    # -- wrapping ------------------------------------------------------------------------------
    def wrap(self, client: ClientT) -> ClientT:
        """A copy of ``client`` (OpenAI, AsyncOpenAI, AzureOpenAI...) whose requests are redacted."""
        import openai

        inner = getattr(client, "_client", None)
        if isinstance(client, openai.AsyncOpenAI) and isinstance(inner, httpx2.AsyncClient):
            if isinstance(getattr(inner, "_transport", None), AsyncGuardTransport):
                raise ConfigurationError("this client is already guarded")
            outer: Any = httpx2.AsyncClient(
                transport=AsyncGuardTransport(self, inner), timeout=inner.timeout, trust_env=False
            )
        elif isinstance(client, openai.OpenAI) and isinstance(inner, httpx2.Client):
            if isinstance(getattr(inner, "_transport", None), GuardTransport):
                raise ConfigurationError("this client is already guarded")
            outer = httpx2.Client(
                transport=GuardTransport(self, inner), timeout=inner.timeout, trust_env=False
            )
        else:
            raise ConfigurationError(
                "guard_openai expects an openai.OpenAI, AsyncOpenAI or AzureOpenAI client built "
                f"on httpx2, got {type(client).__name__}"
            )
        guarded = client.copy(http_client=outer, websocket_base_url=_BLOCKED_WEBSOCKET)  # type: ignore[attr-defined]
        guarded._guardrails = self
        return guarded  # type: ignore[no-any-return]

    # -- conversations -------------------------------------------------------------------------
    def session(self, conversation_id: str | None = None) -> RedactionSession:
        """The redaction session (vault + cache) of a conversation (default: the current one)."""
        return self.store.get(conversation_id or _current.get() or self.conversation_id)

    @contextlib.contextmanager
    def conversation(self, conversation_id: str) -> Iterator[RedactionSession]:
        """Requests made inside the block (sync or async) belong to ``conversation_id``."""
        session = self.store.get(conversation_id)
        token = _current.set(conversation_id)
        try:
            yield session
        finally:
            _current.reset(token)

    # -- the request path ----------------------------------------------------------------------
    def prepare(self, request: httpx2.Request, body: bytes) -> httpx2.Request:
        """Return the request to send instead of ``request``; raise RequestBlocked to send nothing."""
        cid = request.headers.get(CONVERSATION_HEADER) or _current.get() or self.conversation_id
        drop = (CONVERSATION_HEADER,) if CONVERSATION_HEADER in request.headers else ()
        path = request.url.path
        session = self.store.get(cid)
        checked = session.vault_size
        key, outside = self._outside_body(request, body)
        self._check_query(outside, session)
        if not body:
            return rebuild(request, None, drop)
        if len(body) > self.settings.max_body_bytes:
            raise RequestBlocked(
                f"request body of {len(body)} bytes exceeds max_body_bytes="
                f"{self.settings.max_body_bytes}; nothing was sent",
                where=path,
            )
        if any(path.rstrip("/").endswith(p.rstrip("/")) for p in self.settings.pass_paths):
            return rebuild(request, None, drop)
        kind = classify(path) if request.method == "POST" else None
        if kind is None and self.settings.on_unknown == "block":
            raise RequestBlocked(
                f"{request.method} {path} is not an endpoint the guard understands; nothing was "
                "sent. Use on_unknown='redact' to redact its JSON generically, or pass_paths",
                where=path,
            )
        doc = self._parse(request, body, path)
        before = dict(session.stats.entities)
        walker = BodyRedactor(session, self.settings)
        for _ in range(_MAX_PASSES):
            # A value learned from one field (a tool result naming a person) may sit in another
            # (a user message detection missed). Histories fix that up themselves
            # (RedactionSession.redact_history); the other fields are redone when they hold one.
            size = session.vault_size
            redacted = walker.body(kind, doc) if kind is not None else walker.anything(doc)
            if session.vault_size == size or not session.learned_since(size, _rest(doc)):
                break
        new_body = encode(redacted)
        if session.vault_size > checked and session.learned_since(
            checked, "\n".join(text for _, _, text in outside)
        ):  # a value the body taught the vault sits in a header or the path checked before
            self._check_query(outside, session)
        self._outside = (key, outside)  # kept once they passed: no sensitive value is kept
        self._after(cid, session, before, kind or "other")
        return rebuild(request, new_body, drop)

    @staticmethod
    def _parse(request: httpx2.Request, body: bytes, path: str) -> Any:
        ctype = request.headers.get("content-type", "")
        if "json" not in ctype.lower():
            raise RequestBlocked(
                f"the body sent to {path} is not JSON (content-type {ctype.split(';')[0] or 'none'})"
                "; it cannot be inspected and was not sent",
                where=path,
            )
        try:
            return decode(body)
        except (ValueError, RecursionError):
            raise RequestBlocked(
                f"the body sent to {path} is not valid JSON; nothing was sent", where=path
            ) from None

    def _outside_body(
        self, request: httpx2.Request, body: bytes
    ) -> tuple[Any, list[tuple[str, str, str]]]:
        """(where, name, text) of what leaves the process outside the body: the path
        (``files.retrieve(id)``), headers (``extra_headers``), query parameters; and the raw
        form they were read from (the same raw form gives the same texts)."""
        headers = request.headers
        length = str(len(body)).encode()
        key = (
            request.url.raw_path,
            headers.encoding,
            [
                (name, value)
                for name, value in headers.raw
                if (lower := name.lower()) not in _CREDENTIAL_RAW
                and (value != length or lower != b"content-length")
            ],
        )
        last = self._outside
        if last is not None and last[0] == key:
            return last
        return key, self._read_outside(request, body)

    @staticmethod
    def _read_outside(request: httpx2.Request, body: bytes) -> list[tuple[str, str, str]]:
        out = [("path", "", unquote(request.url.path))]
        length = str(len(body))
        for name, value in request.headers.items():
            if name.lower() in _CREDENTIAL_HEADERS or not value:
                continue
            if value == length and name.lower() == "content-length":
                continue  # the body's true length (new every turn: not worth a scan each time)
            out.append(("header", name, value))
        out.extend(("query parameter", n, v) for n, v in request.url.params.multi_items() if v)
        return out

    @staticmethod
    def _check_query(texts: list[tuple[str, str, str]], session: RedactionSession) -> None:
        i = session.first_changed([text for _, _, text in texts])
        if i is None:
            return
        where, name, _ = texts[i]
        if where == "path":
            raise RequestBlocked("the request path holds sensitive data; nothing was sent")
        raise RequestBlocked(f"{where} {name!r} holds sensitive data; nothing was sent", where=name)

    def _after(
        self, cid: str, session: RedactionSession, before: dict[str, int], endpoint: str
    ) -> None:
        self.store.save(cid)  # writes only when the vault grew and persistence is configured
        if self.audit is None:
            return
        found = {k: n - before.get(k, 0) for k, n in session.stats.entities.items()}
        found = {k: n for k, n in found.items() if n > 0}
        if found:
            from guardrails.audit import EventKind

            self.audit.record(
                EventKind.REDACTION, thread_id=cid, entities=found, source=f"openai.{endpoint}"
            )

    # -- restoring for the end user ------------------------------------------------------------
    def restore_text(
        self,
        text: str,
        *,
        conversation_id: str | None = None,
        entities: Iterable[str] | None = None,
    ) -> str:
        """Put the conversation's values back into model text; unknown placeholders stay."""
        if not isinstance(text, str):
            raise InputError(f"restore_text expects str, got {type(text).__name__}")
        return self.session(conversation_id).restore_text(text, entities)

    def restore_output(self, result: Any, *, conversation_id: str | None = None) -> str:
        """The restored text of a ChatCompletion (first choice) or a Responses ``Response``."""
        text = getattr(result, "output_text", None)
        if text is None:
            choices = getattr(result, "choices", None)
            if not choices:
                raise InputError(f"no text to restore in a {type(result).__name__}")
            text = choices[0].message.content or ""
        return self.restore_text(text, conversation_id=conversation_id)


def _rest(doc: Any) -> bytes:
    """The body without its history arrays, as JSON (what a fix-up pass must look at)."""
    if not isinstance(doc, dict):
        return encode(doc)
    return encode(
        {k: v for k, v in doc.items() if not (k in ("messages", "input") and isinstance(v, list))}
    )


def guard_openai(
    client: ClientT,
    *,
    conversation_id: str | None = None,
    redactor: Any = None,
    store: SessionStore | None = None,
    on_unknown: Literal["block", "redact"] = "block",
    binary: Literal["block", "allow"] = "block",
    max_body_bytes: int = 8 * 1024 * 1024,
    pass_params: Iterable[str] = (),
    pass_paths: Iterable[str] = (),
    policy: Any = None,
    approvals: Any = None,
    audit: Any = None,
) -> ClientT:
    """Return a copy of ``client`` that redacts every request; see :class:`OpenAIGuard`.

    Example:
        >>> from openai import OpenAI
        >>> client = guard_openai(OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1"))
        >>> type(client).__name__, guard_of(client).settings.on_unknown
        ('OpenAI', 'block')
    """
    settings = GuardSettings(
        on_unknown=on_unknown,
        binary=binary,
        max_body_bytes=max_body_bytes,
        pass_params=pass_params,  # type: ignore[arg-type]  # validated and frozen by GuardSettings
        pass_paths=pass_paths,  # type: ignore[arg-type]
    )
    guard = OpenAIGuard(
        redactor=redactor,
        store=store,
        conversation_id=conversation_id,
        settings=settings,
        policy=policy,
        approvals=approvals,
        audit=audit,
    )
    return guard.wrap(client)


def guard_of(client: Any) -> OpenAIGuard:
    """The :class:`OpenAIGuard` of a client returned by :func:`guard_openai`."""
    guard = getattr(client, "_guardrails", None)
    if not isinstance(guard, OpenAIGuard):
        raise ConfigurationError("this client was not returned by guard_openai()")
    return guard
