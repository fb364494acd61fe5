"""Field names of person / place / address values, and CSV/TSV columns headed by them.

The sets are exported for the structured-data walker; :class:`TableReader` reads tables inside
plain text (a tool's CSV output) and reports the cells under such columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from guardrails.detection._lexicon import word_set
from guardrails.detection._lexicon_scan import SHARED_SCAN

__all__ = [
    "ADDRESS_FIELDS",
    "LOCATION_FIELDS",
    "PERSON_FIELDS",
    "TableReader",
    "normalize_field",
    "table_reader",
]

#: Field names (lower-case, ``_``-separated) whose value is a person's name.
PERSON_FIELDS: frozenset[str] = word_set(
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
    signatory signer_name contact_person person customer contact owner assignee employee
    author reporter requester approver reviewer manager patient passenger guest tenant
    applicant recipient sender attendee organizer
    """
)
#: Field names whose value is a place.
LOCATION_FIELDS: frozenset[str] = word_set(
    """
    city town village municipality locality county district province region
    state_province country country_name nation birthplace place_of_birth birth_place
    hometown home_town location geo_location city_name region_name state_name
    billing_city shipping_city mailing_city residence current_location office_city
    """
)
#: Field names whose value is a street address.
ADDRESS_FIELDS: frozenset[str] = word_set(
    """
    address street street_address address_line address_line1 address_line2 address_line_1
    address_line_2 address1 address2 addr home_address mailing_address billing_address
    shipping_address postal_address residential_address work_address delivery_address
    street_name full_address po_box
    """
)
_FIELD_ENTITY: dict[str, str] = {
    **dict.fromkeys(ADDRESS_FIELDS, "ADDRESS"),
    **dict.fromkeys(LOCATION_FIELDS, "LOCATION"),
    **dict.fromkeys(PERSON_FIELDS, "PERSON"),
}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[\s.\-]+")


_NORMAL = re.compile(r"[a-z0-9_]*")  # already normal: nothing to split, join or lower


def normalize_field(name: str) -> str:
    """``"Customer Name"``, ``"customerName"``, ``"customer-name"`` -> ``"customer_name"``."""
    name = name.strip().strip("\"'")
    if _NORMAL.fullmatch(name):  # most header cells ("customer_id"): skip the two rewrites
        return name
    return _SEPARATORS.sub("_", _CAMEL.sub("_", name)).lower()


_TABLE_HEADER = (  # a known field name as a whole header cell, followed by a delimiter
    r"(?i)(?:^|[\n,\t;|])[ \t]*\"?(?:"
    # longest first; ties by text, so that the pattern (and its cached database) is the same in
    # every process whatever the string hash seed
    + "|".join(
        sorted(
            {re.escape(f).replace("_", "[ _-]?") for f in _FIELD_ENTITY},
            key=lambda f: (-len(f), f),
        )
    )
    + r")\"?[ \t]*(?:[,\t;|]|\r?\n)"
)
_MAX_HEADER = 4000  # longer lines are not read as table headers (keeps the scan linear)
_CELL_VALUE = re.compile(r"[ \t]*[\"']?([^\W\d_][^\n]{0,200})")  # a cell starting with a letter


class TableReader:
    """Find CSV/TSV columns whose header names a person, place or address field.

    A header line is found by one scanner pass; the rows below it (same cell count) are read once.
    """

    def __init__(self) -> None:
        self._last: tuple[str, dict[str, list[tuple[int, int]]]] | None = None

    def cells(self, text: str) -> dict[str, list[tuple[int, int]]]:
        """Return ``entity -> [(start, end)]`` of the values in named columns of ``text``."""
        last = self._last
        if last is not None and last[0] is text:
            return last[1]
        out: dict[str, list[tuple[int, int]]] = {}
        done = 0
        for kind, _, end in SHARED_SCAN.hits(text, "tables"):
            if end <= done:
                continue
            if kind == _SQL:
                done = self._sql(text, end, out)
                continue
            lo = max(0, end - _MAX_HEADER)
            start = text.rfind("\n", lo, max(lo, end - 1)) + 1
            if start == 0 and lo > 0:
                continue
            done = self._table(text, start, out)
        self._last = (text, out)
        return out

    @staticmethod
    def _split(text: str, start: int, end: int, delim: str) -> list[tuple[int, int]]:
        cells, pos = [], start
        while True:
            nxt = text.find(delim, pos, end)
            if nxt < 0:
                cells.append((pos, end))
                return cells
            cells.append((pos, nxt))
            pos = nxt + 1

    def _table(self, text: str, start: int, out: dict[str, list[tuple[int, int]]]) -> int:
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = text[start:end]
        delim = max(",\t;|", key=line.count)
        header = self._split(text, start, end, delim)
        cols = {
            i: ent
            for i, (a, b) in enumerate(header)
            if (ent := _FIELD_ENTITY.get(normalize_field(text[a:b]))) is not None
        }
        named = sum(1 for a, b in header if text[a:b].strip(" \t\r\"'"))
        if named < 2 or not cols:  # "name,\n" in code is not a table header
            return end
        pos = end + 1
        while pos < len(text):
            row_end = text.find("\n", pos)
            row_end = len(text) if row_end < 0 else row_end
            row = self._split(text, pos, row_end, delim)
            if len(row) != len(header):
                break
            for i, ent in cols.items():
                m = _CELL_VALUE.match(text, row[i][0], row[i][1])
                if m is not None:
                    value = m.group(1).rstrip(" \t\r\"'")
                    out.setdefault(ent, []).append((m.start(1), m.start(1) + len(value)))
            pos = row_end + 1
        return pos

    @staticmethod
    def _sql(text: str, pos: int, out: dict[str, list[tuple[int, int]]]) -> int:
        """``INSERT INTO t (col, …) VALUES (…), (…)``: the quoted values of named columns."""
        close = text.find(")", pos, pos + _MAX_HEADER)
        if close < 0:
            return pos
        cols = {
            i: ent
            for i, c in enumerate(text[pos:close].split(","))
            if (ent := _FIELD_ENTITY.get(normalize_field(c.strip(" \t\r\n`[]")))) is not None
        }
        m = _SQL_VALUES.match(text, close + 1)
        if m is None or not cols:
            return close
        end = m.end()
        for cells, end in _sql_rows(text, m.end()):  # noqa: B007 - end: where reading stopped
            for i, ent in cols.items():
                if i < len(cells):
                    a, b = _strip_span(text, *cells[i])
                    if b - a > 2 and text[a] == "'" and text[b - 1] == "'":
                        out.setdefault(ent, []).append((a + 1, b - 1))
        return end


_SQL_HEADER = r"(?i)\binsert[ \t]+into[ \t]+[^(\n;]{1,120}\("
_TABLE, _SQL = 0, 1
_SQL_VALUES = re.compile(r"[ \t\r\n]*(?i:values)[ \t\r\n]*")
_SQL_GAP = re.compile(r"[ \t\r\n,]*")
_SQL_SPECIAL = re.compile(r"[',()]")


def _sql_rows(text: str, pos: int) -> Iterator[tuple[list[tuple[int, int]], int]]:
    """Yield the cell spans of each ``(…)`` tuple from ``pos`` and the position after it.

    A hand-rolled scanner (str.find jumps), not a regex: quoted strings with doubled quotes make
    regex alternations backtrack quadratically on unterminated input.
    """
    n = len(text)
    while True:
        gap = _SQL_GAP.match(text, pos)  # never None: the pattern accepts the empty string
        pos = gap.end() if gap else pos
        if pos >= n or text[pos] != "(":
            return
        i = pos + 1
        cells: list[tuple[int, int]] = []
        start = i
        while True:
            m = _SQL_SPECIAL.search(text, i)
            if m is None:
                return
            i, c = m.start(), m.group()
            if c == "'":
                j = i + 1
                while True:  # the closing quote; '' is an escaped quote
                    k = text.find("'", j)
                    if k < 0:
                        return
                    if not text.startswith("''", k):
                        break
                    j = k + 2
                i = k + 1
            elif c == ",":
                cells.append((start, i))
                i = start = i + 1
            elif c == ")":
                cells.append((start, i))
                pos = i + 1
                yield cells, pos
                break
            else:  # a nested "(": a function call inside VALUES; stop reading this statement
                return


def _strip_span(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a] in " \t\r\n":
        a += 1
    while b > a and text[b - 1] in " \t\r\n":
        b -= 1
    return a, b


SHARED_SCAN.register("tables", [_TABLE_HEADER, _SQL_HEADER])


@cache
def table_reader() -> TableReader:
    """The shared table reader (the three detectors read the same tables)."""
    return TableReader()
