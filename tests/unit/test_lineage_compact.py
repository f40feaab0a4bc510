"""The compact stored lineage expands to exactly the verbose lineage, for any decisions."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, reject, settings
from hypothesis import strategies as st

from mdm.survivorship import (
    Candidate,
    CandidateTrace,
    Decision,
    GoldenBuild,
    MemberRecord,
    Override,
    build_golden,
    load_survivorship,
)
from mdm.survivorship.lineage import compact, expand, is_compact
from mdm.survivorship.models import DecisionDraft

NOW = datetime(2024, 6, 1, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
CUSTOMER = load_survivorship(ROOT / "rules" / "customer.yaml")
SYSTEMS = ["ERP", "CRM", "WMS", "EDI"]
ATTRIBUTES = CUSTOMER.attribute_names()
CHAINS = [
    ["most_recent"], ["most_frequent"], ["longest"], ["shortest"], ["max"], ["min"], ["trust"], ["aggregate"],
    ["most_complete"], [{"source_priority": ["CRM", "ERP"]}, "most_recent"], [{"same_source_as": "email"}],
    [{"source_priority": ["WMS"]}, {"same_source_as": "email"}, "shortest"],
]


def text(value) -> str:
    """JSON text, key order included: what a SQLite store keeps."""
    return json.dumps(value)


def rules_with(chain):
    return load_survivorship(
        {
            "domain": "customer",
            "sources": {s: {"trust": t} for s, t in zip(SYSTEMS, [0.9, 0.8, 0.7, 0.6])},
            "survivorship": {
                "trust_decay": {"kind": "exponential", "half_life_days": 90, "floor": 0.2},
                "default": ["most_recent"],
                "attributes": {"credit_limit": chain, "phone": chain,
                               "email": {"chain": ["most_recent"], "validate": ["email"]}},
            },
        }
    )


RULES = [CUSTOMER] + [rules_with(chain) for chain in CHAINS]

plain = st.one_of(
    st.sampled_from(["a@b.co", "x@y.org", "Acme", "ACME GmbH", "12.50", "", " ", "not an email"]),
    st.text(max_size=12),
    st.integers(min_value=-3, max_value=3),
    st.integers(min_value=2**63, max_value=2**70),
    st.sampled_from([1.0, 1, True, False, 0.0, -0.0, 2.5, float("nan"), float("inf")]),
    st.none(),
)
values = st.one_of(plain, st.lists(plain, max_size=3))
moments = st.integers(min_value=0, max_value=3000).map(lambda d: NOW - timedelta(days=d, seconds=d % 7))


@st.composite
def members(draw):
    ids = draw(st.lists(st.integers(min_value=1, max_value=10**7), min_size=1, max_size=5, unique=True))
    fields = st.dictionaries(st.sampled_from(["email", "phone", "credit_limit", "name", "city", "organization"]),
                             values, max_size=6)
    return [
        MemberRecord(record_id=rid, system=draw(st.sampled_from(SYSTEMS)), source_key=draw(st.text(max_size=6)),
                     version=draw(st.integers(min_value=1, max_value=3)), updated_at=draw(moments),
                     fields=draw(fields))
        for rid in ids
    ]


overrides = st.dictionaries(
    st.sampled_from(["email", "city", "credit_limit"]),
    st.builds(lambda v, actor: (v, actor), st.sampled_from(["x@z.com", "Springfield", 7, ""]), st.text(max_size=5)),
    max_size=2,
).map(lambda picked: {
    a: Override(attribute=a, value=v, reason="steward said so", actor=actor, pinned_at=NOW - timedelta(days=1))
    for a, (v, actor) in picked.items()
})


@settings(max_examples=300, deadline=None)
@given(members=members(), rules=st.sampled_from(RULES), overrides=overrides, keep=st.booleans())
def test_the_stored_form_of_a_build_expands_to_its_verbose_lineage(members, rules, overrides, keep):
    try:
        build = build_golden(rules, members, now=NOW, overrides=overrides)
    except (ArithmeticError, LookupError, TypeError, ValueError):  # the engine cannot rank some (nan, mixed types)
        reject()
    only = {a: v for a, v in build.attributes.items() if v not in (None, "", [])} if keep else None
    verbose = build.lineage_json(only=only)
    stored = build.lineage_stored(only=only)
    assert text(expand(stored)) == text(verbose)
    assert text(expand(json.loads(text(stored)))) == text(verbose)  # as read back from the store
    # The same decisions as models, and verbose lineage compacted afterwards, store the same.
    from_models = GoldenBuild(build.attributes, build.decisions).lineage_stored(only=only)
    assert text(expand(from_models)) == text(verbose)
    assert text(expand(compact(verbose))) == text(verbose)
    # Only the verbose lineage of old stores is read as it is.
    assert expand(verbose) is verbose
    if verbose:
        assert is_compact(stored) and not is_compact(verbose)


candidates = st.builds(
    lambda v, system, rid, key, version, at, trust: Candidate(
        value=v, system=system, record_id=rid, source_key=key, version=version, updated_at=at, trust=trust),
    values, st.sampled_from(SYSTEMS), st.integers(min_value=1, max_value=20), st.text(max_size=4),
    st.integers(min_value=1, max_value=2), moments, st.one_of(st.none(), st.sampled_from([0.5, 1.0, 0.0])),
)
rule_texts = st.one_of(
    st.sampled_from(["customer.email[0]: most_recent", "customer.email: tie_breaker (most recent, then lowest record id)",
                     "customer.email: no valid candidate", "customer.email: steward_override by ann", "item.email[1]: x y",
                     "customer.emailx[0]: longest", "customer", ": ", ""]),
    st.text(max_size=20),
)
reasons = st.one_of(st.sampled_from(["chosen by customer.email[0]: most_recent", "older: 2021 < 2022"]),
                    st.text(max_size=10))


@st.composite
def decisions(draw):
    pool = draw(st.lists(candidates, max_size=4))
    traces = [CandidateTrace(candidate=c, outcome=draw(st.sampled_from(["won", "lost", "dropped"])),
                             reason=draw(reasons)) for c in pool]
    winner = draw(st.one_of(st.none(), st.sampled_from(pool) if pool else st.none(), candidates))
    rule = draw(rule_texts)
    tie_breaker = draw(st.one_of(st.none(), st.just("most recent, then lowest record id"), st.just("")))
    if winner is not None and traces and draw(st.booleans()):
        reason = f"chosen by {rule}; tie broken by {tie_breaker}" if tie_breaker else f"chosen by {rule}"
        traces = [t if t.candidate is not winner else CandidateTrace(candidate=winner, outcome="won", reason=reason)
                  for t in traces]
    value = winner.value if winner is not None and draw(st.booleans()) else draw(values)
    override = draw(st.one_of(st.none(), st.just(Override(attribute="email", value=value, reason="r", actor="a",
                                                          pinned_at=NOW))))
    return Decision(
        attribute="email", value=value, winner=winner, strategy=draw(st.sampled_from(["most_recent", "x", ""])),
        rule=rule, tie_breaker=tie_breaker, candidates=traces, fallbacks=draw(st.lists(st.text(max_size=5), max_size=2)),
        override=override,
    )


@settings(max_examples=300, deadline=None)
@given(decision=decisions())
def test_any_decision_model_round_trips(decision):
    verbose = {"email": decision.lineage_json()}
    stored = GoldenBuild({"email": decision.value}, {"email": decision}).lineage_stored()
    assert text(expand(stored)) == text(verbose)
    assert text(expand(json.loads(text(stored)))) == text(verbose)


@settings(max_examples=300, deadline=None)
@given(members=members(), data=st.data())
def test_any_draft_round_trips(members, data):
    """Drafts as the engine could hand them over: any traces of the members' candidates, any winner."""
    pool = [Candidate(value=data.draw(values), system=m.system, record_id=m.record_id, source_key=m.source_key,
                      version=m.version, updated_at=m.updated_at) for m in members]
    drafts = {}
    for name in data.draw(st.lists(st.sampled_from(ATTRIBUTES), unique=True, max_size=4)):
        traces = [(c, data.draw(st.sampled_from(["won", "lost", "dropped"])), data.draw(reasons))
                  for c in data.draw(st.lists(st.sampled_from(pool), unique_by=id, max_size=len(pool)))]
        winner = data.draw(st.one_of(st.none(), st.sampled_from(pool)))
        value = winner.value if winner is not None and data.draw(st.booleans()) else data.draw(values)
        rule = data.draw(st.one_of(rule_texts, st.just(f"customer.{name}[0]: most_recent")))
        drafts[name] = DecisionDraft(
            name, value, winner, data.draw(st.sampled_from(["most_recent", "tie_breaker", "q"])), rule,
            data.draw(st.one_of(st.none(), st.just("most recent, then lowest record id"))), traces,
            data.draw(st.lists(st.text(max_size=5), max_size=2)), None, False,
        )
    build = GoldenBuild.from_drafts({a: d.value for a, d in drafts.items()}, drafts, members,
                                    data.draw(st.sampled_from([None, "customer", "item"])))
    assert text(expand(build.lineage_stored())) == text(build.lineage_json())


# --- examples ------------------------------------------------------------------------------------


def member(rid, system, key, days, **fields):
    return MemberRecord(record_id=rid, system=system, source_key=key, updated_at=NOW - timedelta(days=days),
                        fields=fields)


MEMBERS = [
    member(11, "ERP", "E-1", 30, email="ap@acme.example", organization="ACME Corp", city="Boston"),
    member(12, "CRM", "C-1", 2, email="sales@acme.example", organization="Acme Corporation", city="Boston"),
    member(13, "WMS", "W-1", 400, organization="ACME", city="Bostn"),
]


def test_the_stored_form_names_each_source_once_and_is_much_smaller():
    build = build_golden(CUSTOMER, MEMBERS, now=NOW)
    only = {a: v for a, v in build.attributes.items() if v is not None}
    stored, verbose = build.lineage_stored(only=only), build.lineage_json(only=only)
    assert stored["_v"] == 1 and stored["_d"] == "customer"
    assert sorted(s[0] for s in stored["_src"]) == [11, 12, 13]
    assert list(stored)[:4] == ["_v", "_d", "_src", "_why"]
    assert list(stored)[4:] == list(verbose)  # the attributes, in order
    assert len(stored["_why"]) == len(set(stored["_why"]))
    assert all("attribute" not in entry and "winner" not in entry for name, entry in stored.items()
               if not name.startswith("_"))
    assert len(text(stored)) * 3 < len(text(verbose))
    assert expand(stored, "organization") == {"organization": verbose["organization"]}
    assert expand(stored, "nope") == {}


def test_an_empty_lineage_stays_empty_and_old_verbose_lineage_reads_as_it_is():
    assert build_golden(CUSTOMER, MEMBERS, now=NOW).lineage_stored(only={}) == {}
    old = {"name": {"value": "x", "attribute": "name", "candidates": [], "fallbacks": []}}
    assert expand(old) is old
    assert expand({}) == {}


def test_a_price_style_lineage_with_extra_keys_is_kept_verbose_inside_the_compact_form():
    build = build_golden(CUSTOMER, MEMBERS, now=NOW)
    verbose = build.lineage_json(only={"email": 1})
    verbose["email"]["periods"] = [{"system": "ERP"}]
    stored = compact(verbose)
    assert stored["email"] == verbose["email"] and expand(stored) == verbose
