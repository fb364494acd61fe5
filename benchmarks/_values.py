"""Value generators for the agent-shaped corpus: sensitive values and the look-alikes that must survive.

Every sensitive value is valid by the same well-kept library the engine is expected to use
(``phonenumbers`` for phones, ``python-stdnum`` for Luhn and IBAN), so a miss is the engine's miss
and not a generator artefact. Every look-alike is provably *not* the entity it resembles (a Luhn or
IBAN checksum that fails, an SSN area the SSA never issues, AWS's documented example key).
"""

from __future__ import annotations

import base64
import contextlib
import json
import random
import string
from collections.abc import Iterator

import phonenumbers
from stdnum import iban, luhn

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"

# Names from several cultures; surnames avoid common English words and place names so that a
# label is unambiguous (e.g. no "Rose", "King", "Jordan").
FIRST_NAMES = [
    "Olivia",
    "Liam",
    "Amelia",
    "Noah",
    "Charlotte",
    "Oliver",
    "Harper",
    "Ethan",
    "Abigail",
    "Mason",
    "Sofía",
    "Mateo",
    "Valentina",
    "Santiago",
    "Camila",
    "Alejandro",
    "Lucía",
    "Diego",
    "Ximena",
    "Lukas",
    "Hannah",
    "Jonas",
    "Leonie",
    "Felix",
    "Johanna",
    "Maximilian",
    "Annika",
    "Chloé",
    "Théo",
    "Manon",
    "Léa",
    "Baptiste",
    "Élodie",
    "Mathis",
    "Inès",
    "Aarav",
    "Priya",
    "Vihaan",
    "Ananya",
    "Rohan",
    "Kavya",
    "Arjun",
    "Saanvi",
    "Deepika",
    "Wei",
    "Xiaoling",
    "Jun",
    "Mei",
    "Hao",
    "Yuxin",
    "Zhiwei",
    "Lihua",
    "Haruto",
    "Yui",
    "Sota",
    "Aoi",
    "Riku",
    "Sakura",
    "Kenji",
    "Yuki",
    "Minjun",
    "Seoyeon",
    "Jiwoo",
    "Hyejin",
    "Dohyun",
    "Omar",
    "Fatima",
    "Youssef",
    "Layla",
    "Khalid",
    "Amira",
    "Tariq",
    "Noor",
    "Chinedu",
    "Adaeze",
    "Oluwaseun",
    "Ngozi",
    "Babajide",
    "Folake",
    "Emeka",
    "Chiamaka",
    "Katarzyna",
    "Piotr",
    "Agnieszka",
    "Tomasz",
    "Małgorzata",
    "Thanh",
    "Linh",
    "Quang",
    "Huong",
    "Mehmet",
    "Ayşe",
    "Emre",
    "Zeynep",
    "João",
    "Beatriz",
    "Thiago",
    "Larissa",
    "Rafaela",
    "Dmitri",
    "Anastasia",
    "Sergei",
    "Ekaterina",
]
LAST_NAMES = [
    "Thompson",
    "Whitaker",
    "Harrington",
    "Mitchell",
    "Gallagher",
    "Sutherland",
    "Fitzgerald",
    "Pemberton",
    "García",
    "Fernández",
    "Rodríguez",
    "Hernández",
    "Castillo",
    "Navarro",
    "Delgado",
    "Guzmán",
    "Müller",
    "Schneider",
    "Fischer",
    "Weber",
    "Hoffmann",
    "Schäfer",
    "Becker",
    "Zimmermann",
    "Dubois",
    "Lefèvre",
    "Moreau",
    "Girard",
    "Rousseau",
    "Fontaine",
    "Chevalier",
    "Sharma",
    "Patel",
    "Iyer",
    "Reddy",
    "Chatterjee",
    "Venkataraman",
    "Nair",
    "Banerjee",
    "Zhang",
    "Wang",
    "Chen",
    "Liu",
    "Huang",
    "Zhou",
    "Xu",
    "Tanaka",
    "Suzuki",
    "Takahashi",
    "Watanabe",
    "Yamamoto",
    "Nakamura",
    "Kobayashi",
    "Kim",
    "Park",
    "Choi",
    "Jung",
    "Kang",
    "Al-Farsi",
    "Haddad",
    "Nasser",
    "Khalil",
    "Mansour",
    "Haddadi",
    "Okonkwo",
    "Adeyemi",
    "Nwosu",
    "Okafor",
    "Adebayo",
    "Eze",
    "Obi",
    "Kowalski",
    "Nowak",
    "Wiśniewski",
    "Wójcik",
    "Lewandowski",
    "Nguyen",
    "Tran",
    "Pham",
    "Huynh",
    "Yılmaz",
    "Kaya",
    "Demir",
    "Şahin",
    "Oliveira",
    "Santos",
    "Carvalho",
    "Ribeiro",
    "Almeida",
    "Ivanov",
    "Smirnova",
    "Kuznetsov",
    "Popova",
]

# (city, country, region code for phones) — places from several countries.
CITIES = (
    ("Springfield", "United States"),
    ("Portland", "United States"),
    ("Austin", "United States"),
    ("Manchester", "United Kingdom"),
    ("Edinburgh", "United Kingdom"),
    ("Leeds", "United Kingdom"),
    ("Munich", "Germany"),
    ("Hamburg", "Germany"),
    ("Cologne", "Germany"),
    ("Lyon", "France"),
    ("Marseille", "France"),
    ("Toulouse", "France"),
    ("Bengaluru", "India"),
    ("Pune", "India"),
    ("Chennai", "India"),
    ("São Paulo", "Brazil"),
    ("Curitiba", "Brazil"),
    ("Osaka", "Japan"),
    ("Sapporo", "Japan"),
    ("Yokohama", "Japan"),
    ("Valencia", "Spain"),
    ("Seville", "Spain"),
    ("Rotterdam", "Netherlands"),
    ("Utrecht", "Netherlands"),
    ("Lagos", "Nigeria"),
    ("Abuja", "Nigeria"),
    ("Kraków", "Poland"),
    ("Gdańsk", "Poland"),
    ("Busan", "South Korea"),
    ("Incheon", "South Korea"),
    ("Guadalajara", "Mexico"),
    ("Monterrey", "Mexico"),
    ("Melbourne", "Australia"),
    ("Brisbane", "Australia"),
    ("Toronto", "Canada"),
    ("Calgary", "Canada"),
    ("Cape Town", "South Africa"),
    ("Durban", "South Africa"),
)
# Held-out vocabulary: names and places from other cultures and countries, used by the held-out
# corpus (``generate(..., heldout=True)``) to show how recall depends on the detector's lexicons.
HELDOUT_FIRST_NAMES = [
    "Siobhan",
    "Declan",
    "Aoife",
    "Niamh",
    "Giulia",
    "Lorenzo",
    "Matteo",
    "Chiara",
    "Sipho",
    "Thandiwe",
    "Lerato",
    "Bongani",
    "Mehdi",
    "Samira",
    "Astrid",
    "Sven",
    "Ingrid",
    "Kofi",
    "Ama",
    "Yaw",
    "Akosua",
    "Tevita",
    "Sione",
    "Aroha",
    "Wiremu",
    "Eitan",
    "Yael",
    "Nikos",
    "Eleni",
    "Zsofia",
    "Bence",
    "Tuomas",
    "Aino",
    "Ravindra",
    "Lakshmi",
    "Tuan",
    "Nomvula",
    "Ikaika",
    "Leilani",
]
HELDOUT_LAST_NAMES = [
    "Murphy",
    "Byrne",
    "Romano",
    "Esposito",
    "Bianchi",
    "Dlamini",
    "Nkosi",
    "Mokoena",
    "Hosseini",
    "Rahimi",
    "Lindqvist",
    "Johansson",
    "Andersen",
    "Mensah",
    "Owusu",
    "Asante",
    "Fifita",
    "Ngata",
    "Mizrahi",
    "Papadopoulos",
    "Nagy",
    "Horváth",
    "Szabó",
    "Kowalczyk",
    "Virtanen",
    "Korhonen",
    "Kahananui",
    "Ferreira",
    "Quispe",
    "Mamani",
]
HELDOUT_CITIES = (
    ("Tampere", "Finland"),
    ("Bergen", "Norway"),
    ("Porto", "Portugal"),
    ("Thessaloniki", "Greece"),
    ("Debrecen", "Hungary"),
    ("Kumasi", "Ghana"),
    ("Mombasa", "Kenya"),
    ("Chiang Mai", "Thailand"),
    ("Da Nang", "Vietnam"),
    ("Cebu", "Philippines"),
    ("Wellington", "New Zealand"),
    ("Valparaíso", "Chile"),
    ("Medellín", "Colombia"),
    ("Cusco", "Peru"),
    ("Tabriz", "Iran"),
    ("Haifa", "Israel"),
    ("Izmir", "Turkey"),
    ("Bratislava", "Slovakia"),
    ("Ljubljana", "Slovenia"),
    ("Tartu", "Estonia"),
)


@contextlib.contextmanager
def vocabulary(*, heldout: bool) -> Iterator[None]:
    """Swap in the held-out names and places for the duration (generation is single-threaded)."""
    global FIRST_NAMES, LAST_NAMES, CITIES
    saved = FIRST_NAMES, LAST_NAMES, CITIES
    if heldout:
        FIRST_NAMES, LAST_NAMES, CITIES = HELDOUT_FIRST_NAMES, HELDOUT_LAST_NAMES, HELDOUT_CITIES
    try:
        yield
    finally:
        FIRST_NAMES, LAST_NAMES, CITIES = saved


PRODUCTS = (
    "Pixel 8 Pro",
    "ThinkPad X1 Carbon",
    "Galaxy Tab S9",
    "AirPods Max",
    "Kindle Paperwhite",
    "PostgreSQL 16",
    "Redis Stack",
    "Enterprise Plan",
    "Pro Annual",
    "Starter Monthly",
    "MacBook Air M3",
    "Surface Laptop 5",
    "Sonos Era 100",
    "Dyson V15",
)
COMPANIES = (
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Logistics",
    "Northwind Traders",
    "Contoso Ltd",
    "Fabrikam Inc",
    "Tailspin Toys",
    "Wingtip Analytics",
)
EMAIL_DOMAINS = (
    "gmail.com",
    "outlook.com",
    "yahoo.co.jp",
    "web.de",
    "orange.fr",
    "proton.me",
    "acme-corp.com",
    "globex.io",
    "mail.ru",
    "rediffmail.com",
    "uol.com.br",
)

PHONE_REGIONS = (
    "US",
    "CA",
    "GB",
    "DE",
    "FR",
    "IN",
    "BR",
    "JP",
    "AU",
    "ES",
    "IT",
    "NL",
    "MX",
    "NG",
    "ZA",
    "SG",
    "PL",
    "SE",
    "KR",
    "CN",
)
_PHONE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)

# (brand, prefixes, lengths, grouping) — grouping is how cards are printed.
CARD_BRANDS = (
    ("visa", ("4",), (16, 13, 19), (4, 4, 4, 4)),
    ("mastercard", ("51", "52", "53", "54", "55"), (16,), (4, 4, 4, 4)),
    ("mastercard-2series", tuple(str(p) for p in range(2221, 2721, 37)), (16,), (4, 4, 4, 4)),
    ("amex", ("34", "37"), (15,), (4, 6, 5)),
    ("discover", ("6011", "65", "644"), (16, 19), (4, 4, 4, 4)),
    ("jcb", ("3528", "3566", "3589"), (16,), (4, 4, 4, 4)),
    ("diners", ("36", "38", "300"), (14,), (4, 6, 4)),
    ("unionpay", ("62",), (16, 17, 18, 19), (4, 4, 4, 4)),
    ("maestro", ("6759", "5018", "6304"), (12, 16, 19), (4, 4, 4, 4)),
)
# BBAN structure per country: "n" digit, "a" upper letter, "c" alphanumeric.
IBAN_BBAN = {
    "DE": "n" * 18,
    "GB": "aaaa" + "n" * 14,
    "FR": "n" * 10 + "c" * 11 + "nn",
    "ES": "n" * 20,
    "IT": "a" + "n" * 10 + "c" * 12,
    "NL": "aaaa" + "n" * 10,
    "BE": "n" * 12,
    "CH": "n" * 5 + "c" * 12,
    "PL": "n" * 24,
    "AT": "n" * 16,
    "SE": "n" * 20,
    "PT": "n" * 21,
    "IE": "aaaa" + "n" * 14,
    "NO": "n" * 11,
    "DK": "n" * 14,
}
AWS_EXAMPLE_KEYS = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def _chars(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def person(rng: random.Random) -> tuple[str, str, str]:
    """Return (first, last, full) — full is sometimes ``First M. Last``."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    full = (
        f"{first} {rng.choice(string.ascii_uppercase)}. {last}"
        if rng.random() < 0.15
        else f"{first} {last}"
    )
    return first, last, full


def email(rng: random.Random, first: str = "", last: str = "") -> str:
    import unicodedata

    def ascii_(s: str) -> str:
        return (
            unicodedata.normalize("NFKD", s)
            .encode("ascii", "ignore")
            .decode()
            .lower()
            .replace("-", "")
        )

    if not first:
        first, last, _ = person(rng)
    f, la = ascii_(first), ascii_(last)
    local = rng.choice(
        (f"{f}.{la}", f"{f[0]}{la}", f"{f}_{la}{rng.randint(1, 99)}", f"{f}+billing", la)
    )
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


def phone(rng: random.Random) -> str:
    """A phonenumbers-valid number from one of several countries, in a common written format."""
    region = rng.choice(PHONE_REGIONS)
    example = phonenumbers.example_number_for_type(region, rng.choice(_PHONE_TYPES))
    nn = str(example.national_number)
    number = example
    for _ in range(200):
        k = min(6, len(nn) - 3)
        cand = phonenumbers.parse(
            f"+{example.country_code}{nn[:-k]}{_chars(rng, string.digits, k)}"
        )
        if phonenumbers.is_valid_number(cand):
            number = cand
            break
    fmt = phonenumbers.PhoneNumberFormat
    intl = phonenumbers.format_number(number, fmt.INTERNATIONAL)
    if region in ("US", "CA"):
        national = phonenumbers.format_number(number, fmt.NATIONAL)  # (201) 555-0123
        digits = str(number.national_number)
        return rng.choice(
            (
                national,
                f"{digits[:3]}-{digits[3:6]}-{digits[6:]}",
                f"{digits[:3]}.{digits[3:6]}.{digits[6:]}",
                intl,
                phonenumbers.format_number(number, fmt.E164),
            )
        )
    return rng.choice(
        (
            intl,
            intl,
            phonenumbers.format_number(number, fmt.E164),
            intl.replace(" ", "-"),
            intl.replace(" ", "."),
        )
    )


def _luhn_number(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + _chars(rng, string.digits, length - len(prefix) - 1)
    return body + luhn.calc_check_digit(body)


def _group(digits: str, grouping: tuple[int, ...], sep: str) -> str:
    if not sep:
        return digits
    out, i = [], 0
    for g in grouping:
        out.append(digits[i : i + g])
        i += g
    while i < len(digits):  # 19-digit cards print as 4-4-4-4-3
        out.append(digits[i : i + 4])
        i += 4
    return sep.join(p for p in out if p)


def card(rng: random.Random) -> str:
    _, prefixes, lengths, grouping = rng.choice(CARD_BRANDS)
    digits = _luhn_number(rng, rng.choice(prefixes), rng.choice(lengths))
    assert luhn.is_valid(digits)
    return _group(digits, grouping, rng.choice(("", " ", "-", " ")))


def card_failing_luhn(rng: random.Random) -> str:
    """A card-shaped number (real brand prefix, right length) whose Luhn check digit is wrong."""
    _, prefixes, lengths, grouping = rng.choice(CARD_BRANDS)
    good = _luhn_number(rng, rng.choice(prefixes), rng.choice(lengths))
    bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn.is_valid(bad)
    return _group(bad, grouping, rng.choice(("", " ", "-")))


def _bban(rng: random.Random, structure: str) -> str:
    alphabets = {
        "n": string.digits,
        "a": string.ascii_uppercase,
        "c": string.ascii_uppercase + string.digits,
    }
    return "".join(rng.choice(alphabets[c]) for c in structure)


def iban_code(rng: random.Random) -> str:
    """A python-stdnum-valid IBAN (country-specific national checks included), compact or grouped."""
    cc = rng.choice(tuple(IBAN_BBAN))
    for _ in range(5000):  # some countries add a national check digit; retry until valid
        bban = _bban(rng, IBAN_BBAN[cc])
        number = cc + iban.calc_check_digits(cc + "00" + bban) + bban
        if iban.is_valid(number):
            return iban.format(number) if rng.random() < 0.5 else number
    raise AssertionError(f"could not generate a valid IBAN for {cc}")


def iban_bad_checksum(rng: random.Random) -> str:
    good = iban.compact(iban_code(rng))
    check = int(good[2:4])
    bad = good[:2] + f"{(check + rng.randint(1, 40)) % 97 + 2:02d}" + good[4:]
    if iban.is_valid(bad):  # pragma: no cover - astronomically unlikely
        bad = good[:2] + f"{(check + 1) % 97 + 2:02d}" + good[4:]
    assert not iban.is_valid(bad)
    return bad


def url_password(rng: random.Random) -> str:
    """A password as it may appear in a URL: RFC 3986 userinfo characters only (sub-delims kept)."""
    return "".join(c for c in password(rng) if c.isalnum() or c in "-._~!$&'()*+,;=") or "hunter22"


def ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def invalid_ssn(rng: random.Random) -> str:
    """SSN-shaped but never issued: area 000, 666 or 9xx, group 00 or serial 0000."""
    kind = rng.randrange(5)
    area = (
        "000",
        "666",
        f"9{rng.randint(0, 99):02d}",
        f"{rng.randint(1, 665):03d}",
        f"{rng.randint(1, 665):03d}",
    )[kind]
    group = "00" if kind == 3 else f"{rng.randint(1, 99):02d}"
    serial = "0000" if kind == 4 else f"{rng.randint(1, 9999):04d}"
    return f"{area}-{group}-{serial}"


def ipv4(rng: random.Random) -> str:
    first = rng.choice((10, 172, 192, 34, 52, 81, 185, 203, 91))
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def ipv6(rng: random.Random) -> str:
    groups = [f"{rng.randint(0, 0xFFFF):x}" for _ in range(8)]
    if rng.random() < 0.5:
        return "2001:db8:" + ":".join(groups[2:4]) + "::" + groups[7]
    return ":".join(["2a02", *groups[1:]])


def ip(rng: random.Random) -> str:
    return ipv6(rng) if rng.random() < 0.25 else ipv4(rng)


def mac(rng: random.Random) -> str:
    octets = [f"{rng.randint(0, 255):02x}" for _ in range(6)]
    sep = rng.choice((":", "-"))
    text = sep.join(octets)
    return text.upper() if rng.random() < 0.5 else text


def street_address(rng: random.Random) -> tuple[str, str, str]:
    """Return (street line, city, full address) in the style of the city's country."""
    city, country = rng.choice(CITIES)
    n = rng.randint(1, 9800)
    if country in ("Germany",):
        street = f"{rng.choice(('Haupt', 'Linden', 'Berg', 'Garten'))}straße {rng.randint(1, 180)}"
        return street, city, f"{street}, {rng.randint(10000, 99999)} {city}"
    if country == "France":
        street = (
            f"{rng.randint(1, 120)} rue {rng.choice(('de la Paix', 'Victor Hugo', 'du Moulin'))}"
        )
        return street, city, f"{street}, {rng.randint(10000, 95999)} {city}"
    if country == "United Kingdom":
        street = f"{rng.randint(1, 300)} {rng.choice(('Baker', 'Mill', 'Station', 'Church'))} {rng.choice(('Street', 'Road', 'Lane'))}"
        return (
            street,
            city,
            f"{street}, {city} {rng.choice('MLEW')}{rng.randint(1, 20)} {rng.randint(1, 9)}{_chars(rng, 'ABDEFGHJLNPQRSTUWXYZ', 2)}",
        )
    if country == "Japan":
        street = f"{rng.randint(1, 9)}-{rng.randint(1, 30)}-{rng.randint(1, 20)} {rng.choice(('Umeda', 'Namba', 'Chuo'))}"
        return street, city, f"{street}, {city} {rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
    if country == "Spain":
        street = f"Calle de {rng.choice(('Alcalá', 'Serrano', 'la Luna'))} {rng.randint(1, 200)}"
        return street, city, f"{street}, {rng.randint(10000, 52999)} {city}"
    if country == "Brazil":
        street = (
            f"Rua {rng.choice(('Augusta', 'das Flores', 'XV de Novembro'))} {rng.randint(1, 3000)}"
        )
        return (
            street,
            city,
            f"{street}, {city} - {rng.randint(10000, 99999)}-{rng.randint(100, 999)}",
        )
    street = f"{n} {rng.choice(('Maple', 'Oak', 'Cedar', 'Lakeview', 'Sunset', 'Elm'))} {rng.choice(('Ave', 'Street', 'Blvd', 'Drive', 'Road'))}"
    if country == "United States":
        state = rng.choice(("IL", "OR", "TX", "CA", "NY"))
        return street, city, f"{street}, {city}, {state} {rng.randint(10000, 99999)}"
    return street, city, f"{street}, {city}"


# --- secrets: realistic formats with random bodies ------------------------------------------


def jwt(rng: random.Random) -> str:
    def b64(obj: object) -> str:
        return (
            base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode())
            .rstrip(b"=")
            .decode()
        )

    header = b64({"alg": rng.choice(("HS256", "RS256")), "typ": "JWT"})
    payload = b64(
        {
            "sub": _chars(rng, string.digits, 8),
            "iat": rng.randint(1_600_000_000, 1_800_000_000),
            "scope": "read write",
        }
    )
    return f"{header}.{payload}.{_chars(rng, ALNUM + '-_', 43)}"


def private_key(rng: random.Random) -> str:
    kind = rng.choice(("RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"))
    lines = [_chars(rng, ALNUM + "+/", 64) for _ in range(rng.randint(4, 10))]
    return f"-----BEGIN {kind}-----\n" + "\n".join(lines) + f"\n-----END {kind}-----"


SECRET_MAKERS = {
    "AWS_ACCESS_KEY_ID": lambda r: (
        r.choice(("AKIA", "ASIA")) + _chars(r, string.ascii_uppercase + "234567", 16)
    ),
    "AWS_SECRET_ACCESS_KEY": lambda r: _chars(r, ALNUM + "/+", 40),
    "GITHUB_TOKEN": lambda r: r.choice(
        (
            f"{r.choice(('ghp', 'gho', 'ghs', 'ghu', 'ghr'))}_{_chars(r, ALNUM, 36)}",
            f"github_pat_{_chars(r, ALNUM, 22)}_{_chars(r, ALNUM, 59)}",
        )
    ),
    "GITLAB_TOKEN": lambda r: f"glpat-{_chars(r, ALNUM + '-_', 20)}",
    "OPENAI_API_KEY": lambda r: r.choice(
        (
            f"sk-proj-{_chars(r, ALNUM + '-_', 80)}T3BlbkFJ{_chars(r, ALNUM + '-_', 80)}",
            f"sk-{_chars(r, ALNUM, 20)}T3BlbkFJ{_chars(r, ALNUM, 20)}",
        )
    ),
    "ANTHROPIC_API_KEY": lambda r: f"sk-ant-api03-{_chars(r, ALNUM + '-_', 93)}AA",
    "SLACK_TOKEN": lambda r: (
        f"xox{r.choice('bpa')}-{_chars(r, string.digits, 12)}-{_chars(r, string.digits, 13)}-{_chars(r, ALNUM, 24)}"
    ),
    "STRIPE_KEY": lambda r: (
        f"{r.choice(('sk_live_', 'rk_live_'))}{_chars(r, ALNUM, r.choice((24, 99)))}"
    ),
    "GOOGLE_API_KEY": lambda r: f"AIza{_chars(r, ALNUM + '-_', 35)}",
    "JWT": jwt,
    "BEARER_TOKEN": lambda r: _chars(r, ALNUM + "-._~", r.randint(32, 64)),
    "SECRET": lambda r: r.choice(
        (_chars(r, HEX, 64), _chars(r, ALNUM, 32), base64.b64encode(r.randbytes(32)).decode())
    ),
}


def secret(rng: random.Random, entity: str) -> str:
    return SECRET_MAKERS[entity](rng)


def password(rng: random.Random) -> str:
    words = ("Winter", "Falcon", "Purple", "Rocket", "Monkey", "Harbor", "Summit")
    sym = "!#%&*?@^"
    return rng.choice(
        (
            f"{rng.choice(words)}{rng.randint(10, 2099)}{rng.choice(sym)}",
            _chars(rng, ALNUM + "!#%^*", rng.randint(12, 24)),
            f"{rng.choice(words).lower()}-{rng.choice(words).lower()}-{rng.randint(100, 999)}",
        )
    )


# --- look-alikes that must survive ----------------------------------------------------------


def uuid(rng: random.Random) -> str:
    h = _chars(rng, HEX, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{rng.choice('89ab')}{h[17:20]}-{h[20:]}"


LOOKALIKE_MAKERS = {
    "version": lambda r: r.choice(
        (
            f"v{r.randint(0, 12)}.{r.randint(0, 30)}.{r.randint(0, 99)}",
            f"v{r.randint(1, 9)}.{r.randint(0, 9)}.{r.randint(0, 9)}.{r.randint(0, 99)}",
            f"{r.randint(1, 9)}.{r.randint(0, 30)}.{r.randint(0, 99)}",
        )
    ),
    "uuid": uuid,
    "git_sha": lambda r: _chars(r, HEX, r.choice((40, 7, 12))),
    "sha256": lambda r: _chars(r, HEX, 64),
    "timestamp": lambda r: (
        f"20{r.randint(19, 26)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{r.randint(0, 999):03d}Z"
    ),
    "date": lambda r: r.choice(
        (
            f"20{r.randint(19, 26)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
            f"{r.randint(1, 28):02d}/{r.randint(1, 12):02d}/20{r.randint(19, 26)}",
        )
    ),
    "epoch_ms": lambda r: str(r.randint(1_600_000_000_000, 1_790_000_000_000)),
    "order_id": lambda r: r.choice(
        (f"ORD-20{r.randint(19, 26)}-{r.randint(0, 999999):06d}", f"#{r.randint(100000, 9999999)}")
    ),
    "sku": lambda r: f"SKU-{r.randint(10000, 99999)}-{r.choice(('BLK', 'WHT', 'XL', 'M'))}",
    "invoice": lambda r: f"INV-{r.randint(2019, 2026)}-{r.randint(0, 99999):05d}",
    "card_luhn_fail": card_failing_luhn,
    "iban_bad_checksum": iban_bad_checksum,
    "invalid_ssn": invalid_ssn,
    "aws_example_key": lambda r: r.choice(AWS_EXAMPLE_KEYS),
    "product": lambda r: r.choice(PRODUCTS),
    "port": lambda r: str(r.choice((5432, 6379, 8080, 8443, 3306, 9200, 27017, 443))),
    "amount": lambda r: r.choice(
        (
            f"${r.randint(1, 99999):,}.{r.randint(0, 99):02d}",
            f"EUR {r.randint(1, 9999)},{r.randint(0, 99):02d}",
            f"{r.randint(1, 999999)}.{r.randint(0, 99):02d}",
        )
    ),
    "placeholder": lambda r: r.choice(
        (
            "${DB_PASSWORD}",
            "${API_TOKEN}",
            "<your-api-key>",
            "{{ secrets.GITHUB_TOKEN }}",
            "$STRIPE_SECRET_KEY",
            "%(password)s",
            "********",
            "[REDACTED]",
        )
    ),
    "request_id": lambda r: r.choice((_chars(r, HEX, 32), f"req_{_chars(r, ALNUM, 24)}")),
    "tracking": lambda r: f"1Z{_chars(r, string.ascii_uppercase + string.digits, 16)}",
}


def lookalike(rng: random.Random, kind: str) -> str:
    return LOOKALIKE_MAKERS[kind](rng)
