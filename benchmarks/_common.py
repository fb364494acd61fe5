"""Shared plumbing for the benchmarks: the systems under test, datasets, machine info, results.

Three systems are measured side by side on the same inputs:

* ``guardrails`` — ``Redactor()`` with every built-in entity (detect + mask);
* ``langchain`` — LangChain v1 ``PIIMiddleware``'s five built-in detectors (email, credit_card,
  ip, mac_address, url) with the ``redact`` strategy, chained as five stacked middlewares apply
  them (``langchain.agents.middleware._redaction``);
* ``presidio`` — presidio-analyzer with its predefined *pattern* recognizers only (no NLP model:
  ``NoOpNlpEngine``; spaCy models cannot be downloaded here), anonymized by presidio-anonymizer.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import subprocess
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
PII_DEV = Path(os.environ.get("PII_DEV_DIR", ROOT.parent / "shared" / "data" / "pii-dev"))

Found = tuple[int, int, str]  # (start, end, label in the system's own vocabulary)


@dataclass(frozen=True, slots=True, kw_only=True)
class System:
    """One redaction system: ``detect`` returns raw spans, ``redact`` returns the masked text."""

    name: str
    detect: Callable[[str], list[Found]]
    redact: Callable[[str], str]


def ours() -> System:
    """``guardrails.Redactor()`` with every built-in entity."""
    from guardrails import Redactor

    redactor = Redactor()

    def detect(text: str) -> list[Found]:
        return [(s.start, s.end, s.entity_type) for s in redactor.redact(text).spans]

    def redact(text: str) -> str:
        return str(redactor.redact(text).text)

    return System(name="guardrails", detect=detect, redact=redact)


# The entity types LangChain's five built-in detectors cover (its ``url`` detector finds whole
# URLs; ours masks the credentials inside one).
LANGCHAIN_ENTITIES = (
    "EMAIL_ADDRESS",
    "CREDIT_CARD",
    "IP_ADDRESS",
    "MAC_ADDRESS",
    "URL_CREDENTIALS",
)


def ours_langchain_entities() -> System:
    """``Redactor(entities=LANGCHAIN_ENTITIES)``: the engine on LangChain's five entity types only
    (for reference beside the all-entity runs; the targets are on ``Redactor()``)."""
    from guardrails import Redactor

    redactor = Redactor(entities=LANGCHAIN_ENTITIES)

    def detect(text: str) -> list[Found]:
        return [(s.start, s.end, s.entity_type) for s in redactor.redact(text).spans]

    def redact(text: str) -> str:
        return str(redactor.redact(text).text)

    return System(name="guardrails_5_entities", detect=detect, redact=redact)


def langchain() -> System:
    """PIIMiddleware's five built-in detectors with ``strategy="redact"``."""
    from langchain.agents.middleware._redaction import BUILTIN_DETECTORS, RedactionRule

    rules = [
        RedactionRule(pii_type=name, strategy="redact").resolve() for name in BUILTIN_DETECTORS
    ]

    def detect(text: str) -> list[Found]:
        return [
            (m["start"], m["end"], m["type"]) for d in BUILTIN_DETECTORS.values() for m in d(text)
        ]

    def redact(text: str) -> str:
        for rule in rules:  # five stacked PIIMiddleware instances, each on the previous output
            text, _ = rule.apply(text)
        return text

    return System(name="langchain", detect=detect, redact=redact)


def presidio() -> System:
    """presidio-analyzer's predefined pattern recognizers (no NLP model) + presidio-anonymizer."""
    import tldextract
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine
    from presidio_analyzer.predefined_recognizers.generic import email_recognizer
    from presidio_anonymizer import AnonymizerEngine

    # The e-mail recognizer calls tldextract, which fetches the public suffix list over the
    # network; point it at the snapshot bundled with tldextract so nothing is downloaded.
    offline = tldextract.TLDExtract(suffix_list_urls=())
    email_recognizer.tldextract = type("_T", (), {"extract": staticmethod(offline)})  # type: ignore[assignment]

    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "no_op"}])
    nlp.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])
    anonymizer = AnonymizerEngine()

    def detect(text: str) -> list[Found]:
        return [(r.start, r.end, r.entity_type) for r in analyzer.analyze(text, language="en")]

    def redact(text: str) -> str:
        return str(
            anonymizer.anonymize(
                text=text, analyzer_results=analyzer.analyze(text, language="en")
            ).text
        )

    return System(name="presidio", detect=detect, redact=redact)


def systems(names: list[str] | None = None) -> list[System]:
    """Build the requested systems; ``guardrails`` is skipped with a note if not importable yet."""
    out: list[System] = []
    for name, factory in (("guardrails", ours), ("langchain", langchain), ("presidio", presidio)):
        if names and name not in names:
            continue
        try:
            out.append(factory())
        except ImportError as exc:
            print(f"[skip] {name}: {exc}")
    return out


def load_jsonl(path: Path, limit: int | None = None) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if limit is not None and i >= limit:
                return
            yield json.loads(line)


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, Any]:
    """Where and with what a result was measured."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    marker = ROOT / ".commit"  # a `git archive` snapshot records the commit it was cut from
    try:
        commit = (
            marker.read_text().strip()
            if marker.exists()
            else subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
        )
    except OSError:
        commit = ""
    # Whether tracked files differed from that commit (others' uncommitted edits measured too);
    # None when it cannot be told (an archive snapshot, no git).
    dirty: bool | None = None
    if not marker.exists():
        try:
            status = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
        except OSError:
            pass
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "git_commit": commit,
        "dirty": dirty,
        "versions": {
            d: _version(d)
            for d in (
                "langchain",
                "presidio-analyzer",
                "presidio-anonymizer",
                "phonenumbers",
                "python-stdnum",
                "google-re2",
                "hyperscan",
            )
        },
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def write_result(name: str, data: dict[str, Any]) -> Path:
    """Write ``benchmarks/results/<name>.json`` with machine info attached."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "machine": machine_info(), **data}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def timed(fn: Callable[[], object], *, repeat: int = 5, warmup: int = 1) -> float:
    """Median wall time in seconds of ``fn`` over ``repeat`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    samples.sort()
    return samples[len(samples) // 2]
