"""Pure parts of golden prices: the pricing section of rules/price.yaml,
price-list equivalences, unit conversion through the pack quantity, joining
settled periods and keeping golden price ids stable."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from mdm.match.rules import RulesError
from mdm.pricing import PriceCandidate, settle_overlaps
from mdm.pricing.uom import UomConversionError
from mdm.resolve.prices import (
    PricingSettings,
    _assign,
    _build_goldens,
    _Existing,
    _home,
    _min_qty,
    _quantize,
    _Source,
    base_unit_factor,
    load_pricing_settings,
)
from mdm.rules import load_survivorship_rules
from mdm.settings import BUNDLED_RULES_DIR
from mdm.survivorship import load_survivorship

NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)
RULES = load_survivorship_rules(BUNDLED_RULES_DIR, "price")
SETTINGS = load_pricing_settings(BUNDLED_RULES_DIR)


def test_bundled_price_rules_load_with_their_pricing_section():
    assert load_survivorship(BUNDLED_RULES_DIR / "price.yaml").domain == "price"
    assert SETTINGS.price_lists["ERP"] == {"01": "Standard", "02": "Wholesale", "03": "Distributor"}
    assert SETTINGS.tolerance == Decimal("0.02")
    assert SETTINGS.list_price == "Standard" and SETTINGS.case_uoms == ["CS"]
    assert SETTINGS.open_end == date(9999, 12, 31)


def test_pricing_section_is_optional_and_validated(tmp_path: Path):
    (tmp_path / "price.yaml").write_text("domain: price\nsurvivorship: {default: [most_recent]}\n")
    assert load_pricing_settings(tmp_path) == PricingSettings()
    (tmp_path / "price.yaml").write_text("domain: price\npricing: {tolerance: 2}\n")
    with pytest.raises(RulesError, match=r"price.yaml: pricing.tolerance"):
        load_pricing_settings(tmp_path)
    (tmp_path / "price.yaml").write_text("domain: price\npricing: {tolerence: 0.1}\n")
    with pytest.raises(RulesError, match=r"pricing.tolerence"):
        load_pricing_settings(tmp_path)


@pytest.mark.parametrize(
    ("system", "code", "name"),
    [
        ("ERP", "01", "Standard"), ("ERP", "03", "Distributor"), ("CRM", "Wholesale", "Wholesale"),
        ("CRM", "wholesale", "Wholesale"), ("CRM", "01", "01"), ("ERP", "07", "07"), ("ERP", " ", None),
        ("ERP", None, None), (None, "02", "Wholesale"), (None, "standard", "Standard"),
    ],
)
def test_price_lists_are_one_name_across_systems(system, code, name):
    assert SETTINGS.price_list(system, code) == name


@pytest.mark.parametrize(
    ("uom", "item", "expected"),
    [
        ("EA", {"base_uom": "EA", "pack_qty": 12}, ("EA", Decimal(1))),
        ("CS", {"base_uom": "EA", "pack_qty": 12}, ("EA", Decimal(12))),
        ("CS", {"base_uom": "BX", "pack_qty": 20.0}, ("BX", Decimal(20))),  # a case of 20 boxes
        ("DZ", {"base_uom": "EA"}, ("EA", Decimal(12))),
        ("CS", {"base_uom": "CS", "pack_qty": 6}, ("CS", Decimal(1))),
        ("CS", {}, ("CS", Decimal(1))),  # no base unit known: compared as quoted
    ],
)
def test_prices_are_compared_per_base_unit(uom, item, expected):
    assert base_unit_factor(uom, item, SETTINGS) == expected


@pytest.mark.parametrize(
    "item", [{"base_uom": "EA"}, {"base_uom": "EA", "pack_qty": 0}, {"base_uom": "BX", "pack_qty": 2.5}]
)
def test_a_case_without_a_pack_quantity_is_not_converted(item):
    with pytest.raises(UomConversionError):
        base_unit_factor("CS", item, SETTINGS)


def test_a_box_cannot_be_counted_in_eaches_of_an_item_sold_by_the_box():
    with pytest.raises(UomConversionError):
        base_unit_factor("EA", {"base_uom": "BX", "pack_qty": 20}, SETTINGS)


def test_converted_amounts_and_tiers():
    assert _quantize(Decimal("131.80") / 12, 4) == Decimal("10.9833")
    assert str(_quantize(Decimal("24.00") / 12, 4)) == "2.00"
    assert str(_quantize(Decimal("67.50") / 10, 4)) == "6.75"
    assert _min_qty("1", Decimal(12)) == 1  # the base tier stays the base tier
    assert _min_qty("5", Decimal(12)) == 60
    assert _min_qty(None, Decimal(12)) is None


def candidate(rid: int, system: str, price: str, start: date | None, end: date | None, **kw) -> PriceCandidate:
    return PriceCandidate(
        item_key="ITM-1", price_list="Standard", currency="USD", unit_price=Decimal(price), uom="EA",
        min_qty=Decimal(1), valid_from=start, valid_to=end, system=system, record_id=rid,
        source_key=f"{system}-{rid}", updated_at=kw.pop("updated_at", NOW), **kw,
    )


def goldens_of(*candidates: PriceCandidate):
    sources = {c.record_id: _Source(c, {}, "I", None, "01") for c in candidates}
    settled = settle_overlaps(list(candidates), RULES, now=NOW)
    return _build_goldens(settled.prices, sources, settled.conflicts, RULES, NOW), settled.conflicts


def test_touching_periods_at_one_amount_are_one_golden_price_won_by_erp():
    goldens, conflicts = goldens_of(
        candidate(1, "ERP", "10.00", date(2024, 1, 1), date(2024, 12, 31)),
        candidate(2, "CRM", "10.00", date(2024, 2, 1), None),
    )
    assert not conflicts
    [golden] = goldens
    assert golden.attributes["valid_from"] == "2024-01-01" and "valid_to" not in golden.attributes
    assert golden.members == [1, 2] and golden.winner == 1
    assert golden.lineage["unit_price"]["winner"]["system"] == "ERP"
    assert [p["system"] for p in golden.lineage["unit_price"]["periods"]] == ["ERP", "CRM"]


def test_a_price_change_is_a_new_golden_price_and_a_disagreement_a_conflict():
    goldens, conflicts = goldens_of(
        candidate(1, "ERP", "10.00", date(2024, 1, 1), date(2024, 6, 30)),
        candidate(2, "ERP", "11.00", date(2024, 7, 1), None),
        candidate(3, "CRM", "12.00", date(2024, 7, 1), None),
    )
    assert [(g.attributes["unit_price"], g.attributes.get("valid_to")) for g in goldens] == [
        ("10.00", "2024-06-30"), ("11.00", None)]
    assert [(c.winner.record_id, c.other.record_id) for c in conflicts] == [(2, 3)]
    assert goldens[1].lineage["unit_price"]["conflicts"][0]["record_id"] == 3
    assert _home(goldens, ["A", "B"]) == {1: "A", 2: "B", 3: "B"}


def existing(gid: str, golden, *, winner=None, start=None, end=None, key=None) -> _Existing:
    row = SimpleNamespace(id=gid, created_at=NOW)
    return _Existing(row, key or golden.key, golden.start if start is None else start,
                     golden.end if end is None else end, golden.winner if winner is None else winner, golden.members)


def test_golden_price_ids_stay_with_their_period_or_winner():
    goldens, _ = goldens_of(
        candidate(1, "ERP", "10.00", date(2024, 1, 1), date(2024, 6, 30)),
        candidate(2, "ERP", "11.00", date(2024, 7, 1), None),
    )
    old, new = goldens
    # Same periods: same ids, whatever the order.
    kept, leftover = _assign(goldens, [existing("B", new), existing("A", old)])
    assert kept == {0: "A", 1: "B"} and leftover == []
    # A period that moved keeps its id through its winner; one that vanished is left over.
    moved = existing("B", new, start=new.start + 10, winner=2)
    gone = existing("C", new, start=new.start + 400, winner=99)
    kept, leftover = _assign(goldens, [moved, gone])
    assert kept == {1: "B"} and [e.row.id for e in leftover] == ["C"]
    # A source price that changed its terms (another key) stays the same golden price.
    other_key = old.key._replace(currency="CAD")
    kept, leftover = _assign(goldens, [existing("D", old, key=other_key)])
    assert kept == {0: "D"} and leftover == []
