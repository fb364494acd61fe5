"""One ``Redactor.redact_data`` call: check, collect, redact the strings in batches, rebuild.

Redacting leaf by leaf would run every detector once per string (a 1,000-record tool output
has thousands) and grow the vault's matcher one value at a time. Instead:

1. one walk checks the data whole (types, cycles) and collects the distinct strings and the
   values of rule fields (``ssn``, ``password``…); nothing reaches the vault before it ends;
2. the rule fields' values are masked first, so that the vault knows them before any text is
   scanned;
3. the strings are joined with a separator into blocks of up to 256 KB and each block is
   redacted as one text: detectors, known values and repeats run once per block, and a value
   from one field is found in another (a customer's name in a free-text note);
4. the data is rebuilt by :func:`guardrails.structured.transform` from those results.

A span the detectors draw across the separator is clipped to each string it touches: masking
a little more is safe, cutting a value in two is not.
"""

from __future__ import annotations

import bisect
import json
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from guardrails import _detection_api as api
from guardrails._errors import InputError
from guardrails._types import Span
from guardrails.masking._tokens import TOKEN_RE
from guardrails.structured import check, transform
from guardrails.vault._restore import looks_like_json
from guardrails.vault._vault import Vault

if TYPE_CHECKING:
    from guardrails.redactor import Redactor

__all__ = ["StructuredPass"]

SEP = "\n\x00\n"  # no value contains NUL; newlines stop most context cues
BATCH = 256 << 10


class StructuredPass:
    """Redacts one piece of structured data into ``vault``, counting into ``counts``."""

    def __init__(self, redactor: Redactor, vault: Vault, counts: Counter[str]) -> None:
        self.r = redactor
        self.vault = vault
        self.counts = counts

    def run(self, obj: Any) -> Any:
        """Return the redacted copy of ``obj``."""
        texts: Counter[str] = Counter()
        whole: list[tuple[str, str]] = []  # (value, rule) of rule fields, masked after the walk
        check_leaf, ruled_value = self._check_leaf, self._ruled

        def collect(value: Any, rule: str | None) -> None:
            check_leaf(value)
            if rule is not None and ruled_value(value, rule):
                whole.append((str(value), rule))
            elif isinstance(value, str) and value:
                texts[value] += 1

        def collect_key(k: Any) -> None:
            if isinstance(k, str) and k:
                texts[k] += 1

        # One walk checks and collects; bad input (a type, a cycle) raises before anything
        # reaches the vault, because rule fields are only masked once the walk is done.
        check(obj, collect, key=collect_key, rule_for=self.r._rule_for)
        ruled: list[str] = []
        for value, rule in whole:
            self.counts[rule] += 1
            ruled.append(self.r._mask(value, rule, self.vault))
        done = self._redact_texts(texts)
        pending: Iterator[Any] = iter(ruled)

        def leaf(value: Any, rule: str | None) -> Any:
            if rule is not None and self._ruled(value, rule):
                return next(pending)
            if isinstance(value, str) and value:
                return done[value]
            return value

        def key(k: Any) -> Any:
            return done[k] if isinstance(k, str) and k else k

        return transform(obj, leaf, key=key, rule_for=self.r._rule_for)

    @staticmethod
    def _check_leaf(value: Any, _rule: str | None = None) -> None:
        if value is None or isinstance(value, str | int | float) or api.is_number(value):
            return
        if isinstance(value, bytes | bytearray | memoryview):
            raise InputError("bytes inside the data: decode them to str before redacting")
        if not api.is_safe_scalar(value):
            raise InputError(f"cannot redact a value of type {type(value).__name__}")

    @staticmethod
    def _ruled(value: Any, rule: str) -> bool:
        """Whether a rule field's value is masked whole (numbers too; not bools or None)."""
        if isinstance(value, bool) or value is None:
            return False
        if isinstance(value, int | float) or api.is_number(value):
            return True
        if not isinstance(value, str):
            return False
        stripped = value.strip()
        if not stripped or TOKEN_RE.fullmatch(stripped):
            return False
        # "name" is also a tool, file or product name: mask it only when it looks like a person.
        return rule != "PERSON" or api.PERSON_SHAPE.fullmatch(stripped) is not None

    # -- strings -----------------------------------------------------------------------------
    def _redact_texts(self, texts: Counter[str]) -> dict[str, str]:
        done: dict[str, str] = {}
        plain: list[str] = []
        for text in texts:
            doc = _json_document(text)
            if doc is None:
                plain.append(text)
            else:
                done[text] = self._json_text(text, doc, texts[text])
        group: list[str] = []
        size = 0
        for text in plain:
            if group and size + len(text) > BATCH:
                self._redact_block(group, texts, done)
                group, size = [], 0
            group.append(text)
            size += len(text) + len(SEP)
        if group:
            self._redact_block(group, texts, done)
        return done

    def _json_text(self, text: str, doc: Any, times: int) -> str:
        local: Counter[str] = Counter()
        redacted = StructuredPass(self.r, self.vault, local).run(doc)
        if not local:
            return text  # nothing sensitive: keep the original formatting
        for entity, n in local.items():
            self.counts[entity] += n * times
        try:
            return json.dumps(redacted, ensure_ascii=False)
        except (ValueError, RecursionError):  # pragma: no cover - parsed, so it serializes
            return self.r._redact_text(text, self.vault, Counter())[0]

    def _redact_block(self, group: list[str], times: Counter[str], done: dict[str, str]) -> None:
        if len(group) == 1:
            local: Counter[str] = Counter()
            done[group[0]] = self.r._redact_text(group[0], self.vault, local)[0]
            self._count(local, times[group[0]])
            return
        starts: list[int] = []
        pos = 0
        for text in group:
            starts.append(pos)
            pos += len(text) + len(SEP)
        joined = SEP.join(group)
        per_text: list[list[Span]] = [[] for _ in group]
        for span in self.r._spans(joined, self.vault, None):
            i = bisect.bisect_right(starts, span.start) - 1
            while i < len(group) and starts[i] < span.end:
                lo = max(span.start, starts[i]) - starts[i]
                hi = min(span.end, starts[i] + len(group[i])) - starts[i]
                if hi > lo:
                    per_text[i].append(
                        Span(start=lo, end=hi, entity_type=span.entity_type, score=span.score)
                    )
                i += 1
        for text, spans in zip(group, per_text, strict=True):
            done[text] = self._apply(text, spans, times[text])

    def _apply(self, text: str, spans: list[Span], times: int) -> str:
        if not spans:
            return text
        pieces: list[str] = []
        pos = 0
        for span in spans:
            pieces.append(text[pos : span.start])
            pieces.append(self.r._mask(text[span.start : span.end], span.entity_type, self.vault))
            pos = span.end
            self.counts[span.entity_type] += times
        pieces.append(text[pos:])
        return "".join(pieces)

    def _count(self, local: Counter[str], times: int) -> None:
        for entity, n in local.items():
            self.counts[entity] += n * times


def _json_document(text: str) -> Any:
    """The parsed object or array inside ``text``, or None (not JSON, broken or too deep)."""
    if not looks_like_json(text):
        return None
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return None  # broken, or deeper than the json module allows: redacted as plain text
    return doc if isinstance(doc, dict | list) else None
