"""The :class:`Redactor`: detect and mask PII and secrets in text and structured data.

One redaction = detect (every detector, one pass each) + the vault's known values + repeats of
values found through context, minus anything inside an already-masked token, merged into
non-overlapping spans, then masked with the operator configured for each entity type and joined
once. Structured data goes through :mod:`guardrails.structured` (iterative, shape-preserving).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from guardrails import _detection_api as api
from guardrails._errors import ConfigurationError, GuardrailsError, InputError, RedactionError
from guardrails._redact_data import StructuredPass
from guardrails._spans import drop_protected, find_repeats, merge, protected_ranges
from guardrails._types import Detector, Span
from guardrails.masking._base import Operator
from guardrails.masking._tokens import token_name
from guardrails.masking.placeholder import Placeholder
from guardrails.structured import DEFAULT_FIELD_RULES, normalize_field
from guardrails.vault._vault import Vault, produced_digest

if TYPE_CHECKING:
    from guardrails.detection import CustomEntity

__all__ = ["DataRedactionResult", "RedactionResult", "Redactor"]

_RULE_CACHE_MAX = 4096


@dataclass(frozen=True, slots=True, kw_only=True)
class RedactionResult:
    """What :meth:`Redactor.redact` returns.

    Attributes:
        text: the masked text.
        spans: merged, non-overlapping spans in the *original* text's coordinates.
        counts: entity type -> number of masked values.
        vault: the vault used (a fresh one when none was given).

    Example:
        >>> r = Redactor().redact("ssn 078-05-1121, mail a.b@example.org")
        >>> r.text, dict(r.counts)
        ('ssn <US_SSN_1>, mail <EMAIL_ADDRESS_1>', {'US_SSN': 1, 'EMAIL_ADDRESS': 1})
        >>> [(s.start, s.end, s.entity_type) for s in r.spans]
        [(4, 15, 'US_SSN'), (22, 37, 'EMAIL_ADDRESS')]
    """

    text: str
    spans: tuple[Span, ...]
    counts: Mapping[str, int]
    vault: Vault = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class DataRedactionResult:
    """What :meth:`Redactor.redact_data_with_report` returns: the data and counts (no values).

    Example:
        >>> report = Redactor().redact_data_with_report({"ssn": 78051121, "plan": "pro"})
        >>> report.data, dict(report.counts)
        ({'ssn': '<US_SSN_1>', 'plan': 'pro'}, {'US_SSN': 1})
    """

    data: Any = field(repr=False)
    counts: Mapping[str, int]
    vault: Vault = field(repr=False)


class Redactor:
    """Detects and masks PII and secrets; configured once, then safe to share between threads.

    Args:
        entities: entity types or groups (``"pii"``, ``"secrets"``…); None = every built-in.
        operators: entity type -> :class:`~guardrails.masking.Operator`; key ``"default"`` for
            the rest. Default: reversible :class:`~guardrails.masking.Placeholder` everywhere.
        detectors: replaces the built-in detectors (None = ``detection.default_detectors``).
        extra_detectors: added to them, e.g. a presidio-analyzer detector.
        custom: :class:`~guardrails.CustomEntity` definitions (regex + validator + context).
        field_rules: field name -> entity type for structured data (replaces
            :data:`~guardrails.structured.DEFAULT_FIELD_RULES` and the detectors' field-name
            lists); secret-named keys always apply.
        score_threshold: spans scored below it are ignored.

    Raises:
        ConfigurationError: an unknown entity, operator key or invalid setting.

    Example:
        >>> r = Redactor()
        >>> result = r.redact("Mail jane.doe@example.com or call +1 415 555 0100")
        >>> result.text
        'Mail <EMAIL_ADDRESS_1> or call <PHONE_NUMBER_1>'
        >>> result.vault.restore(result.text)
        'Mail jane.doe@example.com or call +1 415 555 0100'
    """

    def __init__(
        self,
        *,
        entities: Iterable[str] | None = None,
        operators: Mapping[str, Operator] | None = None,
        detectors: Sequence[Detector] | None = None,
        extra_detectors: Sequence[Detector] = (),
        custom: Sequence[CustomEntity] = (),
        field_rules: Mapping[str, str] | None = None,
        score_threshold: float = 0.0,
    ) -> None:
        custom = tuple(custom)
        custom_names = api.custom_names(custom)
        base = tuple(detectors) if detectors is not None else None
        declared = set(custom_names)
        for det in (*(base or ()), *extra_detectors):
            if not isinstance(det, Detector):
                raise ConfigurationError(
                    f"{type(det).__name__} is not a Detector (needs name, entities, detect())"
                )
            declared |= set(det.entities)
        self.entities: frozenset[str] = api.expand(entities, extra=frozenset(declared))
        if base is None:
            base = api.default_detectors(self.entities, custom)
        elif custom:
            base = (*base, *api.custom_detectors(custom))
        self.detectors: tuple[Detector, ...] = (*base, *extra_detectors)
        self._operators = self._check_operators(operators)
        self._default_operator: Operator = self._operators.pop("default", Placeholder())
        # every entity masked with the reversible placeholder (the default): masking is batched
        self._placeholders_only = all(
            type(op) is Placeholder for op in (self._default_operator, *self._operators.values())
        )
        self._default_rules = False
        self._field_rules = self._check_rules(field_rules)
        if isinstance(score_threshold, bool) or not isinstance(score_threshold, int | float):
            raise ConfigurationError("score_threshold must be a number between 0 and 1")
        if not 0.0 <= float(score_threshold) <= 1.0:
            raise ConfigurationError("score_threshold must be between 0 and 1")
        self.score_threshold = float(score_threshold)
        from guardrails.detection._entities import ENTITIES

        self._token_names = frozenset(token_name(e) for e in ENTITIES | self.entities)
        self._salt = os.urandom(16)  # keys this redactor's entries in a vault's output cache
        self._rule_cache: dict[str, str | None] = {}  # field name -> rule (see _rule_for)

    def _check_operators(self, operators: Mapping[str, Operator] | None) -> dict[str, Operator]:
        if operators is None:
            return {}
        if not isinstance(operators, Mapping):
            raise ConfigurationError("operators must be a mapping of entity type -> operator")
        out: dict[str, Operator] = {}
        for name, op in operators.items():
            if name != "default" and name not in self.entities:
                raise ConfigurationError(f"operator given for an entity not enabled: {name!r}")
            if not isinstance(op, Operator):
                raise ConfigurationError(
                    f"operator for {name!r} is {type(op).__name__}, which has no mask() method"
                )
            out[name] = op
        return out

    def _check_rules(self, rules: Mapping[str, str] | None) -> dict[str, str]:
        if rules is None:
            rules = {**api.detection_field_rules(), **DEFAULT_FIELD_RULES}
            self._default_rules = True
        elif not isinstance(rules, Mapping):
            raise ConfigurationError("field_rules must be a mapping of field name -> entity type")
        out: dict[str, str] = {}
        for name, entity in rules.items():
            if not isinstance(name, str) or not isinstance(entity, str):
                raise ConfigurationError("field_rules keys and values must be strings")
            if entity not in api.known_entities(self.entities) and not self._default_rules:
                raise ConfigurationError(f"field rule {name!r} names an unknown entity {entity!r}")
            if entity in self.entities:
                out[normalize_field(name)] = entity
        return out

    def __repr__(self) -> str:
        return f"Redactor(entities={len(self.entities)}, detectors={len(self.detectors)})"

    # -- text --------------------------------------------------------------------------------
    def detect(self, text: str) -> list[Span]:
        """Merged, non-overlapping spans of ``text`` (no vault involved)."""
        _require_text(text)
        return self._spans(text, None, None)

    def redact(self, text: str, *, vault: Vault | None = None) -> RedactionResult:
        """Mask every sensitive value in ``text``.

        Raises:
            InputError: ``text`` is not a ``str``.
            RedactionError: a detector or operator failed (nothing is returned half-masked).
        """
        _require_text(text)
        vault = _require_vault(vault)
        counts: dict[str, int] = {}  # only the result holds it: no copy needed
        masked, spans = self._redact_text(text, vault, counts)
        return RedactionResult(
            text=masked, spans=tuple(spans), counts=MappingProxyType(counts), vault=vault
        )

    def _spans(self, text: str, vault: Vault | None, digest: bytes | None) -> list[Span]:
        ranges = protected_ranges(text, self._token_names)
        found: list[Span] = []
        if digest is None or vault is None or not vault._was_produced(digest):
            found = merge(drop_protected(self._run_detectors(text), ranges), text)
        extra = find_repeats(text, found) if found else []
        if vault is not None and len(vault):
            extra.extend(vault.find_known(text, self.entities))
        if not extra:
            return found
        return merge(drop_protected([*found, *extra], ranges), text)

    def _run_detectors(self, text: str) -> list[Span]:
        found: list[Span] = []
        n = len(text)
        for det in self.detectors:
            failure = ""
            try:
                spans = list(det.detect(text))
            except GuardrailsError:
                raise
            except Exception as exc:
                failure = type(exc).__name__
            if failure:
                # Raised outside the handler: the original exception (its message may quote the
                # text) is neither the cause nor the context of ours.
                raise RedactionError(
                    f"detector {getattr(det, 'name', type(det).__name__)!r} failed "
                    f"({failure}); nothing was redacted"
                )
            for span in spans:
                if not isinstance(span, Span) or span.end > n:
                    raise RedactionError(
                        f"detector {getattr(det, 'name', '?')!r} returned an invalid span"
                    )
                if span.entity_type in self.entities and span.score >= self.score_threshold:
                    found.append(span)
        return found

    def _operator(self, entity_type: str) -> Operator:
        return self._operators.get(entity_type, self._default_operator)

    def _mask(self, value: str, entity_type: str, vault: Vault) -> str:
        op = self._operators.get(entity_type, self._default_operator)
        if type(op) is Placeholder:  # the default: skip the generic checks (hot path)
            return vault.placeholder_for(entity_type, value)
        failure = ""
        try:
            out = op.mask(value, entity_type=entity_type, vault=vault)
        except GuardrailsError:
            raise
        except Exception as exc:
            failure = type(exc).__name__
        if failure:  # outside the handler, as in _run_detectors
            raise RedactionError(f"operator for {entity_type} failed ({failure})")
        if not isinstance(out, str):
            raise RedactionError(f"operator for {entity_type} did not return a string")
        return out

    def _redact_text(
        self, text: str, vault: Vault, counts: dict[str, int]
    ) -> tuple[str, list[Span]]:
        if not text:
            return text, []
        # A vault that never produced a text cannot skip this one: no digest needed to look up.
        digest = produced_digest(self._salt, text) if vault._has_produced() else None
        spans = self._spans(text, vault, digest)
        if not spans:
            vault._mark_produced(self._salt, text, digest)
            return text, []
        if self._placeholders_only and type(vault) is Vault:
            masks = vault._placeholders([(s.entity_type, text[s.start : s.end]) for s in spans])
        else:
            mask = self._mask
            masks = [mask(text[s.start : s.end], s.entity_type, vault) for s in spans]
        pieces: list[str] = []
        append = pieces.append
        pos = 0
        for span, replacement in zip(spans, masks, strict=True):
            append(text[pos : span.start])
            append(replacement)
            pos = span.end
            # counted here, not by Counter.update (its Mapping check costs more than the count)
            counts[span.entity_type] = counts.get(span.entity_type, 0) + 1
        append(text[pos:])
        masked = "".join(pieces)
        vault._mark_produced(self._salt, masked)
        return masked, spans

    # -- structured data ---------------------------------------------------------------------
    def redact_data(self, obj: Any, *, vault: Vault | None = None) -> Any:
        """Mask sensitive values in nested data; same shape, non-sensitive leaves untouched.

        Handles dicts (keys too), lists, tuples, sets, dataclasses, pydantic models (a
        ``model_copy`` is returned) and JSON documents inside strings (re-serialized as JSON).
        A field named by a rule (``ssn``, ``password``, ``card_number``…) is masked whole; a
        non-string value there (an ``int`` SSN) becomes the placeholder *string*.

        Raises:
            InputError: bytes, an unsupported object type, or a cycle.
        """
        return self.redact_data_with_report(obj, vault=vault).data

    def redact_data_with_report(
        self, obj: Any, *, vault: Vault | None = None
    ) -> DataRedactionResult:
        """Like :meth:`redact_data`, plus counts per entity type for audit summaries."""
        vault = _require_vault(vault)
        counts: Counter[str] = Counter()
        data = StructuredPass(self, vault, counts).run(obj)
        return DataRedactionResult(data=data, counts=MappingProxyType(dict(counts)), vault=vault)

    def _rule_for(self, name: str) -> str | None:
        # Called for every key of every mapping walked (three walks per redact_data): memoized
        # per field name, bounded so that data with ever-new keys cannot grow it without end.
        cache = self._rule_cache
        if name in cache:
            return cache[name]
        entity = self._field_rules.get(normalize_field(name))
        if entity is None:
            entity = api.secret_key_entity(name)
        result = entity if entity in self.entities else None
        if len(cache) < _RULE_CACHE_MAX:
            cache[name] = result
        return result


def _require_text(text: object) -> None:
    if not isinstance(text, str):
        raise InputError(f"expected str, got {type(text).__name__}")


def _require_vault(vault: object) -> Vault:
    if vault is None:
        return Vault()
    if not isinstance(vault, Vault):
        raise InputError(f"vault must be a guardrails.Vault, got {type(vault).__name__}")
    return vault
