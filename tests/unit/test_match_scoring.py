"""Fellegi–Sunter: EM estimation, term frequencies, explanations, model persistence."""

import numpy as np
import pandas as pd
import pytest

from mdm.match import MatchModel, comparison_levels, estimate, explain, parse_rules, score, tf_values


def rules_with(comparisons, prior="estimate"):
    return parse_rules(
        {
            "domain": "test",
            "blocking": {"keys": [["a"]]},
            "comparisons": comparisons,
            "thresholds": {"auto_merge": 0.9, "review": 0.5},
            "prior": prior,
        }
    )


THREE = [{"name": n, "levels": ["exact", "jaro_winkler >= 0.9", "else"]} for n in ("a", "b", "c")]
TRUE_M = np.array([[0.85, 0.10, 0.05], [0.70, 0.20, 0.10], [0.90, 0.05, 0.05]])
TRUE_U = np.array([[0.02, 0.08, 0.90], [0.05, 0.05, 0.90], [0.01, 0.04, 0.95]])


def simulate(n, share, rng):
    is_match = rng.random(n) < share
    levels = np.empty((n, 3), dtype=np.int8)
    for k in range(3):
        levels[is_match, k] = rng.choice(3, is_match.sum(), p=TRUE_M[k])
        levels[~is_match, k] = rng.choice(3, (~is_match).sum(), p=TRUE_U[k])
    return levels


def test_em_recovers_known_m_u_and_match_share():
    rng = np.random.default_rng(1)
    candidates = simulate(200_000, 0.2, rng)
    random_pairs = simulate(200_000, 0.0, rng)
    model = estimate(candidates, rules_with(THREE), random_levels=random_pairs)
    m = np.array([[lv.m for lv in c.levels] for c in model.comparisons])
    u = np.array([[lv.u for lv in c.levels] for c in model.comparisons])
    assert np.abs(m - TRUE_M).max() < 0.02
    assert np.abs(u - TRUE_U).max() < 0.01
    assert model.candidate_prior == pytest.approx(0.2, abs=0.01)


def test_em_estimates_u_too_when_asked():
    rng = np.random.default_rng(2)
    comparisons = THREE
    rules = parse_rules(
        {
            "domain": "test",
            "blocking": {"keys": [["a"]]},
            "comparisons": comparisons,
            "thresholds": {"auto_merge": 0.9, "review": 0.5},
            "em": {"estimate_u": "em", "max_iterations": 500},
        }
    )
    model = estimate(simulate(200_000, 0.3, rng), rules)
    u = np.array([[lv.u for lv in c.levels] for c in model.comparisons])
    assert np.abs(u - TRUE_U).max() < 0.02


def test_null_level_is_neutral():
    rules = rules_with([{"name": "a", "levels": ["null", "exact", "else"]}])
    model = estimate(np.array([[1], [2], [0], [1]], dtype=np.int8), rules, random_levels=np.array([[2], [2], [1]], dtype=np.int8))
    assert model.comparisons[0].levels[0].bayes_factor == 1.0


def test_fixed_level_probabilities_are_kept():
    rules = rules_with([{"name": "a", "levels": ["null", {"kind": "exact", "m": 0.9, "u": 0.001}, "else"]}])
    rng = np.random.default_rng(3)
    model = estimate(rng.integers(1, 3, (1000, 1)).astype(np.int8), rules)
    exact = model.comparisons[0].levels[1]
    assert (exact.m, exact.u) == (0.9, 0.001)


def test_common_surname_weighs_less_than_rare_one():
    rules = rules_with([{"name": "family_name", "term_frequency": True, "levels": ["null", "exact", "else"]}])
    names = ["Smith"] * 50 + ["Zbigniew", "Zbigniew"] + [f"Name{i}" for i in range(48)]
    df = pd.DataFrame({"family_name": names}, index=pd.RangeIndex(100))
    left, right = np.array([0, 50]), np.array([1, 51])  # Smith=Smith, Zbigniew=Zbigniew
    levels = comparison_levels(df, left, right, rules)
    model = estimate(levels, rules, random_levels=np.array([[2]] * 98 + [[1]] * 2, dtype=np.int8))
    weight, _ = score(levels, model, tf_values(df, left, rules))
    assert levels[:, 0].tolist() == [1, 1]
    assert weight[0] < weight[1]


def test_explanation_sums_to_total_weight():
    rng = np.random.default_rng(4)
    model = estimate(simulate(5000, 0.2, rng), rules_with(THREE), random_levels=simulate(5000, 0.0, rng))
    levels = np.array([[0, 1, 2]], dtype=np.int8)
    weight, probability = score(levels, model)
    rows = explain(levels[0], model)
    assert [r["comparison"] for r in rows] == ["prior", "a", "b", "c", "total"]
    assert sum(r["weight"] for r in rows[:-1]) == pytest.approx(rows[-1]["weight"])
    assert rows[-1]["weight"] == pytest.approx(weight[0])
    assert rows[-1]["probability"] == pytest.approx(probability[0])
    assert rows[2]["level"] == "jaro_winkler >= 0.9"


def test_model_round_trips_through_json():
    rng = np.random.default_rng(5)
    model = estimate(simulate(2000, 0.2, rng), rules_with(THREE), random_levels=simulate(2000, 0.0, rng))
    again = MatchModel.model_validate_json(model.model_dump_json())
    levels = simulate(100, 0.5, rng)
    assert np.array_equal(score(levels, again)[0], score(levels, model)[0])


def test_prior_from_rules_is_used_as_is():
    rng = np.random.default_rng(6)
    model = estimate(simulate(2000, 0.2, rng), rules_with(THREE, prior=0.001), random_levels=simulate(2000, 0.0, rng), n_records=1000)
    assert model.prior == 0.001


def test_sessions_estimate_m_of_blocked_fields_from_other_keys():
    from mdm.match.scoring import estimate_in_sessions

    rng = np.random.default_rng(8)
    rules = parse_rules(
        {
            "domain": "test",
            "blocking": {"keys": [["a"], ["b"]]},
            "comparisons": THREE,
            "thresholds": {"auto_merge": 0.9, "review": 0.5},
        }
    )
    everything = simulate(400_000, 0.01, rng)
    # Blocking keeps pairs agreeing exactly on a or on b: a plain EM over them
    # would think matches almost always agree on both.
    sessions = everything[:, :2] == 0
    found = sessions.any(axis=1)
    model = estimate_in_sessions(everything[found], sessions[found], rules, random_levels=simulate(200_000, 0.0, rng))
    m = np.array([[lv.m for lv in c.levels] for c in model.comparisons])
    assert np.abs(m[:2] - TRUE_M[:2]).max() < 0.05


@pytest.mark.parametrize("threaded", [False, True])
@pytest.mark.parametrize("block", [1, 7, 1 << 18])
def test_scores_in_blocks_equal_the_whole_array_formula(monkeypatch, block, threaded):
    """``score`` works a block of pairs at a time, on two threads for many
    pairs; every block size gives the plain formula's weights and
    probabilities exactly, TF adjustments included."""
    import mdm.match.scoring as scoring

    if threaded:
        monkeypatch.setattr(scoring, "PARALLEL_SCORE_PAIRS", 0)

    rng = np.random.default_rng(9)
    comparisons = [{"name": "a", "term_frequency": True, "levels": ["null", "exact", "jaro_winkler >= 0.9", "else"]},
                   *THREE[1:]]
    rules = rules_with(comparisons)
    training = simulate(5000, 0.2, rng)
    training = np.c_[rng.choice(4, len(training)), training[:, 1:]].astype(np.int8)
    model = estimate(training, rules, random_levels=simulate(5000, 0.0, rng))
    levels = np.c_[rng.choice(4, 1000), simulate(1000, 0.3, rng)[:, 1:]].astype(np.int8)
    tf = np.full(levels.shape, np.nan, dtype=np.float32)
    tf[:, 0] = np.where(rng.random(1000) < 0.2, np.nan, rng.random(1000) / 50)
    monkeypatch.setattr(scoring, "SCORE_BLOCK", block)
    weight, prob = score(levels, model, tf)

    table, offsets = model.weight_table()
    expected = model.prior_weight + sum(table[offsets[k] + levels[:, k]] for k in range(levels.shape[1]))
    expected = expected + scoring._tf_adjustment(levels, model, tf).sum(axis=1)
    assert (levels[:, 0] == 1).any() and np.isfinite(tf[levels[:, 0] == 1, 0]).any()
    np.testing.assert_allclose(weight, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(prob, scoring.probability(expected), rtol=0, atol=1e-15)
    assert weight.shape == prob.shape == (1000,)
    empty_weight, empty_prob = score(levels[:0], model, tf[:0])
    assert len(empty_weight) == len(empty_prob) == 0
