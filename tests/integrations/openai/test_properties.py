"""Properties of the body redactor: whatever shape the history takes, seeded values never survive."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails import RequestBlocked
from guardrails.session import RedactionSession
from integrations.openai._requests import BodyRedactor
from integrations.openai._rules import GuardSettings
from tests.integrations.openai._seeds import CARD, EMAIL, GITHUB_TOKEN, IBAN, OPENAI_KEY, PHONE, SSN

VALUES = [EMAIL, PHONE, SSN, CARD, IBAN, OPENAI_KEY, GITHUB_TOKEN]
# Fillers without digits: this tests that the walker reaches every field; detection quality next
# to look-alike numbers is the redactor's own test suite's job.
FILLER = ["see you", "thanks", "ok", ""]

text = st.builds(
    lambda a, v, b: f"{a}; {v}; {b}",
    st.sampled_from(FILLER),
    st.sampled_from(VALUES),
    st.sampled_from(FILLER),
)
args = st.dictionaries(st.sampled_from(["to", "note", "x", "ref"]), text, min_size=1, max_size=3)
part = st.builds(lambda t: {"type": "text", "text": t}, text)
content = st.one_of(text, st.lists(part, min_size=1, max_size=3))
tool_call = st.builds(
    lambda i, a: {
        "id": f"call_{i}",
        "type": "function",
        "function": {"name": "f", "arguments": json.dumps(a)},
    },
    st.integers(0, 99),
    args,
)
message = st.one_of(
    st.builds(lambda c: {"role": "system", "content": c}, content),
    st.builds(lambda c: {"role": "user", "content": c}, content),
    st.builds(
        lambda c, t: {"role": "assistant", "content": c, "tool_calls": t},
        text,
        st.lists(tool_call, max_size=2),
    ),
    st.builds(lambda c: {"role": "tool", "tool_call_id": "call_1", "content": c}, text),
    st.builds(lambda a: {"role": "tool", "tool_call_id": "call_2", "content": json.dumps(a)}, args),
)
item = st.one_of(
    st.builds(lambda c: {"role": "user", "content": c}, content),
    st.builds(
        lambda a: {
            "type": "function_call",
            "call_id": "c",
            "name": "f",
            "arguments": json.dumps(a),
        },
        args,
    ),
    st.builds(lambda t: {"type": "function_call_output", "call_id": "c", "output": t}, text),
    st.builds(
        lambda t: {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": t}],
        },
        text,
    ),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=st.lists(message, min_size=1, max_size=8))
def test_no_seeded_value_survives_chat(redactor, history) -> None:
    """Chat bodies of any shape: no seeded value in the encoded output."""
    out = BodyRedactor(RedactionSession(redactor), GuardSettings()).body(
        "chat", {"model": "m", "messages": history}
    )
    wire = json.dumps(out, ensure_ascii=False)
    assert not [v for v in VALUES if v in wire]
    assert out["messages"][0]["role"] == history[0]["role"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items=st.lists(item, min_size=1, max_size=8), instructions=text)
def test_no_seeded_value_survives_responses(redactor, items, instructions) -> None:
    """Responses bodies of any shape: no seeded value in the encoded output."""
    body = {"model": "m", "input": items, "instructions": instructions}
    out = BodyRedactor(RedactionSession(redactor), GuardSettings()).body("responses", body)
    wire = json.dumps(out, ensure_ascii=False)
    assert not [v for v in VALUES if v in wire]
    assert len(out["input"]) == len(items)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(key=st.text(min_size=1, max_size=12).filter(lambda k: k not in _KNOWN))
def test_unknown_parameter_never_passes_raw(redactor, key) -> None:
    """Any parameter outside the schema is either refused or redacted, never sent raw."""
    session = RedactionSession(redactor)
    body = {"model": "m", "messages": [], key: EMAIL}
    try:
        out = json.dumps(BodyRedactor(session, GuardSettings()).body("chat", body))
    except RequestBlocked as exc:
        out = str(exc)  # refused: the message must not echo the value either
    assert EMAIL not in out
    redacted = BodyRedactor(session, GuardSettings(on_unknown="redact")).body("chat", body)
    assert EMAIL not in json.dumps(redacted)


_KNOWN = frozenset(
    {"model", "messages", "stream", "n", "seed", "tools", "tool_choice", "temperature", "top_p",
     "logit_bias", "logprobs", "max_tokens", "modalities", "audio", "functions", "function_call",
     "response_format", "stream_options", "service_tier", "store", "parallel_tool_calls",
     "presence_penalty", "frequency_penalty", "top_logprobs", "verbosity", "reasoning_effort",
     "max_completion_tokens", "prompt_cache_retention", "prompt_cache_options"}
)  # fmt: skip


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(turns=st.lists(st.lists(message, min_size=1, max_size=3), min_size=1, max_size=4))
def test_cached_bodies_equal_uncached(redactor, turns) -> None:
    """Turn after turn (history re-sent and growing), the cached guard sends exactly what an
    uncached one sends."""
    cached = BodyRedactor(RedactionSession(redactor), GuardSettings())
    fresh = BodyRedactor(RedactionSession(redactor, cache_size=0), GuardSettings())
    history: list = []
    for new in turns:
        history = history + new
        body = {"model": "m", "messages": history}
        assert cached.body("chat", body) == fresh.body("chat", body)
