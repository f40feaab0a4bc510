from decimal import Decimal

import pytest

from mdm.standardize import InvalidValue, lb_to_kg, normalize_uom, parse_pack_qty, uom_factor


@pytest.mark.parametrize(
    "raw, expected",
    [(1, "0.4536"), ("10", "4.5359"), (2.5, "1.1340"), ("12.5 lb", "5.6699"), ("3 LBS", "1.3608"), ("1,000", "453.5924"), (0, "0.0000")],
)
def test_lb_to_kg_converts_and_rounds_to_four_decimals(raw, expected):
    assert lb_to_kg(raw) == Decimal(expected)


def test_lb_to_kg_rejects_negative_weights():
    with pytest.raises(InvalidValue, match="negative"):
        lb_to_kg(-1)


@pytest.mark.parametrize("raw", [None, "", "N/A"])
def test_lb_to_kg_of_nothing_is_none(raw):
    assert lb_to_kg(raw) is None


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Each", "EA"),
        ("EA", "EA"),
        ("ea.", "EA"),
        ("PC", "EA"),
        ("PCE", "EA"),
        ("Piece", "EA"),
        ("pcs", "EA"),
        ("Case", "CS"),
        ("CS", "CS"),
        ("CSE", "CS"),
        ("Box", "BX"),
        ("BX", "BX"),
        ("Pack", "PK"),
        ("PK", "PK"),
        ("PAK", "PK"),
        ("Pallet", "PL"),
        ("PLT", "PL"),
        ("Dozen", "DZ"),
        ("DOZ", "DZ"),
        ("Kilogram", "KG"),
        ("kgs", "KG"),
        ("Pounds", "LB"),
        ("lbs.", "LB"),
        ("Gram", "G"),
        ("Litre", "L"),
        ("LTR", "L"),
        ("ml", "ML"),
        ("Meter", "M"),
        ("Feet", "FT"),
        ("Roll", "RL"),
        ("Bag", "BG"),
        ("Drum", "DR"),
        ("Carton", "CT"),
        ("CTN", "CT"),
        ("Pair", "PR"),
        ("Set", "ST"),
    ],
)
def test_normalize_uom_maps_variants_to_codes(raw, expected):
    assert normalize_uom(raw) == expected


@pytest.mark.parametrize("raw", ["Bushel", "XYZ", "12"])
def test_normalize_uom_rejects_unknown_units(raw):
    with pytest.raises(InvalidValue, match="unknown unit of measure"):
        normalize_uom(raw)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("12", 12),
        ("12.0", 12),
        (12, 12),
        (12.0, 12),
        ("12/CS", 12),
        ("CS/12", 12),
        ("12 EA/CS", 12),
        ("1x12", 12),
        ("12 x 1", 12),
        ("2x6", 12),
        ("Pack of 12", 12),
        ("Case of 24", 24),
        ("1,000", 1000),
    ],
)
def test_parse_pack_qty_reads_pack_notations(raw, expected):
    assert parse_pack_qty(raw) == expected


@pytest.mark.parametrize("raw", ["0", 0, "-12", -3, "12.5", 12.5, "Case", "6/4 LB 2", "1x0"])
def test_parse_pack_qty_requires_one_positive_whole_number(raw):
    with pytest.raises(InvalidValue):
        parse_pack_qty(raw)


@pytest.mark.parametrize("raw", [None, "", "N/A"])
def test_parse_pack_qty_of_nothing_is_none(raw):
    assert parse_pack_qty(raw) is None


@pytest.mark.parametrize(
    "uom, pack_qty, expected",
    [
        ("EA", None, 1),
        ("Each", 12, 1),
        ("DZ", None, 12),
        ("PR", None, 2),
        ("CS", 24, 24),
        ("Case", "24/CS", 24),
        ("BX", "10", 10),
        ("PK", 6, 6),
        ("CT", 48, 48),
        ("CS", None, None),
        ("KG", 5, None),
        (None, 12, None),
    ],
)
def test_uom_factor_counts_eaches_per_unit(uom, pack_qty, expected):
    assert uom_factor(uom, pack_qty) == expected
