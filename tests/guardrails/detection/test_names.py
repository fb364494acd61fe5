"""NameDetector: PERSON names from context cues and shipped lexicons, offline."""

from __future__ import annotations

import pytest

from guardrails._types import Detector
from guardrails.detection._names import PERSON_FIELD_NAMES, NameDetector


@pytest.fixture(scope="module")
def detector() -> NameDetector:
    return NameDetector()


def found(detector: NameDetector, text: str) -> list[str]:
    return [text[s.start : s.end] for s in detector.detect(text)]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Name: Jane Doe", "Jane Doe"),  # field label
        ("full_name: Priya Raman", "Priya Raman"),  # snake_case label
        ('"customer_name": "Olga Ivanova"', "Olga Ivanova"),  # JSON inside a text
        ("NAME: JOHN SMITH", "JOHN SMITH"),  # ALL-CAPS after a strong label
        ("name: jane doe", "jane doe"),  # lower-case after a strong label
        ("From: Jane Doe <jane@x.com>", "Jane Doe"),  # mail header with address
        ('"Jane Doe" <jane@x.com>', "Jane Doe"),  # quoted display name
        ("Dear Mr. Smith,", "Smith"),  # title after salutation
        ("Hi Jane,\nthanks for the logs", "Jane"),  # salutation, lone first name
        ("hi jennifer, any update?", "jennifer"),  # lower-case chat salutation
        ("Best regards,\nJohn Carter\nSupport Engineer", "John Carter"),  # sign-off block
        ("Thanks,\nWill", "Will"),  # ambiguous first name made safe by the sign-off
        ("customer Jane Doe called twice", "Jane Doe"),  # role noun in prose
        ("Ticket assigned to Priya Raman.", "Priya Raman"),  # assignment phrase
        ("Dr. Ahmed Khan reviewed it", "Ahmed Khan"),  # professional title
        ("Maria Garcia opened a ticket", "Maria Garcia"),  # lexicon first name + surname
        ("Ken N. Fukuda signed", "Ken N. Fukuda"),  # middle initial
        ("Will Byrne is here", "Will Byrne"),  # ambiguous first name + uncommon surname
        ("met Krisztián Szöllösy today", "Krisztián Szöllösy"),  # accented Latin names
        ("Ludwig van Beethoven wrote it", "Ludwig van Beethoven"),  # lower-case particle
        ("Jane: can you check the deploy?", "Jane"),  # chat speaker label
        ("[10:32] Will Smith: ok", "Will Smith"),  # timestamped chat speaker
        ("my name is sofia", "sofia"),  # self-introduction in lower case
    ],
)
def test_detects_person(detector: NameDetector, text: str, name: str) -> None:
    """Each cue or lexicon pattern yields the expected PERSON span."""
    assert name in found(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "Status: Active",  # label with a common-word value
        "Dear Valued Customer,",  # salutation to a role, not a person
        "Hi team, the build is green",  # salutation to a group
        "Will you call Mark? May 5 works.",  # ambiguous names without a cue
        "Grant Access to the Billing Page",  # heading of common words
        "The Customer Support Team",  # capitalized org phrase
        "Best regards,\nThe Acme Team",  # sign-off by a team
        "Order Details for Invoice 42",  # heading
        "Released in March, April and June",  # months that are also first names
        "call getUserName() then parseFullName(x)",  # code identifiers
        "Name: <PERSON_1>",  # our own placeholder
        "Dear <PERSON_1>, hello <PERSON_2>",  # placeholders after salutations
        "Reading the logs is Nice",  # capitalized common words
        "Microsoft Windows Server 2019 on Amazon Linux",  # product names
        "Use Apache Kafka with Spring Boot",  # product names shaped like first + surname
        "Bill Payment and Grant Access pages",  # common first names before common words
    ],
)
def test_ignores_non_person(detector: NameDetector, text: str) -> None:
    """Common words, headings, products, code and placeholders are not PERSON."""
    assert found(detector, text) == []


def test_span_fields(detector: NameDetector) -> None:
    """Spans carry bounds, entity type, a score and the detector name."""
    (span,) = detector.detect("Name: Jane Doe")
    assert (span.start, span.end, span.entity_type, span.detector) == (6, 14, "PERSON", "names")
    assert 0.5 <= span.score <= 1.0


def test_value_not_in_repr(detector: NameDetector) -> None:
    """The raw name never appears in a span's repr."""
    spans = detector.detect("customer Jane Doe called")
    assert spans
    assert "Jane" not in repr(spans)


def test_is_a_detector(detector: NameDetector) -> None:
    """NameDetector satisfies the Detector protocol with PERSON as its entity."""
    assert isinstance(detector, Detector)
    assert detector.entities == frozenset({"PERSON"})


def test_census_only_lexicon_still_finds_us_names() -> None:
    """Restricting the lexicon to the public-domain Census lists keeps US names."""
    d = NameDetector(name_sources=("census1990",))
    assert found(d, "Jennifer Lopez called") == ["Jennifer Lopez"]


@pytest.mark.parametrize(
    "key",
    ["name", "full_name", "customer_name", "first_name", "cardholder_name"],  # common keys
)
def test_field_names_exported(key: str) -> None:
    """The structured walker gets lower-case person field names."""
    assert key in PERSON_FIELD_NAMES
    assert all(k == k.lower() for k in PERSON_FIELD_NAMES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dear Mr. Smith,", ["Smith"]),  # salutation + title: only the surname
        ("Hello Dr. Ahmed Khan", ["Ahmed Khan"]),  # title without the title word
        ("Name: Jane Doe\nStatus: active", ["Jane Doe"]),  # the next line is not part of it
    ],
)
def test_exact_extent(detector: NameDetector, text: str, expected: list[str]) -> None:
    """Spans cover the name only: no title, no following label."""
    assert found(detector, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("From: Jane Doe <jane@x.com>", ["Jane Doe"]),  # header label stays outside
        ("To: Dr. Ahmed Khan <ak@x.com>", ["Ahmed Khan"]),  # title stays outside
        ('"Jane Doe" <jane@x.com>, "Wei Chen" <wc@x.com>', ["Jane Doe", "Wei Chen"]),  # list
    ],
)
def test_display_name_extent(detector: NameDetector, text: str, expected: list[str]) -> None:
    """A display name before <email> covers the name words only."""
    assert found(detector, text) == expected


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("They had six: Anna and Mary.", "PERSON"),  # lone first names that are also towns
        ("We flew to Florence on Monday.", "LOCATION"),  # the same kind of word after "to"
        ('{"city": "Austin"}', "LOCATION"),  # a place label decides
        ("id,city\n1,Austin\n", "LOCATION"),  # a place column decides
        ("Hi Austin, thanks!", "PERSON"),  # a salutation decides
    ],
)
def test_first_name_or_town_is_decided_by_context(text: str, entity: str) -> None:
    """A word that is both a first name and a town becomes what its context says."""
    from guardrails.detection._locations import LocationDetector

    people = NameDetector().detect(text)
    places = LocationDetector().detect(text)
    assert bool(people) == (entity == "PERSON")
    assert bool(places) == (entity == "LOCATION")


@pytest.mark.parametrize(
    "text",
    [
        "Handlers for encodings.\n\nSee: https://developer.mozilla.org/x\n",  # doc label
        "    Link: < uri-reference >; param=value",  # header grammar in a docstring
        "Conn = _internal.Conn  # alias",  # assignment and attribute access
        "Args:\n    name: An optional name for the task.",  # Google-style docstring
        "name: Human-readable name to attach to the run",  # prose after a label
        "def f(\n    name,\n    val,\n):",  # a parameter list is not a CSV table
        "edges.add(Edge(src, task.name, True, None))",  # constants after "name,"
    ],
)
def test_code_is_not_a_name(detector: NameDetector, text: str) -> None:
    """Identifiers, docstrings and parameter lists in source code are not PERSON."""
    assert found(detector, text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("ATTENDEE;CN=Declan Mamani;ROLE=REQ-PARTICIPANT:mailto:x@y.z", "Declan Mamani"),  # iCal
        ("ORGANIZER;CN=Aroha Ngata:mailto:x@y.z", "Aroha Ngata"),  # iCal organizer
        ("CN=Jane Doe,OU=Staff,DC=corp,DC=example", "Jane Doe"),  # LDAP distinguished name
    ],
)
def test_common_name_fields(detector: NameDetector, text: str, name: str) -> None:
    """CN= in calendar invites, vCards and LDAP names marks a person."""
    assert name in found(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "contact: ingrid+billing@acme-corp.com",  # e-mail local part after a label
        "contact: kofi.hosseini@uol.com.br",  # dotted local part
        "Name: jane_doe_42",  # a user name
    ],
)
def test_email_local_parts_are_not_names(detector: NameDetector, text: str) -> None:
    """A first name glued into an e-mail address or identifier is left to the e-mail detector."""
    assert found(detector, text) == []


def test_sql_insert_columns() -> None:
    """Quoted values under person/place columns of an SQL INSERT are found, escapes included."""
    from guardrails.detection._locations import LocationDetector

    text = (
        "INSERT INTO customers (id, full_name, email, city) VALUES\n"
        "  (1, 'Ingrid Nagy', 'in@x.io', 'Tartu'),\n"
        "  (2, 'Aroha Ngata', 'an@x.io', 'Mombasa');\n"
    )
    assert found(NameDetector(), text) == ["Ingrid Nagy", "Aroha Ngata"]
    assert [text[s.start : s.end] for s in LocationDetector().detect(text)] == ["Tartu", "Mombasa"]


def test_markdown_table_owner_column(detector: NameDetector) -> None:
    """A Markdown table column headed "Owner" holds names."""
    text = "| Owner | Host |\n|---|---|\n| Lerato Ngata | db-1 |\n| Sione Horvath | db-2 |\n"
    assert found(detector, text) == ["Lerato Ngata", "Sione Horvath"]


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("ship it to 716 Maple Ave, Bergen.", "LOCATION"),  # a town right after an address
        ("They met Bergen yesterday.", "PERSON"),  # the same word alone is a first name
    ],
)
def test_town_after_address(text: str, entity: str) -> None:
    """A word that is both a town and a first name is a place right after a street address."""
    from guardrails.detection._locations import LocationDetector

    assert bool(NameDetector().detect(text)) == (entity == "PERSON")
    assert bool(LocationDetector().detect(text)) == (entity == "LOCATION")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Mr. Leiva flew to Oslo on Tuesday.", "Leiva"),  # title, unknown surname, then prose
        ("mr. elliott called back", "elliott"),  # lower-case title and a listed surname
        ("Her maiden name is Nyberg", "Nyberg"),  # "<possessive> <kind of> name is"
        ("What's your last name? Boyle", "Boyle"),  # the question form
        ("Sometimes people call me Csanád", "Csanád"),  # "call me" introduction
        ('"We are moving," says Hartvigsson.', "Hartvigsson"),  # quote attribution
        ("a song by Szabina J Gelencsér", "Szabina J Gelencsér"),  # two unlisted words + initial
        ("met Vsevolod Dolgorukov today", "Vsevolod Dolgorukov"),  # romanized Cyrillic lists
        ("Giorgos Papadopoulos signed", "Giorgos Papadopoulos"),  # romanized Greek lists
    ],
)
def test_more_cues_and_structures(detector: NameDetector, text: str, name: str) -> None:
    """Titles followed by prose, name questions, reported speech, initials, romanized names."""
    assert name in found(detector, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a part of a full name found elsewhere in the same text
        (
            "directed by Maciej Borkowski and starring Borkowski.",
            ["Maciej Borkowski", "Borkowski"],
        ),
        # an unknown word listed beside lone first names
        ("They had three: Gaetane, Hannah and Derek.", ["Gaetane", "Hannah", "Derek"]),
        # a speaker label in a transcript whose other speakers are people
        ("Ubul: What a wife.\nNicole: Remember me?", ["Ubul", "Nicole"]),
    ],
)
def test_names_vouch_for_their_neighbours(
    detector: NameDetector, text: str, expected: list[str]
) -> None:
    """Names found in a text vouch for repeated parts, list members and fellow speakers."""
    assert found(detector, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "ship the Dyson V15 to the office",  # a rare SSA name alone is a brand here
        "Mission Statement: we build tools",  # a speaker-shaped heading of common words
        "the file name is Report",  # "name is" needs a person's possessive
        "This Is On The Trending Tab",  # stop words never continue a name
        "Section A. Overview and Plan B Options",  # initials between common words
        "Berlin: the deploy failed\nAlice: ok",  # a place is not vouched for as a speaker
        "Released for English, German and Hindi users",  # languages, not names
    ],
)
def test_still_ignores(detector: NameDetector, text: str) -> None:
    """The new cues and lexicons do not turn brands, headings or languages into PERSON."""
    assert [w for w in found(detector, text) if w != "Alice"] == []


def test_directed_by_label_is_not_a_speaker(detector: NameDetector) -> None:
    """A "Directed By:" label line keeps only the name after it."""
    assert found(detector, "Directed By:    Johannes Varvio") == ["Johannes Varvio"]


def test_unknown_name_source_is_refused() -> None:
    """A misspelt lexicon source is a clear error, not an empty lexicon."""
    with pytest.raises(ValueError, match="unknown name sources"):
        NameDetector(name_sources=("censu1990",)).detect("Jane Doe")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Mrs. Barbara Yudina Apt. 675 62314 Mellemvej 32", "Barbara Yudina"),  # name, then unit
        ("naomi ryan\nsewer pipe cleaner", "naomi ryan"),  # lower-case name opening a line
        ("ticket 4411 closed\n> naomi ryan\n", "naomi ryan"),  # ... a later line, quoted
        ("GET /x 200\nok\n  olga k. krylova called", "olga k. krylova"),  # ... with an initial
        ("olga krylova's killers were sentenced", "olga krylova"),  # possessive
        ("I'm so jealous! said Gladys to Logan", "Logan"),  # "to" alone: a first name, not a town
        ("Enrico shouted at Gary", "Gary"),  # "at" alone: the same
    ],
)
def test_names_beside_addresses_lines_and_weak_prepositions(
    detector: NameDetector, text: str, name: str
) -> None:
    """A name stops at a following address; lower-case line openers; weak prepositions."""
    assert name in found(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "error connecting to database",  # a lower-case log line
        "maria.garcia@example.com wrote",  # an e-mail local part
        "We flew to Florence on Monday.",  # a place phrase keeps the town
    ],
)
def test_lower_case_and_place_phrases_stay_quiet(detector: NameDetector, text: str) -> None:
    """Lower-case words and towns after a place phrase are not PERSON."""
    assert found(detector, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Maybe it's under Rubija Liberšar", ["Rubija Liberšar"]),  # two unlisted name shapes
        ("I want to add Irenke Sörös as a beneficiary", ["Irenke Sörös"]),  # the same
        ("Zio Http is ready", []),  # no vowel: not a name
        ("Prisma Client is ready", []),  # a rare first name before a common word
        ("Kubernetes Dashboard is ready", []),  # a common word: never an unlisted pair
        ("Suite 632\n Črni Vrh\n Slovenia 15755", []),  # an address block's town line
    ],
)
def test_unlisted_pairs_by_shape(detector: NameDetector, text: str, expected: list[str]) -> None:
    """Two words no lexicon knows are a name when both are shaped like names."""
    assert found(detector, text) == expected


def test_name_shape_separates_names_from_words() -> None:
    """The shipped shape table scores held-out-looking names above English words."""
    from guardrails.detection._lexicon import name_shape

    assert min(map(name_shape, ["Szczepańska", "Einojuhani", "Shervashidze"])) > 0.5
    assert max(map(name_shape, ["Dashboard", "Factory", "Streams", "Cluster"])) < 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Invoice from Johnson Inc. attached", []),  # an organisation named after a person
        ("Rand Corporation\n213 Main St", []),  # the same on its own line
        ("Thomas and Sons is a bank", []),  # "and Sons"
        ("shows on Isaac Lodge Street were great", []),  # a street named after a person
        ("Maria Garcia Dr. Ahmed Khan", ["Maria Garcia", "Ahmed Khan"]),  # a title, not a street
    ],
)
def test_names_of_organisations_and_streets(
    detector: NameDetector, text: str, expected: list[str]
) -> None:
    """A name followed by an organisation or street word names that, not a person."""
    assert found(detector, text) == expected


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("client=v1.9.6 owner=a3f9 reporter: Jane Doe", ["Jane Doe"]),  # log fields, then a name
        ("assigned to: Émile Zola", ["Émile Zola"]),  # a non-ASCII first letter
        ('{"owner": "Jo", "customer":"Ingrid Svensson"}', ["Jo", "Ingrid Svensson"]),
        ("Owner: JANE DOE\n", ["JANE DOE"]),  # ALL-CAPS after a label
        ("reporter=x", []),  # one letter at the end of the text
    ],
)
def test_label_cue_values(detector: NameDetector, text: str, names: list[str]) -> None:
    """The label cue skips values whose second character is a digit, nothing else."""
    assert found(detector, text) == names
