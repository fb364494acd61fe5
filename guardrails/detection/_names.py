"""Offline PERSON detection: context cues plus shipped name lexicons, no model download.

Two sources of evidence, both linear-time:

* **Cues** ("Name:", "From: Jane Doe <jane@x.com>", "Dear Mr. Smith", "Hi Jane,", a sign-off
  line, "customer Jane Doe", "assigned to …", a chat speaker label) are found in one hyperscan
  (or RE2) pass; the value after each cue is then parsed with an anchored regex. Strong cues also
  accept ALL-CAPS and lower-case names.
* **Lexicons**: a capitalized run whose first token is a known first name followed by a
  surname-like token ("Maria Garcia", "Ken N. Fukuda"), or a lone first name that is not also a
  common word. Names that are common words (Will, May, Mark, Grant, Bill, Rose …) need a cue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, cached_property

from guardrails._types import Span
from guardrails.detection._lexicon import (
    NEEDS_NOTHING,
    PERSON,
    RUN,
    UPPER,
    CueScanner,
    RunAnalyzer,
    run_analyzer,
    word_set,
)

__all__ = ["PERSON_FIELD_NAMES", "NameDetector"]

#: Structured-data field names (lower-case, ``_`` separated) whose value is a person's name.
PERSON_FIELD_NAMES: frozenset[str] = word_set(
    """
    name full_name fullname first_name firstname last_name lastname middle_name given_name
    family_name surname display_name legal_name preferred_name nickname maiden_name
    customer_name client_name contact_name patient_name employee_name user_full_name
    account_holder account_holder_name cardholder cardholder_name card_holder name_on_card
    holder_name beneficiary beneficiary_name recipient_name sender_name billing_name
    shipping_name ship_to_name bill_to_name owner_name author_name assignee_name
    requester_name reporter_name approver_name reviewer_name manager_name spouse_name
    emergency_contact emergency_contact_name next_of_kin guardian_name parent_name
    physician_name doctor_name passenger_name guest_name tenant_name applicant_name
    signatory signer_name contact_person person
    """
)

_LABELS = (
    r"(?:full|first|last|middle|given|family|display|legal|contact|customer|client|patient|"
    r"employee|account|card|billing|shipping|sender|recipient|holder|owner|person)[ _-]?name|"
    r"name|surname|customer|client|contact|patient|employee|attn|attention|signed[ _-]by|"
    r"assigned[ _-]to|assignee|owner|author|reporter|requester|requested[ _-]by|recipient|"
    r"sender|manager|approver|approved[ _-]by|reviewer|reviewed[ _-]by|cardholder|"
    r"card[ _-]?holder|account[ _-]?holder|beneficiary|guest|passenger|tenant|applicant|"
    r"candidate|spouse|emergency[ _-]contact|next[ _-]of[ _-]kin|physician|doctor|caller|"
    r"driver|buyer|seller|landlord|witness|ship[ _-]to|bill[ _-]to|from|to|cc|bcc|reply-to|"
    r"signed|signature|prepared[ _-]by|created[ _-]by|speaker"
)
_ROLES = (
    r"customer|client|patient|employee|colleague|coworker|co-worker|manager|contractor|tenant|"
    r"driver|candidate|applicant|caller|technician|engineer|assignee|recipient|sender|guest|"
    r"passenger|student|teacher|professor|doctor|nurse|lawyer|attorney|landlord|cardholder|"
    r"user|member|agent|rep|representative|named|called|signed[ \t]+by|assigned[ \t]+to|"
    r"approved[ \t]+by|reported[ \t]+by|created[ \t]+by|requested[ \t]+by|submitted[ \t]+by|"
    r"reviewed[ \t]+by|sent[ \t]+by|written[ \t]+by|handled[ \t]+by|escalated[ \t]+to|"
    r"forwarded[ \t]+to|spoke[ \t]+(?:with|to)|talked[ \t]+to|met[ \t]+with|meeting[ \t]+with|"
    r"call[ \t]+with|ask|ping|contact|email|call|tell|thanks[ \t]+to|according[ \t]+to|"
    r"on[ \t]+behalf[ \t]+of|c/o|care[ \t]+of|this[ \t]+is|i[ \t]+am|i'm|wife|husband|son|"
    r"daughter|friend|boss|mom|dad|mother|father|brother|sister"
)
_STRONG, _SALUTE, _TITLE, _ROLE, _SIGNOFF, _ANGLE, _SPEAKER = range(7)
_CUES = {
    _STRONG: rf"(?i)\b(?:{_LABELS})[\"']?[ \t]*[:=][ \t]*[\"']?[ \t]*[a-z]|"
    r"(?i)\bmy[ \t]+name[ \t]+is[ \t]+[a-z]",
    _SALUTE: r"(?i)\b(?:dear|hi|hello|hey|hiya|greetings|thanks|thank[ \t]+you|cheers|"
    r"good[ \t]+(?:morning|afternoon|evening))[ \t]*,?[ \t]+[a-z]",
    _TITLE: r"\b(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Sir|Dame|Lady|Lord|Rev|Fr|Capt|Sgt|Lt|Col|Hon|"
    r"Judge|Officer|Detective|Nurse|Coach|MR|MRS|MS|DR)\.?[ \t]+[A-Z]",
    _ROLE: rf"(?i:\b(?:{_ROLES}))[ \t]+[A-Z]",
    _SIGNOFF: r"(?i)(?:\b(?:best|regards|best[ \t]+regards|kind[ \t]+regards|warm[ \t]+regards|"
    r"many[ \t]+thanks|thanks|thank[ \t]+you|cheers|sincerely|yours[ \t]+(?:truly|sincerely)|"
    r"respectfully|warmly|rgds|talk[ \t]+soon)[ \t]*[,!.]?|\n--)[ \t]*\r?\n[ \t]*[a-z]",
    _ANGLE: r"[A-Za-z.][\"']?[ \t]*<[A-Za-z0-9._%+-]+@",
    _SPEAKER: r"(?:^|\n)[ \t]*(?:\[[^\]\n]{0,40}\][ \t]*)?[A-Z][a-z]+(?:[ \t][A-Z][a-z]+){0,2}"
    r"[ \t]*:[ \t]",
}
# Only the value after a strong cue may be ALL-CAPS or lower-case.
_CASE_FREE = frozenset({_STRONG, _SALUTE, _SIGNOFF})
_TITLED = re.compile(RUN)
_CAPS_RUN = rf"[{UPPER}][{UPPER}'’-]+(?:[ \t]+[{UPPER}][{UPPER}'’-]+){{0,3}}"
_CAPS = re.compile(rf"{_CAPS_RUN}(?![\w])")
_LOWER = re.compile(r"[a-z][a-z'’-]+(?:[ \t]+[a-z][a-z'’-]+){0,2}(?![\w])")
_BEFORE_ANGLE = re.compile(rf"({RUN}|{_CAPS_RUN})[\"']?[ \t]*<[^<\n]*$")
_SPEAKER_NAME = re.compile(r"([A-Z][a-z]+(?:[ \t][A-Z][a-z]+){0,2})[ \t]*:[ \t]$")
_INITIAL = re.compile(rf"[{UPPER}]\.?")
_WORDS = re.compile(r"[^ \t]+")
_STOP = word_set(
    "inc corp corporation llc ltd gmbh co company group team support street avenue road"
)


@dataclass(kw_only=True)
class NameDetector:
    """Detect person names offline with context cues and shipped lexicons.

    Args:
        name_sources: person-name lexicons to use: ``"census1990"`` (US Census, public
            domain) and/or ``"faker"`` (Faker's per-locale lists, MIT).
        min_city_population: places (which win over lone first names) smaller than this are
            ignored; shared with :class:`~guardrails.detection._locations.LocationDetector`.

    Example:
        >>> d = NameDetector()
        >>> [(s.entity_type, s.start, s.end) for s in d.detect("Dear Mr. Smith, I am Maria Garcia.")]
        [('PERSON', 9, 14), ('PERSON', 21, 33)]
    """

    name_sources: tuple[str, ...] = ("census1990", "faker")
    min_city_population: int = 15000
    name: str = field(default="names", init=False)
    entities: frozenset[str] = field(default=frozenset({PERSON}), init=False)

    @cached_property
    def _runs(self) -> RunAnalyzer:
        return run_analyzer(tuple(self.name_sources), self.min_city_population)

    def detect(self, text: str, /) -> list[Span]:
        """Return PERSON spans in ``text`` (sorted, de-duplicated; may overlap)."""
        found: set[tuple[int, int, float]] = set()
        for start, findings in self._runs.runs(text):
            for a, b, entity, score, need in findings:
                if entity == PERSON and need == NEEDS_NOTHING:
                    found.add((start + a, start + b, score))
        for cue, end in _scanner().scan(text):
            hit = self._after_cue(text, cue, end)
            if hit is not None:
                found.add((hit[0], hit[1], 0.9))
        best: dict[tuple[int, int], float] = {}
        for s, e, score in found:
            best[(s, e)] = max(score, best.get((s, e), 0.0))
        return [
            Span(start=s, end=e, entity_type=PERSON, score=sc, value=text[s:e], detector=self.name)
            for (s, e), sc in sorted(best.items())
        ]

    def _after_cue(self, text: str, cue: int, end: int) -> tuple[int, int] | None:
        if cue == _ANGLE:
            m = _BEFORE_ANGLE.search(text, max(0, end - 120), end)
            return self._validate(text, m.start(1), m.group(1), strong=True) if m else None
        if cue == _SPEAKER:
            m = _SPEAKER_NAME.search(text, max(0, end - 80), end)
            if m is None or not self._lexicon_hit(m.group(1).split(), lone_ok=False):
                return None
            return m.start(1), m.end(1)
        pos = end - 1  # every other cue pattern ends on the first letter of the value
        m = _TITLED.match(text, pos)
        if m is None and cue in _CASE_FREE:
            m = _CAPS.match(text, pos) or _LOWER.match(text, pos)
        if m is None:
            return None
        return self._validate(text, pos, m.group(), strong=cue != _ROLE)

    def _validate(self, text: str, pos: int, value: str, *, strong: bool) -> tuple[int, int] | None:
        lx = self._runs.lx
        keep: list[re.Match[str]] = []
        for m in _WORDS.finditer(value):  # the leading name-like words: "Jane Doe Support"
            k = m.group().casefold()
            if len(keep) == 4 or k in _STOP:
                break
            if k in lx.common_words and k not in lx.surnames and k not in lx.first_names:
                break
            keep.append(m)
        while keep and _INITIAL.fullmatch(keep[-1].group()):
            keep.pop()
        if not keep or not self._lexicon_hit([m.group() for m in keep], lone_ok=strong):
            return None
        end = pos + keep[-1].end()
        if keep[-1].group()[-2:] in ("'s", "’s"):
            end -= 2
        return pos, end

    def _lexicon_hit(self, words: list[str], *, lone_ok: bool) -> bool:
        lx = self._runs.lx
        keys = [w.casefold().removesuffix("'s").removesuffix("’s") for w in words]
        if len(keys) == 1 and not lone_ok:
            # a lone weak-cue word must be an unambiguous first name ("ask Jane", not "ask Will")
            return keys[0] in lx.first_names and keys[0] not in lx.ambiguous_first
        if any(k in lx.first_names or k in lx.surnames for k in keys):
            return True
        # unknown words: accept two or more unknown capitalized words after a strong cue only
        return lone_ok and len(keys) > 1 and not any(k in lx.common_words for k in keys)


@cache
def _scanner() -> CueScanner:
    """The cue scanner, compiled once per process on first use."""
    return CueScanner([_CUES[i] for i in range(len(_CUES))])
