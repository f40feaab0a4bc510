import pytest

from mdm.standardize import (
    InvalidValue,
    normalize_city,
    normalize_country,
    normalize_postal_code,
    normalize_region,
    normalize_street,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("123 Main Street", "123 MAIN ST"),
        ("123 Main St.", "123 MAIN ST"),
        ("12 Berliner Str.", "12 BERLINER ST"),
        ("9 Mill Road", "9 MILL RD"),
        ("1 Fifth Avenue", "1 FIFTH AVE"),
        ("1 Fifth Ave.", "1 FIFTH AVE"),
        ("77 Sunset Boulevard", "77 SUNSET BLVD"),
        ("4 Oak Drive", "4 OAK DR"),
        ("8 Elm Lane", "8 ELM LN"),
        ("3 Kings Court", "3 KINGS CT"),
        ("6 Pine Place", "6 PINE PL"),
        ("100 Pacific Coast Highway", "100 PACIFIC COAST HWY"),
        ("2 Garden State Parkway", "2 GARDEN STATE PKWY"),
        ("5 Maple Circle", "5 MAPLE CIR"),
        ("7 Ocean Terrace", "7 OCEAN TER"),
        ("1 Union Square", "1 UNION SQ"),
        ("1 Infinite Way", "1 INFINITE WAY"),
    ],
)
def test_normalize_street_abbreviates_suffixes(raw, expected):
    assert normalize_street(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("123 North Main Street", "123 N MAIN ST"),
        ("45 South West Avenue", "45 S WEST AVE"),
        ("9 Elm St Northwest", "9 ELM ST NW"),
        ("123 North Street", "123 NORTH ST"),
        ("12 Court Street", "12 COURT ST"),
    ],
)
def test_normalize_street_abbreviates_directionals_but_not_street_names(raw, expected):
    assert normalize_street(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("123 Main St, Suite 200", "123 MAIN ST STE 200"),
        ("123 Main St Ste. 200", "123 MAIN ST STE 200"),
        ("123 Main St Apartment 4B", "123 MAIN ST APT 4B"),
        ("123 Main St Apt. #4", "123 MAIN ST APT 4"),
        ("123 Main St #4", "123 MAIN ST UNIT 4"),
        ("123 Main St, Unit 7", "123 MAIN ST UNIT 7"),
        ("1 Market Plaza, Floor 3", "1 MARKET PLZ FL 3"),
        ("1 Market Plaza Fl 3", "1 MARKET PLZ FL 3"),
        ("2 Tech Park, Building C", "2 TECH PARK BLDG C"),
        ("2 Tech Park, Bldg. C", "2 TECH PARK BLDG C"),
    ],
)
def test_normalize_street_standardizes_unit_designators(raw, expected):
    assert normalize_street(raw) == expected


@pytest.mark.parametrize("raw", ["P.O. Box 55", "PO Box 55", "p o box 55", "POB 55", "Post Office Box 55", "P.O.Box 55"])
def test_normalize_street_standardizes_po_boxes(raw):
    assert normalize_street(raw) == "PO BOX 55"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  221b   baker   st. ", "221B BAKER ST"),
        ("1st Avenue", "1ST AVE"),
        ("123-B Main St.", "123-B MAIN ST"),
        ("12 1/2 Main St", "12 1/2 MAIN ST"),
        ("Rue de l'Église 4", "RUE DE LEGLISE 4"),
    ],
)
def test_normalize_street_removes_punctuation_and_keeps_ordinals(raw, expected):
    assert normalize_street(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("St. Louis", "SAINT LOUIS"),
        ("st louis", "SAINT LOUIS"),
        ("Saint Louis", "SAINT LOUIS"),
        ("Ft. Worth", "FORT WORTH"),
        ("Mt. Vernon", "MOUNT VERNON"),
        ("Port St. Lucie", "PORT SAINT LUCIE"),
        ("  new   york ", "NEW YORK"),
        ("Winston-Salem", "WINSTON-SALEM"),
        ("Montréal", "MONTREAL"),
    ],
)
def test_normalize_city(raw, expected):
    assert normalize_city(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("12345", "12345"),
        (" 12345 ", "12345"),
        ("12345-6789", "12345-6789"),
        ("12345 6789", "12345-6789"),
        ("123456789", "12345-6789"),
        ("2134", "02134"),
        (2134, "02134"),
        (2134.0, "02134"),
        ("2134.0", "02134"),
        ("2134-1234", "02134-1234"),
        ("21341234", "02134-1234"),
        ("501", "00501"),
    ],
)
def test_normalize_postal_code_us(raw, expected):
    assert normalize_postal_code(raw) == expected


@pytest.mark.parametrize("raw", ["12", "123456", "1234A", "ABCDE", "12345-678", "2134.5"])
def test_normalize_postal_code_rejects_bad_us_zips(raw):
    with pytest.raises(InvalidValue):
        normalize_postal_code(raw, "US")


@pytest.mark.parametrize(
    "raw, country, expected",
    [
        ("sw1a1aa", "GB", "SW1A 1AA"),
        ("SW1A  1AA", "GB", "SW1A 1AA"),
        ("m1 1ae", "GB", "M1 1AE"),
        ("k1a0b1", "CA", "K1A 0B1"),
        ("K1A-0B1", "CA", "K1A 0B1"),
        ("10115", "DE", "10115"),
        (1067, "DE", "01067"),
        ("1012ab", "NL", "1012 AB"),
        ("75008", "FR", "75008"),
        ("100-0001", "JP", "100-0001"),
        ("  sg  018956 ", "SG", "SG 018956"),
        ("12345", "United States", "12345"),
        ("ab12", None, "AB12"),
    ],
)
def test_normalize_postal_code_other_countries(raw, country, expected):
    assert normalize_postal_code(raw, country) == expected


@pytest.mark.parametrize("raw, country", [("12345", "GB"), ("K1A", "CA"), ("123", "DE")])
def test_normalize_postal_code_rejects_bad_codes_of_known_countries(raw, country):
    with pytest.raises(InvalidValue):
        normalize_postal_code(raw, country)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("California", "CA"),
        ("Calif.", "CA"),
        ("CA", "CA"),
        ("ca", "CA"),
        (" new  york ", "NY"),
        ("Mass.", "MA"),
        ("District of Columbia", "DC"),
        ("Puerto Rico", "PR"),
        ("Ontario", "ON"),
        ("Québec", "QC"),
        ("B.C.", "BC"),
    ],
)
def test_normalize_region_gives_us_and_canadian_codes(raw, expected):
    assert normalize_region(raw) == expected


@pytest.mark.parametrize(
    "raw, country, expected",
    [("Ontario", "CA", "ON"), ("Bayern", "DE", "BAYERN"), ("ca", "MX", "CA"), ("Atlantis", "US", "ATLANTIS")],
)
def test_normalize_region_upper_cases_what_it_does_not_know(raw, country, expected):
    assert normalize_region(raw, country) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("United States", "US"),
        ("United States of America", "US"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("U.S.", "US"),
        ("us", "US"),
        ("Deutschland", "DE"),
        ("Germany", "DE"),
        ("DEU", "DE"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("GBR", "GB"),
        ("The Netherlands", "NL"),
        ("México", "MX"),
        ("España", "ES"),
        ("Österreich", "AT"),
        ("South Korea", "KR"),
        ("People's Republic of China", "CN"),
    ],
)
def test_normalize_country_gives_iso_alpha2(raw, expected):
    assert normalize_country(raw) == expected


def test_normalize_country_knows_at_least_sixty_countries():
    from mdm.standardize.countries import COUNTRY_CODES

    assert len(COUNTRY_CODES) >= 60


@pytest.mark.parametrize("raw", ["Atlantis", "XX", "ZZZ"])
def test_normalize_country_rejects_unknown_countries(raw):
    with pytest.raises(InvalidValue, match="unknown country"):
        normalize_country(raw)


@pytest.mark.parametrize("fn", [normalize_street, normalize_city, normalize_postal_code, normalize_region, normalize_country])
@pytest.mark.parametrize("raw", [None, "", "  ", "N/A"])
def test_address_functions_return_none_for_nothing(fn, raw):
    assert fn(raw) is None
