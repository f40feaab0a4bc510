"""End to end: default customer rules on a Febrl4 subset, and incremental scoring."""

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from evaluate import load_febrl4, pairwise_scores  # noqa: E402

from mdm.match import load_rules, match_frame, score_pairs  # noqa: E402


@pytest.fixture(scope="module")
def febrl_subset():
    df, truth = load_febrl4()
    # The first 500 entities of source A and their duplicates in source B.
    entities = np.sort(truth.unique())[:500]
    keep = truth.isin(entities)
    return df[keep], truth[keep]


@pytest.fixture(scope="module")
def result(febrl_subset):
    df, _ = febrl_subset
    return match_frame(df, load_rules(ROOT / "rules" / "customer.yaml"))


def test_default_customer_rules_reach_high_f1_on_febrl4_subset(febrl_subset, result):
    _, truth = febrl_subset
    assert pairwise_scores(result.labels, truth)["f1"] >= 0.98


def test_every_stage_is_timed(result):
    assert set(result.timings) == {"prepare", "blocking", "compare", "estimate", "score", "cluster"}


def test_existing_model_scores_new_pairs_like_the_bulk_run(febrl_subset, result):
    df, _ = febrl_subset
    rules = load_rules(ROOT / "rules" / "customer.yaml")
    pairs = result.pairs.head(50)
    rescored, levels = score_pairs(df, pairs["left"], pairs["right"], rules, result.model)
    np.testing.assert_allclose(rescored["match_weight"], pairs["match_weight"])
    assert np.array_equal(levels, result.levels[:50])
