import pytest

from mdm.standardize import clean_person_name, is_organization_name, nickname_key, split_full_name
from mdm.standardize.nicknames import NICKNAMES


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("mcDONALD", "McDonald"),
        ("o'brien", "O'Brien"),
        ("O’BRIEN", "O'Brien"),
        ("JEAN-LUC", "Jean-Luc"),
        ("john", "John"),
        ("  mary   ann  ", "Mary Ann"),
        ("MACDONALD", "MacDonald"),
        ("MACK", "Mack"),
        ("d'angelo", "D'Angelo"),
    ],
)
def test_clean_person_name_fixes_case(raw, expected):
    assert clean_person_name(raw) == expected


@pytest.mark.parametrize("raw", ["McDonald", "DeVito", "MacLeod", "LeBlanc"])
def test_clean_person_name_keeps_sane_mixed_case(raw):
    assert clean_person_name(raw) == raw


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("*John*", "John"),
        ("John;", "John"),
        ("(Smith)", "Smith"),
        ("Smith2", "Smith"),
        ("John.", "John"),
        ("Smith , John", "Smith, John"),
        ("Mary--Ann", "Mary-Ann"),
    ],
)
def test_clean_person_name_strips_stray_punctuation(raw, expected):
    assert clean_person_name(raw) == expected


@pytest.mark.parametrize("raw, expected", [("A.", "A."), ("john a.", "John A."), ("Dr.", "Dr."), ("Smith Jr.", "Smith Jr.")])
def test_clean_person_name_keeps_the_period_of_initials_and_abbreviations(raw, expected):
    assert clean_person_name(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [("LUDWIG VAN BEETHOVEN", "Ludwig van Beethoven"), ("de la cruz", "De la Cruz"), ("john smith iii", "John Smith III")],
)
def test_clean_person_name_handles_particles_and_roman_numerals(raw, expected):
    assert clean_person_name(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "  ", "N/A", "...", "123"])
def test_clean_person_name_of_nothing_is_none(raw):
    assert clean_person_name(raw) is None


@pytest.mark.parametrize(
    "raw, given, middle, family, title, suffix",
    [
        ("John Smith", "John", None, "Smith", None, None),
        ("Smith, John A.", "John", "A.", "Smith", None, None),
        ("Dr. John Smith Jr.", "John", None, "Smith", "Dr.", "Jr."),
        ("JOHN Q PUBLIC", "John", "Q", "Public", None, None),
        ("mrs. mary o'brien", "Mary", None, "O'Brien", "Mrs.", None),
        ("Ludwig van Beethoven", "Ludwig", None, "van Beethoven", None, None),
        ("Robert Downey III", "Robert", None, "Downey", None, "III"),
    ],
)
def test_split_full_name(raw, given, middle, family, title, suffix):
    assert split_full_name(raw) == {
        "given_name": given,
        "middle_name": middle,
        "family_name": family,
        "title": title,
        "suffix": suffix,
    }


def test_split_full_name_of_nothing_has_every_key_none():
    assert split_full_name("  ") == dict.fromkeys(["given_name", "middle_name", "family_name", "title", "suffix"])


@pytest.mark.parametrize(
    "raw",
    [
        "Acme Inc",
        "Acme, Inc.",
        "Müller GmbH",
        "Smith & Jones",
        "Global Supply",
        "Apex Industries",
        "Northwind Trading",
        "Contoso Holdings",
        "Acme Distribution",
        "7-Eleven",
        "Blue Sky Services",
        "Johnson Group",
    ],
)
def test_is_organization_name_spots_businesses(raw):
    assert is_organization_name(raw) is True


@pytest.mark.parametrize("raw", ["John Smith", "Mary O'Brien", "Dr. Jean-Luc Picard", "Smith, John A.", None, ""])
def test_is_organization_name_leaves_people_alone(raw):
    assert is_organization_name(raw) is False


@pytest.mark.parametrize(
    "names, canonical",
    [
        (["bob", "Bobby", "ROB", "robbie", "Robert"], "robert"),
        (["bill", "billy", "will", "willy", "William"], "william"),
        (["kate", "katie", "kathy", "cathy", "katherine", "catherine", "Kathryn"], "katherine"),
        (["liz", "beth", "betty", "Elizabeth"], "elizabeth"),
        (["peggy", "maggie", "Margaret"], "margaret"),
        (["jack", "johnny", "John"], "john"),
    ],
)
def test_nickname_key_makes_nicknames_equal(names, canonical):
    assert {nickname_key(name) for name in names} == {canonical}


@pytest.mark.parametrize("raw, expected", [("Zebulon", "zebulon"), (" Anaïs ", "anais"), ("Mary Ann", "mary ann")])
def test_nickname_key_of_unknown_name_is_the_name_lower_cased(raw, expected):
    assert nickname_key(raw) == expected


def test_nickname_key_of_nothing_is_none():
    assert nickname_key("  ") is None


def test_nickname_table_is_broad():
    assert len(set(NICKNAMES.values())) >= 150


def test_every_canonical_name_maps_to_itself():
    assert all(NICKNAMES[canonical] == canonical for canonical in set(NICKNAMES.values()))


@pytest.mark.parametrize("raw, expected", [("Mário Sá", False), ("Kim Se", False), ("Banco Popular S.A.", True), ("ACME SA", True)])
def test_is_organization_name_needs_surname_like_legal_forms_written_as_codes(raw, expected):
    assert is_organization_name(raw) is expected


def test_clean_person_name_keeps_vi_as_a_given_name():
    assert clean_person_name("VI HART") == "Vi Hart"
