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
    ids = sorted_unique(np.asarray(record_ids, dtype=np.int64))
    left, right = np.asarray(left, np.int64), np.asarray(right, np.int64)
    score = np.asarray(score, dtype=float)
    if bool((left <= right).all()):  # the usual case: no 26M-pair copies
        lo, hi = left, right
    else:
        lo, hi = np.minimum(left, right), np.maximum(left, right)
    li, ri = positions(ids, lo), positions(ids, hi)

    barred = _pair_set(cannot_link, ids)
    if len(barred):
        is_barred = np.isin(li * len(ids) + ri, barred)
    else:
        is_barred = np.zeros(len(score), dtype=bool)
    veto = np.zeros(len(score), dtype=bool) if vetoed is None else np.asarray(vetoed, dtype=bool)
    strong = (score >= thresholds.auto_merge) & ~is_barred & ~veto
    component = components(len(ids), li[strong], ri[strong])

    # Conflicts: cannot-link pairs and weak compared pairs inside a component.
    weak = (score < thresholds.conflict_below) | veto
    bl, br = np.divmod(barred, len(ids)) if len(ids) else (barred, barred)
    within = np.flatnonzero(component[li] == component[ri])  # pairs inside one component (a few per record)
    comp_within = component[li[within]]
    barred_inside = component[bl] == component[br]
    bad = np.unique(np.r_[comp_within[weak[within]], component[bl[barred_inside]]])

    label = component.astype(np.int64)
    cut = np.zeros(len(li), dtype=bool)
    in_bad = np.zeros(0, dtype=np.int64)  # pairs inside inconsistent components
    if len(bad):
        is_bad = np.zeros(len(ids), dtype=bool)
        is_bad[bad] = True
        # Components are disjoint, so rebuilding them all in one pass over
        # their edges, each component's strongest first, is the same as
        # rebuilding them one by one.
        in_bad = within[is_bad[comp_within]]
        pairs = in_bad[np.lexsort((ri[in_bad], li[in_bad], -score[in_bad], component[li[in_bad]]))]
        edges = pairs[strong[pairs]]
        conflicts = pairs[(weak | is_barred)[pairs]]
        barred_in = barred_inside & is_bad[component[bl]]
        members = np.flatnonzero(is_bad[component])
        root, refused = _greedy_groups(
            len(ids),
            members,
            li[edges],
            ri[edges],
            np.r_[li[conflicts], bl[barred_in]],
            np.r_[ri[conflicts], br[barred_in]],
        )
        label[members] = len(ids) + root[members]  # fresh component ids above the originals
        cut[edges[refused]] = True

    labels = _smallest_member_labels(ids, label)
    final = labels.to_numpy()
    # Pairs across components end in two clusters; pairs inside one can only
    # be split if their component was rebuilt.
    between = np.ones(len(li), dtype=bool)
    between[within] = False
    between[in_bad] = final[li[in_bad]] != final[ri[in_bad]]
    review_mask = between & ~is_barred & (score >= thresholds.review) & ~strong
    review_left, review_right = np.r_[lo[review_mask], lo[cut]], np.r_[hi[review_mask], hi[cut]]
    n_cut = int(cut.sum())
    reason = np.empty(len(review_left), dtype=object)
    reason[: len(review_left) - n_cut] = np.where(veto[review_mask], VETO, REVIEW)
    reason[len(review_left) - n_cut :] = CONFLICT
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


# Ids are looked up in a dense table (a gather, not a binary search) while
# their span is at most this many times their number (plus a constant).
_DENSE_SPAN = 8


def _dense_span(ids: np.ndarray, count: int) -> tuple[int, int] | None:
    """(base, size) of a dense table over ids from ids[0] to ids[-1], or None when too sparse."""
    if len(ids) == 0:
        return None
    low, high = int(ids[0]), int(ids[-1])
    base = 0 if 0 <= low and high < _DENSE_SPAN * count + 1024 else low
    size = high - base + 1
    return (base, size) if size <= _DENSE_SPAN * count + 1024 else None


def lookup(ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Position of each of ``values`` in the sorted, distinct ``ids``; -1 where absent."""
    values = np.asarray(values, np.int64)
    out_of_range = len(values) == 0 or len(ids) == 0
    if out_of_range:
        return np.full(len(values), -1, dtype=np.int64)
    first, last = int(ids[0]), int(ids[-1])
    if last - first + 1 == len(ids):
        # Ids without gaps (a store's records loaded once): a position is an offset, and no
        # table over the ids is built or gathered from (25M pairs' ends at a million records).
        pos = values - first
        if int(values.min()) < first or int(values.max()) > last:
            pos[(values < first) | (values > last)] = -1
        return pos
    dense = _dense_span(ids, len(ids))
    if dense is None:
        pos = np.minimum(np.searchsorted(ids, values), len(ids) - 1)
        return np.where(ids[pos] == values, pos, -1)
    base, size = dense
    table = np.full(size, -1, dtype=np.int64)
    table[ids - base] = np.arange(len(ids), dtype=np.int64)
    shifted = values - base if base else values
    if int(values.min()) >= base and int(values.max()) < base + size:
        return table[shifted]
    pos = np.full(len(values), -1, dtype=np.int64)
    inside = (shifted >= 0) & (shifted < size)
    pos[inside] = table[shifted[inside]]
    return pos


def positions(ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Positions of ``values`` in the sorted, distinct ``ids``; every value must be there."""
    pos = lookup(ids, values)
    if len(pos) and int(pos.min()) < 0:
        raise KeyError("pairs refer to record ids not in record_ids")
    return pos


def sorted_unique(*arrays: np.ndarray) -> np.ndarray:
    """``np.unique`` of the arrays together: a bitmap over the id span when it is dense."""
    arrays = [np.asarray(a, np.int64) for a in arrays if len(a)]
    if not arrays:
        return np.zeros(0, dtype=np.int64)
    low, high = min(int(a.min()) for a in arrays), max(int(a.max()) for a in arrays)
    count = sum(len(a) for a in arrays)
    if high - low + 1 > _DENSE_SPAN * count + 1024:
        return np.unique(np.concatenate(arrays))
    seen = np.zeros(high - low + 1, dtype=bool)
    for a in arrays:
        seen[a - low if low else a] = True
    return np.flatnonzero(seen) + low


# Up to this many nodes, components come from a plain union-find: building
# scipy's sparse graph costs about 0.1 ms whatever its size, more than the
# whole search on an incremental run's few records.
SMALL_GRAPH_NODES = 64


def components(n: int, li: np.ndarray, ri: np.ndarray) -> np.ndarray:
    """Connected-component label per node ``0..n-1`` of the undirected graph with
    edges ``li[k]``-``ri[k]``, numbered as scipy numbers them: by smallest node."""
    if n > SMALL_GRAPH_NODES:
        graph = coo_matrix((np.ones(len(li), dtype=np.int8), (li, ri)), shape=(n, n))
        return connected_components(graph, directed=False)[1]
    up = list(range(n))

    def root(x: int) -> int:
        while up[x] != x:
            up[x] = x = up[up[x]]
        return x

    for a, b in zip(np.asarray(li).tolist(), np.asarray(ri).tolist()):
        ra, rb = root(a), root(b)
        if ra != rb:
            up[max(ra, rb)] = min(ra, rb)
    label: dict[int, int] = {}
    return np.fromiter((label.setdefault(root(x), len(label)) for x in range(n)), dtype=np.int32, count=n)


def _greedy_groups(n, members, edge_l, edge_r, conflict_l, conflict_r) -> tuple[np.ndarray, np.ndarray]:
    """Union edges in the given order unless the two groups conflict (Kruskal-style).

    ``members`` are positions below ``n``; edges and conflicts join members.
    Returns each position's group root (positions not in ``members`` are their
    own root) and a bool per edge: refused because its groups conflict. One
    loop over the edges only; the group a root names does not depend on which
    member is the root.
    """
    parent = np.arange(n, dtype=np.int64)
    refused = np.zeros(len(edge_l), dtype=bool)
    if len(edge_l) == 0:
        return parent, refused
    # Conflict partners per member, as sets built from sorted runs (no loop per pair).
    cl, cr = np.r_[conflict_l, conflict_r], np.r_[conflict_r, conflict_l]
    order = np.argsort(cl, kind="stable")
    cl, cr = cl[order], cr[order]
    starts = np.flatnonzero(np.r_[True, cl[1:] != cl[:-1]]) if len(cl) else np.zeros(0, np.int64)
    bounds = np.r_[starts, len(cl)].tolist()
    partners = cr.tolist()
    conflicts: dict[int, set[int]] = {m: set() for m in members.tolist()}
    for node, a, b in zip(cl[starts].tolist(), bounds[:-1], bounds[1:]):
        conflicts[node] = set(partners[a:b])
    group_members: dict[int, set[int]] = {m: {m} for m in members.tolist()}
    up = {m: m for m in members.tolist()}

    def root(x: int) -> int:
        while up[x] != x:
            up[x] = up[up[x]]
            x = up[x]
        return x

    for i, (a, b) in enumerate(zip(edge_l.tolist(), edge_r.tolist())):
        ra, rb = root(a), root(b)
        if ra == rb:
            continue
        ma, mb = group_members[ra], group_members[rb]
        if not conflicts[ra].isdisjoint(mb):
            refused[i] = True
            continue
        if len(ma) < len(mb):  # the larger group absorbs the smaller
            ra, rb, ma, mb = rb, ra, mb, ma
        up[rb] = ra
        ma |= mb
        ca, cb = conflicts[ra], conflicts.pop(rb)
        if len(ca) < len(cb):
            ca, cb = cb, ca
            conflicts[ra] = ca
        ca |= cb
        del group_members[rb]
    keys = np.fromiter(up.keys(), dtype=np.int64, count=len(up))
    parent[keys] = np.fromiter(up.values(), dtype=np.int64, count=len(up))
    while True:  # pointer jumping to the roots
        grand = parent[parent]
        if (grand == parent).all():
            return parent, refused
        parent = grand


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
