"""Message ``name`` fields and schemas (``response_format``, Responses ``text``, tool parameters)
reach the provider masked, still valid: the loopback server shows what the provider received."""

from __future__ import annotations

import json
import re
from typing import Any

import pydantic

from integrations.openai import guard_of
from tests.support.openai_server import ChatReply, OpenAIServer, ResponsesReply

EMAIL = "jane.doe@example.com"
PHONE = "+1 415 555 0101"
PERSON = "Jane Doe"
RAW = (EMAIL, PHONE, PERSON, "jane_doe")
# OpenAI's rule for a message name (its 400 error quotes this pattern).
NAME_OK = re.compile(r"^[^\s<|\\/>]+$")

SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Contact",
    "description": f"The contact, e.g. {EMAIL}",
    "properties": {
        "email": {"type": "string", "description": f"like {EMAIL}", "default": EMAIL},
        "name": {"type": "string", "enum": [PERSON, "team_42"]},
        "phone": {"type": "string", "examples": [PHONE]},
        "plan": {"type": "string", "enum": ["gold", "silver"]},
        "seats": {"type": "integer", "minimum": 1, "default": 3},
    },
    "required": ["email", "name", "phone", "plan", "seats"],
    "additionalProperties": False,
}


def _clean(server: OpenAIServer) -> list[Any]:
    wire = server.wire_text()
    for value in RAW:
        assert value not in wire, value
    return [r.json() for r in server.requests]


def _same_structure(sent: Any, original: Any) -> None:
    """Every key and every structural keyword (type, required, numbers) is as it was."""
    if isinstance(original, dict):
        assert isinstance(sent, dict)
        assert sent.keys() == original.keys()
        for key, value in original.items():
            if key in ("type", "required", "minimum", "additionalProperties", "seats"):
                assert sent[key] == value, key
            _same_structure(sent[key], value)
    elif isinstance(original, list):
        assert isinstance(sent, list)
        assert len(sent) == len(original)


def test_chat_message_names_are_masked_and_provider_valid(
    guarded: Any, openai_server: OpenAIServer
) -> None:
    """A user's name becomes a PERSON placeholder without brackets; an agent's name stays."""
    guarded.chat.completions.create(
        model="m",
        messages=[
            {"role": "user", "name": "jane_doe", "content": "hi"},
            {"role": "assistant", "name": "support_bot", "content": "hello"},
            {"role": "user", "name": EMAIL, "content": "again"},
        ],
    )
    (body,) = _clean(openai_server)
    names = [m["name"] for m in body["messages"]]
    assert names == ["PERSON_1", "support_bot", "EMAIL_ADDRESS_1"]
    assert all(NAME_OK.match(n) for n in names)


def test_chat_names_keep_their_placeholder_across_turns(
    guarded: Any, openai_server: OpenAIServer
) -> None:
    """The same speaker keeps the same placeholder when the history is sent again."""
    history = [{"role": "user", "name": "jane_doe", "content": "hi"}]
    guarded.chat.completions.create(model="m", messages=history)
    history += [
        {"role": "assistant", "content": "ok"},
        {"role": "user", "name": "jane_doe", "content": "x"},
    ]
    guarded.chat.completions.create(model="m", messages=history)
    second = _clean(openai_server)[1]["messages"]
    assert [m.get("name") for m in second] == ["PERSON_1", None, "PERSON_1"]


def test_chat_response_format_schema_masked_structure_intact(
    guarded: Any, openai_server: OpenAIServer
) -> None:
    """Descriptions, defaults, examples and enum values are masked; the schema stays valid."""
    openai_server.script(ChatReply(text='{"name": "<PERSON_1>"}'))
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": "contact", "strict": True, "schema": SCHEMA},
    }
    out = guarded.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "who?"}], response_format=fmt
    )
    (body,) = _clean(openai_server)
    sent = body["response_format"]["json_schema"]
    assert sent["name"] == "contact"
    assert sent["strict"] is True
    _same_structure(sent["schema"], SCHEMA)
    props = sent["schema"]["properties"]
    assert props["email"]["default"] == "<EMAIL_ADDRESS_1>"
    assert props["email"]["description"] == "like <EMAIL_ADDRESS_1>"
    assert props["name"]["enum"] == ["<PERSON_1>", "team_42"]
    assert props["phone"]["examples"] == ["<PHONE_NUMBER_1>"]
    assert props["plan"]["enum"] == ["gold", "silver"]
    assert props["email"]["type"] == "string"  # a field rule did not rewrite the structure
    # The model picks the masked enum value; the application gets the real one back.
    restored = guard_of(guarded).restore_output(out)
    assert json.loads(restored) == {"name": PERSON}


def test_chat_parse_with_a_pydantic_schema(guarded: Any, openai_server: OpenAIServer) -> None:
    """chat.completions.parse: a pydantic model's Field description and examples are masked."""

    class Contact(pydantic.BaseModel):
        email: str = pydantic.Field(description=f"for instance {EMAIL}")
        phone: str = pydantic.Field(examples=[PHONE])

    openai_server.script(ChatReply(text='{"email": "<EMAIL_ADDRESS_1>", "phone": "x"}'))
    out = guarded.chat.completions.parse(
        model="m", messages=[{"role": "user", "content": "who?"}], response_format=Contact
    )
    (body,) = _clean(openai_server)
    props = body["response_format"]["json_schema"]["schema"]["properties"]
    assert props["email"]["type"] == "string"
    assert props["email"]["description"] == "for instance <EMAIL_ADDRESS_1>"
    assert out.choices[0].message.parsed.email == "<EMAIL_ADDRESS_1>"


def test_responses_text_format_schema_masked(guarded: Any, openai_server: OpenAIServer) -> None:
    """Responses ``text.format`` is a named schema too."""
    openai_server.script(ResponsesReply(text="{}"))
    guarded.responses.create(
        model="m",
        input="who?",
        text={"format": {"type": "json_schema", "name": "contact", "schema": SCHEMA}},
    )
    (body,) = _clean(openai_server)
    fmt = body["text"]["format"]
    assert fmt["name"] == "contact"
    _same_structure(fmt["schema"], SCHEMA)
    assert fmt["schema"]["properties"]["name"]["enum"] == ["<PERSON_1>", "team_42"]


def test_tool_parameters_keep_their_types(guarded: Any, openai_server: OpenAIServer) -> None:
    """A parameter named ``email`` keeps ``"type": "string"``; its description is masked."""
    params = {
        "type": "object",
        "properties": {
            "email": {"type": "string", "description": f"e.g. {EMAIL}"},
            "phone": {"type": "string"},
        },
        "required": ["email", "phone"],
    }
    tool = {"type": "function", "function": {"name": "notify", "description": f"Mail {EMAIL}",
                                             "parameters": params}}  # fmt: skip
    guarded.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "go"}], tools=[tool]
    )
    guarded.responses.create(
        model="m",
        input="go",
        tools=[{"type": "function", "name": "notify", "parameters": params, "strict": False}],
    )
    chat, responses = _clean(openai_server)
    sent = chat["tools"][0]["function"]
    assert sent["name"] == "notify"
    assert sent["description"] == "Mail <EMAIL_ADDRESS_1>"
    assert sent["parameters"]["properties"]["email"] == {
        "type": "string",
        "description": "e.g. <EMAIL_ADDRESS_1>",
    }
    assert sent["parameters"]["properties"]["phone"] == {"type": "string"}
    assert responses["tools"][0]["parameters"]["properties"]["phone"] == {"type": "string"}


def test_a_name_already_masked_is_not_masked_again(
    guarded: Any, openai_server: OpenAIServer
) -> None:
    """A history holding a bracketed placeholder as a name (an older masked copy) is sent as the
    bare form of the same placeholder, not as a new PERSON value."""
    guarded.chat.completions.create(
        model="m", messages=[{"role": "user", "name": "jane_doe", "content": "hi"}]
    )
    guarded.chat.completions.create(
        model="m",
        messages=[
            {"role": "user", "name": "<PERSON_1>", "content": "hi"},
            {"role": "user", "name": "PERSON_1", "content": "again"},
        ],
    )
    second = _clean(openai_server)[1]["messages"]
    assert [m["name"] for m in second] == ["PERSON_1", "PERSON_1"]
