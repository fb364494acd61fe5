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
