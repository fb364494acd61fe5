"""Look-alike letters across scripts, for comparing principal ids (after UTS #39, in part).

``аlice`` with a Cyrillic ``а`` renders as ``alice``: two ids, one human on a reviewer's screen. The
approval checks compare :func:`guardrails.identity.identity_key`, which folds the Cyrillic and Greek
letters that look like Latin ones onto them (a partial UTS #39 *skeleton*), and refuse approvers
whose id mixes scripts (UTS #39 "highly restrictive": one script, or Latin with Han and the
Japanese or Korean scripts). Folding too much only ever refuses a decision (two ids seen as one
human), never counts one human twice.

Why not the full skeleton: it needs Unicode's ``confusables.txt``; the well-kept implementation
(ICU's SpoofChecker via PyICU) needs the ICU C library, and the pure-Python UTS #39 packages on
PyPI are pre-releases or unmaintained. The script of a letter is read from its Unicode name (the
standard library has no Script property), which names the script first for every letter.

Example:
    >>> fold_lookalikes("\\u0430lice") == "alice"
    True
    >>> mixed_script("\\u0430lice"), mixed_script("alice"), mixed_script("田中たなか")
    (True, False, False)
"""

from __future__ import annotations

import functools
import unicodedata

__all__ = ["fold_lookalikes", "mixed_script", "scripts"]

# Lower-case (ids are case-folded first) Cyrillic and Greek letters that render like a Latin
# letter in common fonts, including those whose *capital* does (Cyrillic В, Н, Т, М).
_LOOKALIKES = str.maketrans(
    {
        # Cyrillic
        "\u0430": "a",
        "\u0432": "b",
        "\u0435": "e",
        "\u0456": "i",
        "\u0458": "j",
        "\u043a": "k",
        "\u043c": "m",
        "\u043d": "h",
        "\u043e": "o",
        "\u0440": "p",
        "\u0441": "c",
        "\u0442": "t",
        "\u0443": "y",
        "\u0445": "x",
        "\u0455": "s",
        "\u0501": "d",
        "\u051b": "q",
        "\u051d": "w",
        "\u04bb": "h",
        "\u04cf": "l",
        "\u04af": "y",
        # Greek
        "\u03b1": "a",
        "\u03b3": "y",
        "\u03b9": "i",
        "\u03ba": "k",
        "\u03bd": "v",
        "\u03bf": "o",
        "\u03c1": "p",
        "\u03c4": "t",
        "\u03c5": "u",
        "\u03c7": "x",
        "\u03f2": "c",
        "\u03f3": "j",
        # Latin letters that are other letters' look-alikes
        "\u0131": "i",  # dotless i
        "\u0261": "g",  # script g
    }
)

# UTS #39 "highly restrictive": these script sets may mix (Japanese, Chinese, Korean writing).
_ALLOWED_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)


def fold_lookalikes(text: str) -> str:
    """``text`` with Cyrillic/Greek look-alikes of Latin letters replaced by the Latin letter."""
    return text.translate(_LOOKALIKES)


def scripts(text: str) -> frozenset[str]:
    """The scripts of the letters in ``text`` (digits, marks and punctuation belong to none),
    after NFKC (a fullwidth or mathematical ``ａ`` is the Latin ``a``)."""
    found = set()
    for ch in unicodedata.normalize("NFKC", text):
        if ch.isalpha():
            first = unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]
            found.add("HAN" if first == "CJK" else first)
    return frozenset(found)


@functools.lru_cache(maxsize=4096)  # a pure function of an approver id, asked on every decision
def mixed_script(text: str) -> bool:
    """Whether ``text`` mixes scripts beyond what one language writes (see the module doc)."""
    found = scripts(text)
    return len(found) > 1 and not any(found <= allowed for allowed in _ALLOWED_MIXES)
