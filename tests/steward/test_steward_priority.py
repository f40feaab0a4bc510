"""Review queue order: pure functions of score, activity and age."""

from __future__ import annotations

import pytest

from mdm.match.rules import Thresholds
from mdm.steward import priority as p


def test_the_boundary_is_the_middle_of_the_review_band_in_match_weight():
    band = Thresholds(auto_merge=0.95, review=0.5)
    assert p.boundary_weight(band) == pytest.approx((0 + p.weight_of(0.95)) / 2)
    assert p.boundary_weight(Thresholds(auto_merge=8, review=2, scale="weight")) == 5


def test_closeness_is_highest_on_the_boundary_and_falls_away_from_it():
    assert p.closeness(3.0, 3.0) == 1.0
    assert p.closeness(4.0, 3.0) == p.closeness(2.0, 3.0) == 0.5
    assert p.closeness(10.0, 3.0) < p.closeness(4.0, 3.0)
    assert p.closeness(None, 3.0) == 0.5


def test_recent_source_activity_counts_half_after_a_week():
    assert p.activity(0) == 1.0
    assert p.activity(p.ACTIVITY_HALF_LIFE_DAYS) == pytest.approx(0.5)
    assert p.activity(float("inf")) == 0.0


def test_age_grows_to_its_full_share_in_a_month():
    assert p.age(0) == 0.0 and p.age(15) == pytest.approx(0.5) and p.age(300) == 1.0


def test_priority_weighs_closeness_over_activity_and_age():
    unsure_old = p.priority(1.0, days_since_change=100, age_days=30)
    sure_fresh = p.priority(0.1, days_since_change=0, age_days=0)
    assert unsure_old > sure_fresh
    assert p.priority(1.0, 0, 30) == pytest.approx(1.0)


def test_a_price_conflict_just_beyond_the_tolerance_comes_first():
    assert p.price_closeness(0.021, 0.02) > p.price_closeness(0.5, 0.02)
    assert p.price_closeness(0.02, 0.02) == 1.0
