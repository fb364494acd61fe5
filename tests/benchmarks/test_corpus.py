"""The generated agent-shaped corpus is labelled correctly: every label is what it claims."""

from __future__ import annotations

import ipaddress
import itertools
import json
import re
import uuid

import phonenumbers
import pytest
from stdnum import iban, luhn

from benchmarks import corpus
from benchmarks._values import AWS_EXAMPLE_KEYS
from guardrails.detection._entities import ENTITIES

RECORDS = list(corpus.generate(300, seed=11))


def _labels(kind: str) -> list[tuple[str, str]]:
    """(label, value) pairs of one list (``spans`` or ``lookalikes``) over the whole corpus."""
    return [(lab.label, lab.value) for r in RECORDS for lab in getattr(r, kind)]


def _values(label: str, kind: str = "spans") -> list[str]:
    found = [value for lab, value in _labels(kind) if lab == label]
    assert found, f"no {label} in the corpus"
    return found


def test_every_label_slice_is_its_value() -> None:
    """The text between start and end is exactly the labelled value, for spans and look-alikes."""
    for r in RECORDS:
        for lab in (*r.spans, *r.lookalikes):
            assert r.text[lab.start : lab.end] == lab.value


def test_labels_never_overlap() -> None:
    """No two labels (sensitive or look-alike) share a character."""
    for r in RECORDS:
        labels = sorted((*r.spans, *r.lookalikes), key=lambda lab: lab.start)
        for a, b in itertools.pairwise(labels):
            assert a.end <= b.start, (r.id, a.label, b.label)


def test_every_entity_and_kind_is_present() -> None:
    """A small corpus already covers every built-in entity type and every document kind."""
    assert {lab for lab, _ in _labels("spans")} == set(ENTITIES)
    assert {r.kind for r in RECORDS} == set(corpus.KINDS)


def test_same_seed_same_corpus() -> None:
    """Generation is deterministic for a seed and differs across seeds."""
    again = [r.text for r in corpus.generate(20, seed=11)]
    assert again == [r.text for r in RECORDS[:20]]
    assert again != [r.text for r in corpus.generate(20, seed=12)]


def test_json_kinds_are_valid_json_with_json_inside_strings() -> None:
    """CRM records and chat transcripts parse, and so do the JSON documents nested in their strings."""
    for r in RECORDS:
        if r.kind == "crm_json":
            assert isinstance(json.loads(json.loads(r.text)["notes"]), dict)
        elif r.kind == "chat":
            call = json.loads(r.text)[1]["tool_calls"][0]["function"]
            assert isinstance(json.loads(call["arguments"]), dict)


def test_cards_pass_luhn_in_every_length() -> None:
    """Every CREDIT_CARD is Luhn-valid, 12-19 digits, and 19-digit and 2-series cards occur."""
    digits = [re.sub(r"\D", "", v) for v in _values("CREDIT_CARD")]
    assert all(luhn.is_valid(d) and 12 <= len(d) <= 19 for d in digits)
    assert any(len(d) == 19 for d in digits)
    assert any(2221 <= int(d[:4]) <= 2720 for d in digits)


def test_ibans_are_valid_for_several_countries() -> None:
    """Every IBAN_CODE passes python-stdnum (national checks included)."""
    values = _values("IBAN_CODE")
    assert all(iban.is_valid(v) for v in values)
    assert len({v[:2] for v in values}) >= 8


def test_phones_are_valid_for_several_countries() -> None:
    """Every PHONE_NUMBER parses as a valid number (national formats are North American)."""
    regions = set()
    for v in _values("PHONE_NUMBER"):
        number = phonenumbers.parse(v, "US")
        assert phonenumbers.is_valid_number(number), v
        regions.add(phonenumbers.region_code_for_number(number))
    assert len(regions) >= 10


def test_ssns_are_in_issued_ranges() -> None:
    """Every US_SSN avoids area 000/666/9xx, group 00 and serial 0000."""
    for v in _values("US_SSN"):
        area, group, serial = v.split("-")
        assert area not in ("000", "666")
        assert not area.startswith("9")
        assert group != "00"
        assert serial != "0000"


def test_ips_and_macs_are_well_formed() -> None:
    """IP_ADDRESS values parse (v4 and v6 both occur); MAC_ADDRESS values have six octets."""
    ips = [ipaddress.ip_address(v) for v in _values("IP_ADDRESS")]
    assert {ip.version for ip in ips} == {4, 6}
    assert all(
        re.fullmatch(r"(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}", v) for v in _values("MAC_ADDRESS")
    )


@pytest.mark.parametrize(
    ("entity", "pattern"),
    [
        ("EMAIL_ADDRESS", r"[^@\s]+@[a-z0-9.-]+\.[a-z]{2,}"),
        ("AWS_ACCESS_KEY_ID", r"(?:AKIA|ASIA)[A-Z2-7]{16}"),  # access key id alphabet
        ("AWS_SECRET_ACCESS_KEY", r"[A-Za-z0-9/+]{40}"),
        (
            "GITHUB_TOKEN",
            r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_\w{82}",
        ),  # classic and fine-grained
        ("GITLAB_TOKEN", r"glpat-[\w-]{20}"),
        ("OPENAI_API_KEY", r"sk-(?:proj-)?[\w-]+T3BlbkFJ[\w-]+"),  # legacy and project keys
        ("ANTHROPIC_API_KEY", r"sk-ant-api03-[\w-]{93}AA"),
        ("SLACK_TOKEN", r"xox[bpa]-\d+-\d+-\w+|T\w{8}/B\w{10}/\w{24}"),  # token or webhook path
        ("STRIPE_KEY", r"(?:sk|rk)_live_[A-Za-z0-9]{24,99}"),
        ("GOOGLE_API_KEY", r"AIza[\w-]{35}"),
        ("JWT", r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),  # header and payload are base64url JSON
        (
            "PRIVATE_KEY",
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----\n[\s\S]+\n-----END [A-Z ]*PRIVATE KEY-----",
        ),
        ("URL_CREDENTIALS", r"[\w]*:[^@/#?%:\s]+"),  # user:password, user may be empty
    ],
)
def test_secret_formats(entity: str, pattern: str) -> None:
    """Each secret is in its provider's real format."""
    for v in _values(entity):
        assert re.fullmatch(pattern, v), (entity, v)


def test_failing_cards_fail_luhn() -> None:
    """Card-shaped look-alikes have a wrong Luhn check digit."""
    assert not any(
        luhn.is_valid(re.sub(r"\D", "", v)) for v in _values("card_luhn_fail", "lookalikes")
    )


def test_bad_ibans_fail_their_checksum() -> None:
    """IBAN-shaped look-alikes fail python-stdnum."""
    assert not any(iban.is_valid(v) for v in _values("iban_bad_checksum", "lookalikes"))


def test_invalid_ssns_are_never_issued() -> None:
    """SSN-shaped look-alikes have area 000/666/9xx, group 00 or serial 0000."""
    for v in _values("invalid_ssn", "lookalikes"):
        area, group, serial = v.split("-")
        assert area in ("000", "666") or area.startswith("9") or group == "00" or serial == "0000"


def test_lookalike_identifiers_are_what_they_claim() -> None:
    """UUIDs parse, SHAs are hex, AWS keys are the documented examples, versions are not IPs."""
    assert all(uuid.UUID(v) for v in _values("uuid", "lookalikes"))
    assert all(re.fullmatch(r"[0-9a-f]{7,40}", v) for v in _values("git_sha", "lookalikes"))
    assert all(re.fullmatch(r"[0-9a-f]{64}", v) for v in _values("sha256", "lookalikes"))
    assert set(_values("aws_example_key", "lookalikes")) == set(AWS_EXAMPLE_KEYS)
    for v in _values("version", "lookalikes"):
        with pytest.raises(ValueError):
            ipaddress.ip_address(v)


def test_heldout_corpus_uses_other_names_and_places() -> None:
    """The held-out corpus draws PERSON/LOCATION from the held-out lists only, and restores them."""
    from benchmarks import _values

    records = list(corpus.generate(60, seed=5, heldout=True))
    main_vocab = set(_values.FIRST_NAMES) | set(_values.LAST_NAMES)
    people = [s.value for r in records for s in r.spans if s.label == "PERSON"]
    assert people
    assert not [p for p in people if set(p.replace(".", "").split()) & main_vocab]
    cities = {s.value for r in records for s in r.spans if s.label == "LOCATION"}
    assert cities <= {c for pair in _values.HELDOUT_CITIES for c in pair}
    assert _values.CITIES is not _values.HELDOUT_CITIES  # swapped back after generation


def test_sparse_log_is_realistic() -> None:
    """Every sparse-log line has a capitalized word (as real logs do); about 1 line in 25 is sensitive."""
    lines = corpus.sparse_log_text(200_000, seed=3).splitlines()
    assert all(re.search(r"\b[A-Z][a-z]", line) for line in lines)
    sensitive = [line for line in lines if re.search(r"user=\S+@|<\S+@\S+>", line)]
    assert 0.025 < len(sensitive) / len(lines) < 0.055
