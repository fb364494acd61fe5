"""Use a presidio-analyzer ``AnalyzerEngine`` (e.g. with a spaCy NER model) as a :class:`Detector`.

Our built-in PERSON/LOCATION detection is offline and lexicon-based; when a model is available,
add presidio's NER on top::

    from guardrails.detection.presidio import PresidioDetector
    detector = PresidioDetector(entities=["PERSON", "LOCATION"])  # spaCy en_core_web_lg installed

presidio-analyzer is imported lazily: importing this module never requires it. Building an engine
ourselves never downloads anything — presidio's default would fetch a spaCy model at runtime, so
we check that the model is installed first and otherwise say how to install it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from guardrails._errors import ConfigurationError, MissingDependencyError, RedactionError
from guardrails._types import Span

__all__ = ["PRESIDIO_ENTITY_MAP", "PresidioDetector"]

#: presidio entity names that differ from ours; others pass through unchanged.
PRESIDIO_ENTITY_MAP: MappingProxyType[str, str] = MappingProxyType(
    {"STREET_ADDRESS": "ADDRESS", "GPE": "LOCATION", "PER": "PERSON", "LOC": "LOCATION"}
)

_DEFAULT_MODEL = "en_core_web_lg"


class PresidioDetector:
    """Wrap a presidio-analyzer ``AnalyzerEngine`` as a :class:`~guardrails.Detector`.

    Args:
        analyzer: a ready ``AnalyzerEngine``. ``None`` builds presidio's default engine, which
            needs the spaCy model ``en_core_web_lg`` to be installed already (never downloaded).
        entities: presidio entity names to ask for; ``None`` = everything the engine supports.
        score_threshold: results scoring below this are dropped.
        language: the language passed to ``analyze``.
        entity_map: renames presidio entities to ours (default :data:`PRESIDIO_ENTITY_MAP`).

    Raises:
        MissingDependencyError: presidio-analyzer is not installed.
        ConfigurationError: no analyzer given and the spaCy model is not installed, or the
            threshold is outside [0, 1].

    Example:
        >>> from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        >>> from presidio_analyzer.nlp_engine import NoOpNlpEngine
        >>> from presidio_analyzer.predefined_recognizers import EmailRecognizer
        >>> registry = RecognizerRegistry(recognizers=[EmailRecognizer()])
        >>> engine = AnalyzerEngine(
        ...     registry=registry,
        ...     nlp_engine=NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}]),
        ... )
        >>> d = PresidioDetector(engine)
        >>> [(s.entity_type, s.start, s.end) for s in d.detect("mail jane@example.com now")]
        [('EMAIL_ADDRESS', 5, 21)]
    """

    name = "presidio"

    def __init__(
        self,
        analyzer: Any = None,
        *,
        entities: Iterable[str] | None = None,
        score_threshold: float = 0.5,
        language: str = "en",
        entity_map: Mapping[str, str] = PRESIDIO_ENTITY_MAP,
    ) -> None:
        try:
            import presidio_analyzer
        except ImportError as exc:
            raise MissingDependencyError("presidio-analyzer", "presidio") from exc
        if not 0.0 <= score_threshold <= 1.0:
            raise ConfigurationError("score_threshold must be between 0 and 1")
        if analyzer is None:
            analyzer = _default_engine(presidio_analyzer)
        self._analyzer = analyzer
        self._language = language
        self._threshold = float(score_threshold)
        self._map = dict(entity_map)
        self._ask = sorted(entities) if entities is not None else None
        supported = self._ask or list(analyzer.get_supported_entities(language=language))
        self.entities: frozenset[str] = frozenset(self._map.get(e, e) for e in supported)

    def __repr__(self) -> str:
        return f"PresidioDetector(entities={sorted(self.entities)!r})"

    def detect(self, text: str, /) -> list[Span]:
        """Return the spans presidio finds in ``text``, renamed to our entity names.

        Raises:
            RedactionError: the analyzer failed (the caller must fail closed).
        """
        try:
            results = self._analyzer.analyze(
                text=text,
                language=self._language,
                entities=self._ask,
                score_threshold=self._threshold,
            )
        except Exception as exc:  # presidio raises bare ValueError & co: map at the boundary
            raise RedactionError(
                f"presidio-analyzer failed on a text of {len(text)} characters "
                f"({type(exc).__name__})"
            ) from None
        spans = []
        for r in results:
            if r.score < self._threshold or not 0 <= r.start < r.end <= len(text):
                continue
            spans.append(
                Span(
                    start=r.start,
                    end=r.end,
                    entity_type=self._map.get(r.entity_type, r.entity_type),
                    score=float(r.score),
                    value=text[r.start : r.end],
                    detector=self.name,
                )
            )
        return spans


def _default_engine(presidio_analyzer: Any) -> Any:
    import spacy.util

    if not spacy.util.is_package(_DEFAULT_MODEL):
        raise ConfigurationError(
            f"PresidioDetector() without an analyzer needs the spaCy model {_DEFAULT_MODEL}; "
            f"install it (python -m spacy download {_DEFAULT_MODEL}) or pass your own "
            "AnalyzerEngine. Nothing is downloaded at runtime."
        )
    return presidio_analyzer.AnalyzerEngine()
