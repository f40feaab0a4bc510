"""The vectorised cluster stage equals the straightforward one on random graphs.

``reference_cluster`` is the per-component implementation the fast one
replaced (one greedy rebuild per inconsistent component, with dicts of sets),
and ``reference_new_pairs`` the completion step's pair search through
``pair_rows``. Both are kept here only as oracles.
"""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from mdm.match import engine
from mdm.match.blocking import pair_rows, pairs_within_blocks
from mdm.match.cluster import CONFLICT, REVIEW, SMALL_GRAPH_NODES, VETO, _pair_set, cluster, components, lookup, positions, sorted_unique
from mdm.match.rules import Thresholds


def reference_cluster(record_ids, left, right, score, thresholds, cannot_link=None, vetoed=None):
    ids = np.unique(np.asarray(record_ids, dtype=np.int64))
    left, right = np.asarray(left, np.int64), np.asarray(right, np.int64)
    score = np.asarray(score, dtype=float)
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    li, ri = np.searchsorted(ids, lo), np.searchsorted(ids, hi)
    barred = _pair_set(cannot_link, ids)
    is_barred = np.isin(li * len(ids) + ri, barred)
    veto = np.zeros(len(score), dtype=bool) if vetoed is None else np.asarray(vetoed, dtype=bool)
    strong = (score >= thresholds.auto_merge) & ~is_barred & ~veto
    graph = coo_matrix((np.ones(int(strong.sum())), (li[strong], ri[strong])), shape=(len(ids), len(ids)))
    component = connected_components(graph, directed=False)[1]
    weak = (score < thresholds.conflict_below) | veto
    bl, br = np.divmod(barred, len(ids)) if len(ids) else (barred, barred)
    conflict_l, conflict_r = np.r_[li[weak], bl], np.r_[ri[weak], br]
    inside = component[conflict_l] == component[conflict_r]
    bad = np.unique(component[conflict_l[inside]])
    label = component.astype(np.int64)
    cut = np.zeros(len(li), dtype=bool)
    for c in bad.tolist():
        members = np.flatnonzero(component == c)
        in_comp = np.flatnonzero((component[li] == c) & (component[ri] == c))
        in_comp = in_comp[np.lexsort((ri[in_comp], li[in_comp], -score[in_comp]))]
        edges = in_comp[strong[in_comp]]
        conflicts = in_comp[(weak | is_barred)[in_comp]]
        barred_here = (component[bl] == c) & (component[br] == c)
        groups, refused = _reference_greedy(
            members, li[edges], ri[edges], np.r_[li[conflicts], bl[barred_here]], np.r_[ri[conflicts], br[barred_here]]
        )
        for member, group in groups.items():
            label[member] = len(ids) + group
        cut[edges[refused]] = True
    _, first, inverse = np.unique(label, return_index=True, return_inverse=True)
    final = ids[first][inverse.reshape(-1)] if len(ids) else ids
    labels = pd.Series(final, index=pd.Index(ids, name="record_id"), name="cluster")
    review_mask = (final[li] != final[ri]) & ~is_barred & (score >= thresholds.review) & ~strong
    rows = [(int(lo[i]), int(hi[i]), float(score[i]), VETO if veto[i] else REVIEW) for i in np.flatnonzero(review_mask)]
    rows += [(int(lo[i]), int(hi[i]), float(score[i]), CONFLICT) for i in np.flatnonzero(cut)]
    return labels, sorted(rows, key=lambda r: (r[0], r[1])), len(bad)


def _reference_greedy(members, edge_l, edge_r, conflict_l, conflict_r):
    parent = {int(m): int(m) for m in members}
    group_members = {int(m): {int(m)} for m in members}
    group_conflicts = {int(m): set() for m in members}
    for a, b in zip(conflict_l.tolist(), conflict_r.tolist()):
        group_conflicts[a].add(b)
        group_conflicts[b].add(a)

    def root(x):
        while parent[x] != x:
            x = parent[x]
        return x

    refused = np.zeros(len(edge_l), dtype=bool)
    for i, (a, b) in enumerate(zip(edge_l.tolist(), edge_r.tolist())):
        ra, rb = root(a), root(b)
        if ra == rb:
            continue
        if group_conflicts[ra] & group_members[rb]:
            refused[i] = True
            continue
        keep, gone = min(ra, rb), max(ra, rb)
        parent[gone] = keep
        group_members[keep] |= group_members.pop(gone)
        group_conflicts[keep] |= group_conflicts.pop(gone)
    return {m: root(m) for m in parent}, refused


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 25))
    sparse = draw(st.booleans())  # far-apart ids take the binary-search path
    step = 10**9 if sparse else draw(st.integers(1, 3))
    offset = draw(st.integers(-5, 5))
    ids = offset + step * np.array(sorted(draw(st.sets(st.integers(0, 3 * n), min_size=n, max_size=n))), dtype=np.int64)
    n_pairs = draw(st.integers(0, 60))
    a = np.array(draw(st.lists(st.integers(0, n - 1), min_size=n_pairs, max_size=n_pairs)), dtype=np.int64)
    b = np.array(draw(st.lists(st.integers(0, n - 1), min_size=n_pairs, max_size=n_pairs)), dtype=np.int64)
    # Few distinct scores: ties in the strongest-first order must break alike.
    score = np.array(draw(st.lists(st.sampled_from([0.0, 0.3, 0.6, 0.9, 0.95, 1.0]), min_size=n_pairs, max_size=n_pairs)))
    veto = np.array(draw(st.lists(st.booleans(), min_size=n_pairs, max_size=n_pairs)), dtype=bool) & draw(st.booleans())
    n_cl = draw(st.integers(0, 4))
    cl = (
        ids[draw(st.lists(st.integers(0, n - 1), min_size=n_cl, max_size=n_cl))],
        ids[draw(st.lists(st.integers(0, n - 1), min_size=n_cl, max_size=n_cl))],
    )
    return ids, ids[a], ids[b], score, veto, (cl if n_cl else None)


@settings(max_examples=400, deadline=None)
@given(graphs(), st.sampled_from([(0.9, 0.5, None), (0.95, 0.6, 0.3), (0.6, 0.6, None)]))
def test_fast_cluster_equals_the_per_component_reference(graph, limits):
    ids, left, right, score, veto, cl = graph
    thresholds = Thresholds(auto_merge=limits[0], review=limits[1], conflict=limits[2])
    result = cluster(ids[::-1], left, right, score, thresholds, cl, vetoed=veto)
    labels, review, n_cut = reference_cluster(ids, left, right, score, thresholds, cl, vetoed=veto)
    pd.testing.assert_series_equal(result.labels, labels)
    assert list(result.review.itertuples(index=False, name=None)) == review
    assert result.n_cut_components == n_cut


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(-50, 10**6), max_size=40, unique=True),
    st.lists(st.integers(-60, 10**6), max_size=40),
    st.booleans(),
)
def test_lookups_equal_searchsorted_and_unique(ids, values, dense):
    ids = np.array(sorted(ids), dtype=np.int64)
    if dense and len(ids):
        ids = np.arange(ids[0], ids[0] + len(ids), dtype=np.int64)
    values = np.array(values + ids[::2].tolist(), dtype=np.int64)
    expected = np.array([int(np.searchsorted(ids, v)) if v in set(ids.tolist()) else -1 for v in values], dtype=np.int64)
    np.testing.assert_array_equal(lookup(ids, values), expected)
    if (expected >= 0).all():
        np.testing.assert_array_equal(positions(ids, values), expected)
    else:
        with pytest.raises(KeyError):
            positions(ids, values)
    np.testing.assert_array_equal(sorted_unique(values, ids), np.unique(np.r_[values, ids]))


def reference_new_pairs(left, right, strong):
    ids = np.unique(np.r_[left[strong], right[strong]])
    if len(ids) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    li, ri = np.searchsorted(ids, left[strong]), np.searchsorted(ids, right[strong])
    component = connected_components(coo_matrix((np.ones(len(li)), (li, ri)), shape=(len(ids), len(ids))), directed=False)[1]
    sizes = np.bincount(component)
    eligible = (sizes[component] >= 3) & (sizes[component] <= engine.MAX_COMPLETED_COMPONENT)
    a, b = pairs_within_blocks(component[eligible], ids[eligible])
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    new = pair_rows(left, right, a, b) < 0
    return a[new], b[new]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_completion_pairs_equal_the_pair_rows_reference(data):
    n = data.draw(st.integers(1, 70))
    step = data.draw(st.sampled_from([1, 7, 10**10]))
    ids = step * np.arange(1, n + 1, dtype=np.int64)
    n_pairs = data.draw(st.integers(0, 120))
    a = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=n_pairs, max_size=n_pairs)), dtype=np.int64)
    b = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=n_pairs, max_size=n_pairs)), dtype=np.int64)
    keep = a != b
    # Candidate pairs as blocking makes them (left < right), plus a few the other way round.
    left, right = ids[np.minimum(a, b)][keep], ids[np.maximum(a, b)][keep]
    if data.draw(st.booleans()) and len(left):
        left, right = np.r_[left, right[:1]], np.r_[right, left[:1]]
    prob = np.array(data.draw(st.lists(st.sampled_from([0.1, 0.97]), min_size=len(left), max_size=len(left))))
    expected_left, expected_right = reference_new_pairs(left, right, prob >= 0.95)

    def fake_levels(frame, l, r, rules, columns=None):
        return np.c_[l, r]

    def fake_score(levels, model, tf):
        return levels[:, 0].astype(float), levels[:, 1].astype(float)

    rules = SimpleNamespace(thresholds=Thresholds(auto_merge=0.95, review=0.5))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "comparison_levels", fake_levels)
        patch.setattr(engine, "pair_frequencies", lambda *args, **kwargs: None)
        patch.setattr(engine, "score", fake_score)
        out = engine._complete_components(None, rules, None, None, left, right, np.c_[left, right], prob, prob)
    got_left, got_right, levels, weight, got_prob = out
    np.testing.assert_array_equal(got_left[: len(left)], left)
    np.testing.assert_array_equal(got_left[len(left):], expected_left)
    np.testing.assert_array_equal(got_right[len(left):], expected_right)
    np.testing.assert_array_equal(levels, np.c_[got_left, got_right])
    np.testing.assert_array_equal(got_prob[len(left):], expected_right.astype(float))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_components_number_nodes_as_scipy_does(data):
    # Both sides of the small-graph cut-over: the union-find must give scipy's labels, numbered alike.
    n = data.draw(st.sampled_from([0, 1, 2, 7, SMALL_GRAPH_NODES - 1, SMALL_GRAPH_NODES, SMALL_GRAPH_NODES + 1, 300]))
    m = data.draw(st.integers(0, 2 * n)) if n else 0
    li = np.array(data.draw(st.lists(st.integers(0, max(n - 1, 0)), min_size=m, max_size=m)), dtype=np.int64)
    ri = np.array(data.draw(st.lists(st.integers(0, max(n - 1, 0)), min_size=m, max_size=m)), dtype=np.int64)
    want = connected_components(coo_matrix((np.ones(m), (li, ri)), shape=(n, n)), directed=False)[1]
    got = components(n, li, ri)
    assert got.dtype == want.dtype
    assert got.tolist() == want.tolist()
