"""The scanning backends: hyperscan and RE2 agree; offsets are right for any Unicode text."""

from __future__ import annotations

import pytest

from guardrails.detection import CustomEntity, PatternDetector
from guardrails.detection._scanner import (
    PatternSpec,
    available_backends,
    build_scanner,
    encode,
    to_str_offsets,
)
from tests.guardrails.detection._cases import LOOKALIKES, POSITIVES, SECRETS

needs_hyperscan = pytest.mark.skipif(
    "hyperscan" not in available_backends(), reason="hyperscan not available on this platform"
)

UNICODE_TEXTS = [
    "😀 mail jane@example.com 😀 4111 1111 1111 1111",  # astral characters before values
    "Grüße aus Köln: +49 1512 3456789, IBAN DE89 3704 0044 0532 0130 00",  # Latin-1 range
    "\u200fRTL mark 192.168.1.10\u200f and \u202eoverride a@example.com",  # bidi controls
    "zero\u200dwidth\u200bjoiners ghp_q7Zk2LmX9pR4tV8wB1nC6dF3hJ5sY0aE2gKi",  # ZWJ, ZWSP
    "lone \ud800 surrogate then a@example.com and \udfff",  # lone surrogates
    "full-width ４１１１ １１１１ １１１１ １１１１ and ５３６-２２-８７２６",  # full-width digits
    "中文 电话 +86 138 0013 8000 邮箱 wang@example.cn",  # CJK
    "ñ" * 5000 + " a@example.com",  # long non-ASCII prefix
]
CUSTOM = CustomEntity(name="KUNDE", pattern=r"Kunde-[0-9]{4}")
TABLE = [t for t, _, _ in POSITIVES + SECRETS] + [t for t, _ in LOOKALIKES] + UNICODE_TEXTS


def _spans(det: PatternDetector, text: str) -> list[tuple[int, int, str, float]]:
    return [(s.start, s.end, s.entity_type, s.score) for s in det.detect(text)]


@needs_hyperscan
@pytest.mark.parametrize("text", TABLE)
def test_backends_give_identical_spans(text: str) -> None:
    """hyperscan and the RE2 fallback report exactly the same spans."""
    hs = PatternDetector(backend="hyperscan", custom=[CUSTOM])
    rx = PatternDetector(backend="re2", custom=[CUSTOM])
    assert _spans(hs, text) == _spans(rx, text)


@pytest.mark.parametrize("backend", available_backends())
@pytest.mark.parametrize("text", UNICODE_TEXTS)
def test_unicode_never_crashes_and_offsets_match(backend: str, text: str) -> None:
    """Every span's bounds slice exactly its value out of the original str."""
    for span in PatternDetector(backend=backend, custom=[CUSTOM]).detect(text):
        assert text[span.start : span.end] == span.value
        assert 0 <= span.start < span.end <= len(text)


@pytest.mark.parametrize("backend", available_backends())
def test_values_found_after_astral_characters(backend: str) -> None:
    """Characters outside the BMP before a value do not shift its offsets."""
    text = "😀😀 Kunde-1234 a@example.com"
    found = [
        (s.value, s.entity_type)
        for s in PatternDetector(backend=backend, custom=[CUSTOM]).detect(text)
    ]
    assert found == [("Kunde-1234", "KUNDE"), ("a@example.com", "EMAIL_ADDRESS")]


@pytest.mark.parametrize("backend", available_backends())
def test_scanner_reports_leftmost_longest_non_overlapping(backend: str) -> None:
    """Per pattern, matches are leftmost-longest and do not overlap (like RE2's longest_match)."""
    scanner = build_scanner([PatternSpec("a+"), PatternSpec(r"\bab(?:ab)?\b")], backend)
    hits = sorted(scanner.scan(b"aaa abab ab"))
    assert hits == [(0, 0, 3), (0, 4, 5), (0, 6, 7), (0, 9, 10), (1, 4, 8), (1, 9, 11)]


def test_byte_offsets_map_to_str_offsets() -> None:
    """UTF-8 byte offsets of hits become code-point offsets, surrogates counting as one."""
    text = "é😀\ud800x"
    data, same = encode(text)
    assert not same
    x = data.index(b"x")
    assert to_str_offsets(data, [(0, x, x + 1)]) == [(0, 3, 4)]


def test_unknown_backend_is_a_configuration_error() -> None:
    """Asking for a backend that does not exist fails at construction."""
    from guardrails import ConfigurationError

    with pytest.raises(ConfigurationError):
        PatternDetector(backend="pcre")


def test_works_without_hyperscan() -> None:
    """With hyperscan not importable, RE2 is used and finds the same values."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['hyperscan'] = None\n"
        "from guardrails.detection import CustomEntity, PatternDetector\n"
        "d = PatternDetector(custom=[CustomEntity(name='K', pattern=r'K-[0-9]{3}')])\n"
        "print(d.backend, [(s.value, s.entity_type) for s in d.detect("
        "'K-123 a@example.com 4111 1111 1111 1111')])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert out.strip() == (
        "re2 [('K-123', 'K'), ('a@example.com', 'EMAIL_ADDRESS'), "
        "('4111 1111 1111 1111', 'CREDIT_CARD')]"
    )


@pytest.mark.parametrize("backend", available_backends())
def test_concurrent_detection_is_consistent(backend: str) -> None:
    """One detector used from several threads at once gives each thread the right spans."""
    from concurrent.futures import ThreadPoolExecutor

    det = PatternDetector(backend=backend)
    texts = [t for t, _, _ in POSITIVES + SECRETS] * 4
    expected = [_spans(det, t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda t: _spans(det, t), texts))
    assert got == expected
