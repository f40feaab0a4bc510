"""The fast survivorship engine gives exactly what the straightforward one gave.

``build_golden`` decides on drafts and builds ``Decision`` models and
lineage lazily; ``_reference_build`` below is the engine as it was (every
candidate, trace and decision a validated pydantic model, lineage from
``model_dump``), and the old single-candidate-free bodies of ``keep_best``
and ``source_priority``. Both must agree on attributes, decisions, lineage
JSON and explain rows for any members, overrides and rules; a frozen digest
pins the output over a fixed synthetic set computed with the old engine.
"""

import hashlib
import json
import random
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mdm.survivorship import (
    Candidate,
    CandidateTrace,
    Decision,
    MemberRecord,
    Narrowed,
    Override,
    Settled,
    Undecided,
    build_golden,
    decide,
    explain_rows,
    load_survivorship,
    strategies,
    validators,
)
from mdm.survivorship.rules import STEWARD_OVERRIDE
from mdm.survivorship.values import is_empty, show_moment

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
NOW = datetime(2024, 6, 1, tzinfo=UTC)
SYSTEMS = ["ERP", "CRM", "WMS", "EDI"]

CUSTOMER = load_survivorship(RULES_DIR / "customer.yaml")
ITEM = load_survivorship(RULES_DIR / "item.yaml")
# Every built-in strategy and validation rule at least once.
EVERYTHING = load_survivorship(
    {
        "domain": "customer",
        "sources": {"ERP": {"trust": 0.9}, "CRM": {"trust": 0.8, "decay": {"kind": "linear", "lifetime_days": 900}},
                    "WMS": {"trust": 0.7}},
        "survivorship": {
            "trust_decay": {"kind": "exponential", "half_life_days": 90, "floor": 0.2},
            "default": ["steward_override", "most_frequent", "most_complete"],
            "attributes": {
                "name": ["longest", "most_recent"],
                "given_name": ["shortest"],
                "family_name": {"chain": ["trust"], "validate": ["not_empty"]},
                "organization": [{"trust": {"kind": "none"}}, "min"],
                "tax_id": {"chain": ["aggregate"], "validate": [{"regex": "[A-Z]{2}.*"}]},
                "email": {"chain": [{"source_priority": ["CRM"]}, "most_frequent"], "validate": ["email"]},
                "phone": ["aggregate"],
                "credit_limit": {"chain": ["max"], "validate": ["non_negative"]},
                "payment_terms": {"chain": ["min"], "validate": ["positive"]},
                "date_of_birth": {"chain": ["max", "most_recent"], "validate": ["iso_date"]},
                "status": {"chain": ["most_frequent"], "validate": [{"one_of": ["active", "inactive", 1]}]},
                "address_line1": [{"source_priority": ["WMS", "ERP"]}, "longest"],
                "city": [{"same_source_as": "address_line1"}, "shortest"],
                "region": [{"same_source_as": "city"}, {"source_priority": ["ERP"]}],
                "country": {"chain": [{"same_source_as": "address_line1"}], "validate": ["gtin"]},
            },
        },
    }
)
ALL_RULES = {"customer": CUSTOMER, "item": ITEM, "everything": EVERYTHING}


# --- the engine as it was --------------------------------------------------------------------


def _reference_keep_best(candidates, score, why_lost, pick=max):
    scores = {c.record_id: score(c) for c in candidates}
    best_score = pick(scores.values())
    kept = [c for c in candidates if scores[c.record_id] == best_score]
    lost = {c.record_id: why_lost(c, kept[0]) for c in candidates if scores[c.record_id] != best_score}
    return Narrowed(kept, lost)


def _reference_source_priority(candidates, ctx, systems):
    rank = {system: i for i, system in enumerate(systems)}
    listed = [c for c in candidates if c.system in rank]
    if not listed:
        return Undecided(f"no candidate from {', '.join(systems)}")
    top = systems[min(rank[c.system] for c in listed)]
    kept = [c for c in listed if c.system == top]
    lost = {
        c.record_id: f"lower source priority: {c.system} after {top}"
        if c.system in rank
        else f"lower source priority: {c.system} not in [{', '.join(systems)}]"
        for c in candidates
        if c.system != top
    }
    return Narrowed(kept, lost)


@pytest.fixture
def _reference_strategies():
    """Wraps a call so that keep_best runs its old body meanwhile (most_recent, max, trust, ... call it)."""
    module = sys.modules["mdm.survivorship.strategies"]  # the package's ``strategies`` is the registry

    def reference(fn):
        def run(*args, **kwargs):
            fast = module.keep_best
            module.keep_best = _reference_keep_best
            try:
                return fn(*args, **kwargs)
            finally:
                module.keep_best = fast

        return run

    return reference


def _reference_candidates(attribute, members):
    return [
        Candidate(value=m.fields[attribute], system=m.system, record_id=m.record_id, source_key=m.source_key,
                  version=m.version, updated_at=m.updated_at)
        for m in members
        if not is_empty(m.fields.get(attribute))
    ]


def _reference_decide(rules, attribute, members, *, now, overrides=None, decided=None):
    from mdm.survivorship import Context

    pool = _reference_candidates(attribute, members)
    ctx = Context(attribute=attribute, now=now, rules=rules, members={m.record_id: m for m in members},
                  decided=decided or {}, overrides=overrides or {})

    def invalid(value):
        for check in rules.checks_for(attribute):
            reason = validators[check.name].fn(value, check.param)
            if reason:
                return f"invalid: {reason}"
        return None

    dropped = {c.record_id: r for c in pool if (r := invalid(c.value))}
    valid = [c for c in pool if c.record_id not in dropped]
    lost, fallbacks = {}, []

    def traces(won):
        out = []
        for c in pool:
            if c.record_id in dropped:
                out.append(CandidateTrace(candidate=c, outcome="dropped", reason=dropped[c.record_id]))
            elif c.record_id in won:
                out.append(CandidateTrace(candidate=c, outcome="won", reason=won[c.record_id]))
            else:
                out.append(CandidateTrace(candidate=c, outcome="lost", reason=lost[c.record_id]))
        return out

    def settled(verdict, strategy, rule):
        lost.update(verdict.lost)
        return Decision(attribute=attribute, value=verdict.value, winner=None, strategy=strategy, rule=rule,
                        candidates=traces(verdict.won), fallbacks=fallbacks, override=verdict.override)

    def decision(winner, tie_breaker, strategy, rule):
        won = {}
        if winner is not None:
            won[winner.record_id] = f"chosen by {rule}" + (f"; tie broken by {tie_breaker}" if tie_breaker else "")
        return Decision(attribute=attribute, value=winner.value if winner else None, winner=winner,
                        strategy=strategy, rule=rule, tie_breaker=tie_breaker, candidates=traces(won),
                        fallbacks=fallbacks)

    verdict = strategies[STEWARD_OVERRIDE].fn(valid, ctx, None)
    if isinstance(verdict, Settled):
        return settled(verdict, STEWARD_OVERRIDE, f"{rules.domain}.{attribute}: steward_override by {verdict.override.actor}")
    if not valid:
        return decision(None, None, "no_candidates", f"{rules.domain}.{attribute}: no valid candidate")
    chain, is_default = rules.chain_for(attribute)
    remaining, deciding = valid, None
    for i, step in enumerate(chain):
        if step.name == STEWARD_OVERRIDE:
            continue
        rule = f"{rules.domain}.{attribute}[{i}]: {step.describe()}" + (" (default chain)" if is_default else "")
        fn = _reference_source_priority if step.name == "source_priority" else strategies[step.name].fn
        verdict = fn(remaining, ctx, step.param)
        if isinstance(verdict, Undecided):
            fallbacks.append(f"{rule}: could not decide: {verdict.reason}")
            continue
        if isinstance(verdict, Settled):
            return settled(verdict, step.name, rule)
        lost.update(verdict.lost)
        if len(verdict.kept) < len(remaining) or len(verdict.kept) == 1:
            remaining, deciding = verdict.kept, (step.name, rule)
        if len(remaining) == 1:
            break
        fallbacks.append(f"{rule}: tie between {', '.join(c.label for c in remaining)}")
    tie_breaker = None
    if len(remaining) > 1 or deciding is None:
        ranked = sorted(remaining, key=lambda c: (-c.updated_at.timestamp(), c.record_id))
        for c in ranked[1:]:
            if c.updated_at < ranked[0].updated_at:
                lost[c.record_id] = "tie-breaker: older: {} < {}".format(*show_moment(c.updated_at, ranked[0].updated_at))
            else:
                lost[c.record_id] = f"tie-breaker: higher record id: {c.record_id} > {ranked[0].record_id}"
        remaining, tie_breaker = ranked[:1], "most recent, then lowest record id"
    strategy, rule = deciding or ("tie_breaker", f"{rules.domain}.{attribute}: tie_breaker (most recent, then lowest record id)")
    return decision(remaining[0], tie_breaker, strategy, rule)


def _reference_build(rules, members, *, now, overrides=None):
    names = rules.attribute_names()
    decided = {}
    for attribute in rules.resolution_order(names):
        decided[attribute] = _reference_decide(rules, attribute, members, now=now, overrides=overrides, decided=decided)
    decisions = {a: decided[a] for a in names}
    return {a: d.value for a, d in decisions.items()}, decisions


def _outputs(build):
    return build.attributes, build.lineage_json(), explain_rows(build.decisions)


def _assert_same(rules, members, overrides, reference):
    attributes, decisions = reference(_reference_build)(rules, members, now=NOW, overrides=overrides)
    lineage = {a: d.lineage_json() for a, d in decisions.items()}
    fast = build_golden(rules, members, now=NOW, overrides=overrides)
    # Lineage first, before anything built the Decision models.
    assert json.dumps(fast.lineage_json()) == json.dumps(lineage)
    assert fast.lineage_json() == lineage
    assert list(fast.attributes) == list(attributes)
    assert json.dumps(fast.attributes, default=repr) == json.dumps(attributes, default=repr)
    assert list(fast.decisions) == list(decisions)
    for name, decision in decisions.items():
        model = fast.decisions[name]
        assert repr(model) == repr(decision)
        assert model.model_fields_set == decision.model_fields_set
        assert model.lineage_json() == lineage[name]
        assert [t.model_fields_set for t in model.candidates] == [t.model_fields_set for t in decision.candidates]
    assert explain_rows(fast.decisions) == explain_rows(decisions)
    for name in decisions:
        one = decide(rules, name, members, now=NOW, overrides=overrides, decided=fast.decisions)
        assert repr(one) == repr(fast.decisions[name])


# --- hypothesis: any members, values, overrides and rules --------------------------------------

values = st.one_of(
    st.sampled_from(["active", "inactive", "", "  ", "DE811234567", "a@x.de", "not an email", "+4922112345",
                     "00012345600012", "1980-02-29", "2024-13-01", "Köln", "100", "100.0", "-5", "abc"]),
    st.text(max_size=8),
    st.integers(min_value=-10, max_value=10),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, places=2, min_value=-100, max_value=100),
    st.booleans(),
    st.none(),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1)),
    st.lists(st.one_of(st.sampled_from(["a", "b", "c"]), st.none(), st.integers(0, 3)), max_size=3),
    st.dictionaries(st.sampled_from(["k", "l"]), st.one_of(st.none(), st.integers(0, 2)), max_size=2),
)
FIELDS = ["name", "given_name", "family_name", "organization", "tax_id", "email", "phone", "credit_limit",
          "payment_terms", "date_of_birth", "status", "address_line1", "city", "region", "country", "gtin",
          "pack_qty", "uom", "weight_kg", "base_uom", "unknown_field"]
moments = st.sampled_from([NOW, NOW - timedelta(seconds=5), NOW - timedelta(days=30), NOW - timedelta(days=400),
                           datetime(2024, 5, 31, 23, tzinfo=UTC), NOW + timedelta(days=2),
                           datetime(2024, 1, 1, 12, 30, 15, 250, tzinfo=UTC).astimezone(
                               __import__("datetime").timezone(timedelta(hours=2)))])


@st.composite
def clusters(draw):
    n = draw(st.integers(min_value=1, max_value=4))
    ids = draw(st.lists(st.integers(min_value=1, max_value=50), min_size=n, max_size=n, unique=True))
    members = [
        MemberRecord(
            record_id=rid, system=draw(st.sampled_from(SYSTEMS)), source_key=f"K{rid}",
            version=draw(st.integers(1, 3)), updated_at=draw(moments),
            fields=draw(st.dictionaries(st.sampled_from(FIELDS), values, max_size=8)),
        )
        for rid in ids
    ]
    overrides = None
    if draw(st.booleans()):
        overrides = {
            a: Override(attribute=a, value=draw(values), reason="checked", actor="kim", pinned_at=draw(moments),
                        unpinned_at=draw(st.one_of(st.none(), moments)))
            for a in draw(st.lists(st.sampled_from(["name", "email", "city", "address_line1", "phone", "status"]),
                                   max_size=3, unique=True))
        }
    return members, overrides


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(cluster=clusters(), rules=st.sampled_from(sorted(ALL_RULES)))
def test_build_golden_equals_the_reference_engine(cluster, rules, _reference_strategies):
    members, overrides = cluster
    rules = ALL_RULES[rules]
    if overrides and set(overrides) - set(rules.attribute_names()):
        overrides = None
    try:
        expected = _reference_strategies(_reference_build)(rules, members, now=NOW, overrides=overrides)
    except Exception as exc:  # the reference fails (e.g. min over NaN): so must the fast engine, the same way
        with pytest.raises(type(exc)):
            build = build_golden(rules, members, now=NOW, overrides=overrides)
            build.lineage_json()
            build.decisions
        return
    assert expected is not None
    _assert_same(rules, members, overrides, _reference_strategies)


def test_a_cluster_with_every_kind_of_decision_equals_the_reference(_reference_strategies):
    members = [
        MemberRecord(record_id=1, system="ERP", source_key="E1", version=2, updated_at=NOW - timedelta(days=3),
                     fields={"name": "Acme", "email": "a@x.de", "credit_limit": "10", "tax_id": "DE1",
                             "address_line1": "Main 1", "city": "Köln", "status": "active", "phone": ["+49 1", None]}),
        MemberRecord(record_id=2, system="CRM", source_key="C2", updated_at=NOW - timedelta(days=3),
                     fields={"name": "Acme", "email": "bad", "credit_limit": "-1", "tax_id": "de2",
                             "city": "Koeln", "status": "blocked", "phone": "+49 2", "region": None}),
        MemberRecord(record_id=3, system="EDI", source_key="X3", updated_at=NOW, fields={"name": "ACME", "phone": ""}),
    ]
    overrides = {"status": Override(attribute="status", value="inactive", reason="r", actor="kim",
                                    pinned_at=NOW - timedelta(days=1))}
    for rules in ALL_RULES.values():
        _assert_same(rules, members, overrides if "status" in rules.attribute_names() else None, _reference_strategies)


# --- frozen: digests of the old engine's output over a fixed synthetic set ----------------------

FROZEN = {
    "customer": "3bbe612318ca7e921b3ddb32949321766fe3e71f5d9c187c774661baa0a73a91",
    "item": "b789f84f51e0e391324893d84a23f677b0e1f979a4929ab23bdc19f6bbd95625",
    "everything": "b0cae131ba89136ac71c5e549d019acda8834c2f718f3328c0712607fcd2c2c2",
}


def synthetic(seed: int, n: int = 400):
    rng = random.Random(seed)
    pool = ["active", "inactive", "", "DE811234567", "a@x.de", "bad mail", "+4922112345", "00012345600012",
            "1980-02-29", "2024-13-01", "Köln", "Koeln", "100", "100.0", "-5", "abc", 7, 0, 2.5,
            ["a", "b"], ["b"], None]
    record_id = 0
    out = []
    for _ in range(n):
        members = []
        for _ in range(rng.choice([1, 1, 2, 2, 2, 3, 4])):
            record_id += 1
            members.append(MemberRecord(
                record_id=record_id, system=rng.choice(SYSTEMS), source_key=f"K{record_id}",
                version=rng.randint(1, 3), updated_at=NOW - timedelta(days=rng.choice([0, 1, 90, 400])),
                fields={f: rng.choice(pool) for f in FIELDS if rng.random() < 0.5},
            ))
        overrides = None
        if rng.random() < 0.1:
            overrides = {"name": Override(attribute="name", value="Pinned", reason="r", actor="kim",
                                          pinned_at=NOW - timedelta(days=rng.choice([1, -1])))}
        out.append((members, overrides))
    return out


def digest(rules) -> str:
    h = hashlib.sha256()
    for members, overrides in synthetic(7):
        build = build_golden(rules, members, now=NOW, overrides=overrides)
        h.update(json.dumps([build.attributes, build.lineage_json(), explain_rows(build.decisions)], default=str).encode())
    return h.hexdigest()


@pytest.mark.parametrize("name", sorted(FROZEN))
def test_output_matches_the_frozen_digest_of_the_old_engine(name):
    assert digest(ALL_RULES[name]) == FROZEN[name]
