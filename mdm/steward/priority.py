"""Order of the review queue: pure functions of a candidate's score, its
records' recent activity and its age.

The most useful item comes first: a pair whose score sits near the decision
boundary (the machine was least sure), whose records changed lately (someone
is working on that customer now), and that has waited long.

```python
b = boundary_weight(rules.thresholds)
priority(closeness(pair_weight, b), days_since_change=0.5, age_days=12)
```
"""

from __future__ import annotations

import math

from mdm.match.rules import Thresholds

# How the three signals add up (they sum to 1, so a priority lies in [0, 1]).
CLOSENESS_WEIGHT = 0.5
ACTIVITY_WEIGHT = 0.25
AGE_WEIGHT = 0.25
# A source change counts half as much after this many days.
ACTIVITY_HALF_LIFE_DAYS = 7.0
# Waiting this long (or longer) earns the full age share.
AGE_FULL_DAYS = 30.0


def weight_of(probability: float) -> float:
    """Match weight (log2 odds) of a probability, clipped away from 0 and 1."""
    p = min(max(probability, 1e-12), 1 - 1e-12)
    return math.log2(p / (1 - p))


def boundary_weight(thresholds: Thresholds) -> float:
    """The middle of the review band in match weight: where the rules leave
    the decision most open."""
    if thresholds.scale == "probability":
        low, high = weight_of(thresholds.review), weight_of(thresholds.auto_merge)
    else:
        low, high = thresholds.review, thresholds.auto_merge
    return (low + high) / 2


def closeness(weight: float | None, boundary: float) -> float:
    """1 on the boundary, falling with each bit of evidence away from it."""
    if weight is None or math.isnan(weight):
        return 0.5
    return 1.0 / (1.0 + abs(weight - boundary))


def price_closeness(relative_difference: float, tolerance: float) -> float:
    """For a price conflict: 1 just beyond the tolerance, less as the prices drift apart."""
    if tolerance <= 0:
        return 0.5
    return 1.0 / (1.0 + max(relative_difference / tolerance - 1.0, 0.0))


def activity(days_since_change: float) -> float:
    return 0.5 ** (max(days_since_change, 0.0) / ACTIVITY_HALF_LIFE_DAYS)


def age(age_days: float) -> float:
    return min(max(age_days, 0.0) / AGE_FULL_DAYS, 1.0)


def priority(closeness_score: float, days_since_change: float, age_days: float) -> float:
    return (
        CLOSENESS_WEIGHT * closeness_score
        + ACTIVITY_WEIGHT * activity(days_since_change)
        + AGE_WEIGHT * age(age_days)
    )
