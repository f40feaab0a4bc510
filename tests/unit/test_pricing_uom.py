"""Converting a price between units of measure through the item's pack quantity."""

from decimal import Decimal

import pytest

from mdm.pricing import UomConversionError, convert_quantity, convert_uom


@pytest.mark.parametrize("pack", ["CS", "BX", "PK", "CT"])
def test_a_pack_price_divides_by_the_pack_quantity_to_give_the_each_price(pack):
    assert convert_uom(Decimal("24.00"), pack, "EA", pack_qty=12) == Decimal("2.00")


def test_an_each_price_multiplies_by_the_pack_quantity_to_give_the_case_price():
    assert convert_uom("1.25", "EA", "CS", pack_qty=24) == Decimal("30.00")


def test_a_dozen_is_twelve_eaches_without_a_pack_quantity():
    assert convert_uom("18.00", "DZ", "EA") == Decimal("1.5")


def test_the_same_unit_needs_no_conversion():
    assert convert_uom("9.99", "CS", "CS") == Decimal("9.99")


def test_a_case_to_each_and_back_round_trips():
    assert convert_uom(convert_uom("36.00", "CS", "EA", 12), "EA", "CS", 12) == Decimal("36.00")


def test_unit_spellings_are_normalized():
    assert convert_uom("24", "case", "each", pack_qty=12) == Decimal("2")


def test_a_pack_conversion_without_a_pack_quantity_says_so():
    with pytest.raises(UomConversionError, match="CS holds the item's pack quantity, which is unknown"):
        convert_uom("24.00", "CS", "EA", pack_qty=None)


def test_a_weight_unit_cannot_be_converted_to_eaches():
    with pytest.raises(UomConversionError, match="KG is not a countable unit"):
        convert_uom("3.00", "KG", "EA")


def test_an_unknown_unit_is_a_clear_error():
    with pytest.raises(UomConversionError, match="unknown unit of measure 'BUCKET'"):
        convert_uom("3.00", "BUCKET", "EA")


def test_a_quantity_converts_the_other_way_round():
    assert convert_quantity(2, "CS", "EA", pack_qty=12) == Decimal("24")
