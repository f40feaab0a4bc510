"""Survivorship for many clusters at once, column by column, for the built-in chains.

A bulk run builds hundreds of thousands of golden records with the same
rules. The engine (``engine.build_golden``) decides one attribute of one
cluster at a time in Python; here each chain step runs once per attribute
over every candidate of every cluster (numpy), and only the texts of the
lineage are made per record. The output is exactly what ``build_golden``
followed by ``GoldenBuild.lineage_stored(only=<attributes with a value>)``
gives: the same attributes, the same compact lineage, key order included
(``tests/unit/test_survivorship_columnar.py`` checks it against the engine).

It covers chains of ``source_priority``, ``most_recent``, ``most_complete``,
``most_frequent`` and ``same_source_as`` with any validation rules, and clusters without
steward overrides; ``supports`` tells, and the engine does everything else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from mdm.survivorship.engine import TIE_BREAKER, _check, _plan
from mdm.survivorship.lineage import _RESERVED, MARKER, VERSION, rule_parts
from mdm.survivorship.models import _json
from mdm.survivorship.rules import SurvivorshipRules
from mdm.survivorship.strategies import (
    most_complete,
    most_frequent,
    most_recent,
    same_source_as,
    source_priority,
    steward_override,
)
from mdm.survivorship.values import identity, show_moment

_STEPS = (source_priority, most_recent, most_complete, most_frequent, same_source_as)
_PLAIN = (str, int, bool)
_NONE = -1


@dataclass(frozen=True)
class Members:
    """Member records column by column, cluster after cluster (each cluster's rows together, in member order).

    ``fields``: every canonical field of the domain the records have, as Python values;
    ``moments``: ``updated_at`` as the stored lineage writes it (JSON)."""

    sizes: np.ndarray
    record_id: list[int]
    system: list[str]
    source_key: list[str]
    version: list[int]
    updated_at: list[datetime]
    updated_ns: np.ndarray
    moments: list[str]
    fields: dict[str, list[Any]]


def supports(rules: SurvivorshipRules) -> bool:
    """Whether every attribute's chain is made of the steps this module decides."""
    plan = _plan(rules)
    if plan.override is not steward_override or _RESERVED & plan.known:
        return False
    return all(fn in _STEPS for ap in plan.order for _, fn, _, _ in ap.steps)


def blank(values: list[Any]) -> np.ndarray:
    """Which values a golden record cannot take: None, NaN, and empty texts and containers."""
    kinds = set(map(type, values))
    if kinds <= {str, type(None)}:
        column = np.array(values, dtype=object)
        return (column == None) | (column == "")  # noqa: E711 (elementwise)
    return np.fromiter(map(_blank, values), dtype=bool, count=len(values))


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    return isinstance(value, (str, list, dict, tuple)) and not value


def build(rules: SurvivorshipRules, members: Members) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Per cluster, in order: (attributes with a value, their lineage in the stored compact form)."""
    plan = _plan(rules)
    k = len(members.sizes)
    cluster = np.repeat(np.arange(k), members.sizes)
    starts = np.concatenate(([0], np.cumsum(members.sizes)[:-1])).astype(np.int64)
    position = np.arange(len(cluster)) - starts[cluster]
    empty = {f: blank(values) for f, values in members.fields.items()}
    filled = np.zeros(len(cluster), dtype=np.int64)
    for mask in empty.values():
        filled += ~mask
    frame = _Frame(members, cluster, position, filled, k)

    decided: dict[str, _Attribute] = {}
    for ap in plan.order:
        values = members.fields.get(ap.attribute)
        if values is None:
            continue
        decided[ap.attribute] = _decide(frame, ap, values, empty[ap.attribute], decided)
    entries = [decided[a] for a in plan.names if a in decided]
    return _assemble(rules.domain, frame, entries)


class _Frame:
    """The member rows and what every step reads of them."""

    def __init__(self, members: Members, cluster: np.ndarray, position: np.ndarray, filled: np.ndarray, k: int):
        self.members = members
        self.cluster = cluster
        self.position = position
        self.filled = filled
        self.k = k
        self.record_id = np.asarray(members.record_id, dtype=np.int64)
        codes, self.systems = _factorize(members.system)
        self.system_code = codes

    def label(self, row: int) -> str:
        return f"{self.members.system[row]}:{self.members.source_key[row]}"


def _factorize(values: list[str]) -> tuple[np.ndarray, list[str]]:
    """Codes in order of first appearance, and the distinct texts."""
    codes, uniques = pd.factorize(np.array(values, dtype=object))
    return codes.astype(np.int64, copy=False), uniques.tolist()


@dataclass
class _Attribute:
    """One attribute decided for every cluster: its candidates (member rows, cluster by cluster), their
    outcome and reason, and per cluster the winner (a candidate index), the deciding step and the fallbacks."""

    name: str
    rows: np.ndarray
    group: np.ndarray
    outcome: np.ndarray
    reason: np.ndarray
    winner: np.ndarray
    deciding: np.ndarray
    tied: np.ndarray
    fallbacks: dict[int, list[str]]
    steps: tuple
    tie_rule: str
    values: list[Any]

    def winner_rows(self, k: int) -> np.ndarray:
        """Per cluster the member row that won, or -1."""
        out = np.full(k, _NONE, dtype=np.int64)
        has = self.winner >= 0
        out[has] = self.rows[self.winner[has]]
        return out


def _first_per_group(ordered: np.ndarray, group: np.ndarray, k: int) -> np.ndarray:
    """Per cluster the first of ``ordered`` (candidate indices, grouped by cluster), or -1."""
    out = np.full(k, _NONE, dtype=np.int64)
    clusters, first = np.unique(group[ordered], return_index=True)
    out[clusters] = ordered[first]
    return out


def _counts(group: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(group[mask], minlength=k)


def _decide(frame: _Frame, ap, values: list[Any], empty: np.ndarray, decided: dict[str, _Attribute]) -> _Attribute:
    k = frame.k
    rows = np.flatnonzero(~empty)
    group = frame.cluster[rows]
    m = len(rows)
    reason = np.full(m, None, dtype=object)
    valid = np.ones(m, dtype=bool)
    if ap.checks:
        memo: dict[tuple[type, Any], str | None] = {}
        for j, row in enumerate(rows.tolist()):
            value = values[row]
            try:
                key = (type(value), value)
                why = memo[key] if key in memo else memo.setdefault(key, _check(ap.checks, value))
            except TypeError:  # unhashable
                why = _check(ap.checks, value)
            if why:
                valid[j] = False
                reason[j] = why
    alive = valid.copy()
    active = _counts(group, valid, k) > 0
    done = ~active
    deciding = np.full(k, _NONE, dtype=np.int64)
    fallbacks: dict[int, list[str]] = {}
    state = _State(frame, rows, group, alive, reason, done, deciding, fallbacks)

    for index, (name, fn, param, rule) in enumerate(ap.steps):
        if done.all():
            break
        live = state.alive & ~done[group]
        if fn is source_priority:
            _source_priority(state, index, rule, param, live)
        elif fn is most_recent:
            _keep_best(state, index, rule, live, frame.members.updated_ns[rows], _older(frame))
        elif fn is most_complete:
            _keep_best(state, index, rule, live, frame.filled[rows], _less_complete(frame))
        elif fn is most_frequent:
            count = _frequencies(group, live, values, rows)
            _keep_best(state, index, rule, live, count, _less_frequent(count, rows))
        else:
            _same_source(state, index, rule, param, live, decided.get(param), ap.attribute)

    winner, tied = _break_ties(state, active)
    outcome = np.full(m, "l", dtype=object)
    outcome[~valid] = "d"
    has = winner >= 0
    outcome[winner[has]] = "w"
    return _Attribute(ap.attribute, rows, group, outcome, reason, winner, deciding, tied, fallbacks, ap.steps,
                      ap.tie_rule, values)


@dataclass
class _State:
    frame: _Frame
    rows: np.ndarray
    group: np.ndarray
    alive: np.ndarray
    reason: np.ndarray
    done: np.ndarray
    deciding: np.ndarray
    fallbacks: dict[int, list[str]]

    def fallback(self, clusters: np.ndarray, text: str | Callable[[int], str]) -> None:
        for c in np.flatnonzero(clusters).tolist():
            self.fallbacks.setdefault(c, []).append(text if isinstance(text, str) else text(c))

    def narrowed(self, index: int, rule: str, clusters: np.ndarray, live: np.ndarray, kept: np.ndarray) -> None:
        """The step kept ``kept`` of the ``live`` candidates in ``clusters`` (the engine's ``Narrowed``)."""
        k = self.frame.k
        live = live & clusters[self.group]
        n_live = _counts(self.group, live, k)
        n_kept = _counts(self.group, live & kept, k)
        narrowing = clusters & ((n_kept < n_live) | (n_kept == 1))
        self.alive &= ~(live & ~kept & narrowing[self.group])
        self.deciding[narrowing] = index
        n_now = _counts(self.group, self.alive, k)
        self.done |= clusters & (n_now == 1)
        tie = clusters & (n_now > 1)
        if tie.any():
            labels: dict[int, list[str]] = {}
            for j in np.flatnonzero(self.alive & tie[self.group]).tolist():
                labels.setdefault(int(self.group[j]), []).append(self.frame.label(int(self.rows[j])))
            self.fallback(tie, lambda c: f"{rule}: tie between {', '.join(labels[c])}")


def _source_priority(state: _State, index: int, rule: str, systems: list[str], live: np.ndarray) -> None:
    frame, group, k = state.frame, state.group, state.frame.k
    unlisted = len(systems)
    ranks = np.array([systems.index(s) if s in systems else unlisted for s in frame.systems], dtype=np.int64)
    rank = ranks[frame.system_code[state.rows]]
    best = np.full(k, unlisted, dtype=np.int64)
    np.minimum.at(best, group[live], rank[live])
    pending = ~state.done
    state.fallback(pending & (best == unlisted), f"{rule}: could not decide: no candidate from {', '.join(systems)}")
    clusters = pending & (best < unlisted)
    top = best[group]
    kept = rank == top
    losers = np.flatnonzero(live & clusters[group] & ~kept)
    if len(losers):
        listed = ", ".join(systems)
        texts: dict[tuple[int, int], str] = {}
        codes = frame.system_code[state.rows[losers]].tolist()
        for j, code, r, t in zip(losers.tolist(), codes, rank[losers].tolist(), top[losers].tolist()):
            text = texts.get((code, t))
            if text is None:
                system = frame.systems[code]
                text = texts[(code, t)] = (f"lower source priority: {system} after {systems[t]}" if r < unlisted
                                           else f"lower source priority: {system} not in [{listed}]")
            state.reason[j] = text
    state.narrowed(index, rule, clusters, live, kept)


def _older(frame: _Frame) -> Callable[[int, int], str]:
    moments = frame.members.updated_at

    def why(loser: int, best: int) -> str:
        return "older: {} < {}".format(*show_moment(moments[loser], moments[best]))

    return why


def _less_complete(frame: _Frame) -> Callable[[int, int], str]:
    filled = frame.filled

    def why(loser: int, best: int) -> str:
        return f"less complete record: {filled[loser]} < {filled[best]} fields filled"

    return why


def _frequencies(group: np.ndarray, live: np.ndarray, values: list[Any], rows: np.ndarray) -> np.ndarray:
    """Per live candidate how many live candidates of its cluster hold the same value (``values.identity``)."""
    texts = ["s" + v if type(v) is str else "j" + identity(v) for v in (values[r] for r in rows.tolist())]
    codes, distinct = _factorize(texts)
    key = group * max(len(distinct), 1) + codes
    out = np.zeros(len(rows), dtype=np.int64)
    _, inverse, counts = np.unique(key[live], return_inverse=True, return_counts=True)
    out[live] = counts[inverse.reshape(-1)]
    return out


def _less_frequent(count: np.ndarray, rows: np.ndarray) -> Callable[[int, int], str]:
    """Reasons by member row; the counts are by candidate, so map rows back first."""
    of_row = dict(zip(rows.tolist(), count.tolist()))

    def why(loser: int, best: int) -> str:
        return f"less frequent: {of_row[loser]} < {of_row[best]} occurrences"

    return why


def _keep_best(state: _State, index: int, rule: str, live: np.ndarray, score: np.ndarray,
               why: Callable[[int, int], str]) -> None:
    """``strategies.keep_best`` with ``max``: the candidates with the highest score."""
    frame, group, k = state.frame, state.group, state.frame.k
    lowest = np.iinfo(np.int64).min
    best = np.full(k, lowest, dtype=np.int64)
    np.maximum.at(best, group[live], score[live])
    clusters = ~state.done
    kept = score == best[group]
    # The reason names the first kept candidate (pool order) as the best.
    first = _first_per_group(np.flatnonzero(live & kept), group, k)
    rows = state.rows
    for j in np.flatnonzero(live & ~kept & clusters[group]).tolist():
        state.reason[j] = why(int(rows[j]), int(rows[first[group[j]]]))
    state.narrowed(index, rule, clusters, live, kept)


def _same_source(state: _State, index: int, rule: str, target: str, live: np.ndarray, decided: _Attribute | None,
                 attribute: str) -> None:
    frame, group, k = state.frame, state.group, state.frame.k
    winners = decided.winner_rows(k) if decided is not None else np.full(k, _NONE, dtype=np.int64)
    pending = ~state.done
    state.fallback(pending & (winners < 0), f"{rule}: could not decide: {target} has no winning source record")
    kept = state.rows == winners[group]
    n_kept = _counts(group, live & kept, k)
    missing = pending & (winners >= 0) & (n_kept == 0)
    state.fallback(missing, lambda c: f"{rule}: could not decide: the record that won {target} "
                                      f"({frame.label(int(winners[c]))}) has no valid {attribute}")
    clusters = pending & (n_kept > 0)
    texts: dict[int, str] = {}
    for j in np.flatnonzero(live & clusters[group] & ~kept).tolist():
        c = int(group[j])
        text = texts.get(c)
        if text is None:
            text = texts[c] = f"not from the record that won {target} ({frame.label(int(winners[c]))})"
        state.reason[j] = text
    state.narrowed(index, rule, clusters, live, kept)


def _break_ties(state: _State, active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per cluster the winning candidate (or -1), and where the tie-breaker chose it
    (several left, or no step decided): most recent, then lowest record id."""
    frame, group, k = state.frame, state.group, state.frame.k
    alive = np.flatnonzero(state.alive & active[group])
    n_alive = _counts(group, state.alive & active[group], k)
    tied = active & ((n_alive > 1) | (state.deciding < 0))
    ns = frame.members.updated_ns[state.rows[alive]]
    ids = frame.record_id[state.rows[alive]]
    winner = _first_per_group(alive[np.lexsort((ids, -ns, group[alive]))], group, k)
    rows = state.rows
    moments, record_id = frame.members.updated_at, frame.members.record_id
    for j in np.flatnonzero(state.alive & tied[group]).tolist():
        w = int(winner[group[j]])
        if j == w:
            continue
        loser, best = int(rows[j]), int(rows[w])
        if frame.members.updated_ns[loser] < frame.members.updated_ns[best]:
            state.reason[j] = "tie-breaker: older: {} < {}".format(*show_moment(moments[loser], moments[best]))
        else:
            state.reason[j] = f"tie-breaker: higher record id: {record_id[loser]} > {record_id[best]}"
    return winner, tied


# --- the stored documents ------------------------------------------------------------------------


def _assemble(domain: str, frame: _Frame, decided: list[_Attribute]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    k, n = frame.k, len(frame.cluster)
    members = frame.members
    # Only clusters where an attribute has a winner have its lineage entry; their candidates are listed.
    listed = [a.winner[a.group] >= 0 for a in decided]

    # Sources: each golden record's member rows in order of first use (attribute, then position).
    big = len(decided)
    first = np.full(n, big, dtype=np.int64)
    for index, (a, shown) in enumerate(zip(decided, listed)):
        rows = a.rows[shown]
        first[rows] = np.minimum(first[rows], index)
    used = np.flatnonzero(first < big)
    used = used[np.lexsort((frame.position[used], first[used], frame.cluster[used]))]
    used_cluster = frame.cluster[used]
    source_index = np.zeros(n, dtype=np.int64)
    source_index[used] = np.arange(len(used)) - np.searchsorted(used_cluster, used_cluster)
    source_rows = [[members.record_id[r], members.system[r], members.source_key[r], members.version[r],
                    members.moments[r]] for r in used.tolist()]
    source_bounds = np.searchsorted(used_cluster, np.arange(k + 1)).tolist()

    whys, why_index = _whys(frame, decided, listed)

    columns = []
    for a, shown, why in zip(decided, listed, why_index):
        columns.append((a.name, _entries(domain, a, shown, source_index, why)))
    out = []
    for c in range(k):
        entries = {}
        attributes = {}
        for name, (column, values) in columns:
            entry = column.get(c)
            if entry is not None:
                entries[name] = entry
                attributes[name] = values[c]
        if not entries:
            out.append((attributes, {}))
            continue
        lo, hi = source_bounds[c], source_bounds[c + 1]
        document: dict[str, Any] = {MARKER: VERSION, "_d": domain, "_src": source_rows[lo:hi]}
        reasons = whys.get(c)
        if reasons:
            document["_why"] = reasons
        document.update(entries)
        out.append((attributes, document))
    return out


def _whys(frame: _Frame, decided: list[_Attribute], listed: list[np.ndarray]) -> tuple[dict[int, list[str]],
                                                                                        list[np.ndarray]]:
    """Each golden record's reasons in order of first use, and per attribute each candidate's index
    among them (-1: the winner, whose reason is recomputed from the rule)."""
    parts = []
    for index, (a, shown) in enumerate(zip(decided, listed)):
        js = np.flatnonzero(shown & (a.outcome != "w"))
        parts.append((index, js))
    cluster = np.concatenate([decided[i].group[js] for i, js in parts]) if parts else np.zeros(0, np.int64)
    attr = np.concatenate([np.full(len(js), i, dtype=np.int64) for i, js in parts]) if parts else cluster
    position = (np.concatenate([frame.position[decided[i].rows[js]] for i, js in parts]) if parts else cluster)
    texts = (np.concatenate([decided[i].reason[js] for i, js in parts]) if parts
             else np.zeros(0, dtype=object))
    order = np.lexsort((position, attr, cluster))
    codes, strings = _factorize(texts[order].tolist())
    sorted_cluster = cluster[order]
    key = sorted_cluster * max(len(strings), 1) + codes
    unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    by_use = np.argsort(first, kind="stable")
    use_cluster = sorted_cluster[first[by_use]]
    rank = np.empty(len(unique), dtype=np.int64)
    rank[by_use] = np.arange(len(unique)) - np.searchsorted(use_cluster, use_cluster)
    whys: dict[int, list[str]] = {}
    for c, code in zip(use_cluster.tolist(), codes[first[by_use]].tolist()):
        whys.setdefault(c, []).append(strings[code])
    index_sorted = rank[inverse.reshape(-1)]
    index_all = np.empty(len(order), dtype=np.int64)
    index_all[order] = index_sorted
    out = []
    offset = 0
    for (i, js), a in zip(parts, decided):
        per = np.full(len(a.rows), _NONE, dtype=np.int64)
        per[js] = index_all[offset:offset + len(js)]
        offset += len(js)
        out.append(per)
    return whys, out


def _entries(domain: str, a: _Attribute, shown: np.ndarray, source_index: np.ndarray,
             why: np.ndarray) -> tuple[dict[int, dict[str, Any]], dict[int, Any]]:
    """cluster -> the attribute's compact lineage entry, and cluster -> its golden value."""
    js = np.flatnonzero(shown)
    values = a.values
    rows = a.rows[js].tolist()
    shown_values = [values[r] for r in rows]
    if not set(map(type, shown_values)) <= {str, int, bool}:
        shown_values = [v if type(v) in _PLAIN else _json(v) for v in shown_values]
    items = [[s, o, v] if w < 0 else [s, o, v, w]
             for s, o, v, w in zip(source_index[a.rows[js]].tolist(), a.outcome[js].tolist(), shown_values,
                                   why[js].tolist())]
    clusters = np.flatnonzero(a.winner >= 0)
    group = a.group[js]
    lows = np.searchsorted(group, clusters)
    highs = np.searchsorted(group, clusters, side="right")
    winners = a.winner[clusters]
    won = (winners - js[lows]).tolist()
    golden_values = [values[r] for r in a.rows[winners].tolist()]
    # The rule texts by (deciding step, tie broken): a handful per attribute.
    parts_of: dict[tuple[int, bool], tuple] = {}
    entries: dict[int, dict[str, Any]] = {}
    fallbacks = a.fallbacks
    for c, lo, hi, w, step, tied in zip(clusters.tolist(), lows.tolist(), highs.tolist(), won,
                                        a.deciding[clusters].tolist(), a.tied[clusters].tolist()):
        parts = parts_of.get((step, tied))
        if parts is None:
            strategy, rule = (a.steps[step][0], a.steps[step][3]) if step >= 0 else ("tie_breaker", a.tie_rule)
            key, text, named, _ = rule_parts(domain, a.name, rule, TIE_BREAKER if tied else None)
            parts = parts_of[(step, tied)] = (key, text, None if strategy == named else strategy)
        key, text, strategy = parts
        entry: dict[str, Any] = {key: text, "c": items[lo:hi], "w": w}
        if strategy is not None:
            entry["s"] = strategy
        if tied:
            entry["t"] = TIE_BREAKER
        if c in fallbacks:
            entry["f"] = list(fallbacks[c])
        entries[c] = entry
    return entries, dict(zip(clusters.tolist(), golden_values))
