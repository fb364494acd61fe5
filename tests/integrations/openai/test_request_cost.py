"""What a steady-state request costs the guard: only the new message is scanned; the shortcuts
taken for headers and re-sent history never let a value through."""

from __future__ import annotations

import pytest

from guardrails import Redactor, RequestBlocked, SessionStore, Span
from integrations.openai import guard_of, guard_openai
from tests.support.openai_server import OpenAIServer

BADGE = "BDG-1234"


class _Badge:
    """Detects BDG-#### only where the text says "badge"; counts the texts it is shown."""

    name = "badge"
    entities = frozenset({"SECRET"})

    def __init__(self) -> None:
        self.texts: list[str] = []

    def detect(self, text: str) -> list[Span]:
        self.texts.append(text)
        i = text.find("BDG-")
        if i < 0 or "badge" not in text:
            return []
        return [Span(start=i, end=i + 8, entity_type="SECRET", score=1.0, value=text[i : i + 8])]


@pytest.fixture
def badge() -> _Badge:
    return _Badge()


@pytest.fixture
def client(openai_client, badge: _Badge):
    guarded = guard_openai(
        openai_client,
        conversation_id="c1",
        store=SessionStore(Redactor(extra_detectors=[badge])),
    )
    yield guarded
    guarded.close()


def _history(n: int) -> list[dict]:
    return [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i} about plan B-{i}"}
        for i in range(n)
    ]


def test_a_new_turn_scans_only_the_new_message(client, badge: _Badge) -> None:
    """Headers, path, content-length and re-sent messages are not scanned again."""
    history = _history(30)
    client.chat.completions.create(model="m", messages=history)
    for i in range(3):
        badge.texts.clear()
        new = {"role": "user", "content": f"new question {i}"}
        client.chat.completions.create(model="m", messages=[*history, new])
        assert badge.texts == [f"new question {i}"]


def test_a_header_holding_a_value_learned_later_is_refused(
    client, openai_server: OpenAIServer
) -> None:
    """A header that passed while its value was unknown is refused once the vault knows it."""
    msg = [{"role": "user", "content": "hello"}]
    headers = {"X-Note": f"door code {BADGE}"}  # no cue: unknown, sent
    client.chat.completions.create(model="m", messages=msg, extra_headers=headers)
    client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": f"my badge is {BADGE}"}]
    )
    sent = len(openai_server.requests)
    with pytest.raises(RequestBlocked):
        client.chat.completions.create(model="m", messages=msg, extra_headers=headers)
    assert len(openai_server.requests) == sent


def test_a_header_holding_a_value_the_same_body_teaches_is_refused(
    client, openai_server: OpenAIServer
) -> None:
    """The body teaching the vault a value that a header of the same request holds: refused."""
    headers = {"X-Note": f"door code {BADGE}"}
    with pytest.raises(RequestBlocked):
        client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": f"my badge is {BADGE}"}],
            extra_headers=headers,
        )
    assert openai_server.requests == []
    assert BADGE not in repr(guard_of(client).session())


def test_resent_history_with_a_value_learned_later_is_masked_on_the_wire(
    client, openai_server: OpenAIServer
) -> None:
    """An old message served from the history block is masked once the vault learns its value."""
    history = [*_history(10), {"role": "user", "content": f"door code {BADGE} works"}]
    client.chat.completions.create(model="m", messages=history)
    assert BADGE in openai_server.requests[-1].text  # unknown yet: sent as written
    teach = {"role": "user", "content": f"my badge is {BADGE}"}
    client.chat.completions.create(model="m", messages=[*history, teach])
    client.chat.completions.create(
        model="m", messages=[*history, teach, {"role": "user", "content": "ok"}]
    )
    assert BADGE not in openai_server.requests[-2].text
    assert BADGE not in openai_server.requests[-1].text


@pytest.mark.parametrize("drop", [(), ("x-guardrails-conversation",)])
def test_a_rebuilt_request_is_the_one_content_would_give(drop: tuple[str, ...]) -> None:
    """rebuild's fast path gives the same method, URL, headers and body as ``content=``."""
    import httpx2

    from integrations.openai._transport import rebuild

    with httpx2.Client() as http:
        request = http.build_request(
            "POST",
            "http://127.0.0.1:9/v1/chat/completions",
            json={"messages": [{"role": "user", "content": "raw"}]},
            headers={"x-guardrails-conversation": "c1", "x-note": "kept"},
        )
    body = b'{"messages":[{"role":"user","content":"masked text"}]}'
    fast = rebuild(request, body, drop)
    headers = request.headers.copy()
    for name in ("content-length", *drop):
        headers.pop(name)
    slow = httpx2.Request("POST", request.url, headers=headers, content=body)
    assert (fast.method, fast.url, fast.content) == (slow.method, slow.url, body)
    assert sorted(fast.headers.multi_items()) == sorted(slow.headers.multi_items())
    assert fast.headers["content-length"] == str(len(body))


def test_a_request_without_host_is_rebuilt_by_httpx2() -> None:
    """A request not made by a client (no Host header) gets httpx2's automatic headers."""
    import httpx2

    from integrations.openai._transport import rebuild

    request = httpx2.Request("POST", "http://127.0.0.1:9/v1/x", headers={"content-length": "2"})
    request.headers.pop("host")
    out = rebuild(request, b"{}", ())
    assert out.headers["host"] == "127.0.0.1:9"
    assert out.headers["content-length"] == "2"
    assert out.content == b"{}"


@pytest.mark.parametrize(
    "extra",
    [
        # a header value changed
        {"extra_headers": {"X-Note": "jane.doe@example.com"}},
        # a header added
        {"extra_headers": {"X-Note": "plain", "X-Other": "jane.doe@example.com"}},
        # a query parameter added
        {"extra_headers": {"X-Note": "plain"}, "extra_query": {"q": "jane.doe@example.com"}},
    ],
)
def test_what_changed_outside_the_body_since_the_last_request_is_checked(
    client, openai_server: OpenAIServer, extra: dict
) -> None:
    """The path and headers that passed last time are reused only when they are the same."""
    msg = [{"role": "user", "content": "hello"}]
    client.chat.completions.create(model="m", messages=msg, extra_headers={"X-Note": "plain"})
    client.chat.completions.create(model="m", messages=msg, extra_headers={"X-Note": "plain"})
    with pytest.raises(RequestBlocked):
        client.chat.completions.create(model="m", messages=msg, **extra)
    assert len(openai_server.requests) == 2
    assert "jane.doe" not in openai_server.wire_text()
