"""LocationDetector: cities, regions and countries from the shipped GeoNames gazetteer."""

from __future__ import annotations

import pytest

from guardrails._types import Detector
from guardrails.detection._locations import LOCATION_FIELD_NAMES, LocationDetector


@pytest.fixture(scope="module")
def detector() -> LocationDetector:
    return LocationDetector()


def found(detector: LocationDetector, text: str) -> list[str]:
    return [text[s.start : s.end] for s in detector.detect(text)]


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Shipped from Berlin today", "Berlin"),  # city
        ("Office in San Francisco", "San Francisco"),  # multi-word city
        ("They moved to New York City", "New York City"),  # three-word city
        ("Customers in Germany and Brazil", "Germany"),  # country
        ("Based in Texas", "Texas"),  # US state
        ("Offices across Europe", "Europe"),  # continent
        ("We met in Reading last week", "Reading"),  # ambiguous word after "in"
        ("Mobile, AL", "Mobile"),  # ambiguous word before a state code
        ("Springfield, IL 62701", "IL"),  # state code after a city
        ("Springfield, IL 62701", "Springfield"),  # small city before a state code
        ("Ships to the USA only", "USA"),  # country abbreviation
        ("Relocating to São Paulo", "São Paulo"),  # accented city
        ("Visiting Zürich in May", "Zürich"),  # umlaut
    ],
)
def test_detects_location(detector: LocationDetector, text: str, place: str) -> None:
    """Gazetteer hits and context cues yield the expected LOCATION span."""
    assert place in found(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "Reading the docs is Nice",  # ambiguous place names without context
        "Status: Active, Order Details",  # headings
        "Paris Hilton sent a note",  # a first name + surname wins over the city
        "Mark the ticket as done",  # common word
        "Deploy to <LOCATION_1> tomorrow",  # our own placeholder
        "Orange button on the Mobile view",  # UI words that are also cities
    ],
)
def test_ignores_non_location(detector: LocationDetector, text: str) -> None:
    """Ambiguous words without context, person names and placeholders are not LOCATION."""
    assert found(detector, text) == []


def test_is_a_detector(detector: LocationDetector) -> None:
    """LocationDetector satisfies the Detector protocol with LOCATION as its entity."""
    assert isinstance(detector, Detector)
    assert detector.entities == frozenset({"LOCATION"})


def test_value_not_in_repr(detector: LocationDetector) -> None:
    """The raw place never appears in a span's repr."""
    spans = detector.detect("Shipped from Berlin")
    assert spans
    assert "Berlin" not in repr(spans)


def test_field_names_exported() -> None:
    """The structured walker gets lower-case location field names."""
    assert {"city", "country", "county"} <= LOCATION_FIELD_NAMES
    assert "state" not in LOCATION_FIELD_NAMES  # mostly a status in agent data


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("He grew up in Remniku.", "Remniku"),  # an unlisted town after a place phrase
        ("She flew to Loeches on Saturday.", "Loeches"),  # travel verb
        ("The agency is based in KURZENKIRCHEN.", "KURZENKIRCHEN"),  # ALL-CAPS unlisted town
        ("I'm originally from switzerland", "switzerland"),  # lower-case listed country
        ("home city Villafranca del Cid: great food", "Villafranca del Cid"),  # particle inside
        ("We are moving to the Netherlands", "Netherlands"),  # the usual English country name
        ("Where: Erwetegem", "Erwetegem"),  # calendar-style label
        ("20789 Allika 46\n Suite 501\n Riisa\n\n Estonia 62488", "Riisa"),  # address block town
        ("28245 Puruntie 82 Apt. 595\n   LAPPEENRANTA\n", "LAPPEENRANTA"),  # ALL-CAPS town line
        ("62314 Mellemvej 32\nAalborg NO 9100", "NO"),  # region code on the town line
    ],
)
def test_place_phrases_and_address_blocks(
    detector: LocationDetector, text: str, place: str
) -> None:
    """Place phrases and the town line of an address block name unlisted places too."""
    assert place in found(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "We moved to AWS last year",  # a short ALL-CAPS acronym after a place phrase
        "The team moved to Acme Corp",  # an organisation
        "I am in Meetings all day",  # a common word
        "DPO AE 44085\nMobile: 0688 843 79 56",  # a field label after an address block
        "12 Main Street\nThanks,\nJane",  # a sign-off after an address
        "We met at the Country Club",  # a small town named with common words only
        "flew to Berlin Monday",  # a weekday is not part of the place (only Berlin)
    ],
)
def test_place_phrases_keep_their_precision(detector: LocationDetector, text: str) -> None:
    """Acronyms, organisations, common words and labels are not places."""
    assert [w for w in found(detector, text) if w != "Berlin"] == []
