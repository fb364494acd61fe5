"""Offline ADDRESS detection: street addresses (US/UK and common European formats), PO boxes.

A hyperscan (or RE2) pass finds anchors — a house number followed by a capitalized word, a
street-type word next to a number, a PO box — and the full address regexes then run only in a
small window around each anchor, so the cost stays linear in the text and tiny on text without
addresses. Formats: ``1600 Pennsylvania Ave NW, Washington, DC 20500``, ``221B Baker Street``,
``Apt. 4``, ``Hauptstraße 5, 10115 Berlin``, ``12 rue de la Paix``, ``Via Roma 10``,
``Koskikatu 25``, ``ul. Narewska 94``, ``P.O. Box 123``, ``PSC 5217, Box 4854``,
``USNS Bergman FPO AP 93757``. Around the addresses found, an address block is read further: a
street line without a street word right before a unit ("20789 Allika 46" / "Suite 501"), a house
number opening the line, the postcode on the country line closing the block ("Estonia 62488").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from guardrails._types import Span
from guardrails.detection._lexicon import LETTER, UPPER, lexicons, word_set
from guardrails.detection._lexicon_scan import SHARED_SCAN, Memo
from guardrails.detection._lexicon_tables import table_reader

__all__ = ["ADDRESS_FIELD_NAMES", "AddressDetector"]

ADDRESS = "ADDRESS"

#: Structured-data field names (lower-case, ``_`` separated) whose value is a street address.
ADDRESS_FIELD_NAMES: frozenset[str] = word_set(
    """
    address street street_address address_line address_line1 address_line2 address_line_1
    address_line_2 address1 address2 line1 line2 addr home_address mailing_address
    billing_address shipping_address postal_address residential_address work_address
    delivery_address street_name street_number house_number building apartment apt suite
    unit po_box postbox zip zipcode zip_code postal_code postcode post_code full_address
    """
)

_SUFFIX = (
    r"Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Wy|Court|Ct|Place|"
    r"Pl|Square|Sq|Terrace|Ter|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Trail|Trl|Alley|Crescent|"
    r"Cres|Close|Plaza|Plz|Loop|Row|Walk|Path|Pike|Expressway|Expy|Freeway|Fwy|Route|Rte|"
    r"Point|Pt|Ridge|Crossing|Heights|Hts|Park|Gardens|Gdns|Grove|Hill|Hills|Mews|Wharf|Quay|"
    r"Green|Esplanade|Broadway|Flats?|Cliffs?|Creek|Meadows?|Mills?|Springs?|Station|Summit|"
    r"Valley|Views?|Village|Vista|Ways|Turnpike|Causeway|Bypass|Estates?|Glen|Harbou?r|Haven|"
    r"Island|Junction|Knolls?|Landing|Manor|Oval|Pass|Passage|Pines?|Plains?|Port|Prairie|"
    r"Ranch|Rapids?|Shores?|Spur|Stream|Track|Trace|Tunnel|Underpass|Union|Villa|Wells?|Fork|"
    r"Forks|Forest|Ford|Falls|Fields?|Gateway|Lake|Lakes|Lodge|Mount|Mountain|Orchard|Overpass"
)
_DIR = r"(?:[NSEW]|NE|NW|SE|SW|North|South|East|West)\.?"
_UNIT = (
    r"(?:,?[ \t]*(?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Room|Rm|Bldg|Building|#)\.?"
    r"[ \t]*#?[ \t]*[A-Za-z0-9-]{1,6}\b){0,2}"
)
_CAP = rf"[{UPPER}](?:[{LETTER}]|['’-]|\.(?=[{LETTER}]))*"  # a dot only inside ("St.Louis")
_CITY_TAIL = (  # ", Springfield, IL 62704" / "\n SCHEIBBS, NO 14908" / ", 10115 Berlin"
    # words are separated by one blank: "{_CAP}[ \t]?" repeated could split an ALL-CAPS word at
    # every letter and backtrack cubically on hostile input
    rf"(?:,?[ \t]*\n?[ \t]*{_CAP}(?:[ \t]{_CAP}){{0,2}},?[ \t]*[A-Z]{{2}}[ \t]+\d{{5}}(?:-\d{{4}})?"
    rf"|,?[ \t]*\n?[ \t]*\d{{4,5}}[ \t]+{_CAP}(?:[ \t]{_CAP})?)?"
)
_US = re.compile(
    rf"\b\d{{1,6}}[A-Za-z]?(?:[-/]\d{{1,4}}[A-Za-z]?)?[ \t]+(?:\d{{1,4}}[ \t]+)?(?:{_DIR}[ \t]+)?"
    rf"(?:(?:(?:{_CAP}|\d{{1,3}}(?:st|nd|rd|th))[ \t]+){{1,4}}(?:{_SUFFIX})|Broadway)\b\.?"
    rf"(?:[ \t]+{_DIR}(?![{LETTER}]))?{_UNIT}{_CITY_TAIL}"
)
_EU_WORD_SUFFIX = (
    r"straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|ufer|steig|pfad|chaussee|markt|"
    r"katu|kuja|tie|polku|vägen|gatan|gata|vej|gade|vegen|veien|veg|vegur|gränd|straat|laan|"
    r"gracht|plein|kade|singel|dreef|utca|ulica|cesta|iela|gatvė|tänav"
)
_EU_SUFFIXED = re.compile(  # "Hauptstraße 5", "Koskikatu 25 A 3", "Kerkstraat 12"
    rf"(?:\b\d{{1,6}}[ \t]+)?\b(?:[{UPPER}](?:[{LETTER}]|[-])*[ \t]+)?"
    rf"(?:[{UPPER}](?:[{LETTER}]|[-])*(?i:{_EU_WORD_SUFFIX})|Straße|Strasse|Str\.|Weg|Gasse|Platz|"
    rf"Allee|Ring|Damm|Ufer|Vej|Gade|Laan|Gata|Gatan|Vegen|Veien)[ \t]+\d{{1,4}}[a-zA-Z]?(?:[ \t]*[-/][ \t]*\d{{1,4}})?"
    rf"{_UNIT}{_CITY_TAIL}"
)
_EU_PREFIXED = re.compile(  # "Via Roma 10", "Calle Mayor 5", "ul. Narewska 94", "Rua Augusta 274"
    rf"\b(?:Via|Viale|Vicolo|Piazza|Piazzale|Corso|Largo|Calle|Avenida|Avda\.|Av\.|Plaza|Paseo|"
    rf"Carrer|Rua|Travessa|Praça|Largo|ul\.|ulica|al\.|aleja|Platz|Πλατεία|Οδός)[ \t]+"
    rf"(?:(?:de|del|della|di|da|do|dos|das|la|las|los)[ \t]+|(?:[{LETTER}]|['’.-])+[ \t]+){{0,4}}?"
    rf"\d{{1,4}}[A-Za-z]?\b{_UNIT}{_CITY_TAIL}"
)
_FR = re.compile(  # "12 rue de la Paix", "5 bis, avenue Foch"
    rf"\b\d{{1,4}}(?:[ \t]?(?:bis|ter))?,?[ \t]+(?:rue|avenue|av\.|boulevard|bd|place|allée|"
    rf"chemin|impasse|quai|cours|route|square|passage)[ \t]+"
    rf"(?:(?:de[ \t]+la|de[ \t]+l'|du|des|de|d'|la|le|les|l')[ \t]*)?"
    rf"[{UPPER}](?:[{LETTER}]|['’-])*(?:[ \t]+(?:de[ \t]+|du[ \t]+|des[ \t]+)?[{UPPER}](?:[{LETTER}]|['’-])*){{0,3}}"
    rf"{_CITY_TAIL}",
    re.IGNORECASE,
)
_PO_BOX = re.compile(
    r"\b(?:P\.?[ \t]?O\.?[ \t]*Box|Post[ \t]+Office[ \t]+Box|POB|Postfach|Apartado|Casilla|"
    r"(?:PSC|Unit)[ \t]+\d{3,5},?[ \t]+Box)[ \t]*#?[ \t]*\d{1,7}"
    r"(?:,?[ \t]*\n?[ \t]*(?:APO|FPO|DPO)[ \t]+(?:AA|AE|AP)[ \t]+\d{5})?"
    # US Navy / Coast Guard ships: "USNS Bergman\nFPO AP 93757"
    r"|\b(?:USNS|USS|USNV|USCGC)[ \t]+[^\W\d_][\w'’-]*(?:[ \t][^\W\d_][\w'’-]*)?,?"
    r"[ \t]*\n?[ \t]*FPO[ \t]+(?:AA|AE|AP)[ \t]+\d{5}",
    re.IGNORECASE,
)
_UNIT_ONLY = re.compile(r"\b(?:Apt|Apartment|Suite|Ste)\.?[ \t]*#?[ \t]*\d{1,5}[A-Za-z]?\b")
_JP = re.compile(  # Japanese block numbering: "1-10-3 Namba", "4-17-17 Umeda"
    rf"\b\d{{1,2}}-\d{{1,2}}-\d{{1,3}}[ \t]+[{UPPER}](?:[{LETTER}]|[-])+(?:[ \t]+[{UPPER}](?:[{LETTER}]|[-])+)?"
)
_REGEXES = (_US, _EU_SUFFIXED, _EU_PREFIXED, _FR, _PO_BOX, _UNIT_ONLY, _JP)

_LABELS = (
    r"address|street|street[ _-]?address|address[ _-]?line[ _-]?[12]?|addr|mailing[ _-]address|"
    r"billing[ _-]address|shipping[ _-]address|home[ _-]address|postal[ _-]address|"
    r"delivery[ _-]address|ship[ _-]to[ _-]address|residence"
)
_Q = r"(?:\\?[\"'])?"  # an optional quote, possibly escaped inside a JSON string
_LABEL_VALUE = re.compile(r"[0-9A-Za-z\u00c0-\u024f][^\n\"\\<>{}\[\]|]{2,150}")
# "MAC address: 00:1A:…", "email address: …", "IP address 10.0.0.1" are not street addresses
_NOT_STREET_BEFORE = re.compile(
    r"(?i:\b(?:mac|ip|ipv4|ipv6|email|e-mail|wallet|web|memory|bitcoin|eth)[ _-]?)$"
)
_HAS_WORD = re.compile(rf"[{LETTER}]{{3,}}")
_LABEL, _FR_ANCHOR, _JP_ANCHOR, _EU_SUFFIX, _EU_PREFIX, _BOX, _UNIT_ANCHOR, _CONTEXT = range(8)
# After "lives at", "ship to", "my address is": a street without a known suffix word, as most
# of Europe writes it ("Allika 46", "6750 Koskikatu 25", "hersnapvej 18").
_GENERIC = re.compile(
    rf"(?:\d{{1,6}}[A-Za-z]?[ \t]+)?(?:[{LETTER}](?:[{LETTER}]|['’.-])*[ \t]+){{1,4}}"
    rf"\d{{1,5}}[A-Za-z]?\b(?:[ \t]*[-/][ \t]*\d{{1,4}})?{_UNIT}"
    rf"|\d{{1,6}}[A-Za-z]?[ \t]+[{UPPER}](?:[{LETTER}]|['’-])*(?:[ \t]+[{UPPER}](?:[{LETTER}]|['’-])*){{0,3}}"
    rf"{_UNIT}"
)
_NUMBER = r"\b\d{1,6}[A-Za-z]?(?:[-/]\d{1,4}[A-Za-z]?)?"
# The US/UK anchor ends on the street suffix, so log lines ("200 OK", "Items 42") never reach the
# Python regexes. It is too large for hyperscan's start-of-match mode, hence its own scanner
# reporting ends only; the full regex then runs in a small window before that end.
_US_ANCHOR = (
    rf"{_NUMBER}[ \t]+(?:\d{{1,4}}[ \t]+)?(?:[^ \t\n,]+[ \t]+){{1,5}}(?:{_SUFFIX})\b"
    rf"|{_NUMBER}[ \t]+Broadway\b"
)
_US_BEFORE = 90
_ANCHORS = (
    # a label whose value is an address: "address": "…", Street: …
    rf"(?i)(?:^|[^A-Za-z0-9_])(?:{_LABELS}){_Q}[ \t]*[:=][ \t]*{_Q}[ \t]*[0-9A-Za-z]",
    r"(?i)\b\d{1,4}(?:[ \t]?(?:bis|ter))?,?[ \t]+(?:rue|avenue|av\.|boulevard|bd|place|all|"
    r"chemin|impasse|quai|cours|route|square|passage)",  # "12 rue de la Paix"
    r"\b\d{1,2}-\d{1,2}-\d{1,3}[ \t]+[A-Z]",  # "1-10-3 Namba"
    rf"(?i)(?:{_EU_WORD_SUFFIX})[ \t]+\d",  # "…straße 5"
    r"(?i)\b(?:via|viale|vicolo|piazza|corso|calle|avenida|avda|plaza|paseo|carrer|rua|"
    r"travessa|ul|ulica|al|aleja)\.?[ \t]+\S",
    r"(?i)\b(?:p\.?[ \t]?o\.?[ \t]*box|post[ \t]+office|pob|postfach|apartado|casilla|psc|"
    r"unit[ \t]+\d{3,5}[ \t]+box)"
    r"[ \t]*[#0-9]|\b(?:USNS|USS|USNV|USCGC|usns|uss|usnv|uscgc)[ \t]+[A-Za-z]",
    r"\b(?:Apt|Apartment|Suite|Ste)\.?[ \t]*#?[ \t]*\d",
    r"(?i)\b(?:(?:lives?|living|located|resides?|office[ \t]+is|drops?[ \t]+(?:you|it|them)"
    r"[ \t]+off)[ \t]+(?:at|on)|(?:new[ \t]+)?address[ \t]+is)[ \t]+[0-9A-Za-z]",
)
# which full regexes to try, anchored at the anchor's start
_AT_START = {
    _FR_ANCHOR: (_FR,),
    _JP_ANCHOR: (_JP,),
    _EU_PREFIX: (_EU_PREFIXED,),
    _BOX: (_PO_BOX,),
    _UNIT_ANCHOR: (_UNIT_ONLY,),
}
_SUFFIX_BEFORE, _SUFFIX_AFTER = 60, 160  # window around "…straße 5" for the street word
_MEMO = Memo()
_REGION = 10**9  # the population the lexicon gives countries, US states and continents


@dataclass(kw_only=True)
class AddressDetector:
    """Detect street addresses and PO boxes offline.

    Example:
        >>> d = AddressDetector()
        >>> t = "Ship to 221B Baker Street, London or Hauptstraße 5, 10115 Berlin."
        >>> [t[s.start:s.end] for s in d.detect(t)]
        ['221B Baker Street', 'Hauptstraße 5, 10115 Berlin']
    """

    name: str = field(default="addresses", init=False)
    entities: frozenset[str] = field(default=frozenset({ADDRESS}), init=False)

    def detect(self, text: str, /) -> list[Span]:
        """Return ADDRESS spans in ``text`` (sorted; overlapping matches keep the longest)."""
        spans: list[Span] | None = _MEMO.get(text)
        if spans is None:  # else the name detector asked for this very text already
            spans = self._detect(text)
            _MEMO.put(text, spans)
        return list(spans)

    def _detect(self, text: str) -> list[Span]:
        found: list[tuple[int, int]] = []
        for anchor, start, end in SHARED_SCAN.hits(text, "addresses"):
            if anchor == _LABEL:
                hit = _label_value(text, end - 1)
                if hit is not None:
                    found.append(hit)
            elif anchor == _CONTEXT:
                m = _GENERIC.match(text, end - 1)
                if m is not None and _street_words(m.group()):
                    found.append(m.span())
            elif anchor == _EU_SUFFIX:  # the street word is glued before the suffix
                lo, hi = max(0, start - _SUFFIX_BEFORE), min(len(text), end + _SUFFIX_AFTER)
                found.extend(
                    m.span() for m in _EU_SUFFIXED.finditer(text, lo, hi) if m.end() >= end
                )
            else:
                for rx in _AT_START[anchor]:
                    m = rx.match(text, start)
                    if m is not None and m.end() > m.start():
                        found.append(m.span())
        for _, _, end in SHARED_SCAN.hits(text, "addresses_us"):
            lo = max(0, end - _US_BEFORE)
            found.extend(m.span() for m in _US.finditer(text, lo, end + 120) if m.start() < end)
        found.extend(table_reader().cells(text).get(ADDRESS, ()))
        if found:
            found = [
                (s if _UNIT_ONLY.fullmatch(text, s, e) else _with_house_number(text, s, e), e)
                for s, e in found
            ]
            found.extend(_block_lines(text, found))
        spans: list[Span] = []
        last_end = -1
        # longest first at each start, then drop anything inside an already kept address
        for s, e in sorted(set(found), key=lambda se: (se[0], -se[1])):
            if s >= last_end:
                spans.append(
                    Span(
                        start=s,
                        end=e,
                        entity_type=ADDRESS,
                        score=0.6 if _UNIT_ONLY.fullmatch(text, s, e) else 0.85,
                        value=text[s:e],
                        detector=self.name,
                    )
                )
                last_end = e
        return spans


# A street line without a street-type word ("20789 Allika 46", "6614 Luite tee 87"), only read right
# before a unit ("Apt. 297", "Suite 501") on the same or the next line of an address block.
_STREET_LINE = re.compile(
    rf"\d{{1,6}}[A-Za-z]?[ \t]+[{LETTER}](?:[{LETTER}]|['’.-])*"
    rf"(?:[ \t]+[{LETTER}](?:[{LETTER}]|['’.-])*){{0,4}}[ \t]+\d{{1,5}}[A-Za-z]?\.?"
)
_LINE_PREFIX = re.compile(r"[ \t>?*|-]*")
# A country line closing an address block, with the postcode: "Estonia 62488".
_COUNTRY_POSTCODE = re.compile(
    rf"[ \t>?*|-]*([{UPPER}][{LETTER}'’. ()-]{{2,40}}?)[ \t]+(\d{{3,6}}(?:[ -]\d{{2,4}})?)[ \t]*$"
)
# a house number opening the line of a street ("\n    3482 |Via Franscini 71")
_HOUSE_NUMBER_BEFORE = re.compile(r"(?:^|\n)[ \t>?*|-]*(\d{1,6}[ \t]+)$")
_BLOCK_LINES = 4  # how far below an address its country line may be


_LINE_MAX = 160


def _line_start(text: str, pos: int) -> int:
    """The start of the line holding ``pos``, looking back at most ``_LINE_MAX`` characters."""
    lo = max(0, pos - _LINE_MAX)
    nl = text.rfind("\n", lo, pos)
    return nl + 1 if nl >= 0 else lo


def _with_house_number(text: str, start: int, end: int) -> int:
    """The start of an address, moved back over a house number on the same line
    ("3482 |Via Franscini 71")."""
    m = _HOUSE_NUMBER_BEFORE.search(text, max(0, start - 24), start)
    return m.start(1) if m is not None else start


def _block_lines(text: str, found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """More of the address blocks around ``found``: a street line right before a unit, and the
    postcode on the country line that closes the block."""
    out: list[tuple[int, int]] = []
    places = lexicons().places
    starts = {s for s, _ in found}
    for s, e in found:
        if _UNIT_ONLY.fullmatch(text, s, e):
            # the street before the unit: on the same line ("1593 Pagari 18 Suite 932") or above
            # (windows of _LINE_MAX: a unit inside a huge line must not rescan the line)
            line = _line_start(text, s)
            before = text[line:s].rstrip(" \t,")
            if not before.strip(" \t>?*|-") and line > 0:
                prev = _line_start(text, line - 1)
                line, before = prev, text[prev : line - 1].rstrip(" \t,\r")
            lead = _LINE_PREFIX.match(before)
            a = line + (lead.end() if lead else 0)
            m = _STREET_LINE.fullmatch(text, a, line + len(before))
            if m is not None and a not in starts and _street_words(m.group()):
                out.append(m.span())
        # the country line below: "Estonia 62488" (the postcode is part of the address)
        pos = e
        for _ in range(_BLOCK_LINES):
            nl = text.find("\n", pos, pos + 200)
            if nl < 0:
                break
            pos = nl + 1
            end = text.find("\n", pos, pos + 200)
            end = len(text) if end < 0 else end
            m = _COUNTRY_POSTCODE.match(text, pos, end)
            if m is not None and places.get(m.group(1).rstrip().casefold(), 0) >= _REGION:
                out.append(m.span(2))
                break
    return out


def _street_words(value: str) -> bool:
    """Whether ``value`` names a street: a word of 3+ letters that is not a common word
    ("Allika 46" yes; "Python 3", "Windows 11" no)."""
    common = lexicons().common_words
    return any(w.casefold() not in common for w in _HAS_WORD.findall(value))


def _label_value(text: str, pos: int) -> tuple[int, int] | None:
    """The address after an address label at ``pos``: a digit and a word, no e-mail or URL."""
    label_start = text.rfind(" ", max(0, pos - 40), pos)
    if _NOT_STREET_BEFORE.search(text, max(0, label_start - 12), max(0, label_start + 1)):
        return None
    m = _LABEL_VALUE.match(text, pos)
    if m is None:
        return None
    value = m.group().rstrip(" \t\r,;")
    if "@" in value or "://" in value or not any(c.isdigit() for c in value):
        return None
    if not _HAS_WORD.search(value):
        return None
    return pos, pos + len(value)


SHARED_SCAN.register("addresses", _ANCHORS, starts=True)
# too large for start-of-match mode; costly on logs (it starts at every number), so the shared
# pass only looks for the blank + street suffix every match ends on
SHARED_SCAN.register("addresses_us", [_US_ANCHOR], gate=rf"[ \t](?:{_SUFFIX})\b")
