"""The IBAN check's per-country shortcut gives python-stdnum's verdict, number for number."""

from __future__ import annotations

import random
import re

import pytest
from stdnum import iban, numdb

from guardrails.detection import _validators as v

_POOLS = {
    "n": "0123456789",
    "a": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "c": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
}


def _numbers(seed: int, count: int) -> list[str]:
    """Well-formed IBANs of every registry country (some with a wrong checksum) plus junk."""
    rng = random.Random(seed)
    db = numdb.get("iban")
    countries = [entry[1] for entry in db.prefixes] + ["XX", "QQ"]
    out = []
    for _ in range(count):
        cc = rng.choice(countries)
        structure = db.info(cc)[0][1].get("bban", "")
        if structure and rng.random() < 0.7:
            parts = re.findall(r"([1-9][0-9]*)!([nac])", structure)
            bban = "".join(rng.choice(_POOLS[k]) for n, k in parts for _ in range(int(n)))
        else:
            bban = "".join(rng.choice(_POOLS["c"]) for _ in range(rng.randint(11, 30)))
        check = iban.calc_check_digits(cc + "00" + bban) if rng.random() < 0.9 else "00"
        out.append(cc + check + bban)
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_iban_ok_matches_stdnum(seed: int) -> None:
    """_iban_ok(x) == iban.is_valid(x) for every compact candidate the check would accept."""
    for number in _numbers(seed, 3000):
        v._iban_ok.cache_clear()
        assert v._iban_ok(number) == iban.is_valid(number)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("BE32123456789002", True),  # national module: Belgium
        ("BE41091811735141", False),  # wrong Belgian check digits
        ("BE83138811735115", False),  # unknown Belgian bank code
        ("ES7712341234161234567890", True),  # national module: Spain
        ("ES1512341234171234567890", False),  # wrong CCC check digit
        ("NO9386011117947", True),  # national module: Norway
        ("NO2386011117946", False),  # wrong Konto check digit
        ("ME25510000000006234133", True),  # national module: Montenegro
        ("ME52510000000006234132", False),  # wrong national check digits
        ("GR1601101050000010547023795", True),  # no national module
        ("GB82WEST12345698765432", True),
        ("GB82WEST1234569876543", False),  # one digit short of the BBAN structure
        ("DA575195CDC14CE7938BAF6273959436", False),  # a hex request id: no such country
    ],
)
def test_iban_ok_known_numbers(number: str, valid: bool) -> None:
    """python-stdnum's documented examples, national modules included."""
    v._iban_ok.cache_clear()
    assert v._iban_ok(number) is valid
    assert iban.is_valid(number) is valid
