"""Properties every survivorship decision keeps, whatever the candidates."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from mdm.survivorship import MemberRecord, TrustDecay, decide, load_survivorship

NOW = datetime(2024, 6, 1, tzinfo=UTC)
SYSTEMS = ["ERP", "CRM", "WMS", "EDI"]
SINGLE_VALUE_STRATEGIES = [
    "most_recent", "most_frequent", "most_complete", "longest", "shortest", "max", "min", "trust",
]


def rules(chain):
    return load_survivorship(
        {
            "domain": "customer",
            "sources": {s: {"trust": t} for s, t in zip(SYSTEMS, [0.9, 0.8, 0.7, 0.6])},
            "survivorship": {
                "trust_decay": {"kind": "exponential", "half_life_days": 90, "floor": 0.2},
                "default": ["most_recent"],
                "attributes": {"credit_limit": chain},
            },
        }
    )


RULES = {name: rules([name]) for name in SINGLE_VALUE_STRATEGIES}
RULES["aggregate"] = rules(["aggregate"])
RULES["source_priority"] = rules([{"source_priority": ["CRM", "ERP"]}])

decimals = st.decimals(min_value=-10**6, max_value=10**6, places=2, allow_nan=False).map(str)


@st.composite
def member_lists(draw, values=decimals):
    n = draw(st.integers(min_value=1, max_value=6))
    ids = draw(st.lists(st.integers(min_value=1, max_value=10**6), min_size=n, max_size=n, unique=True))
    members = []
    for record_id in ids:
        extra = draw(st.dictionaries(st.sampled_from(["email", "phone", "city"]), st.just("x"), max_size=3))
        members.append(
            MemberRecord(
                record_id=record_id,
                system=draw(st.sampled_from(SYSTEMS)),
                source_key=f"K{record_id}",
                updated_at=NOW - timedelta(days=draw(st.integers(min_value=0, max_value=2000))),
                fields={"credit_limit": draw(values), **extra},
            )
        )
    return members


@settings(max_examples=60, deadline=None)
@given(members=member_lists(), strategy=st.sampled_from(SINGLE_VALUE_STRATEGIES + ["source_priority"]))
def test_the_winner_is_always_one_of_the_candidates(members, strategy):
    decision = decide(RULES[strategy], "credit_limit", members, now=NOW)
    assert decision.winner.record_id in {m.record_id for m in members}
    assert decision.value == next(m for m in members if m.record_id == decision.winner.record_id).fields["credit_limit"]
    assert [t.outcome for t in decision.candidates].count("won") == 1


@settings(max_examples=60, deadline=None)
@given(members=member_lists())
def test_aggregate_is_exactly_the_distinct_candidate_values(members):
    value = decide(RULES["aggregate"], "credit_limit", members, now=NOW).value
    assert len(value) == len(set(value))
    assert set(value) == {m.fields["credit_limit"] for m in members}


@settings(max_examples=60, deadline=None)
@given(members=member_lists(), data=st.data())
def test_the_decision_does_not_depend_on_the_order_candidates_arrive_in(members, data):
    shuffled = data.draw(st.permutations(members))
    for strategy in ["source_priority", "most_recent", "max", "trust"]:
        first = decide(RULES[strategy], "credit_limit", members, now=NOW)
        second = decide(RULES[strategy], "credit_limit", shuffled, now=NOW)
        assert first.winner == second.winner


@settings(max_examples=60, deadline=None)
@given(members=member_lists())
def test_source_priority_picks_the_highest_listed_system_present(members):
    winner = decide(RULES["source_priority"], "credit_limit", members, now=NOW).winner
    present = {m.system for m in members}
    expected = next((s for s in ["CRM", "ERP"] if s in present), None)
    if expected:
        assert winner.system == expected


@settings(max_examples=60, deadline=None)
@given(members=member_lists())
def test_max_is_at_least_every_candidate_and_min_at_most(members):
    values = [Decimal(m.fields["credit_limit"]) for m in members]
    assert Decimal(decide(RULES["max"], "credit_limit", members, now=NOW).value) == max(values)
    assert Decimal(decide(RULES["min"], "credit_limit", members, now=NOW).value) == min(values)


@settings(max_examples=60, deadline=None)
@given(members=member_lists())
def test_most_recent_winner_has_the_latest_update(members):
    winner = decide(RULES["most_recent"], "credit_limit", members, now=NOW).winner
    assert winner.updated_at == max(m.updated_at for m in members)


decays = st.one_of(
    st.builds(TrustDecay, kind=st.just("exponential"), half_life_days=st.floats(0.5, 3650), floor=st.floats(0, 1)),
    st.builds(TrustDecay, kind=st.just("linear"), lifetime_days=st.floats(0.5, 3650), floor=st.floats(0, 1)),
)


@given(decay=decays, trust=st.floats(0, 1), younger=st.floats(0, 10_000), extra=st.floats(0, 10_000))
def test_trust_never_rises_with_age(decay, trust, younger, extra):
    assert decay.apply(trust, younger + extra) <= decay.apply(trust, younger)


@given(decay=decays, trust=st.floats(0, 1), age=st.floats(0, 100_000))
def test_trust_never_falls_below_the_floor_nor_rises_above_the_source_trust(decay, trust, age):
    value = decay.apply(trust, age)
    assert min(trust, decay.floor) <= value <= trust
