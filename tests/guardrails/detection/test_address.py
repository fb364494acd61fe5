"""AddressDetector: street addresses in US/UK and common European formats, PO boxes."""

from __future__ import annotations

import pytest

from guardrails._types import Detector
from guardrails.detection._address import ADDRESS_FIELD_NAMES, AddressDetector


@pytest.fixture(scope="module")
def detector() -> AddressDetector:
    return AddressDetector()


def found(detector: AddressDetector, text: str) -> list[str]:
    return [text[s.start : s.end] for s in detector.detect(text)]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Ship to 221B Baker Street, London", "221B Baker Street"),  # UK house number + letter
        (
            "HQ: 1600 Pennsylvania Ave NW, Washington, DC 20500",
            "1600 Pennsylvania Ave NW, Washington, DC 20500",
        ),  # US with direction, city, state, ZIP
        (
            "Send to 123 Main St., Apt 4B, Springfield, IL 62704 today",
            "123 Main St., Apt 4B, Springfield, IL 62704",
        ),  # US with unit
        ("Lives at 42 W 34th Street", "42 W 34th Street"),  # ordinal street
        ("Hauptstraße 5, 10115 Berlin", "Hauptstraße 5, 10115 Berlin"),  # German, glued suffix
        ("Berliner Straße 12", "Berliner Straße 12"),  # German, separate suffix
        ("12 rue de la Paix, 75002 Paris", "12 rue de la Paix, 75002 Paris"),  # French
        ("Via Roma 10", "Via Roma 10"),  # Italian
        ("Calle Mayor 5", "Calle Mayor 5"),  # Spanish
        ("ul. Narewska 94", "ul. Narewska 94"),  # Polish
        ("Koskikatu 25", "Koskikatu 25"),  # Finnish
        ("Kerkstraat 12", "Kerkstraat 12"),  # Dutch
        ("P.O. Box 123", "P.O. Box 123"),  # PO box
        ("PSC 5217, Box 4854\nAPO AP 43617", "PSC 5217, Box 4854\nAPO AP 43617"),  # military
        ("Suite 399", "Suite 399"),  # unit alone
        ("1 Broadway", "1 Broadway"),  # suffix-less famous street
        ("She lives at Allika 46, Tallinn", "Allika 46"),  # no suffix word, after "lives at"
        ("my new address is 6750 Koskikatu 25 Apt. 864", "6750 Koskikatu 25 Apt. 864"),  # "is"
        ("Unit 4719 Box 7394\nDPO AP 70942", "Unit 4719 Box 7394\nDPO AP 70942"),  # military
    ],
)
def test_detects_address(detector: AddressDetector, text: str, address: str) -> None:
    """Each supported format yields the whole address as one span."""
    assert address in found(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "GET /api/v1/orders 200 12ms",  # log line numbers
        "version 2 Park",  # number + suffix word without a street name
        "We have 5 Ways to win",  # number + suffix word
        "3 Items in cart",  # quantity + noun
        "Dr. Smith will see you",  # title, not Drive
        "the ring 5 times",  # lower-case European suffix word
        "Released 2024-05-01 at 10:00",  # timestamp
        "Deliver to <ADDRESS_1>",  # our own placeholder
        "We moved to Python 3 last year",  # product + version after a moving verb
        "He lives at Windows 11 speed",  # common word + number even after "lives at"
    ],
)
def test_ignores_non_address(detector: AddressDetector, text: str) -> None:
    """Numbers next to ordinary words are not addresses."""
    assert found(detector, text) == []


def test_is_a_detector(detector: AddressDetector) -> None:
    """AddressDetector satisfies the Detector protocol with ADDRESS as its entity."""
    assert isinstance(detector, Detector)
    assert detector.entities == frozenset({"ADDRESS"})


def test_value_not_in_repr(detector: AddressDetector) -> None:
    """The raw address never appears in a span's repr."""
    spans = detector.detect("Ship to 221B Baker Street")
    assert spans
    assert "Baker" not in repr(spans)


def test_field_names_exported() -> None:
    """The structured walker gets lower-case address field names."""
    assert {"address", "street", "zip_code"} <= ADDRESS_FIELD_NAMES


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ship to Hauptstraße 5, 10115 Berlin.", ["Hauptstraße 5, 10115 Berlin"]),  # final dot
        ("at 12 Main St. Then left.", ["12 Main St."]),  # abbreviation dot belongs to it
        ('"street": "1-10-3 Namba", "city": "Osaka"', ["1-10-3 Namba"]),  # JSON value only
    ],
)
def test_exact_extent(detector: AddressDetector, text: str, expected: list[str]) -> None:
    """An address span stops before sentence punctuation and closing quotes."""
    assert found(detector, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a street line without a street word, right before a unit, and the closing postcode
        (
            "William Hughes\n\n20789 Allika 46\n Suite 501\n Riisa\n\n Estonia 62488",
            ["20789 Allika 46", "Suite 501", "62488"],
        ),
        # the same on one line; the house number opening the line joins a known street
        ("    1593 Pagari 18 Suite 932\n", ["1593 Pagari 18", "Suite 932"]),
        ("    3482 Via Franscini 71 Suite 838\n", ["3482 Via Franscini 71 Suite 838"]),
        # a US Navy ship address
        ("USNS Bergman\nFPO AP 93757", ["USNS Bergman\nFPO AP 93757"]),
        # a unit after an apartment number keeps its own street
        ("Apt. 117 5720 Skoanveien 226\nFAUSKE", ["Apt. 117", "5720 Skoanveien 226"]),
    ],
)
def test_address_blocks(detector: AddressDetector, text: str, expected: list[str]) -> None:
    """Street lines before units, house numbers, country-line postcodes, ship addresses."""
    assert found(detector, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "pytest 7 Suite 3 passed",  # no house number: not a street line
        "Version 12345\nGermany 2024",  # a country line not below an address
    ],
)
def test_address_block_rules_need_a_block(detector: AddressDetector, text: str) -> None:
    """The block rules only extend addresses that are already there."""
    assert [v for v in found(detector, text) if not v.startswith("Suite")] == []
