"""redact_data: shape and types preserved, field rules, JSON in strings, deep and cyclic data."""

from __future__ import annotations

import dataclasses
import json
from collections import OrderedDict, namedtuple
from datetime import date
from decimal import Decimal
from uuid import UUID

import pydantic
import pytest

from guardrails import InputError, Redactor, Vault
from guardrails.structured import normalize_field, transform
from tests.guardrails._redaction_fakes import FAKES


@pytest.fixture
def r() -> Redactor:
    return Redactor(detectors=FAKES)


def test_non_sensitive_values_keep_type_and_value(r: Redactor) -> None:
    """Numbers, bools, None, dates and plain strings come back unchanged."""
    data = {"n": 3, "f": 1.5, "b": True, "none": None, "d": date(2024, 1, 2), "s": "hello"}
    assert r.redact_data(data) == data


def test_sensitive_string_leaves_are_masked(r: Redactor) -> None:
    """Text detection runs on every string leaf."""
    assert r.redact_data({"note": ["mail a@x.io"]}) == {"note": ["mail <EMAIL_ADDRESS_1>"]}


def test_container_types_are_preserved(r: Redactor) -> None:
    """tuple, set, frozenset, namedtuple and OrderedDict keep their type."""
    Pair = namedtuple("Pair", "left right")
    data = {
        "t": ("a@x.io", 1),
        "s": {"a@x.io"},
        "fs": frozenset({"b@x.io"}),
        "nt": Pair("a@x.io", 2),
        "od": OrderedDict(x="a@x.io"),
    }
    out = r.redact_data(data)
    assert out["t"] == ("<EMAIL_ADDRESS_1>", 1)
    assert out["s"] == {"<EMAIL_ADDRESS_1>"}
    assert type(out["fs"]) is frozenset
    assert type(out["nt"]) is Pair
    assert out["nt"].left == "<EMAIL_ADDRESS_1>"
    assert type(out["od"]) is OrderedDict


def test_pydantic_model_comes_back_as_a_copy(r: Redactor) -> None:
    """A pydantic model is returned as a masked model_copy; the input is not mutated."""

    class User(pydantic.BaseModel):
        email: str
        age: int

    user = User(email="a@x.io", age=30)
    out = r.redact_data(user)
    assert isinstance(out, User)
    assert out is not user
    assert (out.email, out.age, user.email) == ("<EMAIL_ADDRESS_1>", 30, "a@x.io")


def test_dataclass_comes_back_replaced(r: Redactor) -> None:
    """A frozen dataclass is rebuilt with dataclasses.replace."""

    @dataclasses.dataclass(frozen=True)
    class Ticket:
        body: str
        priority: int

    out = r.redact_data(Ticket(body="from a@x.io", priority=2))
    assert out == Ticket(body="from <EMAIL_ADDRESS_1>", priority=2)


@pytest.mark.parametrize(
    ("field", "value", "entity"),
    [
        ("ssn", 123456789, "US_SSN"),  # an int SSN: text detection cannot see it
        ("card_number", "4111111111111111", "CREDIT_CARD"),  # snake case
        ("cardNumber", "4111111111111111", "CREDIT_CARD"),  # camel case
        ("IBAN", "DE89370400440532013000", "IBAN_CODE"),  # upper case
        ("password", "hunter2", "PASSWORD"),  # short secret
        ("customer_name", "Jane Doe", "PERSON"),  # no "Name:" cue needed
        ("street", "1 Main St", "ADDRESS"),  # address line
        ("api_key", "abc123", "SECRET"),  # secret-named key (detection's rule)
    ],
)
def test_field_rules_mask_the_whole_value(
    r: Redactor, field: str, value: object, entity: str
) -> None:
    """A rule field is masked whole, and a non-string becomes the placeholder string."""
    out = r.redact_data({field: value})
    assert out == {field: f"<{entity}_1>"}


def test_rule_covers_the_whole_subtree(r: Redactor) -> None:
    """Leaves under a rule field are masked with the rule's entity, unless they have their own."""
    out = r.redact_data({"address": {"line1": "1 Main St", "zip": 12345, "city": "Paris"}})
    assert out == {
        "address": {"line1": "<ADDRESS_1>", "zip": "<ADDRESS_2>", "city": "<LOCATION_1>"}
    }


@pytest.mark.parametrize("value", ["get_weather", "report.pdf", "v2", "search-tool-3"])
def test_name_field_with_a_non_person_value_is_kept(r: Redactor, value: str) -> None:
    """A tool, file or version in a ``name`` field is not mistaken for a person."""
    assert r.redact_data({"name": value}) == {"name": value}


def test_rules_are_configurable(r: Redactor) -> None:
    """field_rules replaces the defaults."""
    custom = Redactor(detectors=FAKES, field_rules={"holder": "PERSON"})
    assert custom.redact_data({"holder": "Jane Doe", "name": "Bob Ray"}) == {
        "holder": "<PERSON_1>",
        "name": "Bob Ray",
    }


def test_rule_for_a_disabled_entity_is_ignored() -> None:
    """With entities limited, other rules do not apply."""
    r = Redactor(detectors=FAKES, entities=["EMAIL_ADDRESS"])
    assert r.redact_data({"ssn": 123456789}) == {"ssn": 123456789}


def test_json_string_is_redacted_structurally_and_stays_valid(r: Redactor) -> None:
    """A JSON document in a string: field rules apply and the result parses."""
    doc = json.dumps({"user": {"email": "a@x.io", "ssn": 123456789}, "n": 1})
    out = r.redact_data({"tool_output": doc})
    assert json.loads(out["tool_output"]) == {
        "user": {"email": "<EMAIL_ADDRESS_1>", "ssn": "<US_SSN_1>"},
        "n": 1,
    }


def test_json_string_without_findings_is_kept_verbatim(r: Redactor) -> None:
    """Nothing to mask: the original formatting is kept."""
    doc = '{"a":1,  "b":[true]}'
    assert r.redact_data(doc) == doc


def test_broken_json_is_treated_as_text(r: Redactor) -> None:
    """A truncated document is still redacted, as plain text."""
    assert r.redact_data('{"email": "a@x.io", ') == '{"email": "<EMAIL_ADDRESS_1>", '


def test_mapping_keys_are_redacted(r: Redactor) -> None:
    """An e-mail used as a key is masked; the value is kept."""
    assert r.redact_data({"a@x.io": 1}) == {"<EMAIL_ADDRESS_1>": 1}


def test_ten_thousand_deep_data(r: Redactor) -> None:
    """Nested data 10k deep is walked without RecursionError."""
    data: object = "a@x.io"
    for _ in range(10_000):
        data = [data]
    out = r.redact_data(data)
    for _ in range(10_000):
        assert isinstance(out, list)
        out = out[0]
    assert out == "<EMAIL_ADDRESS_1>"


def test_ten_thousand_deep_json_string(r: Redactor) -> None:
    """A JSON string too deep for the json module is redacted as text, not a crash."""
    doc = '{"a":' * 10_000 + '"a@x.io"' + "}" * 10_000
    out = r.redact_data(doc)
    assert "a@x.io" not in out
    assert out.count("{") == 10_000


def test_shared_references_are_fine(r: Redactor) -> None:
    """The same list twice (a DAG, not a cycle) is redacted in both places."""
    shared = ["a@x.io"]
    assert r.redact_data({"x": shared, "y": shared}) == {
        "x": ["<EMAIL_ADDRESS_1>"],
        "y": ["<EMAIL_ADDRESS_1>"],
    }


def test_cycle_is_an_input_error(r: Redactor) -> None:
    """A self-referencing structure raises InputError."""
    data: dict[str, object] = {"a": "a@x.io"}
    data["self"] = data
    with pytest.raises(InputError):
        r.redact_data(data)


@pytest.mark.parametrize("bad", [b"a@x.io", bytearray(b"x"), object()])
def test_unsupported_leaves_are_input_errors(r: Redactor, bad: object) -> None:
    """Bytes and unknown objects fail closed rather than passing through unread."""
    with pytest.raises(InputError):
        r.redact_data({"x": [bad]})


def test_decimal_and_uuid_pass_through(r: Redactor) -> None:
    """Numbers and UUIDs carry no free text."""
    u = UUID(int=7)
    assert r.redact_data([Decimal("1.5"), u]) == [Decimal("1.5"), u]


def test_report_counts_without_values(r: Redactor) -> None:
    """redact_data_with_report gives counts per entity and its repr has no data."""
    report = r.redact_data_with_report({"ssn": 123456789, "note": "a@x.io b@x.io"})
    assert dict(report.counts) == {"US_SSN": 1, "EMAIL_ADDRESS": 2}
    assert "123456789" not in repr(report)


def test_shared_vault_restores_structured_output(r: Redactor) -> None:
    """restore(redact_data(x)) gives x back (ints under rules come back as strings)."""
    v = Vault()
    data = {"email": "a@x.io", "items": [{"ssn": "123-45-6789"}]}
    assert v.restore(r.redact_data(data, vault=v)) == data


def test_input_is_not_mutated(r: Redactor) -> None:
    """redact_data builds a new structure."""
    data = {"l": ["a@x.io"]}
    r.redact_data(data)
    assert data == {"l": ["a@x.io"]}


def test_transform_applies_leaf_function() -> None:
    """The walker is reusable on its own."""
    assert transform({"a": (1, "x")}, lambda v, _r: v * 2) == {"a": (2, "xx")}


def test_normalize_field() -> None:
    """Field names normalize across styles."""
    assert {normalize_field(n) for n in ("card_number", "cardNumber", "Card-Number")} == {
        "cardnumber"
    }


def test_value_from_a_rule_field_is_masked_in_free_text(r: Redactor) -> None:
    """A name known only from a ``customer_name`` field is masked inside a note too."""
    out = r.redact_data({"customer_name": "Jane Doe", "note": "Jane Doe called twice"})
    assert out == {"customer_name": "<PERSON_1>", "note": "<PERSON_1> called twice"}


def test_counts_are_per_occurrence(r: Redactor) -> None:
    """The same string in two fields counts twice (strings are redacted once, counted twice)."""
    report = r.redact_data_with_report({"a": "x@y.io", "b": ["x@y.io"]})
    assert dict(report.counts) == {"EMAIL_ADDRESS": 2}


def test_span_across_two_strings_is_clipped_to_each() -> None:
    """A detection crossing the batch separator masks the part in each string it touches."""
    from tests.guardrails._redaction_fakes import RegexDetector

    greedy = RegexDetector("greedy", "SECRET", r"tail-secret\n\x00\nhead-secret")
    r = Redactor(detectors=[greedy])
    out = r.redact_data(["x tail-secret", "head-secret y"])
    assert out == ["x <SECRET_1>", "<SECRET_2> y"]


def test_many_strings_are_redacted_in_several_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks are bounded in size; results are the same as one string at a time."""
    from guardrails import _redact_data

    monkeypatch.setattr(_redact_data, "BATCH", 64)
    r = Redactor(detectors=FAKES)
    data = [f"user{i}@x.io wrote" for i in range(30)]
    assert r.redact_data(data) == [
        r.redact(t).text.replace("_1>", f"_{i + 1}>") for i, t in enumerate(data)
    ]


def test_person_rule_does_not_carry_into_named_fields(r: Redactor) -> None:
    """ "customer": {"plan": "Gold"}: a nested field under a PERSON field is not a name."""
    assert r.redact_data({"customer": {"plan": "Gold"}}) == {"customer": {"plan": "Gold"}}


def test_person_rule_carries_into_lists(r: Redactor) -> None:
    """A list under a PERSON field is a list of names."""
    assert r.redact_data({"full_name": ["Jane Doe"]}) == {"full_name": ["<PERSON_1>"]}


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("cardholder_name", "Jane Doe", "<PERSON_1>"),  # from the name detector's field list
        ("postcode", "NW1 6XE", "<ADDRESS_1>"),  # from the address detector's field list
        ("country", "France", "<LOCATION_1>"),  # from the location detector's field list
        ("unit", "kg", "kg"),  # ambiguous field name: left to text detection
        ("zip", "archive.zip", "archive.zip"),  # ambiguous field name: left to text detection
    ],
)
def test_detection_field_lists_are_default_rules(
    r: Redactor, field: str, value: str, expected: str
) -> None:
    """The detectors' field-name lists join the default rules, minus ambiguous names."""
    assert r.redact_data({field: value}) == {field: expected}
