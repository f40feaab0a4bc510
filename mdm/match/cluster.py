"""Clustering: scored pairs -> one cluster label per record, plus review pairs.

Auto-merge edges are joined into connected components, but a component must
be consistent: no cannot-link pair and no compared pair scoring below the
review threshold inside it. A bridging record must not chain A-B-C into one
entity when A and C are unlike. Inconsistent components are rebuilt
greedily from their strongest edges, refusing any edge that would join two
groups in conflict; refused edges go to review.

Labels are the smallest record id in each cluster, and ties are broken by
record id, so labels do not depend on row order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from mdm.match.rules import Thresholds

REVIEW, CONFLICT, VETO = "review", "conflict", "veto"


@dataclass(frozen=True)
class ClusterResult:
    labels: pd.Series  # cluster label (smallest member id) indexed by record id
    review: pd.DataFrame  # left, right, score, reason ('review', 'veto' or 'conflict')
    n_cut_components: int  # components split because members were unlike

    @property
    def n_clusters(self) -> int:
        return int(self.labels.nunique())


def cluster(
    record_ids,
    left,
    right,
    score,
    thresholds: Thresholds,
    cannot_link: tuple | None = None,
    vetoed: np.ndarray | None = None,
) -> ClusterResult:
    """Cluster records from scored pairs.

    ``score`` is on the thresholds' scale (probability or weight).
    ``cannot_link`` is a (left_ids, right_ids) pair of arrays that must never
    end up in one cluster. ``vetoed`` (bool per pair, from ``scoring.vetoed``)
    marks pairs that hit a veto level: they never auto-merge, count as
    conflicts inside a component, and go to review if they score high enough.
    """
    ids = np.unique(np.asarray(record_ids, dtype=np.int64))
    left, right = np.asarray(left, np.int64), np.asarray(right, np.int64)
    score = np.asarray(score, dtype=float)
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    li, ri = _positions(ids, lo), _positions(ids, hi)

    barred = _pair_set(cannot_link, ids)
    pair_keys = li * len(ids) + ri
    is_barred = np.isin(pair_keys, barred)
    veto = np.zeros(len(score), dtype=bool) if vetoed is None else np.asarray(vetoed, dtype=bool)
    strong = (score >= thresholds.auto_merge) & ~is_barred & ~veto
    component = _components(len(ids), li[strong], ri[strong])

    # Conflicts: cannot-link pairs and weak compared pairs inside a component.
    weak = (score < thresholds.conflict_below) | veto
    bl, br = np.divmod(barred, len(ids)) if len(ids) else (barred, barred)
    conflict_l = np.r_[li[weak], bl]
    conflict_r = np.r_[ri[weak], br]
    inside = component[conflict_l] == component[conflict_r]
    bad = np.unique(component[conflict_l[inside]])

    label = component.copy()
    cut_edges: list[np.ndarray] = []
    if len(bad):
        is_bad = np.zeros(len(ids), dtype=bool)
        is_bad[bad] = True
        same = (component[li] == component[ri]) & is_bad[component[li]]
        # Pair indices inside inconsistent components, grouped by component, strongest first.
        pairs = np.flatnonzero(same)
        pairs = pairs[np.lexsort((ri[pairs], li[pairs], -score[pairs], component[li[pairs]]))]
        pair_groups = _split_by(pairs, component[li[pairs]], bad)
        barred_in = np.flatnonzero((component[bl] == component[br]) & is_bad[component[bl]])
        barred_groups = _split_by(barred_in, component[bl[barred_in]], bad)
        member_groups = _split_by(np.flatnonzero(is_bad[component]), component[is_bad[component]], bad)
        for members, in_comp, barred_here in zip(member_groups, pair_groups, barred_groups):
            edges = in_comp[strong[in_comp]]
            conflicts = in_comp[(weak | is_barred)[in_comp]]
            groups, refused = _greedy_groups(
                members,
                li[edges],
                ri[edges],
                np.r_[li[conflicts], bl[barred_here]],
                np.r_[ri[conflicts], br[barred_here]],
            )
            for member, group in groups.items():
                label[member] = len(ids) + group  # fresh component ids above the originals
            cut_edges.append(edges[refused])

    labels = _smallest_member_labels(ids, label)
    final = labels.to_numpy()
    between = final[li] != final[ri]
    review_mask = between & ~is_barred & (score >= thresholds.review) & ~strong
    cut = np.zeros(len(li), dtype=bool)
    if cut_edges:
        cut[np.concatenate(cut_edges)] = True
    review_left, review_right = np.r_[lo[review_mask], lo[cut]], np.r_[hi[review_mask], hi[cut]]
    reason = np.array(np.where(veto[review_mask], VETO, REVIEW).tolist() + [CONFLICT] * int(cut.sum()), dtype=object)
    order = np.lexsort((review_right, review_left))  # no pair is both in the band and a cut edge: no ties
    review = pd.DataFrame(
        {
            "left": review_left[order],
            "right": review_right[order],
            "score": np.r_[score[review_mask], score[cut]][order],
            "reason": reason[order],
        }
    )
    return ClusterResult(labels=labels, review=review, n_cut_components=len(bad))


def _positions(ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Positions of ``values`` in the sorted ``ids``; every value must be there."""
    pos = np.searchsorted(ids, values)
    if len(values) and (pos.max() >= len(ids) or (ids[pos] != values).any()):
        raise KeyError("pairs refer to record ids not in record_ids")
    return pos


def _split_by(items: np.ndarray, keys: np.ndarray, groups: np.ndarray) -> list[np.ndarray]:
    """``items`` split into one array per value of ``groups`` (sorted), keeping their order."""
    order = np.argsort(keys, kind="stable")
    items, keys = items[order], keys[order]
    bounds = np.searchsorted(keys, groups, side="left"), np.searchsorted(keys, groups, side="right")
    return [items[a:b] for a, b in zip(*bounds)]


def _components(n: int, li: np.ndarray, ri: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(li), dtype=np.int8), (li, ri)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _greedy_groups(members, edge_l, edge_r, conflict_l, conflict_r) -> tuple[dict[int, int], np.ndarray]:
    """Union edges strongest first unless the two groups conflict (Kruskal-style).

    Runs only inside inconsistent components, which are small.
    """
    parent = {int(m): int(m) for m in members}
    group_members = {int(m): {int(m)} for m in members}
    group_conflicts: dict[int, set[int]] = {int(m): set() for m in members}
    for a, b in zip(conflict_l.tolist(), conflict_r.tolist()):
        if a in group_conflicts and b in group_conflicts:
            group_conflicts[a].add(b)
            group_conflicts[b].add(a)

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
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


def _smallest_member_labels(ids: np.ndarray, component: np.ndarray) -> pd.Series:
    # ``ids`` is sorted, so each component's first position holds its smallest id.
    _, first, inverse = np.unique(component, return_index=True, return_inverse=True)
    smallest = ids[first][inverse.reshape(-1)] if len(ids) else ids
    return pd.Series(smallest, index=pd.Index(ids, name="record_id"), name="cluster")


def _pair_set(pairs: tuple | None, ids: np.ndarray) -> np.ndarray:
    """Cannot-link pairs as position keys (pairs naming unknown ids are ignored)."""
    if pairs is None or len(pairs[0]) == 0 or len(ids) == 0:
        return np.zeros(0, dtype=np.int64)
    a, b = np.asarray(pairs[0], np.int64), np.asarray(pairs[1], np.int64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    li, ri = np.searchsorted(ids, lo), np.searchsorted(ids, hi)
    li, ri = np.minimum(li, len(ids) - 1), np.minimum(ri, len(ids) - 1)
    known = (ids[li] == lo) & (ids[ri] == hi) & (lo != hi)
    return np.unique(li[known] * len(ids) + ri[known])
