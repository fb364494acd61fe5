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
