"""The columnar survivorship path writes exactly what the engine writes.

``columnar.build`` decides every cluster of a bulk slice at once; for any
members and any chain of the steps it covers, each golden record's
attributes and stored lineage must be the engine's, to the byte (key order
included), because both are stored and published as they are.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mdm.models.fields import CANONICAL_FIELDS
from mdm.resolve import golden
from mdm.survivorship import Override, SurvivorshipRulesError, columnar, load_survivorship, strategies

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
NOW = datetime(2024, 6, 1, tzinfo=UTC)
CUSTOMER = load_survivorship(RULES_DIR / "customer.yaml")
FIELDS = CANONICAL_FIELDS["customer"]
SYSTEMS = ["ERP", "CRM", "WMS", "EDI"]
BASE = datetime(2023, 3, 1, 12, 0, tzinfo=UTC)
# Few moments, so ties, same-day pairs and far-apart pairs all occur.
MOMENTS = [BASE, BASE + timedelta(hours=3), BASE + timedelta(days=400), BASE + timedelta(microseconds=250),
           BASE - timedelta(days=2, seconds=7)]
VALUES = st.one_of(
    st.sampled_from(["US", "us", "a@b.com", "not-an-email", "+15551234567", "12", "-3.5", "2024-02-30",
                     "1990-01-01", "active", "inactive", " ", "", "ACME Corp", "Acme"]),
    st.none(),
    st.integers(-3, 3),
    st.sampled_from([float("nan"), 2.5, -1.0, float("inf")]),
    st.sampled_from([[], ["x"], {}, {"k": 1}, True]),
)
STEP = st.one_of(
    st.builds(lambda s: {"source_priority": s}, st.lists(st.sampled_from(SYSTEMS), min_size=1, max_size=3,
                                                          unique=True)),
    st.sampled_from(["most_recent", "most_complete", "most_frequent"]),
    st.builds(lambda t: {"same_source_as": t}, st.sampled_from(["address_line1", "email", "region", "date_of_birth"])),
)
CHECK = st.sampled_from(["not_empty", "email", "non_negative", "positive", "iso_date", {"regex": "[A-Z]{2}"},
                         {"one_of": ["active", "inactive", 1]}])


def _rules(chains: dict[str, list], checks: dict[str, list]):
    attributes = {}
    for name in FIELDS:
        if name in chains or name in checks:
            rule = {"chain": chains[name]} if name in chains else {}
            if name in checks:
                rule["validate"] = checks[name]
            attributes[name] = rule
    try:
        return load_survivorship({"domain": "customer", "survivorship": {"default": ["most_recent", "most_complete"],
                                                                         "attributes": attributes}})
    except SurvivorshipRulesError:  # e.g. a same_source_as cycle
        return None


RULES = st.builds(
    _rules,
    st.dictionaries(st.sampled_from(FIELDS), st.lists(STEP, min_size=1, max_size=3), max_size=8),
    st.dictionaries(st.sampled_from(FIELDS), st.lists(CHECK, min_size=1, max_size=2), max_size=4),
).filter(lambda rules: rules is not None)


@st.composite
def clusters(draw, max_clusters=12):
    sizes = draw(st.lists(st.integers(1, 5), min_size=1, max_size=max_clusters))
    ids = draw(st.permutations(range(1, sum(sizes) + 1)))
    fields = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=8, unique=True))
    rows, out, at = [], {}, 0
    for label, size in enumerate(sizes):
        out[label] = list(ids[at:at + size])
        for rid in out[label]:
            row = {f: draw(VALUES) for f in fields}
            row.update(record_id=rid, system=draw(st.sampled_from(SYSTEMS)), source_key=f"K{rid:03d}",
                       version=draw(st.integers(1, 3)), updated_at=draw(st.sampled_from(MOMENTS)))
            rows.append(row)
        at += size
    frame = pd.DataFrame(rows).set_index("record_id")
    frame["updated_at"] = pd.to_datetime(frame["updated_at"], utc=True)
    for f in fields:
        frame[f] = frame[f].astype(object)
    return frame, out


def _engine(rules, frame, groups, overrides=None):
    return golden._built_one_by_one(rules, "customer", frame, groups, NOW, overrides or {})


def _columnar(rules, frame, groups):
    return dict(zip(groups, columnar.build(rules, golden.member_columns("customer", frame, groups.values()))))


def _same(expected: dict, got: dict) -> None:
    assert list(got) == list(expected)
    for label in expected:
        assert orjson.dumps(got[label]) == orjson.dumps(expected[label]), label


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=clusters())
def test_customer_rules_match_the_engine(data):
    frame, groups = data
    _same(_engine(CUSTOMER, frame, groups), _columnar(CUSTOMER, frame, groups))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=RULES, data=clusters())
def test_any_chain_of_covered_steps_matches_the_engine(rules, data):
    frame, groups = data
    assert columnar.supports(rules)
    _same(_engine(rules, frame, groups), _columnar(rules, frame, groups))


def test_supports_only_the_covered_steps():
    assert columnar.supports(CUSTOMER)
    assert columnar.supports(load_survivorship(RULES_DIR / "item.yaml"))
    longest = load_survivorship({"domain": "customer", "survivorship": {"default": ["longest"]}})
    assert not columnar.supports(longest)


def test_a_re_registered_step_is_not_covered():
    original = strategies["most_recent"]
    try:
        strategies.register("most_recent")(lambda candidates, ctx, _: original.fn(candidates, ctx, None))
        assert not columnar.supports(CUSTOMER)
    finally:
        strategies.register("most_recent")(original.fn)
    assert columnar.supports(CUSTOMER)


def _bulk(n_clusters: int, seed: int = 5):
    """Many clusters of the customer shape, for the paths ``build_clusters`` chooses."""
    rng = np.random.default_rng(seed)
    rows, groups, rid = [], {}, 1
    for label in range(n_clusters):
        groups[f"g{label}"] = []
        for _ in range(int(rng.integers(1, 4))):
            rows.append({"record_id": rid, "system": SYSTEMS[int(rng.integers(0, 3))], "source_key": f"S{rid}",
                         "version": 1, "updated_at": MOMENTS[int(rng.integers(0, len(MOMENTS)))],
                         "organization": f"Org {label % 7}", "email": ["x@y.com", "bad", None][int(rng.integers(0, 3))],
                         "city": ["Albany", "", None][int(rng.integers(0, 3))], "address_line1": f"{label} Main St",
                         "country": ["US", "us"][int(rng.integers(0, 2))]})
            groups[f"g{label}"].append(rid)
            rid += 1
    frame = pd.DataFrame(rows).set_index("record_id")
    frame["updated_at"] = pd.to_datetime(frame["updated_at"], utc=True)
    return frame, groups


def test_build_clusters_takes_the_columnar_path_and_pins_go_through_the_engine(monkeypatch):
    frame, groups = _bulk(200)
    pinned = {"g3": {"city": Override(attribute="city", value="Troy", reason="moved", actor="ann",
                                      pinned_at=NOW - timedelta(days=1))}}
    expected = _engine(CUSTOMER, frame, groups, pinned)
    calls = []
    real = columnar.build
    monkeypatch.setattr(columnar, "build", lambda rules, members: calls.append(len(members.sizes)) or
                        real(rules, members))
    got = golden.build_clusters(CUSTOMER, "customer", frame, groups, now=NOW, overrides=pinned)
    _same(expected, got)
    assert calls == [199]
    assert got["g3"][0]["city"] == "Troy"


def test_moments_without_whole_microseconds_and_naive_columns_match():
    frame, groups = _bulk(60, seed=9)
    nanos = frame.copy()
    nanos["updated_at"] = nanos["updated_at"] + pd.to_timedelta(np.arange(len(nanos)) % 3, unit="ns")
    _same(_engine(CUSTOMER, nanos, groups), _columnar(CUSTOMER, nanos, groups))
    naive = frame.copy()
    naive["updated_at"] = naive["updated_at"].dt.tz_localize(None).astype(object)
    _same(_engine(CUSTOMER, naive, groups), _columnar(CUSTOMER, naive, groups))


def test_duplicate_member_ids_still_raise():
    frame, groups = _bulk(40)
    groups["g1"] = groups["g0"][:1] + groups["g1"]
    groups["g0"] = groups["g0"][:1] + groups["g0"]
    with pytest.raises(ValueError, match="unique"):
        golden.build_clusters(CUSTOMER, "customer", frame, groups, now=NOW)
