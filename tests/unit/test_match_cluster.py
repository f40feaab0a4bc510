"""Clustering: components of auto-merge edges, never chaining unlike records."""

import numpy as np
import pandas as pd

from mdm.match.cluster import cluster
from mdm.match.rules import Thresholds

THRESHOLDS = Thresholds(auto_merge=0.9, review=0.5)


def labels_of(result):
    return result.labels.to_dict()


def test_strong_pairs_join_and_label_is_smallest_member_id():
    result = cluster([7, 3, 5, 9], [3, 5], [5, 7], [0.99, 0.95], THRESHOLDS)
    assert labels_of(result) == {3: 3, 5: 3, 7: 3, 9: 9}
    assert result.review.empty


def test_bridge_record_does_not_chain_unlike_records():
    # A-B and B-C are strong but A and C were compared and are clearly different.
    result = cluster([1, 2, 3], [1, 2, 1], [2, 3, 3], [0.99, 0.97, 0.01], THRESHOLDS)
    labels = labels_of(result)
    assert labels[1] != labels[3]
    assert labels[1] == labels[2]  # the strongest edge survives
    assert result.review.to_dict("records") == [{"left": 2, "right": 3, "score": 0.97, "reason": "conflict"}]


def test_cannot_link_pair_is_never_merged_even_via_others():
    result = cluster([1, 2, 3], [1, 2], [2, 3], [0.99, 0.98], THRESHOLDS, cannot_link=(np.array([3]), np.array([1])))
    labels = labels_of(result)
    assert labels[1] != labels[3]
    assert labels[1] == labels[2]


def test_cannot_link_pair_is_not_sent_to_review():
    result = cluster([1, 2], [1], [2], [0.99], THRESHOLDS, cannot_link=([1], [2]))
    assert labels_of(result) == {1: 1, 2: 2}
    assert result.review.empty


def test_middling_pairs_between_clusters_go_to_review():
    result = cluster([1, 2, 3], [1, 2], [2, 3], [0.99, 0.7], THRESHOLDS)
    assert labels_of(result) == {1: 1, 2: 1, 3: 3}
    assert result.review[["left", "right", "reason"]].to_dict("records") == [{"left": 2, "right": 3, "reason": "review"}]


def test_labels_do_not_depend_on_row_order():
    rng = np.random.default_rng(0)
    ids = np.arange(100, 300)
    left, right = rng.choice(ids, 400), rng.choice(ids, 400)
    keep = left != right
    left, right = left[keep], right[keep]
    score = rng.choice([0.2, 0.6, 0.95, 0.99], len(left))
    expected = cluster(ids, left, right, score, THRESHOLDS, cannot_link=(ids[:5], ids[5:10]))
    order = rng.permutation(len(left))
    shuffled = cluster(rng.permutation(ids), right[order], left[order], score[order], THRESHOLDS, cannot_link=(ids[5:10], ids[:5]))
    pd.testing.assert_series_equal(shuffled.labels, expected.labels)
    pd.testing.assert_frame_equal(shuffled.review, expected.review)


def test_weight_scale_thresholds():
    result = cluster([1, 2, 3], [1, 2], [2, 3], [12.0, 1.0], Thresholds(auto_merge=10, review=0, scale="weight"))
    assert labels_of(result) == {1: 1, 2: 1, 3: 3}


def test_vetoed_pair_never_auto_merges_and_goes_to_review():
    result = cluster([1, 2], [1], [2], [0.99], THRESHOLDS, vetoed=np.array([True]))
    assert labels_of(result) == {1: 1, 2: 2}
    assert result.review["reason"].tolist() == ["veto"]


def test_vetoed_pair_inside_a_chain_cuts_it():
    result = cluster([1, 2, 3], [1, 2, 1], [2, 3, 3], [0.99, 0.97, 0.99], THRESHOLDS, vetoed=np.array([False, False, True]))
    labels = labels_of(result)
    assert labels[1] == labels[2] != labels[3]


def test_weak_member_pair_above_conflict_threshold_does_not_cut():
    lenient = Thresholds(auto_merge=0.9, review=0.5, conflict=0.01)
    result = cluster([1, 2, 3], [1, 2, 1], [2, 3, 3], [0.99, 0.97, 0.2], lenient)
    assert set(labels_of(result).values()) == {1}
