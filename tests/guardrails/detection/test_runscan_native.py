"""The C capitalized-run scan (``_runscan.c``) finds exactly what the reference regex finds."""

from __future__ import annotations

import random
import shutil
import sysconfig

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.detection import _lexicon_runs as lr
from guardrails.detection._lexicon_runs import PARTICLES, native_available, regex_positions

_needs_native = pytest.mark.skipif(not native_available(), reason="C extension not built")


def test_the_extension_is_built_where_a_compiler_is() -> None:
    """``optional=True`` lets an install without a compiler succeed; where there is one (CI, this
    machine) a failed build must not pass silently as a 2x slower engine."""
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None:
        pytest.skip(f"no C compiler ({cc}) here: the pure-Python fallback is expected")
    assert native_available()


# Every character class the regex distinguishes, plus look-alikes of each.
_ALPHABET = [
    *"AZaqzJjMmK'’-.\t \n_/+=\\,:;09",
    *"ÀÉÖØÞßàéöÿĀāŁłŒœƀɏ",  # Latin-1 / Extended-A/B: in UPPER/LOWER
    *"ǅΩωЖжİıＡａ１²½Ⅻ",  # titlecase, Greek, Cyrillic, full-width, non-decimal numerics
    "\u200d",
    "\u202e",
    "\ud800",
    "\U0001d400",
]
_WORDS = [
    "Jane",
    "O'Brien",
    "D’Artagnan",
    "Jean-Pierre",
    "Jane's",
    "McDonald",
    "K.",
    "K",
    "Émile",
    "Żaneta",
    "Łukasz",
    *PARTICLES.split("|"),
    "dell",
    "vanx",
    "INFO",
    "x.Jane",
    "a/Jo",
    "Ann=",
    "O'BR",
    "Jo-",
    "Al-Amin",
]


def _both(text: str) -> None:
    assert lr._NATIVE is not None
    assert lr._NATIVE.positions(text) == regex_positions(text), repr(text)


@_needs_native
@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=st.sampled_from(_ALPHABET), max_size=40))
def test_parity_on_character_soup(text: str) -> None:
    _both(text)


@_needs_native
@settings(max_examples=1500, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_WORDS), st.sampled_from([" ", "  ", "\t", " \t", ", ", "\n", ""])
        ),
        max_size=14,
    )
)
def test_parity_on_name_like_token_runs(parts: list[tuple[str, str]]) -> None:
    _both("".join(w + sep for w, sep in parts))


@_needs_native
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_parity_on_arbitrary_unicode(text: str) -> None:
    _both(text)


@_needs_native
@pytest.mark.parametrize(
    "text",
    [
        "Maria de la Cruz met Jan van der Berg and Ken N. Fukuda",
        "Maria de la de Soto, Maria K. de Soto, Maria de K. Soto",
        "A B C D E F G H I J Karl Heinz Maria Anna Lena Otto Paul Rudi Sven Tom Uwe",  # {0,7}
        "x.Jane a/Jo b+Ann c=Eve d\\Max e_Li f9Al ²Bo ＡBen",
        "O'Brien O’Neil O'BRIEN Jo- Jo-Ann Jo--Ann Ann'",
        "\ud800Jane \u200dMax \u202eLea",
        "",
        "Jane",
    ],
)
def test_parity_on_examples(text: str) -> None:
    _both(text)


@_needs_native
def test_parity_on_a_long_mixed_text() -> None:
    rnd = random.Random(11)
    text = "".join(rnd.choice([*_WORDS, " ", " ", "\n", "\t"]) for _ in range(50_000))
    _both(text)
    _both(
        text.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass") + "Ω\U0001d400Jo"
    )


@_needs_native
def test_bad_input_is_a_type_error() -> None:
    assert lr._NATIVE is not None
    with pytest.raises(TypeError):
        lr._NATIVE.positions(b"Jane")  # type: ignore[arg-type]


@_needs_native
def test_fallback_finds_the_same_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the extension (no compiler at install time) the regex path gives equal results."""
    from guardrails import Redactor

    text = "Reply to Maria Garcia <maria.garcia@example.com>; cc Jan van der Berg in Rotterdam."
    native = Redactor().redact(text).text
    monkeypatch.setattr(lr, "_NATIVE", None)
    calls: list[str] = []
    real = lr.regex_positions
    monkeypatch.setattr(lr, "regex_positions", lambda t: calls.append(t) or real(t))
    copy = "".join(list(text))  # a new object: per-text memos are by identity
    assert Redactor().redact(copy).text == native
    assert calls  # the regex path ran
    assert "Maria" not in native
    assert "Garcia" not in native
